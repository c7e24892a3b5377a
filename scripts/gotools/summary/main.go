// Command summary runs internal/trace's Summarizer (summary.go) over a trace the way cmd/trace's goroutine
// analysis does (cmd/trace/main.go parseTrace: every event read goes to Summarizer.Event, then Finalize) and
// prints per-goroutine statistics and their sums as JSON: the oracle for the warehouse's goroutine_states totals.
// Built inside the toolchain's source tree: scripts/gotool.sh summary.
//
//	summary FILE
//
// Durations and times are integers in nanoseconds (trace.Time / time.Duration). Like cmd/trace, a reader error
// does not discard what was read before it: the summary covers the events up to the error, and "Error" holds it
// (the exit status is then 3).
package main

import (
	"encoding/json"
	"fmt"
	"internal/trace"
	"io"
	"os"
	"sort"
	"time"
)

type goroutine struct {
	ID                trace.GoID
	Name              string
	IsSystem          bool // trace.IsSystemGoroutine(Name), as cmd/trace's goroutine views decide it
	PC                uint64
	CreationTime      trace.Time
	StartTime         trace.Time
	EndTime           trace.Time
	ExecTime          time.Duration
	SchedWaitTime     time.Duration
	SyscallTime       time.Duration
	SyscallBlockTime  time.Duration
	BlockTimeByReason map[string]time.Duration
	RangeTime         map[string]time.Duration
	TotalTime         time.Duration
	UnknownTime       time.Duration // GoroutineExecStats.UnknownTime(): TotalTime minus the accounted states
	Regions           int
}

type totals struct {
	Goroutines        int
	ExecTime          time.Duration
	SchedWaitTime     time.Duration
	SyscallTime       time.Duration
	SyscallBlockTime  time.Duration
	BlockTime         time.Duration
	BlockTimeByReason map[string]time.Duration
	RangeTime         map[string]time.Duration
	TotalTime         time.Duration
	UnknownTime       time.Duration
}

type output struct {
	File       string
	Events     int
	Error      string `json:",omitempty"`
	Totals     totals
	Goroutines []goroutine
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: summary FILE")
		os.Exit(2)
	}
	out, err := summarize(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(1)
	}
	if out.Error != "" {
		os.Exit(3)
	}
}

func summarize(path string) (*output, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		return nil, err
	}
	out := &output{File: path}
	s := trace.NewSummarizer()
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			out.Error = err.Error()
			break
		}
		out.Events++
		s.Event(&ev) // ev is a fresh variable per iteration: the summary may keep pointers to it
	}
	sum := s.Finalize()

	t := totals{BlockTimeByReason: map[string]time.Duration{}, RangeTime: map[string]time.Duration{}}
	for _, g := range sum.Goroutines {
		row := goroutine{
			ID: g.ID, Name: g.Name, IsSystem: trace.IsSystemGoroutine(g.Name), PC: g.PC,
			CreationTime: g.CreationTime, StartTime: g.StartTime, EndTime: g.EndTime,
			ExecTime: g.ExecTime, SchedWaitTime: g.SchedWaitTime,
			SyscallTime: g.SyscallTime, SyscallBlockTime: g.SyscallBlockTime,
			BlockTimeByReason: g.BlockTimeByReason, RangeTime: g.RangeTime,
			TotalTime: g.TotalTime, UnknownTime: g.UnknownTime(), Regions: len(g.Regions),
		}
		if row.BlockTimeByReason == nil {
			row.BlockTimeByReason = map[string]time.Duration{}
		}
		if row.RangeTime == nil {
			row.RangeTime = map[string]time.Duration{}
		}
		out.Goroutines = append(out.Goroutines, row)
		t.Goroutines++
		t.ExecTime += g.ExecTime
		t.SchedWaitTime += g.SchedWaitTime
		t.SyscallTime += g.SyscallTime
		t.SyscallBlockTime += g.SyscallBlockTime
		for reason, d := range g.BlockTimeByReason {
			t.BlockTimeByReason[reason] += d
			t.BlockTime += d
		}
		for name, d := range g.RangeTime {
			t.RangeTime[name] += d
		}
		t.TotalTime += g.TotalTime
		t.UnknownTime += row.UnknownTime
	}
	sort.Slice(out.Goroutines, func(i, j int) bool { return out.Goroutines[i].ID < out.Goroutines[j].ID })
	out.Totals = t
	return out, nil
}
