// Command criticalpath is the oracle of traceware's critical-path report: it walks a trace's events with Go's
// own reader (internal/trace), builds every goroutine's state intervals itself (no Summarizer, no warehouse),
// and prints as JSON the critical path of every task that begins and ends in the trace. Built inside the
// toolchain's source tree: scripts/gotool.sh criticalpath.
//
//	criticalpath FILE
//
// The walk (the report's, see Queries/critical-path.sql): back from the task's end on the goroutine that ended
// it (the TaskEnd event's goroutine), never below the task's start:
//   - the interval covering the moment just before t (the one that began last, then closed last) is on the path,
//     clipped to the lower bound, unless it is a wait that ended at t by an event on another goroutine (the
//     waker, ev.Goroutine() of the event that took it out of Waiting): then the walk goes on the waker from t
//     back to the wait's start (clipped), and returns to the waiter there;
//   - no interval covers t: if the goroutine had none before, its creator (the goroutine of the event that
//     made it exist) from t back; otherwise a gap, state "unknown".
//
// Intervals: running, runnable, waiting (not 'forever': that ends the goroutine), syscall, from each goroutine
// state transition; a goroutine first seen at a sync (GoUndetermined) is in its state since that sync; open
// intervals close at the last event. Times are ns since the first event. A syscall whose P was taken is one
// syscall interval here (the warehouse splits it in two; the tests merge equal neighbours on both sides).
package main

import (
	"encoding/json"
	"fmt"
	"internal/trace"
	"io"
	"os"
	"sort"
)

type interval struct {
	state      string
	reason     string
	start, end int64
	waker      int64 // -1: none
}

type goroutine struct {
	state     trace.GoState
	since     int64
	reason    string
	intervals []interval
	parent    int64 // -1: unknown
	seen      bool
}

type Segment struct {
	Goid   int64
	State  string
	Reason string
	Start  int64
	End    int64
}

type Task struct {
	ID       uint64
	Start    int64
	End      int64
	Segments []Segment
}

type output struct {
	File  string
	Error string `json:",omitempty"`
	Tasks []Task
}

