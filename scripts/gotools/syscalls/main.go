// Command syscalls reads a trace with internal/trace (Go's own reader, every format version) and prints, as JSON,
// every syscall interval as Go's reader sees it, with the stack of the event that entered the syscall: the oracle
// for the syscalls report's test (Tests/WarehouseTests/ReportMoreTests.swift). It walks the goroutine state
// transitions exactly as cmd/trace's syscall profile does (pprof.go makeComputePprofFunc with trace.GoSyscall:
// tracking starts at a transition into GoSyscall and ends at the next transition out of it), so "Closed" is
// `go tool trace -pprof=syscall` per stack, and "Open" lists the syscalls that profile leaves out because no
// transition ends them: still in progress at the end of the trace (the test checks Closed against the real profile).
// "BeforeStatus" is, per stack, the time before the first sight of goroutines already in a syscall (a transition
// out of GoUndetermined): the profile starts them at that event, Go's Summarizer (summary.go, and so cmd/trace's
// goroutine analysis) at the last Sync before it (its syncTs, the first event's time before any Sync).
// Built inside the toolchain's source tree: scripts/gotool.sh syscalls.
//
//	syscalls FILE
//
// Stacks are "function:line < function:line ..." (innermost first, "" for no stack). Durations are integers in
// nanoseconds; an open syscall's runs to the trace's last event (LastEventNs, Go's trace.Time).
package main

import (
	"encoding/json"
	"fmt"
	"internal/trace"
	"io"
	"os"
	"strings"
)

type total struct {
	Count int
	Ns    int64
}

type open struct {
	Goroutine int64
	Stack     string
	StartNs   int64
	Ns        int64 // to LastEventNs
}

type output struct {
	FirstEventNs int64
	LastEventNs  int64
	Closed       map[string]total
	Open         []open
	BeforeStatus map[string]int64
}

func stackKey(stk trace.Stack) string {
	var frames []string
	for f := range stk.Frames() { // innermost first
		frames = append(frames, fmt.Sprintf("%s:%d", f.Func, f.Line))
	}
	return strings.Join(frames, " < ")
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: syscalls FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "syscalls:", err)
		os.Exit(1)
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "syscalls:", err)
		os.Exit(1)
	}
	out := output{Closed: map[string]total{}, Open: []open{}, BeforeStatus: map[string]int64{}}
	var syncTs trace.Time // as Summarizer.Event keeps it
	type start struct {
		time  trace.Time
		stack string
	}
	tracking := map[trace.GoID]start{}
	first := true
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "syscalls:", err)
			os.Exit(1)
		}
		if first {
			out.FirstEventNs = int64(ev.Time())
			first = false
		}
		out.LastEventNs = int64(ev.Time())
		if syncTs == 0 {
			syncTs = ev.Time()
		}
		if ev.Kind() == trace.EventSync {
			syncTs = ev.Time()
		}
		if ev.Kind() != trace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		if st.Resource.Kind != trace.ResourceGoroutine {
			continue
		}
		id := st.Resource.Goroutine()
		prev, next := st.Goroutine()
		s, ok := tracking[id]
		if !ok {
			if next == trace.GoSyscall {
				tracking[id] = start{ev.Time(), stackKey(ev.Stack())}
				if prev == trace.GoUndetermined {
					out.BeforeStatus[stackKey(ev.Stack())] += int64(ev.Time().Sub(syncTs))
				}
			}
			continue
		}
		if next == trace.GoSyscall {
			continue
		}
		delete(tracking, id)
		t := out.Closed[s.stack]
		t.Count++
		t.Ns += int64(ev.Time().Sub(s.time))
		out.Closed[s.stack] = t
	}
	for id, s := range tracking {
		out.Open = append(out.Open, open{int64(id), s.stack, int64(s.time), out.LastEventNs - int64(s.time)})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "syscalls:", err)
		os.Exit(1)
	}
}
