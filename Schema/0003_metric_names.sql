-- traceware warehouse schema, migration 0003: metric names interned per run.
--
-- Nearly every metric sample is '/memory/classes/heap/objects:bytes' (Go emits one per heap change): kept as
-- text, the name made up most of the metrics table and of its index (147 of 677 MB for a 45 MB trace). The
-- samples now refer to a per-run table of names, and `metrics` becomes a view with the columns of the table
-- it replaces (plus sample_id), so queries on metrics read the same. Existing samples are moved over.

CREATE TABLE metric_names ( -- doc: Names of the runtime metrics of a run (interned: metric_samples refers to them by name_id).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    name_id INTEGER NOT NULL, -- doc: Warehouse id of the name, unique within the run.
    name TEXT NOT NULL, -- doc: Metric name as Go names it, e.g. '/memory/classes/heap/objects:bytes', '/gc/heap/goal:bytes', '/sched/gomaxprocs:threads'.
    PRIMARY KEY (run_id, name_id)
) WITHOUT ROWID;

CREATE TABLE metric_samples ( -- doc: The samples behind the metrics view, with their names interned.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    ts_ns INTEGER NOT NULL, -- doc: Time of the sample.
    name_id INTEGER NOT NULL, -- doc: The metric (metric_names.name_id).
    value NUMERIC NOT NULL -- doc: The value (an integer for Go's uint64 metrics).
);

INSERT INTO metric_names (run_id, name_id, name)
SELECT run_id, row_number() OVER (PARTITION BY run_id ORDER BY name), name
FROM (SELECT DISTINCT run_id, name FROM metrics);

INSERT INTO metric_samples (run_id, ts_ns, name_id, value)
SELECT m.run_id, m.ts_ns, n.name_id, m.value
FROM metrics m JOIN metric_names n ON n.run_id = m.run_id AND n.name = m.name
ORDER BY m.rowid;

DROP TABLE metrics;

-- The names drive the join (CROSS JOIN fixes the order in SQLite): a filter on run_id and name then reads
-- only that metric's samples through metric_samples_by_name (a run's heap goal: 3 ms instead of 190 ms).
CREATE VIEW metrics AS -- doc: Samples of runtime metrics: heap size, heap goal, GOMAXPROCS, and so on (metric_samples with their names).
SELECT n.run_id AS run_id, -- doc: The run (runs.run_id).
       s.ts_ns AS ts_ns, -- doc: Time of the sample.
       n.name AS name, -- doc: Metric name as Go names it, e.g. '/memory/classes/heap/objects:bytes', '/gc/heap/goal:bytes', '/sched/gomaxprocs:threads'.
       s.value AS value, -- doc: The value (an integer for Go's uint64 metrics).
       s.rowid AS sample_id -- doc: Row id of the sample in metric_samples: a run's samples are numbered in trace order.
FROM metric_names n CROSS JOIN metric_samples s ON s.run_id = n.run_id AND s.name_id = n.name_id;

-- section: indexes
DROP INDEX IF EXISTS metrics_by_name;
CREATE INDEX IF NOT EXISTS metric_samples_by_name ON metric_samples (run_id, name_id, ts_ns);