func stateName(s trace.GoState) string {
	switch s {
	case trace.GoRunning:
		return "running"
	case trace.GoRunnable:
		return "runnable"
	case trace.GoWaiting:
		return "waiting"
	case trace.GoSyscall:
		return "syscall"
	}
	return ""
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: criticalpath FILE")
		os.Exit(2)
	}
	out := &output{File: os.Args[1], Tasks: []Task{}}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "criticalpath:", err)
		os.Exit(1)
	}
	defer f.Close()
	r, err := trace.NewReader(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "criticalpath:", err)
		os.Exit(1)
	}
	gs := map[int64]*goroutine{}
	get := func(id int64) *goroutine {
		g := gs[id]
		if g == nil {
			g = &goroutine{state: trace.GoNotExist, parent: -1}
			gs[id] = g
		}
		return g
	}
	type taskInfo struct {
		start, end   int64
		begun, ended bool
		endGoid      int64
	}
	tasks := map[uint64]*taskInfo{}
	var origin trace.Time
	first := true
	var syncTs, lastTs int64
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			out.Error = err.Error()
			break
		}
		// Times count from the trace's first event. A v1 trace's reader opens it with a Sync at Time -1 (its
		// initial lastTs), which is no time of the trace: the next event is the first (as traceware's
		// runs.clock_origin and scripts/gotools/reportfacts have it). That Sync itself is then at -(origin+1).
		if first && !(ev.Kind() == trace.EventSync && ev.Time() == -1) {
			origin, first = ev.Time(), false
		}
		t := int64(ev.Time().Sub(origin))
		lastTs = t
		switch ev.Kind() {
		case trace.EventSync:
			syncTs = t
		case trace.EventTaskBegin:
			id := uint64(ev.Task().ID)
			ti := tasks[id]
			if ti == nil {
				ti = &taskInfo{}
				tasks[id] = ti
			}
			ti.start, ti.begun = t, true
		case trace.EventTaskEnd:
			id := uint64(ev.Task().ID)
			ti := tasks[id]
			if ti == nil {
				ti = &taskInfo{}
				tasks[id] = ti
			}
			ti.end, ti.ended, ti.endGoid = t, true, int64(ev.Goroutine())
		case trace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != trace.ResourceGoroutine {
				break
			}
			old, new := st.Goroutine()
			if old == new {
				break
			}
			id := int64(st.Resource.Goroutine())
			g := get(id)
			switch old {
			case trace.GoUndetermined:
				g.since = syncTs
			case trace.GoNotExist:
				g.since = t
				if ev.Goroutine() != trace.NoGoroutine {
					g.parent = int64(ev.Goroutine())
				}
			default:
				if name := stateName(g.state); name != "" {
					iv := interval{state: name, reason: g.reason, start: g.since, end: t, waker: -1}
					if g.state == trace.GoWaiting && ev.Goroutine() != trace.NoGoroutine {
						iv.waker = int64(ev.Goroutine())
					}
					g.intervals = append(g.intervals, iv)
				}
				g.since = t
			}
			g.state, g.reason = new, st.Reason
			if new == trace.GoWaiting && st.Reason == "forever" {
				g.state = trace.GoNotExist
			}
			if new == trace.GoRunning || new == trace.GoNotExist {
				g.reason = ""
			}
		}
	}
	for _, g := range gs {
		if name := stateName(g.state); name != "" {
			g.intervals = append(g.intervals, interval{state: name, reason: g.reason, start: g.since, end: lastTs, waker: -1})
		}
	}
	ids := make([]uint64, 0, len(tasks))
	for id, ti := range tasks {
		if ti.begun && ti.ended && ti.end > ti.start {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		ti := tasks[id]
		out.Tasks = append(out.Tasks, Task{ID: id, Start: ti.start, End: ti.end, Segments: walk(gs, ti.endGoid, ti.start, ti.end)})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "criticalpath:", err)
		os.Exit(1)
	}
	if out.Error != "" {
		os.Exit(3)
	}
}

// latest returns the interval of g with start < t (and end >= t when covering) that began last; of equal starts,
// the one that closed last (g.intervals is in closing order, as the warehouse's rows are).
func latest(g *goroutine, t int64, covering bool) *interval {
	var best *interval
	for i := range g.intervals {
		iv := &g.intervals[i]
		if iv.start >= t || (covering && iv.end < t) {
			continue
		}
		if best == nil || iv.start >= best.start { // ties: the later one in closing order
			best = iv
		}
	}
	return best
}

func walk(gs map[int64]*goroutine, goid, from, to int64) []Segment {
	type frame struct{ goid, lo int64 }
	var ret []frame
	var segs []Segment // backwards
	t, lo := to, from
	for steps := 0; steps < 1000000; steps++ {
		if t <= lo {
			if len(ret) == 0 {
				break
			}
			top := ret[len(ret)-1]
			ret = ret[:len(ret)-1]
			goid, lo = top.goid, top.lo
			continue
		}
		g := gs[goid]
		if g == nil {
			g = &goroutine{parent: -1}
		}
		iv := latest(g, t, true)
		if iv == nil {
			prev := latest(g, t, false)
			if prev == nil && g.parent >= 0 {
				goid = g.parent
				continue
			}
			s := lo
			if prev != nil && prev.end > s {
				s = prev.end
			}
			segs = append(segs, Segment{Goid: goid, State: "unknown", Start: s, End: t})
			t = s
			continue
		}
		s := iv.start
		if s < lo {
			s = lo
		}
		if iv.state == "waiting" && iv.end == t && iv.waker >= 0 && iv.waker != goid {
			ret = append(ret, frame{goid, lo})
			goid, lo = iv.waker, s
			continue
		}
		segs = append(segs, Segment{Goid: goid, State: iv.state, Reason: iv.reason, Start: s, End: t})
		t = s
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	return segs
}
