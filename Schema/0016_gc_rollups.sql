-- traceware warehouse schema, migration 0016: what report gc needs, computed at ingest.
--
-- Report gc's mark-worker rows are percentiles over the running intervals of the goroutines Go labels (5.6M
-- intervals on a 231 MB busy run, mostly runtime.bgsweep's), and its heap rows scan every heap and heap-goal
-- sample (5.1M there): 5 s per report at 200 MB. The ingest now counts those intervals by length per label as it
-- writes them (an exact histogram: nearest-rank percentiles come from it, as sched_wait_histogram's do) and
-- keeps count, min, max and latest value per metric (Sources/Warehouse/Ingest/GCRollups.swift), so the report
-- reads a few hundred rows. Runs ingested before 0016 are filled below from their stored rows, so an upgraded
-- warehouse answers as a fresh ingest would (one difference, of Go's event order: a Label event at exactly the
-- time a running interval ends, read after that interval's end, labels it here but not in the ingest, which
-- follows Go's reader event by event, as go tool trace does).

CREATE TABLE IF NOT EXISTS gc_worker_histogram ( -- doc: The running intervals of labelled goroutines (the GC's mark workers: Go labels them 'GC (dedicated)', 'GC (fractional)', 'GC (idle)' when they start) as an exact histogram per label: how many intervals of each length. Each interval counts under the goroutine's latest label when it ends (go tool trace names a goroutine by its latest label); intervals before a goroutine's first label, or under an empty label, are not counted. What report gc's 'workers' rows read; any nearest-rank percentile is exact from it (the smallest duration_ns whose cumulative intervals reach ceil(p * total / 100)).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    label TEXT NOT NULL, -- doc: The label (labels.label).
    duration_ns INTEGER NOT NULL, -- doc: Length of the interval (a goroutine_states row in state 'running').
    intervals INTEGER NOT NULL, -- doc: Number of running intervals of exactly that length under that label.
    PRIMARY KEY (run_id, label, duration_ns)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS metric_rollups ( -- doc: Each metric's samples of a run summed up (metrics view): count, smallest, largest and latest value. What report gc's 'heap' rows and compare's heap_peak_bytes read instead of every sample.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    name_id INTEGER NOT NULL, -- doc: The metric (metric_names.name_id).
    samples INTEGER NOT NULL, -- doc: Number of samples (metric_samples rows).
    min_value INTEGER NOT NULL, -- doc: Smallest value.
    max_value INTEGER NOT NULL, -- doc: Largest value.
    last_value INTEGER NOT NULL, -- doc: Value of the latest sample: the last in trace order (largest ts_ns, then largest sample_id).
    last_ts_ns INTEGER NOT NULL, -- doc: Time of the latest sample.
    PRIMARY KEY (run_id, name_id)
) WITHOUT ROWID;

-- Runs ingested before 0016. Every interval under the latest label at or before its end, as report gc computed
-- it before 0016: a goroutine labelled once (nearly all) takes that label without a lookup per interval.
CREATE TEMP TABLE labelled_0016 AS
SELECT run_id, goid, min(ts_ns) AS first_ns, min(label) = max(label) AS one_label, min(label) AS label
FROM labels GROUP BY run_id, goid;

INSERT INTO gc_worker_histogram (run_id, label, duration_ns, intervals)
SELECT run_id, label, duration_ns, count(*)
FROM (
    SELECT g.run_id,
           CASE WHEN g.one_label THEN g.label
                ELSE (SELECT l.label FROM labels l
                      WHERE l.run_id = s.run_id AND l.goid = s.goid AND l.ts_ns <= s.end_ns
                      ORDER BY l.ts_ns DESC, l.rowid DESC LIMIT 1) END AS label,
           s.duration_ns
    FROM temp.labelled_0016 g CROSS JOIN goroutine_states s ON s.run_id = g.run_id AND s.goid = g.goid
    WHERE s.state = 'running' AND s.end_ns >= g.first_ns
)
WHERE label <> ''
GROUP BY run_id, label, duration_ns;

DROP TABLE temp.labelled_0016;

-- The latest sample: the largest (ts_ns, sample_id), i.e. the last entry of the metric's key range.
INSERT INTO metric_rollups (run_id, name_id, samples, min_value, max_value, last_value, last_ts_ns)
SELECT n.run_id, n.name_id, count(*), min(s.value), max(s.value),
       (SELECT l.value FROM metric_samples l WHERE l.run_id = n.run_id AND l.name_id = n.name_id
        ORDER BY l.ts_ns DESC, l.sample_id DESC LIMIT 1),
       max(s.ts_ns)
FROM metric_names n CROSS JOIN metric_samples s ON s.run_id = n.run_id AND s.name_id = n.name_id
GROUP BY n.run_id, n.name_id;
