-- name: gc
-- summary: Garbage collection: cycles, stop-the-world pauses by reason, mark assist, heap and heap goal.
-- doc: One row per figure, in sections:
-- doc:   cycles  name 'GC concurrent mark phase': the GC cycles (gc_cycles), their count and durations;
-- doc:   stw     one row per stop-the-world reason (stw_pauses.reason), then name '(all)' over every pause;
-- doc:   assist  name 'GC mark assist': the mark-assist ranges of all goroutines (ranges), count and durations;
-- doc:   workers name = a mode of the GC's mark workers ('GC (dedicated)', 'GC (fractional)', 'GC (idle)'): the
-- doc:           running intervals (goroutine_states) of goroutines with labels, each under the goroutine's latest
-- doc:           label when it ends (labels; go tool trace names a goroutine by its latest label), read from the
-- doc:           histogram the ingest counts (gc_worker_histogram);
-- doc:   heap    name = the metric ('/memory/classes/heap/objects:bytes', '/gc/heap/goal:bytes'): count = samples,
-- doc:           min_value, max_value and last_value (the latest sample) in bytes, from metric_rollups.
-- doc: Time rows fill count, total_ns, p50_ns, p99_ns, max_ns; heap rows fill count and the *_value columns.
-- doc: A range already running when tracing started begins at the trace's sync; one still running at the end ends
-- doc: at the last event. Percentiles are nearest-rank (traceware's percentile() SQL function): the smallest duration
-- doc: v such that at least p% of the durations are <= v. Checked against Go's own reader (scripts/gotools/reportfacts
-- doc: pairs the trace's range begin/end events, follows goroutine states and Label events, and reads its metric events).
WITH spans AS (
    SELECT 1 AS ord, 'cycles' AS section, 'GC concurrent mark phase' AS name, duration_ns AS d
    FROM gc_cycles WHERE run_id = :run_id
    UNION ALL
    SELECT 2, 'stw', reason, duration_ns FROM stw_pauses WHERE run_id = :run_id
    UNION ALL
    SELECT 3, 'stw', '(all)', duration_ns FROM stw_pauses WHERE run_id = :run_id
    UNION ALL
    SELECT 4, 'assist', name, duration_ns FROM ranges WHERE run_id = :run_id AND name = 'GC mark assist'
),
times AS (
    SELECT min(ord) AS ord, section, name, count(*) AS count, sum(d) AS total_ns,
           percentile(d, 50) AS p50_ns, percentile(d, 99) AS p99_ns, max(d) AS max_ns,
           NULL AS min_value, NULL AS max_value, NULL AS last_value
    FROM spans GROUP BY section, name
),
-- The mark workers, from the exact histogram the ingest counted (gc_worker_histogram, migration 0016: each running
-- interval of a labelled goroutine under its latest label at the interval's end): count, total and max per label,
-- and the nearest-rank percentiles as the smallest length whose cumulative count reaches p% of the label's
-- intervals (cum >= ceil(p * n / 100) is cum * 100 >= p * n for integers). A few thousand rows per run
-- (5.6M intervals of a 231 MB busy run: 5 s per report when they were read one by one).
worker_lengths AS (
    -- In the histogram's key order: the running sum needs no sort.
    SELECT h.label, h.duration_ns AS d, h.intervals AS k, t.n,
           sum(h.intervals) OVER (PARTITION BY h.label ORDER BY h.duration_ns ROWS UNBOUNDED PRECEDING) AS cum
    FROM gc_worker_histogram h
    JOIN (SELECT label, sum(intervals) AS n FROM gc_worker_histogram WHERE run_id = :run_id GROUP BY label) t
      ON t.label = h.label
    WHERE h.run_id = :run_id
),
workers AS (
    SELECT 5 AS ord, 'workers' AS section, label AS name, max(n) AS count, sum(d * k) AS total_ns,
           min(CASE WHEN cum * 100 >= 50 * n THEN d END) AS p50_ns, min(CASE WHEN cum * 100 >= 99 * n THEN d END) AS p99_ns,
           max(d) AS max_ns, NULL AS min_value, NULL AS max_value, NULL AS last_value
    FROM worker_lengths GROUP BY label
),
-- Each metric's count, min, max and latest sample, rolled up at ingest (metric_rollups, migration 0016).
heap AS (
    SELECT 6 AS ord, 'heap' AS section, n.name, m.samples AS count, NULL AS total_ns, NULL AS p50_ns, NULL AS p99_ns,
           NULL AS max_ns, m.min_value, m.max_value, m.last_value
    FROM metric_names n JOIN metric_rollups m ON m.run_id = n.run_id AND m.name_id = n.name_id
    WHERE n.run_id = :run_id AND n.name IN ('/memory/classes/heap/objects:bytes', '/gc/heap/goal:bytes')
)
SELECT coalesce(nullif(r.label, ''), r.run_id) AS run, x.section, x.name, x.count, x.total_ns, x.p50_ns, x.p99_ns,
       x.max_ns, x.min_value, x.max_value, x.last_value
FROM (SELECT * FROM times UNION ALL SELECT * FROM workers UNION ALL SELECT * FROM heap) x
JOIN runs r ON r.run_id = :run_id
ORDER BY x.ord, x.name = '(all)', x.total_ns DESC, x.name;
