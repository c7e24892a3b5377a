-- traceware warehouse schema, migration 0010: a smaller warehouse (issue 11, item 2).
--
-- Measured with sqlite3's dbstat on a 45 MB busy trace and a 50 MB service trace (NOTES-size.md): after the
-- intervals, the biggest tables were per-goroutine copies of what the intervals already hold. Each change keeps
-- the table's name, columns and values for queries (a view over the compact storage where the storage changed):
--
-- * goroutine_state_totals (one row per goroutine, state, reason and category, with three text columns: 9% of a
--   busy run's warehouse) is now a view summing goroutine_states. No canned report reads it: goroutine-analysis
--   reads the per-group totals, and its drill-down into one group reads that group's intervals by key.
-- * goroutines and metric_samples were rowid tables plus an index on their natural key; they are clustered on
--   that key now. goroutine_summaries' times moved to goroutine_times (it repeated goroutines' columns).
-- * ranges became range_spans and range_kinds, behind a view; regions became region_spans and region_names.

DROP TABLE goroutine_state_totals;

CREATE VIEW goroutine_state_totals AS -- doc: Time per goroutine, state, reason and category: its goroutine_states rows summed (a view since schema version 10; filter on run_id and goid to read one goroutine's intervals by key).
SELECT run_id AS run_id, -- doc: The run (runs.run_id).
       goid AS goid, -- doc: The goroutine (goroutines.goid).
       state AS state, -- doc: As goroutine_states.state.
       reason AS reason, -- doc: As goroutine_states.reason.
       category AS category, -- doc: As goroutine_states.category (mutex/rwmutex: the lock-wait rule).
       count(*) AS intervals, -- doc: Number of goroutine_states rows.
       sum(duration_ns) AS total_ns -- doc: Their summed duration_ns.
FROM goroutine_states GROUP BY run_id, goid, state, reason, category;

-- * goroutines was a rowid table plus a unique index on (run_id, goid): every goroutine stored twice. It is now a
--   WITHOUT ROWID table clustered on (run_id, goid), the index's key, with the same columns. (Copied through a
--   temporary table: the views that read goroutines would stop ALTER TABLE ... RENAME.)
CREATE TEMP TABLE goroutines_0010 AS SELECT * FROM goroutines;
DROP TABLE goroutines;

CREATE TABLE goroutines ( -- doc: One row per goroutine seen in the run (clustered by run and goid).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: Goroutine id from the trace.
    parent_goid INTEGER, -- doc: The goroutine that created it, when the trace shows the creation; NULL otherwise.
    start_function TEXT NOT NULL DEFAULT '', -- doc: Root frame of its stacks, the entry function: what `go tool trace` groups goroutines by ('' if no stack was seen).
    start_pc INTEGER, -- doc: PC of the first root frame seen.
    is_system INTEGER NOT NULL DEFAULT 0, -- doc: 1 for a runtime goroutine, by Go's rule: entry function in runtime.* other than runtime.main.
    created_ns INTEGER NOT NULL, -- doc: Creation time, or the time of the generation's sync for a goroutine that existed when tracing started.
    started_ns INTEGER, -- doc: First time it ran; NULL if it never ran.
    ended_ns INTEGER, -- doc: When it exited or blocked forever; NULL if it outlived the trace.
    create_stack_id INTEGER, -- doc: Stack of the go statement that created it, when known.
    PRIMARY KEY (run_id, goid)
) WITHOUT ROWID;

INSERT INTO goroutines (run_id, goid, parent_goid, start_function, start_pc, is_system, created_ns, started_ns, ended_ns,
                        create_stack_id)
SELECT run_id, goid, parent_goid, start_function, start_pc, is_system, created_ns, started_ns, ended_ns, create_stack_id
FROM temp.goroutines_0010 ORDER BY run_id, goid;
DROP TABLE temp.goroutines_0010;

-- * goroutine_summaries copied each goroutine's start_function and is_system from goroutines, and its unknown_ns
--   is what the other times leave. Its times are now stored in goroutine_times, clustered like goroutines, and
--   goroutine_summaries is a view that adds those columns back, with the same values.
CREATE TABLE goroutine_times ( -- doc: The stored rows behind the goroutine_summaries view: one per goroutine, Go's Summarizer times summed at ingest. Query goroutine_summaries instead.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: The goroutine (goroutines.goid).
    total_ns INTEGER NOT NULL, -- doc: As goroutine_summaries.total_ns.
    exec_ns INTEGER NOT NULL, -- doc: As goroutine_summaries.exec_ns.
    sched_wait_ns INTEGER NOT NULL, -- doc: As goroutine_summaries.sched_wait_ns.
    block_ns INTEGER NOT NULL, -- doc: As goroutine_summaries.block_ns.
    syscall_ns INTEGER NOT NULL, -- doc: As goroutine_summaries.syscall_ns.
    syscall_block_ns INTEGER NOT NULL, -- doc: As goroutine_summaries.syscall_block_ns.
    PRIMARY KEY (run_id, goid)
) WITHOUT ROWID;

