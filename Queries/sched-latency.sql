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
-- doc: Read from sched_wait_histogram (every wait's exact length, counted per group at ingest): percentiles
-- doc: come from its cumulative counts, so the time grows with the distinct wait lengths, not the waits.
-- doc: Checked against a walk of Go's own reader over the same traces (scripts/gotools/reportfacts).
WITH
h AS (
    SELECT start_function, duration_ns AS d, waits
    FROM sched_wait_histogram
    WHERE run_id = :run_id AND (coalesce(:function, '') = '' OR start_function = :function)
),
-- Cumulative waits up to each length: the run's histogram over every group, then each group's.
cum AS (
    SELECT 'all' AS scope, '' AS start_function, d, waits,
           sum(waits) OVER (ORDER BY d ROWS UNBOUNDED PRECEDING) AS c
    FROM (SELECT d, sum(waits) AS waits FROM h GROUP BY d)
    UNION ALL
    SELECT 'group', start_function, d, waits,
           sum(waits) OVER (PARTITION BY start_function ORDER BY d ROWS UNBOUNDED PRECEDING)
    FROM h
),
sized AS (
    SELECT scope, start_function, sum(waits) AS n, sum(d * waits) AS total, max(d) AS max_ns
    FROM cum GROUP BY scope, start_function
),
-- Nearest rank: the smallest length whose cumulative count reaches ceil(p * n / 100).
k AS (
    SELECT s.scope, s.start_function, s.n AS waits, s.total AS total_ns,
           min(CASE WHEN c.c >= (50 * s.n + 99) / 100 THEN c.d END) AS p50_ns,
           min(CASE WHEN c.c >= (90 * s.n + 99) / 100 THEN c.d END) AS p90_ns,
           min(CASE WHEN c.c >= (99 * s.n + 99) / 100 THEN c.d END) AS p99_ns,
           s.max_ns
    FROM sized s JOIN cum c ON c.scope = s.scope AND c.start_function = s.start_function
    GROUP BY s.scope, s.start_function
),
systems AS (
    SELECT start_function, max(is_system) AS is_system FROM goroutine_group_totals
    WHERE run_id = :run_id GROUP BY start_function
)
SELECT coalesce(nullif(r.label, ''), r.run_id) AS run,
       k.scope, k.start_function, CASE WHEN k.scope = 'group' THEN y.is_system END AS is_system,
       k.waits, k.total_ns, k.p50_ns, k.p90_ns, k.p99_ns, k.max_ns
FROM k
JOIN runs r ON r.run_id = :run_id
LEFT JOIN systems y ON y.start_function = k.start_function
ORDER BY k.scope = 'group', k.total_ns DESC, k.start_function;
