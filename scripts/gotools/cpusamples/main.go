// Command cpusamples reads a trace with internal/trace (Go's own reader, every format version) and prints, as
// JSON, how many CPU samples (EventStackSample) the trace holds per stack: the oracle for `traceware export pprof
// --kind cpu` (Tests/WarehouseTests/PprofExportTests.swift). go tool trace has no CPU profile of its own; these
// are the samples Go's reader gives.
// Built inside the toolchain's source tree: scripts/gotool.sh cpusamples.
//
//	cpusamples FILE
//
// Stacks are "function:line < function:line ..." (innermost first, "" for no stack), frames without a function
// left out (as the tests' reading of pprof -raw does).
package main

import (
	"encoding/json"
	"fmt"
	"internal/trace"
	"io"
	"os"
	"strings"
)

func stackKey(stk trace.Stack) string {
	var frames []string
	for f := range stk.Frames() { // innermost first
		if f.Func == "" {
			continue
		}
		frames = append(frames, fmt.Sprintf("%s:%d", f.Func, f.Line))
	}
	return strings.Join(frames, " < ")
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: cpusamples FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "cpusamples:", err)
		os.Exit(1)
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cpusamples:", err)
		os.Exit(1)
	}
	counts := map[string]int{}
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "cpusamples:", err)
			os.Exit(1)
		}
		if ev.Kind() == trace.EventStackSample {
			counts[stackKey(ev.Stack())]++
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(counts); err != nil {
		fmt.Fprintln(os.Stderr, "cpusamples:", err)
		os.Exit(1)
	}
}
