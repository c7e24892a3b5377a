-- name: goroutine-analysis
-- summary: go tool trace's goroutine analysis: goroutines grouped by start function, where their time went.
-- param: function : drill down: list the goroutines of this start function ('' is the group without a stack); unset = the groups
-- doc: One row per start function (goroutines.start_function, Go's GoroutineSummary.Name), largest execution
-- doc: time first, like go tool trace's Goroutines page; with --param function=NAME one row per goroutine of that
-- doc: group (goid set, goroutines = 1), longest total time first, like its page for one group.
-- doc: All goroutines count, system ones too (is_system tells them apart). Times, as Go's Summarizer counts them:
-- doc: total_ns: creation (or the first sync, for a goroutine already alive) to its end (exit or a 'forever'
-- doc: block), or to the end of the trace; exec_ns: running; sched_wait_ns: runnable; block_ns: waiting, split by
-- doc: reason in block_by_reason ('reason ns; ...', largest first); syscall_ns: in a syscall with its P;
-- doc: syscall_block_ns: in a syscall after its P was taken; unknown_ns: total minus all of these (Go's
-- doc: UnknownTime, never negative). range_ns: time inside runtime ranges (Go's RangeTime: goroutine ranges
-- doc: such as 'GC mark assist' and 'stop-the-world (REASON)' (stw_pauses), and P ranges such as 'GC incremental
-- doc: sweep' begun on the goroutine),
-- doc: clipped to the goroutine's life, split in range_by_name; ranges overlap the other times.
-- doc: total_p50_ns / total_p99_ns: nearest-rank percentiles of the group's per-goroutine total_ns (the
-- doc: smallest value v such that at least p% of the goroutines have total <= v); NULL in drill-down rows.
-- doc: exec_share: the group's (or goroutine's) share of all goroutines' execution time.
-- doc: Read from the tables the ingest computes, never from goroutine_states: the groups from goroutine_groups and
-- doc: goroutine_group_totals (a few rows per group), a drill-down from goroutine_summaries, goroutine_range_totals
-- doc: and the group's goroutine_states (each goroutine's intervals, read by key).
-- doc: Checked against Go's Summarizer (scripts/gotools/summary) per group and per goroutine.
WITH
-- One row per output row: a group (goid NULL), or with :function a goroutine of that group.
rows AS (
    SELECT start_function, NULL AS key_goid, goroutines, total_ns, exec_ns, sched_wait_ns, block_ns, syscall_ns,
        syscall_block_ns, unknown_ns, range_ns, total_p50_ns, total_p99_ns
    FROM goroutine_groups WHERE run_id = :run_id AND :function IS NULL
    UNION ALL
    SELECT s.start_function, s.goid, 1, s.total_ns, s.exec_ns, s.sched_wait_ns, s.block_ns, s.syscall_ns,
        s.syscall_block_ns, s.unknown_ns,
        coalesce((SELECT sum(r.total_ns) FROM goroutine_range_totals r WHERE r.run_id = :run_id AND r.goid = s.goid), 0),
        NULL, NULL
    -- :function IS NOT NULL first: without it SQLite would walk every goroutine of the run (goroutine_summaries is
    -- a view over goroutine_records since migration 0015, its start function a lookup in goroutine_kinds) to
    -- compare its start function with NULL.
    FROM goroutine_summaries s WHERE :function IS NOT NULL AND s.run_id = :run_id AND s.start_function = :function
),
reasons AS (
    SELECT start_function, NULL AS key_goid, reason, sum(total_ns) AS ns
    FROM goroutine_group_totals
    WHERE run_id = :run_id AND :function IS NULL AND state = 'waiting'
    GROUP BY start_function, reason
    UNION ALL
    -- A drill-down reads its goroutines' intervals by key (goroutine_state_totals is a view over them since
    -- migration 0010).
    SELECT r.start_function, r.key_goid, t.reason, sum(t.duration_ns)
    FROM rows r JOIN goroutine_states t ON t.run_id = :run_id AND t.goid = r.key_goid
    WHERE :function IS NOT NULL AND t.state = 'waiting'
    GROUP BY 1, 2, 3
),
reason_text AS (
    SELECT DISTINCT start_function, key_goid,
        group_concat(CASE WHEN reason = '' THEN '(none)' ELSE reason END || ' ' || ns, '; ')
            OVER (PARTITION BY start_function, key_goid ORDER BY ns DESC, reason
                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS text
    FROM reasons
),
range_names AS (
    SELECT s.start_function, CASE WHEN :function IS NULL THEN NULL ELSE s.goid END AS key_goid, r.name,
        sum(r.total_ns) AS ns
    FROM goroutine_range_totals r JOIN goroutine_summaries s ON s.run_id = r.run_id AND s.goid = r.goid
    WHERE r.run_id = :run_id AND (:function IS NULL OR s.start_function = :function)
    GROUP BY 1, 2, 3 HAVING sum(r.total_ns) > 0
),
range_text AS (
    SELECT DISTINCT start_function, key_goid,
        group_concat(name || ' ' || ns, '; ')
            OVER (PARTITION BY start_function, key_goid ORDER BY ns DESC, name
                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS text
    FROM range_names
),
all_exec AS (
    SELECT sum(exec_ns) AS ns FROM goroutine_groups WHERE run_id = :run_id
)
SELECT
    (SELECT CASE WHEN label <> '' THEN label ELSE CAST(run_id AS TEXT) END FROM runs WHERE run_id = :run_id) AS run,
    r.start_function,
    r.key_goid AS goid,
    r.goroutines, r.total_ns, r.exec_ns, r.sched_wait_ns, r.block_ns, r.syscall_ns, r.syscall_block_ns,
    r.unknown_ns, r.range_ns, r.total_p50_ns, r.total_p99_ns,
    CASE WHEN (SELECT ns FROM all_exec) > 0
         THEN CAST(r.exec_ns AS REAL) / (SELECT ns FROM all_exec) ELSE 0.0 END AS exec_share,
    coalesce(rt.text, '') AS block_by_reason,
    coalesce(gt.text, '') AS range_by_name
FROM rows r
LEFT JOIN reason_text rt ON rt.start_function = r.start_function AND rt.key_goid IS r.key_goid
LEFT JOIN range_text gt ON gt.start_function = r.start_function AND gt.key_goid IS r.key_goid
ORDER BY CASE WHEN :function IS NULL THEN r.exec_ns ELSE r.total_ns END DESC, r.start_function, r.key_goid;
