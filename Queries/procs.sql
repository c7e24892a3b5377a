-- name: procs
-- summary: Utilization of each P (logical processor): the share of the run it spent running goroutines.
-- doc: One row per P of the run (procs), by proc_id: running_ns = its time in state 'running' (proc_states: from
-- doc: the trace's ProcStart, or its first appearance as running, to its ProcStop; a P still running at the end is
-- doc: counted to the last event), idle_ns = its time in state 'idle', duration_ns = the run's duration, and
-- doc: running_share = running_ns / duration_ns (0..1). A P that appears late (GOMAXPROCS raised) or that the
-- doc: trace never shows running has a low share: the denominator is always the whole run.
-- doc: Ps without any state interval are left out (v1 traces carry pseudo-Ps for GC and syscalls, ids from
-- doc: 1000000, that never run goroutines).
-- doc: Checked against the P state transitions of Go's own reader (scripts/gotools/reportfacts).
SELECT coalesce(nullif(r.label, ''), r.run_id) AS run, p.proc_id,
       coalesce(sum(CASE WHEN s.state = 'running' THEN s.duration_ns END), 0) AS running_ns,
       coalesce(sum(CASE WHEN s.state = 'idle' THEN s.duration_ns END), 0) AS idle_ns,
       r.duration_ns,
       CASE WHEN r.duration_ns > 0
            THEN round(coalesce(sum(CASE WHEN s.state = 'running' THEN s.duration_ns END), 0) * 1.0 / r.duration_ns, 6)
       END AS running_share
FROM procs p
JOIN runs r ON r.run_id = p.run_id
LEFT JOIN proc_states s ON s.run_id = p.run_id AND s.proc_id = p.proc_id
WHERE p.run_id = :run_id
GROUP BY p.proc_id
HAVING count(s.run_id) > 0
ORDER BY p.proc_id;
