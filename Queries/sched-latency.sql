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
-- doc: Checked against a walk of Go's own reader over the same traces (scripts/gotools/reportfacts).
WITH waits AS (
    SELECT g.start_function AS start_function, g.is_system AS is_system, s.duration_ns AS d
    FROM goroutine_states s
    JOIN goroutines g ON g.run_id = s.run_id AND g.goid = s.goid
    WHERE s.run_id = :run_id AND s.state = 'runnable' AND s.reason <> 'syscall blocked at trace end'
      AND (coalesce(:function, '') = '' OR g.start_function = :function)
),
-- The overall ranking and the per-group one are separate windows (an unpartitioned sort is cheaper than one
-- partition of a doubled row set); count and sum ride on the same window, so only the rows at a percentile's rank
-- reach the grouping.
ranked AS (
    SELECT 'all' AS scope, NULL AS start_function, NULL AS is_system, d,
           row_number() OVER w AS rn,
           count(*) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n,
           sum(d) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS total
    FROM waits WINDOW w AS (ORDER BY d)
    UNION ALL
    SELECT 'group', start_function, is_system, d,
           row_number() OVER w AS rn,
           count(*) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n,
           sum(d) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS total
    FROM waits WINDOW w AS (PARTITION BY start_function ORDER BY d)
)
SELECT coalesce(nullif(r.label, ''), r.run_id) AS run,
       k.scope, coalesce(k.start_function, '') AS start_function, k.is_system,
       k.waits, k.total_ns, k.p50_ns, k.p90_ns, k.p99_ns, k.max_ns
FROM (
    SELECT scope, start_function, is_system, max(n) AS waits, max(total) AS total_ns,
           max(CASE WHEN rn = (50 * n + 99) / 100 THEN d END) AS p50_ns,
           max(CASE WHEN rn = (90 * n + 99) / 100 THEN d END) AS p90_ns,
           max(CASE WHEN rn = (99 * n + 99) / 100 THEN d END) AS p99_ns,
           max(CASE WHEN rn = n THEN d END) AS max_ns
    FROM ranked
    WHERE rn IN ((50 * n + 99) / 100, (90 * n + 99) / 100, (99 * n + 99) / 100, n)
    GROUP BY scope, start_function
) k
JOIN runs r ON r.run_id = :run_id
ORDER BY k.scope = 'group', k.total_ns DESC, k.start_function;
