-- traceware warehouse schema, migration 0008: indexes for the tasks and regions reports.
--
-- Both reports group a run's tasks (regions) by type and take percentiles of their durations, then list the
-- longest of each type. Without an index by type each step sorted every task of the run (590K tasks and 1.06M
-- regions in a 50 MB trace of the service benchmark shape: 3.5 and 6.4 s of CPU per report). Keyed by (run_id,
-- name, duration_ns), a run's rows come grouped by type with their durations ascending (percentile() then has
-- nothing to sort), and the longest of a type are the last entries of its range. start_ns and end_ns make the
-- index cover the aggregates: SQLite 3.40 does not take an index's copy of a virtual generated column
-- (duration_ns) as covering it, so the reports compute end_ns - start_ns from the index instead of looking up
-- every row in the table. Ad-hoc queries by task or region type (WHERE run_id = ? AND name = ?) use them too.

-- section: indexes
CREATE INDEX IF NOT EXISTS tasks_by_name ON tasks (run_id, name, duration_ns, start_ns, end_ns);
CREATE INDEX IF NOT EXISTS regions_by_name ON regions (run_id, name, duration_ns, start_ns, end_ns);
