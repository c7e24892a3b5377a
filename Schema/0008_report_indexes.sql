-- traceware warehouse schema, migration 0008: indexes for the tasks and regions reports.
--
-- Both reports group a run's tasks (regions) by type and take percentiles of their durations, then list the
-- longest of each type. Without an index by type each step sorted every task of the run (520K tasks and 940K
-- regions in a 45 MB trace of the service benchmark shape: seconds per report). Keyed by (run_id, name,
-- duration_ns), a run's rows come grouped by type with their durations ascending (percentile() then has nothing
-- to sort), and the longest of a type are the last entries of its range. duration_ns is a generated column:
-- SQLite indexes its value. Ad-hoc queries by task or region type (WHERE run_id = ? AND name = ?) use them too.

-- section: indexes
CREATE INDEX IF NOT EXISTS tasks_by_name ON tasks (run_id, name, duration_ns);
CREATE INDEX IF NOT EXISTS regions_by_name ON regions (run_id, name, duration_ns);
