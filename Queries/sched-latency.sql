-- name: sched-latency
-- summary: Scheduler latency: how long goroutines waited runnable before they ran, overall and per start function.
-- param: function : optional, only the goroutines of this start function ('' or unset = all)
-- doc: One row per scope: scope 'all' (every goroutine of the run, system goroutines included) first, then one
-- doc: row per goroutine group (scope 'group', start_function as in `go tool trace`'s goroutine analysis), the
-- doc: groups with the most waiting first. A wait is one goroutine_states row in state 'runnable': from the moment a
-- doc: goroutine became runnable (created, woken, preempted, yielded) until it ran; a goroutine first seen runnable
-- doc: waits from the trace's sync, and a wait still open at the end closes at the last event (as Go's Summarizer
-- doc: counts sched wait). Not counted: the row that Go's Summarizer quirk adds for a syscall still blocked at the
-- doc: end (reason 'syscall blocked at trace end'), which is no runnable wait.
-- doc: Percentiles are nearest-rank: the smallest wait v such that at least p% of the waits are <= v.
-- doc: Read from sched_wait_stats, which the ingest computes from sched_wait_histogram (every wait's exact
-- doc: length, counted per group): a few rows per run. With --param function the 'all' row is that group's.
-- doc: Checked against a walk of Go's own reader over the same traces (scripts/gotools/reportfacts).
SELECT * FROM (
SELECT coalesce(nullif(r.label, ''), r.run_id) AS run,
       k.scope, k.start_function, CASE WHEN k.scope = 'group' THEN k.is_system END AS is_system,
       k.waits, k.total_ns, k.p50_ns, k.p90_ns, k.p99_ns, k.max_ns
FROM sched_wait_stats k
JOIN runs r ON r.run_id = :run_id
WHERE k.run_id = :run_id
  AND (coalesce(:function, '') = '' OR (k.scope = 'group' AND k.start_function = :function))
UNION ALL
-- One group asked for: its waits are all the waits there are, so the 'all' row repeats its figures.
SELECT coalesce(nullif(r.label, ''), r.run_id), 'all', '', NULL, k.waits, k.total_ns, k.p50_ns, k.p90_ns, k.p99_ns,
       k.max_ns
FROM sched_wait_stats k
JOIN runs r ON r.run_id = :run_id
WHERE k.run_id = :run_id AND coalesce(:function, '') <> '' AND k.scope = 'group' AND k.start_function = :function
)
ORDER BY scope = 'group', total_ns DESC, start_function;
