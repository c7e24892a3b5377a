// Command lockholders is the oracle of traceware's lock-holders report: it walks a trace's events with Go's own
// reader (internal/trace), follows every goroutine's state transitions itself (no Summarizer, no warehouse),
// and prints as JSON the lock waits grouped by lock site and holder site. Built inside the toolchain's source
// tree: scripts/gotool.sh lockholders.
//
//	lockholders FILE
//
// Definitions (the report's, see Queries/lock-holders.sql):
//   - lock waits: mutex-share's (scripts/gotools/mutexshare): Waiting with reason "sync" whose transition stack
//     has a lock frame, on user goroutines (!trace.IsSystemGoroutine, not runtime/trace.*); a goroutine first
//     seen at a sync (GoUndetermined) waits from that sync; a wait still open at the end closes at the last event.
//   - lock site: the innermost user frame (file outside GOROOT, see isUser) of the block stack, "?" if none.
//   - holder site: the innermost user frame of ev.Stack() of the event that took the goroutine out of Waiting
//     (for a Mutex, the Unlock that released the semaphore), whatever goroutine the event is on (G=-1 too),
//     "?" if none; "(holder unknown)" when that event has no stack or the wait was still open at the end.
//   - holder stack: per (lock site, holder site), the holder stack text with the most wait ns (ties: the
//     smaller text), "function:line" innermost first joined by " < ".
//
// Times are nanoseconds. A reader error keeps what was read (Error is set, exit status 3).
package main

import (
	"encoding/json"
	"fmt"
	"internal/trace"
	"io"
	"os"
	"sort"
	"strings"
)

const unknown = "(holder unknown)"

var lockFuncs = map[string]bool{
	"sync.(*Mutex).Lock":              true,
	"sync.(*Mutex).lockSlow":          true,
	"internal/sync.(*Mutex).Lock":     true,
	"internal/sync.(*Mutex).lockSlow": true,
	"sync.(*RWMutex).Lock":            true,
	"sync.(*RWMutex).RLock":           true,
	"sync.(*rlocker).Lock":            true,
}

type wait struct {
	lockSite, holderSite, holderStack string
	ns                                int64
}

type goroutine struct {
	name   string
	state  trace.GoState
	since  trace.Time
	reason string
	stack  trace.Stack
	waits  []wait
}

type Row struct {
	LockSite    string
	HolderSite  string
	Waits       int64
	WaitNs      int64
	HolderStack string
}

type output struct {
	File    string
	Error   string `json:",omitempty"`
	TotalNs int64
	Rows    []Row
}

// isStandardLibrary: the package path's first element has no dot, except package main. The fallback of isUser.
func isStandardLibrary(fn string) bool {
	pkg := fn
	start := strings.LastIndex(fn, "/") + 1
	if dot := strings.Index(fn[start:], "."); dot >= 0 {
		pkg = fn[:start+dot]
	}
	if pkg == "main" {
		return false
	}
	first, _, _ := strings.Cut(pkg, "/")
	return !strings.Contains(first, ".")
}

// The user-frame rule is traceware's (stacks.user_frame_id) and scripts/gotools/mutexshare's: the frame's file
// outside GOROOT, as the runtime's own frames show it. Each oracle tool is built alone from its folder
// (scripts/gotool.sh), so the rule is repeated here rather than shared.
// Where the program's files are, from a first pass over the whole trace (layout): GOROOT's source directory as
// the runtime's frames show it ("" for GOROOT-relative files: -trimpath), and in a -trimpath build the main
// package's first path element ("payments/"), naming the main module.
var gorootSource, mainModulePrefix string
var gorootKnown bool

func learn(f trace.StackFrame) {
	if !gorootKnown && strings.HasPrefix(f.Func, "runtime.") && f.File != "" {
		if i := strings.LastIndex(f.File, "/src/runtime/"); i >= 0 {
			gorootSource, gorootKnown = f.File[:i]+"/src/", true
		} else if strings.HasPrefix(f.File, "runtime/") {
			gorootSource, gorootKnown = "", true
		}
	}
	if mainModulePrefix == "" && strings.HasPrefix(f.Func, "main.") && !strings.HasPrefix(f.File, "/") &&
		!strings.HasSuffix(f.File, "/_testmain.go") {
		if i := strings.Index(f.File, "/"); i > 0 {
			mainModulePrefix = f.File[:i+1]
		}
	}
}

func layout(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		return
	}
	for {
		ev, err := r.ReadEvent()
		if err != nil {
			return
		}
		for fr := range ev.Stack().Frames() {
			learn(fr)
		}
		if ev.Kind() == trace.EventStateTransition {
			for fr := range ev.StateTransition().Stack.Frames() {
				learn(fr)
			}
		}
	}
}

