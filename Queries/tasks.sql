-- name: tasks
-- summary: User task latency (runtime/trace.NewTask) by task type, and the slowest tasks of each type.
-- param: top = 5 : how many of the slowest tasks of each type to list
-- param: name : optional, only this task type ('' or unset = all)
-- doc: Rows of kind 'type' come first, one per task type (tasks.name), the slowest type (p99) first: instances =
-- doc: tasks of that type seen in the run, complete = those whose start and end are both in the trace; total_ns and
-- doc: the percentiles are over the complete ones (a task without both ends has no latency). Then rows of kind
-- doc: 'slowest': the `top` longest complete tasks of each type, with task_id, the goroutine that began it
-- doc: (goid), start_ns and duration_ns. The background task is not a task type.
-- doc: Percentiles are nearest-rank (traceware's percentile() SQL function): the smallest duration v such that at
-- doc: least p% of the durations are <= v.
-- doc: Checked against Go's Summarizer (internal/trace summary.go, UserTaskSummary: Start/End), which cmd/trace's
-- doc: user tasks page uses, through scripts/gotools/reportfacts.
WITH types AS (
    -- The duration is NULL unless the task is complete: count, sum, percentile and max skip the others. Read from
    -- the stored rows behind the tasks view (task_names, then task_spans_by_name alone: run_id, name_id,
    -- duration_ns): grouped by type without a sort, durations ascending.
    SELECT n.name_id, n.name, count(*) AS instances, count(s.duration_ns) AS complete, sum(s.duration_ns) AS total_ns,
           percentile(s.duration_ns, 50) AS p50_ns, percentile(s.duration_ns, 90) AS p90_ns,
           percentile(s.duration_ns, 99) AS p99_ns, max(s.duration_ns) AS max_ns
    FROM task_names n CROSS JOIN task_spans s ON s.run_id = n.run_id AND s.name_id = n.name_id
    WHERE n.run_id = :run_id AND (coalesce(:name, '') = '' OR n.name = :name)
    GROUP BY n.name_id
),
slowest AS (
    -- Per type, only its `top` longest tasks: the end of the type's range in task_spans_by_name, not a sort of
    -- all, then each by its key. CROSS JOIN keeps the types first (SQLite would otherwise scan every task and test
    -- it against the list).
    SELECT k.task_id, y.name, k.start_goid, k.start_ns, k.duration_ns,
           row_number() OVER (PARTITION BY y.name ORDER BY k.duration_ns DESC, k.task_id) AS place
    FROM types y CROSS JOIN task_spans k ON k.run_id = :run_id AND k.task_id IN (
        SELECT s.task_id FROM task_spans s
        WHERE s.run_id = :run_id AND s.name_id = y.name_id AND s.duration_ns IS NOT NULL
        ORDER BY s.duration_ns DESC, s.task_id LIMIT max(coalesce(:top, 5), 0))
)
SELECT coalesce(nullif(r.label, ''), r.run_id) AS run, x.kind, x.name, x.instances, x.complete, x.total_ns,
       x.p50_ns, x.p90_ns, x.p99_ns, x.max_ns, x.task_id, x.goid, x.start_ns, x.duration_ns
FROM (
    SELECT 1 AS ord, 'type' AS kind, name, instances, complete, total_ns, p50_ns, p90_ns,
           p99_ns, max_ns, NULL AS task_id, NULL AS goid, NULL AS start_ns, NULL AS duration_ns, p99_ns AS sort_ns,
           0 AS place
    FROM types
    UNION ALL
    SELECT 2, 'slowest', name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, task_id, start_goid, start_ns, duration_ns,
           duration_ns, place
    FROM slowest WHERE place <= coalesce(:top, 5)
) x
JOIN runs r ON r.run_id = :run_id
ORDER BY x.ord, CASE WHEN x.ord = 1 THEN NULL ELSE x.name END, x.sort_ns IS NULL, x.sort_ns DESC, x.name;
