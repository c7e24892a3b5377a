// Command reportfacts reads a trace with internal/trace (Go's own reader, every format version) and prints, as
// JSON, the figures that traceware's canned reports sched-latency, gc, tasks, regions and procs compute in SQL:
// the oracle for Tests/WarehouseTests/ReportMoreTests.swift. It derives every interval from the event stream
// itself (never from the warehouse); goroutine names, tasks and regions come from Go's Summarizer (summary.go).
// Built inside the toolchain's source tree: scripts/gotool.sh reportfacts.
//
//	reportfacts FILE
//
// Durations are integers in nanoseconds. Percentiles are nearest-rank: the smallest value v such that at least
// p% of the values are <= v (the sorted values' element ceil(p*n/100), counting from 1).
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

// stats summarises a list of durations.
type stats struct {
	Count int
	Total int64
	P50   int64
	P90   int64
	P99   int64
	Max   int64
}

func summarise(ds []int64) stats {
	s := stats{Count: len(ds)}
	if len(ds) == 0 {
		return s
	}
	sorted := append([]int64(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for _, d := range sorted {
		s.Total += d
	}
	rank := func(p int) int64 {
		k := (p*len(sorted) + 99) / 100 // ceil(p*n/100)
		if k < 1 {
			k = 1
		}
		return sorted[k-1]
	}
	s.P50, s.P90, s.P99, s.Max = rank(50), rank(90), rank(99), sorted[len(sorted)-1]
	return s
}

type metric struct {
	Count int
	Min   uint64
	Max   uint64
	Last  uint64
}

type userType struct {
	Count    int // every instance seen
	Complete stats
}

type output struct {
	File         string
	Error        string `json:",omitempty"`
	DurationNs   int64
	Sched        stats            // runnable→running waits of every goroutine
	SchedByGroup map[string]stats // the same per goroutine name (Go's start function)
	GCCycles     stats            // 'GC concurrent mark phase' ranges
	STW          map[string]stats // 'stop-the-world (REASON)' ranges by REASON
	STWAll       stats
	MarkAssist   stats // 'GC mark assist' ranges
	// Running intervals of labelled goroutines (the GC's mark workers) by the goroutine's latest Label at the
	// interval's end, as go tool trace names a goroutine with its latest label.
	GCWorkers map[string]stats
	Metrics      map[string]metric
	Tasks        map[string]userType // by task type (Summarizer tasks, the background task excluded)
	Regions      map[string]userType // by region type (Summarizer regions that began with a RegionBegin or lack a start)
	ProcRunning  map[string]int64    // P id → time in ProcRunning
}

type rangeKey struct {
	name  string
	scope string
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: reportfacts FILE")
		os.Exit(2)
	}
	out, err := facts(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "reportfacts:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "reportfacts:", err)
		os.Exit(1)
	}
	if out.Error != "" {
		os.Exit(3)
	}
}

func facts(path string) (*output, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		return nil, err
	}
	out := &output{File: path, SchedByGroup: map[string]stats{}, STW: map[string]stats{}, Metrics: map[string]metric{},
		Tasks: map[string]userType{}, Regions: map[string]userType{}, ProcRunning: map[string]int64{},
		GCWorkers: map[string]stats{}}
	s := trace.NewSummarizer()
	labels := map[trace.GoID]string{}
	runningSince := map[trace.GoID]trace.Time{}
	workerRuns := map[string][]int64{}

	var first, last, syncTs trace.Time
	started := false
	runnableSince := map[trace.GoID]trace.Time{}
	var waits []struct {
		g trace.GoID
		d int64
	}
	openRanges := map[rangeKey]trace.Time{}
	rangeDurations := map[string][]int64{}
	procSince := map[trace.ProcID]trace.Time{}
	procRunning := map[trace.ProcID]int64{}
	endRange := func(k rangeKey, start, end trace.Time) {
		rangeDurations[k.name] = append(rangeDurations[k.name], int64(end-start))
	}

	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			out.Error = err.Error()
			break
		}
		t := ev.Time()
		// The run starts at the trace's first event. A v1 trace's reader opens it with a Sync at Time -1 (Go's
		// reader's initial lastTs), which is no time of the trace: the next event is the first. (Every trace
		// opens with a Sync, whose case below sets syncTs.)
		if !started && !(ev.Kind() == trace.EventSync && t == -1) {
			first, started = t, true
		}
		last = t
		switch ev.Kind() {
		case trace.EventSync:
			syncTs = t
		case trace.EventStateTransition:
			st := ev.StateTransition()
			switch st.Resource.Kind {
			case trace.ResourceGoroutine:
				id := st.Resource.Goroutine()
				old, new := st.Goroutine()
				if old == new {
					break
				}
				if since, ok := runningSince[id]; ok && old == trace.GoRunning {
					if l := labels[id]; l != "" {
						workerRuns[l] = append(workerRuns[l], int64(t-since))
					}
					delete(runningSince, id)
				}
				if new == trace.GoRunning {
					if old == trace.GoUndetermined {
						runningSince[id] = syncTs
					} else {
						runningSince[id] = t
					}
				}
				if since, ok := runnableSince[id]; ok && old == trace.GoRunnable {
					waits = append(waits, struct {
						g trace.GoID
						d int64
					}{id, int64(t - since)})
					delete(runnableSince, id)
				}
				if new == trace.GoRunnable {
					// A goroutine first seen already runnable has waited since the sync (as Go's Summarizer counts it).
					if old == trace.GoUndetermined {
						runnableSince[id] = syncTs
					} else {
						runnableSince[id] = t
					}
				}
			case trace.ResourceProc:
				id := st.Resource.Proc()
				old, new := st.Proc()
				if old == new {
					break
				}
				if since, ok := procSince[id]; ok {
					procRunning[id] += int64(t - since)
					delete(procSince, id)
				}
				if _, seen := procRunning[id]; !seen {
					procRunning[id] = 0
				}
				if new == trace.ProcRunning {
					procSince[id] = t
				}
			}
		case trace.EventLabel:
			if l := ev.Label(); l.Resource.Kind == trace.ResourceGoroutine {
				labels[l.Resource.Goroutine()] = l.Label
			}
		case trace.EventRangeBegin, trace.EventRangeActive:
			rg := ev.Range()
			k := rangeKey{rg.Name, rg.Scope.String()}
			if _, open := openRanges[k]; open && ev.Kind() == trace.EventRangeActive {
				break // re-announced by a later generation: it keeps its beginning
			}
			if ev.Kind() == trace.EventRangeActive {
				openRanges[k] = syncTs
			} else {
				openRanges[k] = t
			}
		case trace.EventRangeEnd:
			rg := ev.Range()
			k := rangeKey{rg.Name, rg.Scope.String()}
			start, open := openRanges[k]
			if !open {
				start = syncTs // began before the trace
			}
			delete(openRanges, k)
			endRange(k, start, t)
		case trace.EventMetric:
			m := ev.Metric()
			v := m.Value.Uint64()
			cur, seen := out.Metrics[m.Name]
			if !seen || v < cur.Min {
				cur.Min = v
			}
			if !seen || v > cur.Max {
				cur.Max = v
			}
			cur.Last = v
			cur.Count++
			out.Metrics[m.Name] = cur
		}
		s.Event(&ev)
	}
	// Intervals still open at the end close at the last event.
	for id, since := range runnableSince {
		waits = append(waits, struct {
			g trace.GoID
			d int64
		}{id, int64(last - since)})
	}
	for k, start := range openRanges {
		endRange(k, start, last)
	}
	for id, since := range procSince {
		procRunning[id] += int64(last - since)
	}
	out.DurationNs = int64(last - first)

	sum := s.Finalize()
	all := []int64{}
	byGroup := map[string][]int64{}
	for _, w := range waits {
		all = append(all, w.d)
		name := ""
		if g := sum.Goroutines[w.g]; g != nil {
			name = g.Name
		}
		byGroup[name] = append(byGroup[name], w.d)
	}
	out.Sched = summarise(all)
	for name, ds := range byGroup {
		out.SchedByGroup[name] = summarise(ds)
	}

	for id, since := range runningSince { // still running at the end: until the last event
		if l := labels[id]; l != "" {
			workerRuns[l] = append(workerRuns[l], int64(last-since))
		}
	}
	for l, ds := range workerRuns {
		out.GCWorkers[l] = summarise(ds)
	}

	var stwAll []int64
	for name, ds := range rangeDurations {
		switch {
		case name == "GC concurrent mark phase":
			out.GCCycles = summarise(ds)
		case name == "GC mark assist":
			out.MarkAssist = summarise(ds)
		case strings.HasPrefix(name, "stop-the-world (") && strings.HasSuffix(name, ")"):
			reason := strings.TrimSuffix(strings.TrimPrefix(name, "stop-the-world ("), ")")
			out.STW[reason] = summarise(ds)
			stwAll = append(stwAll, ds...)
		}
	}
	out.STWAll = summarise(stwAll)

	for id, d := range procRunning {
		out.ProcRunning[fmt.Sprint(int64(id))] = d
	}

	taskDurations := map[string][]int64{}
	taskCounts := map[string]int{}
	for id, task := range sum.Tasks {
		if id == trace.BackgroundTask {
			continue
		}
		taskCounts[task.Name]++
		if task.Complete() {
			taskDurations[task.Name] = append(taskDurations[task.Name], int64(task.End.Time()-task.Start.Time()))
		}
	}
	for name, n := range taskCounts {
		out.Tasks[name] = userType{Count: n, Complete: summarise(taskDurations[name])}
	}

	regionDurations := map[string][]int64{}
	regionCounts := map[string]int{}
	for _, g := range sum.Goroutines {
		for _, rg := range g.Regions {
			// Skip the Summarizer's synthetic regions (task inheritance at goroutine creation: the start is a
			// state transition and there is no name).
			if rg.Start != nil && rg.Start.Kind() != trace.EventRegionBegin {
				continue
			}
			regionCounts[rg.Name]++
			if rg.Start != nil && rg.End != nil && rg.End.Kind() == trace.EventRegionEnd {
				regionDurations[rg.Name] = append(regionDurations[rg.Name], int64(rg.End.Time()-rg.Start.Time()))
			}
		}
	}
	for name, n := range regionCounts {
		out.Regions[name] = userType{Count: n, Complete: summarise(regionDurations[name])}
	}
	return out, nil
}
