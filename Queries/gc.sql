-- name: gc
-- summary: Garbage collection: cycles, stop-the-world pauses by reason, mark assist, heap and heap goal.
-- doc: One row per figure, in sections:
-- doc:   cycles  name 'GC concurrent mark phase': the GC cycles (gc_cycles), their count and durations;
-- doc:   stw     one row per stop-the-world reason (stw_pauses.reason), then name '(all)' over every pause;
-- doc:   assist  name 'GC mark assist': the mark-assist ranges of all goroutines (ranges), count and durations;
-- doc:   workers name = a mode of the GC's mark workers ('GC (dedicated)', 'GC (fractional)', 'GC (idle)'): the
-- doc:           running intervals (goroutine_states) of goroutines with labels, each under the goroutine's latest
-- doc:           label at or before its end (labels; go tool trace names a goroutine by its latest label);
-- doc:   heap    name = the metric ('/memory/classes/heap/objects:bytes', '/gc/heap/goal:bytes'): count = samples,
-- doc:           min_value, max_value and last_value (the latest sample) in bytes.
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
-- The mark workers: each labelled goroutine's running intervals that end at or after its first label (earlier
-- ones have no label and are not counted), each under the goroutine's latest label at or before its end.
labelled AS MATERIALIZED (
    SELECT goid, min(ts_ns) AS first_ns, min(label) = max(label) AS one_label, min(label) AS label
    FROM labels WHERE run_id = :run_id GROUP BY goid
),
workers AS MATERIALIZED (
    -- A labelled goroutine can run millions of times (a 45 MB busy run's runtime.bgsweep goroutine, labelled
    -- 'GC (fractional)' once, has 711K running intervals after it; 5.6M in a 230 MB run), so:
    -- - one label (a few) at a time, its figures in one pass as a JSON array, instead of a GROUP BY that sorted
    --   every interval (3 s of CPU on the 230 MB run);
    -- - a goroutine given one label only takes it without a lookup per interval (2 s of CPU on the 45 MB run);
    -- - read from goroutine_intervals, one goroutine's key range at a time (the view would join every interval
    --   to its kinds row).
    -- MATERIALIZED: each label's pass runs once (SQLite would otherwise copy the subquery into every
    -- json_extract below).
    SELECT n.label AS name, (
            SELECT json_array(count(*), sum(i.duration_ns), percentile(i.duration_ns, 50),
                              percentile(i.duration_ns, 99), max(i.duration_ns))
            FROM labelled g CROSS JOIN goroutine_intervals i ON i.run_id = :run_id AND i.goid = g.goid
            WHERE (g.label = n.label OR NOT g.one_label)
              AND i.start_ns + i.duration_ns >= g.first_ns
              AND i.kind_id IN (SELECT kind_id FROM goroutine_interval_kinds WHERE run_id = :run_id AND state = 'running')
              AND (g.one_label OR (SELECT l.label FROM labels l
                                   WHERE l.run_id = i.run_id AND l.goid = i.goid AND l.ts_ns <= i.start_ns + i.duration_ns
                                   ORDER BY l.ts_ns DESC LIMIT 1) = n.label)
        ) AS j
    FROM (SELECT DISTINCT label FROM labels WHERE run_id = :run_id) n
),
heap AS (
    -- From metric_samples rather than the metrics view: grouped by name_id, the samples arrive in the order of
    -- metric_samples' key (run_id, name_id, ts_ns, sample_id) and need no sort (grouping the view's rows by name
    -- sorted all 1.1M heap samples of a 45 MB busy trace: 0.39 s of CPU, now 0.19 s), and the latest sample (the
    -- largest ts_ns, then the largest sample_id, i.e. the last in trace order) is the key range's last entry.
    SELECT 6 AS ord, 'heap' AS section, n.name, count(*) AS count, NULL AS total_ns, NULL AS p50_ns, NULL AS p99_ns,
           NULL AS max_ns, min(s.value) AS min_value, max(s.value) AS max_value,
           (SELECT l.value FROM metric_samples l WHERE l.run_id = n.run_id AND l.name_id = n.name_id
            ORDER BY l.ts_ns DESC, l.sample_id DESC LIMIT 1) AS last_value
    FROM metric_names n CROSS JOIN metric_samples s ON s.run_id = n.run_id AND s.name_id = n.name_id
    WHERE n.run_id = :run_id AND n.name IN ('/memory/classes/heap/objects:bytes', '/gc/heap/goal:bytes')
    GROUP BY n.name_id
)
SELECT coalesce(nullif(r.label, ''), r.run_id) AS run, x.section, x.name, x.count, x.total_ns, x.p50_ns, x.p99_ns,
       x.max_ns, x.min_value, x.max_value, x.last_value
FROM (SELECT * FROM times UNION ALL
      SELECT 5, 'workers', name, json_extract(j, '$[0]'), json_extract(j, '$[1]'), json_extract(j, '$[2]'),
             json_extract(j, '$[3]'), json_extract(j, '$[4]'), NULL, NULL, NULL
      FROM workers WHERE json_extract(j, '$[0]') > 0 UNION ALL
      SELECT * FROM heap) x
JOIN runs r ON r.run_id = :run_id
ORDER BY x.ord, x.name = '(all)', x.total_ns DESC, x.name;
