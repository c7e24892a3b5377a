// Command mutexshare is the oracle of traceware's mutex-share report: it walks a trace's events with Go's own
// reader (internal/trace), follows every goroutine's state transitions itself (no Summarizer, no warehouse),
// and prints as JSON how much of the user goroutines' latency was spent blocked on sync.Mutex / sync.RWMutex
// locks. Built inside the toolchain's source tree: scripts/gotool.sh mutexshare.
//
//	mutexshare FILE
//
// Definitions (the report's, see Queries/mutex-share.sql):
//   - user goroutines: !trace.IsSystemGoroutine(entry function), and not the tracer's own goroutine
//     (entry function runtime/trace.*). The entry function is the root frame of the first transition stack.
//   - latency: time in Runnable, Waiting or Syscall. A goroutine first seen at a sync (GoUndetermined) is
//     counted from that sync; a 'forever' block ends it, like goroutine exit; what is still open at the end
//     closes at the last event (as Go's Summarizer does).
//   - mutex: Waiting with reason "sync" whose transition stack has a lock frame (lockFuncs).
//   - user frame (Frames): the innermost frame whose file is outside GOROOT (found from the runtime's frames
//     anywhere in the trace, in a first pass); for -trimpath builds, in the main module or by the dot rule.
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

var lockFuncs = map[string]bool{
	"sync.(*Mutex).Lock":              true,
	"sync.(*Mutex).lockSlow":          true,
	"internal/sync.(*Mutex).Lock":     true,
	"internal/sync.(*Mutex).lockSlow": true,
	"sync.(*RWMutex).Lock":            true,
	"sync.(*RWMutex).RLock":           true,
	"sync.(*rlocker).Lock":            true,
}

type goroutine struct {
	name    string
	state   trace.GoState
	since   trace.Time
	reason  string
	stack   trace.Stack
	latency int64
	mutex   int64
	rwmutex int64
	waits   []int64 // each lock wait's length
	frames  map[string]int64
	byState map[string]int64
}

type output struct {
	File       string
	Error      string `json:",omitempty"`
	Goroutines int
	LatencyNs  int64
	MutexNs    int64
	RWMutexNs  int64
	Share      float64
	// Every lock wait of the user goroutines: how many, and the nearest-rank p50/p99 of their lengths
	// (compare's lock_wait_p50_ns and lock_wait_p99_ns).
	LockWaits     int
	LockWaitP50Ns int64
	LockWaitP99Ns int64
	// User frame ("function:line") of the lock waits → ns.
	Frames map[string]int64
	// Latency by state: "runnable", "syscall", "waiting/<reason>" → ns.
	ByState map[string]int64
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

// lockWait says whether a block stack goes through a lock, whether it is an RWMutex's, and its user frame.
func lockWait(stk trace.Stack) (isLock, isRW bool, userFrame string) {
	for f := range stk.Frames() { // leaf first
		if lockFuncs[f.Func] {
			isLock = true
			if strings.HasPrefix(f.Func, "sync.(*RWMutex).") || f.Func == "sync.(*rlocker).Lock" {
				isRW = true
			}
		}
		if userFrame == "" && isUser(f) {
			userFrame = fmt.Sprintf("%s:%d", f.Func, f.Line)
		}
	}
	if userFrame == "" {
		userFrame = "?"
	}
	return
}

func (g *goroutine) account(until trace.Time) {
	d := int64(until.Sub(g.since))
	switch g.state {
	case trace.GoRunnable:
		g.latency += d
		g.byState["runnable"] += d
	case trace.GoSyscall:
		g.latency += d
		g.byState["syscall"] += d
	case trace.GoWaiting:
		g.latency += d
		g.byState["waiting/"+g.reason] += d
		if g.reason == "sync" {
			if isLock, isRW, frame := lockWait(g.stack); isLock {
				g.mutex += d
				g.waits = append(g.waits, d)
				if isRW {
					g.rwmutex += d
				}
				g.frames[frame] += d
			}
		}
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mutexshare FILE")
		os.Exit(2)
	}
	out := &output{File: os.Args[1], Frames: map[string]int64{}, ByState: map[string]int64{}}
	layout(os.Args[1])
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutexshare:", err)
		os.Exit(1)
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutexshare:", err)
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
				g = &goroutine{frames: map[string]int64{}, byState: map[string]int64{}, state: trace.GoNotExist}
				gs[id] = g
			}
			if old == trace.GoUndetermined {
				g.since = syncTs // it was already in `new` at the sync
			} else {
				g.account(ev.Time())
				g.since = ev.Time()
			}
			if g.name == "" {
				for fr := range st.Stack.Frames() {
					g.name = fr.Func // the last (outermost) frame
				}
			}
			g.state, g.reason, g.stack = new, st.Reason, st.Stack
			if new == trace.GoWaiting && st.Reason == "forever" {
				g.state = trace.GoNotExist // like goroutine death: no more time counted
			}
		}
	}
	var waits []int64
	for _, g := range gs {
		g.account(lastTs)
		if trace.IsSystemGoroutine(g.name) || strings.HasPrefix(g.name, "runtime/trace.") {
			continue
		}
		out.Goroutines++
		out.LatencyNs += g.latency
		out.MutexNs += g.mutex
		out.RWMutexNs += g.rwmutex
		waits = append(waits, g.waits...)
		for k, v := range g.frames {
			out.Frames[k] += v
		}
		for k, v := range g.byState {
			out.ByState[k] += v
		}
	}
	if len(waits) > 0 {
		sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
		rank := func(p int) int64 { return waits[max(1, (p*len(waits)+99)/100)-1] }
		out.LockWaits, out.LockWaitP50Ns, out.LockWaitP99Ns = len(waits), rank(50), rank(99)
	}
	if out.LatencyNs > 0 {
		out.Share = float64(out.MutexNs) / float64(out.LatencyNs)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "mutexshare:", err)
		os.Exit(1)
	}
	if out.Error != "" {
		os.Exit(3)
	}
}