// isUser: a frame whose file is outside GOROOT; with GOROOT-relative files, one in the main module, or by
// the dot rule.
func isUser(f trace.StackFrame) bool {
	if gorootSource != "" && strings.HasPrefix(f.File, "/") {
		return !strings.HasPrefix(f.File, gorootSource)
	}
	if mainModulePrefix != "" && strings.HasPrefix(f.File, mainModulePrefix) {
		return true
	}
	return !isStandardLibrary(f.Func)
}

func userFrame(stk trace.Stack) string {
	for f := range stk.Frames() { // leaf first
		if isUser(f) {
			return fmt.Sprintf("%s:%d", f.Func, f.Line)
		}
	}
	return "?"
}

func isLockWait(stk trace.Stack) bool {
	for f := range stk.Frames() {
		if lockFuncs[f.Func] {
			return true
		}
	}
	return false
}

func stackText(stk trace.Stack) (text string, frames int) {
	var parts []string
	for f := range stk.Frames() {
		parts = append(parts, fmt.Sprintf("%s:%d", f.Func, f.Line))
	}
	return strings.Join(parts, " < "), len(parts)
}

// end closes the goroutine's current interval at `until`; ender is the event that ended it (nil at the end of
// the trace).
func (g *goroutine) end(until trace.Time, ender *trace.Event) {
	if g.state != trace.GoWaiting || g.reason != "sync" || !isLockWait(g.stack) {
		return
	}
	w := wait{lockSite: userFrame(g.stack), holderSite: unknown, ns: int64(until.Sub(g.since))}
	if ender != nil {
		if text, n := stackText(ender.Stack()); n > 0 {
			w.holderSite, w.holderStack = userFrame(ender.Stack()), text
		}
	}
	g.waits = append(g.waits, w)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: lockholders FILE")
		os.Exit(2)
	}
	out := &output{File: os.Args[1], Rows: []Row{}}
	layout(os.Args[1])
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "lockholders:", err)
		os.Exit(1)
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lockholders:", err)
		os.Exit(1)
	}
	gs := map[trace.GoID]*goroutine{}
	var syncTs, lastTs trace.Time
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			out.Error = err.Error()
			break
		}
		lastTs = ev.Time()
		switch ev.Kind() {
		case trace.EventSync:
			syncTs = ev.Time()
		case trace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != trace.ResourceGoroutine {
				break
			}
			old, new := st.Goroutine()
			if old == new {
				break
			}
			id := st.Resource.Goroutine()
			g := gs[id]
			if g == nil {
				g = &goroutine{state: trace.GoNotExist}
				gs[id] = g
			}
			if old == trace.GoUndetermined {
				g.since = syncTs
			} else {
				g.end(ev.Time(), &ev)
				g.since = ev.Time()
			}
			if g.name == "" {
				for fr := range st.Stack.Frames() {
					g.name = fr.Func
				}
			}
			g.state, g.reason, g.stack = new, st.Reason, st.Stack
			if new == trace.GoWaiting && st.Reason == "forever" {
				g.state = trace.GoNotExist
			}
		}
	}
	type key struct{ lock, holder string }
	type agg struct {
		waits, ns int64
		stacks    map[string]int64
	}
	groups := map[key]*agg{}
	for _, g := range gs {
		g.end(lastTs, nil)
		if trace.IsSystemGoroutine(g.name) || strings.HasPrefix(g.name, "runtime/trace.") {
			continue
		}
		for _, w := range g.waits {
			k := key{w.lockSite, w.holderSite}
			a := groups[k]
			if a == nil {
				a = &agg{stacks: map[string]int64{}}
				groups[k] = a
			}
			a.waits++
			a.ns += w.ns
			a.stacks[w.holderStack] += w.ns
			out.TotalNs += w.ns
		}
	}
	for k, a := range groups {
		best, bestNs := "", int64(-1)
		for s, ns := range a.stacks {
			if ns > bestNs || (ns == bestNs && s < best) {
				best, bestNs = s, ns
			}
		}
		out.Rows = append(out.Rows, Row{LockSite: k.lock, HolderSite: k.holder, Waits: a.waits, WaitNs: a.ns, HolderStack: best})
	}
	sort.Slice(out.Rows, func(i, j int) bool {
		a, b := out.Rows[i], out.Rows[j]
		if (a.HolderSite == unknown) != (b.HolderSite == unknown) {
			return b.HolderSite == unknown
		}
		if a.WaitNs != b.WaitNs {
			return a.WaitNs > b.WaitNs
		}
		if a.LockSite != b.LockSite {
			return a.LockSite < b.LockSite
		}
		return a.HolderSite < b.HolderSite
	})
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "lockholders:", err)
		os.Exit(1)
	}
	if out.Error != "" {
		os.Exit(3)
	}
}