INSERT INTO goroutine_times (run_id, goid, total_ns, exec_ns, sched_wait_ns, block_ns, syscall_ns, syscall_block_ns)
SELECT run_id, goid, total_ns, exec_ns, sched_wait_ns, block_ns, syscall_ns, syscall_block_ns
FROM goroutine_summaries ORDER BY run_id, goid;
DROP TABLE goroutine_summaries;

-- The times drive the join (CROSS JOIN fixes the order): both tables are clustered on (run_id, goid), so a run's
-- summaries read the two side by side.
CREATE VIEW goroutine_summaries AS -- doc: One row per goroutine: Go's Summarizer figures for it (internal/trace GoroutineExecStats), summed at ingest from its goroutine_states intervals (goroutine_times with the goroutine's start function).
SELECT t.run_id AS run_id, -- doc: The run (runs.run_id).
       t.goid AS goid, -- doc: The goroutine (goroutines.goid).
       g.start_function AS start_function, -- doc: Its entry function, goroutines.start_function (the reports group by it).
       g.is_system AS is_system, -- doc: As goroutines.is_system: 1 for a runtime goroutine.
       t.total_ns AS total_ns, -- doc: Go's TotalTime: creation (or the sync where it was first seen) to its end (exit or a 'forever' block), or to the end of the run.
       t.exec_ns AS exec_ns, -- doc: Go's ExecTime: time running (state 'running').
       t.sched_wait_ns AS sched_wait_ns, -- doc: Go's SchedWaitTime: time runnable (state 'runnable', every reason).
       t.block_ns AS block_ns, -- doc: Time waiting, every reason (the sum of Go's BlockTimeByReason; goroutine_state_totals splits it).
       t.syscall_ns AS syscall_ns, -- doc: Go's SyscallTime: in a syscall with its P (state 'syscall').
       t.syscall_block_ns AS syscall_block_ns, -- doc: Go's SyscallBlockTime: in a syscall after its P was taken (state 'syscall_blocked').
       max(0, t.total_ns - t.exec_ns - t.sched_wait_ns - t.block_ns - t.syscall_ns - t.syscall_block_ns) AS unknown_ns -- doc: Go's UnknownTime: total_ns minus all of the above, never negative.
FROM goroutine_times t CROSS JOIN goroutines g ON g.run_id = t.run_id AND g.goid = t.goid;

-- * metric_samples was a rowid table plus metric_samples_by_name on (run_id, name_id, ts_ns): each sample stored
--   twice. It is now clustered on that key, with the sample's number in the run (sample_id, what the metrics view
--   called the rowid) ending the key, so a metric's samples still come in time order, then trace order.
CREATE TEMP TABLE metric_samples_0010 AS
SELECT run_id, ts_ns, name_id, value, rowid AS sample_id FROM metric_samples;
DROP TABLE metric_samples;

