-- traceware warehouse schema, migration 0015: smaller goroutine, task and critical-path tables (issue 11, item 2).
--
-- Measured with sqlite3's dbstat on one 45 MB busy run and one 50 MB service run (NOTES-size.md): after the
-- intervals, the biggest tables held the same few values on every row (a goroutine's start function as text, a
-- task's type name as text) or a second copy of a table in an index. Each change keeps the table's name,
-- columns and values for queries, as a view over the compact storage, as migration 0010 did:
--
-- * goroutines and goroutine_times (one row each per goroutine) become one row, goroutine_records, with the
--   few-valued columns (start function, is_system, start PC, creation stack) as one per-run code spelled out in
--   goroutine_kinds; started_ns is stored as the delay after created_ns, and ended_ns as a flag (a goroutine that
--   ended did so at created_ns + total_ns, Go's TotalTime). goroutines and goroutine_summaries are views.
-- * tasks' type name becomes a per-run code (task_names), the end a duration (task_spans, as region_spans);
--   tasks is a view, and task_spans_by_name replaces tasks_by_name.
-- * critical_path_tasks is clustered on the order critical_path_tasks_by_duration gave (its only reader,
--   critical-path-summary, reads it in that order), so that index, a second copy of every row, goes.
--
-- The views compute their coded columns with a scalar subquery each rather than a join: a view that is a join
-- cannot be flattened into the right side of a LEFT JOIN, and SQLite 3.40 then materializes every goroutine of
-- the run (0.35 s for 714K) for a query that wants one.

-- * goroutines: the codes first. Numbered per run, most used first (the ingest numbers them in order of first
--   use); a combination that differs in any column is its own code, so every value comes back as it was.
CREATE TABLE goroutine_kinds ( -- doc: The few-valued columns of goroutines, one row per distinct combination in a run: goroutine_records.kind_id refers to it.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    kind_id INTEGER NOT NULL, -- doc: Warehouse id of the combination, unique within the run (from 0).
    start_function TEXT NOT NULL, -- doc: As goroutines.start_function.
    is_system INTEGER NOT NULL, -- doc: As goroutines.is_system.
    start_pc INTEGER, -- doc: As goroutines.start_pc.
    create_stack_id INTEGER, -- doc: As goroutines.create_stack_id.
    PRIMARY KEY (run_id, kind_id)
) WITHOUT ROWID;

CREATE TABLE goroutine_records ( -- doc: The stored rows behind the goroutines and goroutine_summaries views, one per goroutine, clustered by run and goid. Query goroutines or goroutine_summaries instead.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: As goroutines.goid.
    kind_id INTEGER NOT NULL, -- doc: Its start function, is_system, start PC and creation stack (goroutine_kinds.kind_id).
    parent_goid INTEGER, -- doc: As goroutines.parent_goid.
    created_ns INTEGER NOT NULL, -- doc: As goroutines.created_ns.
    start_delay_ns INTEGER, -- doc: goroutines.started_ns - created_ns; NULL if it never ran.
    ended INTEGER NOT NULL, -- doc: 1 when it ended (exited or blocked forever) in the trace, at created_ns + total_ns (goroutines.ended_ns); 0 if it outlived the trace.
    total_ns INTEGER NOT NULL, -- doc: As goroutine_summaries.total_ns.
    exec_ns INTEGER NOT NULL, -- doc: As goroutine_summaries.exec_ns.
    sched_wait_ns INTEGER NOT NULL, -- doc: As goroutine_summaries.sched_wait_ns.
    block_ns INTEGER NOT NULL, -- doc: As goroutine_summaries.block_ns.
    syscall_ns INTEGER NOT NULL, -- doc: As goroutine_summaries.syscall_ns.
    syscall_block_ns INTEGER NOT NULL, -- doc: As goroutine_summaries.syscall_block_ns.
    PRIMARY KEY (run_id, goid)
) WITHOUT ROWID;

CREATE TEMP TABLE goroutine_kinds_0015 AS
SELECT run_id,
       row_number() OVER (PARTITION BY run_id ORDER BY count(*) DESC, start_function, is_system, start_pc,
                                                      create_stack_id) - 1 AS kind_id,
       start_function, is_system, start_pc, create_stack_id
FROM goroutines GROUP BY run_id, start_function, is_system, start_pc, create_stack_id;
CREATE INDEX temp.goroutine_kinds_0015_by_value
    ON goroutine_kinds_0015 (run_id, start_function, is_system, start_pc, create_stack_id);

INSERT INTO goroutine_kinds (run_id, kind_id, start_function, is_system, start_pc, create_stack_id)
SELECT run_id, kind_id, start_function, is_system, start_pc, create_stack_id FROM goroutine_kinds_0015
ORDER BY run_id, kind_id;

-- Every goroutine has its times (the ingest writes both or neither, and 0005 summed every goroutine then); one
-- without would get the times 0005 gave: its life as total_ns, nothing else. A goroutine's total_ns is
-- ended_ns - created_ns when it ended (how the ingest and 0005 computed it), so `ended` keeps ended_ns.
INSERT INTO goroutine_records (run_id, goid, kind_id, parent_goid, created_ns, start_delay_ns, ended, total_ns,
                               exec_ns, sched_wait_ns, block_ns, syscall_ns, syscall_block_ns)
SELECT g.run_id, g.goid, k.kind_id, g.parent_goid, g.created_ns, g.started_ns - g.created_ns, g.ended_ns IS NOT NULL,
       coalesce(t.total_ns, coalesce(g.ended_ns, r.end_ns) - g.created_ns), coalesce(t.exec_ns, 0),
       coalesce(t.sched_wait_ns, 0), coalesce(t.block_ns, 0), coalesce(t.syscall_ns, 0), coalesce(t.syscall_block_ns, 0)
FROM goroutines g
JOIN runs r ON r.run_id = g.run_id
CROSS JOIN goroutine_kinds_0015 k
    ON k.run_id = g.run_id AND k.start_function = g.start_function AND k.is_system = g.is_system
   AND k.start_pc IS g.start_pc AND k.create_stack_id IS g.create_stack_id
LEFT JOIN goroutine_times t ON t.run_id = g.run_id AND t.goid = g.goid
ORDER BY g.run_id, g.goid;

DROP TABLE goroutine_kinds_0015;
DROP VIEW goroutine_summaries;
DROP TABLE goroutine_times;
DROP TABLE goroutines;

CREATE VIEW goroutines AS -- doc: One row per goroutine seen in the run (goroutine_records with its kind spelled out; clustered by run and goid).
SELECT r.run_id AS run_id, -- doc: The run (runs.run_id).
       r.goid AS goid, -- doc: Goroutine id from the trace.
       r.parent_goid AS parent_goid, -- doc: The goroutine that created it, when the trace shows the creation; NULL otherwise.
       (SELECT k.start_function FROM goroutine_kinds k WHERE k.run_id = r.run_id AND k.kind_id = r.kind_id) AS start_function, -- doc: Root frame of its stacks, the entry function: what `go tool trace` groups goroutines by ('' if no stack was seen).
       (SELECT k.start_pc FROM goroutine_kinds k WHERE k.run_id = r.run_id AND k.kind_id = r.kind_id) AS start_pc, -- doc: PC of the first root frame seen.
       (SELECT k.is_system FROM goroutine_kinds k WHERE k.run_id = r.run_id AND k.kind_id = r.kind_id) AS is_system, -- doc: 1 for a runtime goroutine, by Go's rule: entry function in runtime.* other than runtime.main.
       r.created_ns AS created_ns, -- doc: Creation time, or the time of the generation's sync for a goroutine that existed when tracing started.
       r.created_ns + r.start_delay_ns AS started_ns, -- doc: First time it ran; NULL if it never ran.
       CASE WHEN r.ended THEN r.created_ns + r.total_ns END AS ended_ns, -- doc: When it exited or blocked forever; NULL if it outlived the trace.
       (SELECT k.create_stack_id FROM goroutine_kinds k WHERE k.run_id = r.run_id AND k.kind_id = r.kind_id) AS create_stack_id -- doc: Stack of the go statement that created it, when known.
FROM goroutine_records r;

CREATE VIEW goroutine_summaries AS -- doc: One row per goroutine: Go's Summarizer figures for it (internal/trace GoroutineExecStats), summed at ingest from its goroutine_states intervals (goroutine_records with the goroutine's start function).
SELECT r.run_id AS run_id, -- doc: The run (runs.run_id).
       r.goid AS goid, -- doc: The goroutine (goroutines.goid).
       (SELECT k.start_function FROM goroutine_kinds k WHERE k.run_id = r.run_id AND k.kind_id = r.kind_id) AS start_function, -- doc: Its entry function, goroutines.start_function (the reports group by it).
       (SELECT k.is_system FROM goroutine_kinds k WHERE k.run_id = r.run_id AND k.kind_id = r.kind_id) AS is_system, -- doc: As goroutines.is_system: 1 for a runtime goroutine.
       r.total_ns AS total_ns, -- doc: Go's TotalTime: creation (or the sync where it was first seen) to its end (exit or a 'forever' block), or to the end of the run.
       r.exec_ns AS exec_ns, -- doc: Go's ExecTime: time running (state 'running').
       r.sched_wait_ns AS sched_wait_ns, -- doc: Go's SchedWaitTime: time runnable (state 'runnable', every reason).
       r.block_ns AS block_ns, -- doc: Time waiting, every reason (the sum of Go's BlockTimeByReason; goroutine_state_totals splits it).
       r.syscall_ns AS syscall_ns, -- doc: Go's SyscallTime: in a syscall with its P (state 'syscall').
       r.syscall_block_ns AS syscall_block_ns, -- doc: Go's SyscallBlockTime: in a syscall after its P was taken (state 'syscall_blocked').
       max(0, r.total_ns - r.exec_ns - r.sched_wait_ns - r.block_ns - r.syscall_ns - r.syscall_block_ns) AS unknown_ns -- doc: Go's UnknownTime: total_ns minus all of the above, never negative.
FROM goroutine_records r;

-- * tasks was clustered on (run_id, task_id) with the type name as text on every row, plus tasks_by_name on
--   (run_id, name, duration_ns, start_ns, end_ns): a service run's 590K tasks took 51 MB in the two. Its rows now
--   live in task_spans, with the name as a per-run code (task_names) and the end as a duration (end_ns kept only
--   when the start is unknown), as region_spans; `tasks` is a view with the same columns.
CREATE TABLE task_names ( -- doc: Names of the runtime/trace task types of a run (interned: task_spans refers to them by name_id).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    name_id INTEGER NOT NULL, -- doc: Warehouse id of the name, unique within the run (from 0).
    name TEXT NOT NULL, -- doc: Task type name given to trace.NewTask.
    PRIMARY KEY (run_id, name_id)
) WITHOUT ROWID;

CREATE TABLE task_spans ( -- doc: The stored rows behind the tasks view, clustered by run and task. Query tasks instead.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    task_id INTEGER NOT NULL, -- doc: Task id from the trace.
    parent_task_id INTEGER, -- doc: Parent task, NULL for none.
    name_id INTEGER NOT NULL, -- doc: Its type (task_names.name_id).
    start_ns INTEGER, -- doc: When the task began; NULL if it began before the trace.
    duration_ns INTEGER, -- doc: end_ns - start_ns; NULL unless both are known.
    end_ns INTEGER, -- doc: When it ended, only for a task whose start is unknown (else start_ns + duration_ns); NULL otherwise.
    start_goid INTEGER, -- doc: Goroutine that began the task.
    end_goid INTEGER, -- doc: Goroutine that ended the task.
    start_stack_id INTEGER, -- doc: Stack where the task began.
    end_stack_id INTEGER, -- doc: Stack where the task ended.
    PRIMARY KEY (run_id, task_id)
) WITHOUT ROWID;

INSERT INTO task_names (run_id, name_id, name)
SELECT run_id, row_number() OVER (PARTITION BY run_id ORDER BY count(*) DESC, name) - 1, name
FROM tasks GROUP BY run_id, name;

INSERT INTO task_spans (run_id, task_id, parent_task_id, name_id, start_ns, duration_ns, end_ns, start_goid, end_goid,
                        start_stack_id, end_stack_id)
SELECT t.run_id, t.task_id, t.parent_task_id, n.name_id, t.start_ns, t.end_ns - t.start_ns,
       CASE WHEN t.start_ns IS NULL THEN t.end_ns END, t.start_goid, t.end_goid, t.start_stack_id, t.end_stack_id
FROM tasks t JOIN task_names n ON n.run_id = t.run_id AND n.name = t.name
ORDER BY t.run_id, t.task_id;
DROP TABLE tasks;

CREATE VIEW tasks AS -- doc: runtime/trace tasks (trace.NewTask) (task_spans with their names).
SELECT s.run_id AS run_id, -- doc: The run (runs.run_id).
       s.task_id AS task_id, -- doc: Task id from the trace.
       s.parent_task_id AS parent_task_id, -- doc: Parent task, NULL for none.
       (SELECT n.name FROM task_names n WHERE n.run_id = s.run_id AND n.name_id = s.name_id) AS name, -- doc: Task type name given to trace.NewTask.
       s.start_ns AS start_ns, -- doc: When the task began; NULL if it began before the trace.
       coalesce(s.start_ns + s.duration_ns, s.end_ns) AS end_ns, -- doc: When the task ended; NULL if it had not ended by the end of the trace.
       s.duration_ns AS duration_ns, -- doc: end_ns - start_ns; NULL unless both are known.
       s.start_goid AS start_goid, -- doc: Goroutine that began the task.
       s.end_goid AS end_goid, -- doc: Goroutine that ended the task.
       s.start_stack_id AS start_stack_id, -- doc: Stack where the task began.
       s.end_stack_id AS end_stack_id -- doc: Stack where the task ended.
FROM task_spans s;

-- * region_spans_by_name (0010) covered the regions report's start_ns too, for the order of its slowest regions
--   (duration, then start): 29 MB for a service run's 1.06M regions. region_spans_by_type keeps the type and
--   duration alone (the region's key, goid and region_id, follows); the few regions of the slowest durations
--   are looked up for their start. (In the index section below.)
--
-- * critical_path_tasks was keyed by (run_id, task_id), plus critical_path_tasks_by_duration, which covered
--   every column in the order critical-path-summary reads them (its percentiles): each row stored twice. It is
--   clustered on that order now, with the same columns. (A task_id is still written once: the ingest writes a
--   task's row when it ends, and refuses a second end.)
CREATE TEMP TABLE critical_path_tasks_0015 AS SELECT * FROM critical_path_tasks;
DROP TABLE critical_path_tasks;

CREATE TABLE critical_path_tasks ( -- doc: One row per complete task of the run (start and end in the trace), clustered in the order critical-path-summary ranks them for its percentiles (duration, start, task).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    duration_ns INTEGER NOT NULL, -- doc: As tasks.duration_ns.
    start_ns INTEGER NOT NULL, -- doc: As tasks.start_ns.
    task_id INTEGER NOT NULL, -- doc: The task (tasks.task_id).
    name TEXT NOT NULL, -- doc: As tasks.name.
    goid INTEGER, -- doc: Where its walk starts: tasks.end_goid.
    top_ns INTEGER, -- doc: Its path's largest cause (as critical_path_causes groups them): that cause's ns; NULL when the path is empty (no end goroutine, zero duration) or walked is 0.
    walked INTEGER NOT NULL, -- doc: 1: walked at ingest, its path is in critical_path_causes and top_ns. 0: the ingest could not walk it exactly (its path reached time the ingest no longer held, an interval still open in a state other than running, a goroutine not named yet, or a stack whose user frame was not settled yet): the report walks it from goroutine_states.
    PRIMARY KEY (run_id, duration_ns, start_ns, task_id)
) WITHOUT ROWID;

INSERT INTO critical_path_tasks (run_id, duration_ns, start_ns, task_id, name, goid, top_ns, walked)
SELECT run_id, duration_ns, start_ns, task_id, name, goid, top_ns, walked FROM temp.critical_path_tasks_0015
ORDER BY run_id, duration_ns, start_ns, task_id;
DROP TABLE temp.critical_path_tasks_0015;

-- section: indexes
-- Gone with their tables: tasks_by_name (task_spans_by_name replaces it) and critical_path_tasks_by_duration
-- (the table's key now). region_spans_by_name: region_spans_by_type replaces it.
DROP INDEX IF EXISTS tasks_by_name;
DROP INDEX IF EXISTS critical_path_tasks_by_duration;
DROP INDEX IF EXISTS region_spans_by_name;
-- The tasks report's order (by type, then duration; the key's task_id follows): its percentiles and slowest
-- tasks read this index alone, as they read tasks_by_name.
CREATE INDEX IF NOT EXISTS task_spans_by_name ON task_spans (run_id, name_id, duration_ns);
-- The regions report's order (by type, then duration; the key's goid and region_id follow): its percentiles read
-- this index alone, its slowest regions the end of their type's range.
CREATE INDEX IF NOT EXISTS region_spans_by_type ON region_spans (run_id, name_id, duration_ns);