-- The key's columns come first, in key order, as in every WITHOUT ROWID table here: SQLite 3.40's PRAGMA
-- integrity_check reports "NULL value in metric_samples.value" for a NOT NULL column declared before a key column.
CREATE TABLE metric_samples ( -- doc: The samples behind the metrics view, with their names interned, clustered by run, metric and time.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    name_id INTEGER NOT NULL, -- doc: The metric (metric_names.name_id).
    ts_ns INTEGER NOT NULL, -- doc: Time of the sample.
    sample_id INTEGER NOT NULL, -- doc: Number of the sample in its run, in trace order (from 1; samples ingested before schema version 10 keep the rowid they had).
    value NUMERIC NOT NULL, -- doc: The value (an integer for Go's uint64 metrics).
    PRIMARY KEY (run_id, name_id, ts_ns, sample_id)
) WITHOUT ROWID;

INSERT INTO metric_samples (run_id, ts_ns, name_id, value, sample_id)
SELECT run_id, ts_ns, name_id, value, sample_id FROM temp.metric_samples_0010 ORDER BY run_id, name_id, ts_ns, sample_id;
DROP TABLE temp.metric_samples_0010;

-- Same view as in 0003, with sample_id now a column (the table has no rowid).
DROP VIEW metrics;
CREATE VIEW metrics AS -- doc: Samples of runtime metrics: heap size, heap goal, GOMAXPROCS, and so on (metric_samples with their names).
SELECT n.run_id AS run_id, -- doc: The run (runs.run_id).
       s.ts_ns AS ts_ns, -- doc: Time of the sample.
       n.name AS name, -- doc: Metric name as Go names it, e.g. '/memory/classes/heap/objects:bytes', '/gc/heap/goal:bytes', '/sched/gomaxprocs:threads'.
       s.value AS value, -- doc: The value (an integer for Go's uint64 metrics).
       s.sample_id AS sample_id -- doc: Number of the sample in its run: a run's samples are numbered in trace order (metric_samples.sample_id).
FROM metric_names n CROSS JOIN metric_samples s ON s.run_id = n.run_id AND s.name_id = n.name_id;

-- * ranges was a rowid table with two text columns (scope, name) plus ranges_by_name on (run_id, name,
--   start_ns): on a busy run, 425K ranges took 41 MB. Its rows now live in range_spans, clustered on (run_id,
--   kind_id, start_ns, range_id), with scope and name as one per-run code spelled out in range_kinds, and the end
--   stored as a duration. `ranges` is a view with the same columns plus range_id.
CREATE TABLE range_kinds ( -- doc: The scope and name of runtime ranges, one row per distinct pair in a run: range_spans.kind_id refers to it.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    kind_id INTEGER NOT NULL, -- doc: Warehouse id of the pair, unique within the run (from 0).
    scope TEXT NOT NULL, -- doc: 'goroutine', 'proc', 'thread' or 'global' (see ranges.scope).
    name TEXT NOT NULL, -- doc: Range name as the trace says (see ranges.name).
    PRIMARY KEY (run_id, kind_id)
) WITHOUT ROWID;

CREATE TABLE range_spans ( -- doc: The stored rows behind the ranges view, clustered by run, scope and name, and time. Query ranges instead.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    kind_id INTEGER NOT NULL, -- doc: Its scope and name (range_kinds.kind_id).
    start_ns INTEGER NOT NULL, -- doc: Start (a range already active at a sync starts there).
    range_id INTEGER NOT NULL, -- doc: Number of the range within its run, in the order the ingest wrote them (ranges moved from an older warehouse keep their old rowid).
    scope_id INTEGER, -- doc: Id of the goroutine, P or thread; NULL for global ranges.
    duration_ns INTEGER NOT NULL, -- doc: Length (end_ns - start_ns).
    goid INTEGER, -- doc: Goroutine current when the range began, when known.
    start_stack_id INTEGER, -- doc: Stack at the beginning of the range, when known.
    complete INTEGER NOT NULL DEFAULT 1, -- doc: 0 when the trace shows only part of the range.
    PRIMARY KEY (run_id, kind_id, start_ns, range_id)
) WITHOUT ROWID;

INSERT INTO range_kinds (run_id, kind_id, scope, name)
SELECT run_id, row_number() OVER (PARTITION BY run_id ORDER BY count(*) DESC, scope, name) - 1, scope, name
FROM ranges GROUP BY run_id, scope, name;

INSERT INTO range_spans (run_id, kind_id, start_ns, range_id, scope_id, duration_ns, goid, start_stack_id, complete)
SELECT r.run_id, k.kind_id, r.start_ns, r.rowid, r.scope_id, r.end_ns - r.start_ns, r.goid, r.start_stack_id,
       r.complete
FROM ranges r JOIN range_kinds k ON k.run_id = r.run_id AND k.scope = r.scope AND k.name = r.name
ORDER BY r.run_id, k.kind_id, r.start_ns, r.rowid;
DROP TABLE ranges;

-- The kinds drive the join (CROSS JOIN fixes the order), as in metrics: a filter on run_id and name reads only
-- that name's spans, in time order.
CREATE VIEW ranges AS -- doc: Runtime ranges other than GC cycles and STW pauses: mark assist, sweep, and the like (range_spans with their scope and name spelled out).
SELECT k.run_id AS run_id, -- doc: The run (runs.run_id).
       k.scope AS scope, -- doc: What the range belongs to: 'goroutine', 'proc', 'thread' or 'global'.
       s.scope_id AS scope_id, -- doc: Id of the goroutine, P or thread; NULL for global ranges.
       k.name AS name, -- doc: Range name as the trace says, e.g. 'GC mark assist', 'GC incremental sweep'.
       s.start_ns AS start_ns, -- doc: Start (a range already active at a sync starts there).
       s.start_ns + s.duration_ns AS end_ns, -- doc: End (an unfinished range ends at the last event).
       s.duration_ns AS duration_ns, -- doc: end_ns - start_ns.
       s.goid AS goid, -- doc: Goroutine current when the range began, when known.
       s.start_stack_id AS start_stack_id, -- doc: Stack at the beginning of the range, when known.
       s.complete AS complete, -- doc: 0 when the trace shows only part of the range.
       s.range_id AS range_id -- doc: Number of the range within its run (with run_id, it identifies the range; ranges ingested before schema version 10 keep the rowid they had).
FROM range_kinds k CROSS JOIN range_spans s ON s.run_id = k.run_id AND s.kind_id = k.kind_id;

-- * regions was a rowid table plus regions_by_goid and regions_by_name, which copied nearly the whole row (a
--   service run's 1.06M regions took 109 MB in the three). Its rows now live in region_spans, clustered on
--   (run_id, goid, region_id) (the by-goroutine order regions_by_goid gave), with the name as a per-run code
--   (region_names) and the end as a duration; region_spans_by_name keeps the reports' order by type and
--   duration. `regions` is a view with the same columns plus region_id.
CREATE TABLE region_names ( -- doc: Names of the runtime/trace region types of a run (interned: region_spans refers to them by name_id).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    name_id INTEGER NOT NULL, -- doc: Warehouse id of the name, unique within the run (from 0).
    name TEXT NOT NULL, -- doc: Region type name.
    PRIMARY KEY (run_id, name_id)
) WITHOUT ROWID;

CREATE TABLE region_spans ( -- doc: The stored rows behind the regions view, clustered by run, goroutine and region. Query regions instead.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: Goroutine the region ran on.
    region_id INTEGER NOT NULL, -- doc: Number of the region within its run, in the order the ingest wrote them (regions moved from an older warehouse keep their old rowid).
    task_id INTEGER, -- doc: Task the region belongs to; NULL for the background task.
    name_id INTEGER NOT NULL, -- doc: Its type (region_names.name_id).
    depth INTEGER NOT NULL DEFAULT 0, -- doc: Nesting depth on its goroutine, 0 for an outermost region.
    start_ns INTEGER, -- doc: When the region began; NULL if it began before the trace.
    duration_ns INTEGER, -- doc: end_ns - start_ns; NULL unless both are known.
    end_ns INTEGER, -- doc: When it ended, only for a region whose start is unknown (else start_ns + duration_ns); NULL otherwise.
    start_stack_id INTEGER, -- doc: Stack where the region began.
    end_stack_id INTEGER, -- doc: Stack where the region ended.
    PRIMARY KEY (run_id, goid, region_id)
) WITHOUT ROWID;

INSERT INTO region_names (run_id, name_id, name)
SELECT run_id, row_number() OVER (PARTITION BY run_id ORDER BY count(*) DESC, name) - 1, name
FROM regions GROUP BY run_id, name;

INSERT INTO region_spans (run_id, goid, region_id, task_id, name_id, depth, start_ns, duration_ns, end_ns,
                          start_stack_id, end_stack_id)
SELECT r.run_id, r.goid, r.rowid, r.task_id, n.name_id, r.depth, r.start_ns, r.end_ns - r.start_ns,
       CASE WHEN r.start_ns IS NULL THEN r.end_ns END, r.start_stack_id, r.end_stack_id
FROM regions r JOIN region_names n ON n.run_id = r.run_id AND n.name = r.name
ORDER BY r.run_id, r.goid, r.rowid;
DROP TABLE regions;

CREATE VIEW regions AS -- doc: runtime/trace regions (trace.WithRegion / StartRegion), one row per region instance (region_spans with their names).
SELECT s.run_id AS run_id, -- doc: The run (runs.run_id).
       s.goid AS goid, -- doc: Goroutine the region ran on.
       s.task_id AS task_id, -- doc: Task the region belongs to; NULL for the background task.
       n.name AS name, -- doc: Region type name.
       s.depth AS depth, -- doc: Nesting depth on its goroutine, 0 for an outermost region.
       s.start_ns AS start_ns, -- doc: When the region began; NULL if it began before the trace.
       coalesce(s.start_ns + s.duration_ns, s.end_ns) AS end_ns, -- doc: When it ended; NULL if it had not ended by the end of the trace.
       s.duration_ns AS duration_ns, -- doc: end_ns - start_ns; NULL unless both are known.
       s.start_stack_id AS start_stack_id, -- doc: Stack where the region began.
       s.end_stack_id AS end_stack_id, -- doc: Stack where the region ended.
       s.region_id AS region_id -- doc: Number of the region within its run (with run_id, it identifies the region; regions ingested before schema version 10 keep the rowid they had).
FROM region_spans s JOIN region_names n ON n.run_id = s.run_id AND n.name_id = s.name_id;

-- section: indexes
-- The primary keys of goroutines, metric_samples and range_spans are these indexes now.
DROP INDEX IF EXISTS goroutines_by_goid;
DROP INDEX IF EXISTS metric_samples_by_name;
DROP INDEX IF EXISTS ranges_by_name;
DROP INDEX IF EXISTS regions_by_goid;
DROP INDEX IF EXISTS regions_by_name;
-- The regions report's order (by type, then duration), and what it reads (start_ns), as regions_by_name was; a
-- region's end is start_ns + duration_ns, so the index covers it.
CREATE INDEX IF NOT EXISTS region_spans_by_name ON region_spans (run_id, name_id, duration_ns, start_ns);
