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
-- doc: Checked against Go's Summarizer (scripts/gotools/summary) per group and per goroutine.
WITH
run AS (SELECT end_ns FROM runs WHERE run_id = :run_id),
g AS (
    SELECT goid, start_function, is_system, created_ns, ended_ns,
        coalesce(ended_ns, (SELECT end_ns FROM run)) AS end_ns,
        coalesce(ended_ns, (SELECT end_ns FROM run)) - created_ns AS total_ns
    FROM goroutines WHERE run_id = :run_id
),
states AS (
    SELECT goid,
        sum(CASE WHEN state = 'running' THEN duration_ns ELSE 0 END) AS exec_ns,
        sum(CASE WHEN state = 'runnable' THEN duration_ns ELSE 0 END) AS sched_wait_ns,
        sum(CASE WHEN state = 'waiting' THEN duration_ns ELSE 0 END) AS block_ns,
        sum(CASE WHEN state = 'syscall' THEN duration_ns ELSE 0 END) AS syscall_ns,
        sum(CASE WHEN state = 'syscall_blocked' THEN duration_ns ELSE 0 END) AS syscall_block_ns
    FROM goroutine_states WHERE run_id = :run_id GROUP BY goid
),
range_parts AS (
    SELECT g.goid, r.name,
        max(0, min(r.end_ns, g.end_ns) - max(r.start_ns, g.created_ns)) AS ns
    FROM ranges r JOIN g ON g.goid = CASE WHEN r.scope = 'goroutine' THEN r.scope_id ELSE r.goid END
    WHERE r.run_id = :run_id AND r.scope IN ('goroutine', 'proc')
    UNION ALL
    -- Stop-the-world pauses are goroutine ranges in the trace ('stop-the-world (REASON)'); the warehouse keeps
    -- them in stw_pauses.
    SELECT g.goid, 'stop-the-world (' || w.reason || ')',
        max(0, min(w.end_ns, g.end_ns) - max(w.start_ns, g.created_ns))
    FROM stw_pauses w JOIN g ON g.goid = w.goid
    WHERE w.run_id = :run_id
),
per_goroutine AS (
    SELECT g.goid, g.start_function, g.total_ns,
        coalesce(s.exec_ns, 0) AS exec_ns, coalesce(s.sched_wait_ns, 0) AS sched_wait_ns,
        coalesce(s.block_ns, 0) AS block_ns, coalesce(s.syscall_ns, 0) AS syscall_ns,
        coalesce(s.syscall_block_ns, 0) AS syscall_block_ns,
        coalesce((SELECT sum(ns) FROM range_parts p WHERE p.goid = g.goid), 0) AS range_ns,
        row_number() OVER (PARTITION BY g.start_function ORDER BY g.total_ns) AS rank,
        count(*) OVER (PARTITION BY g.start_function) AS n
    FROM g LEFT JOIN states s ON s.goid = g.goid
),
-- Keys of the rows: the start function for groups, the goroutine in drill-down.
keyed AS (
    SELECT p.*, CASE WHEN :function IS NULL THEN NULL ELSE p.goid END AS key_goid
    FROM per_goroutine p WHERE :function IS NULL OR p.start_function = :function
),
reasons AS (
    SELECT k.start_function, k.key_goid, s.reason, sum(s.duration_ns) AS ns
    FROM goroutine_states s JOIN keyed k ON k.goid = s.goid
    WHERE s.run_id = :run_id AND s.state = 'waiting'
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
    SELECT k.start_function, k.key_goid, p.name, sum(p.ns) AS ns
    FROM range_parts p JOIN keyed k ON k.goid = p.goid
    GROUP BY 1, 2, 3 HAVING sum(p.ns) > 0
),
range_text AS (
    SELECT DISTINCT start_function, key_goid,
        group_concat(name || ' ' || ns, '; ')
            OVER (PARTITION BY start_function, key_goid ORDER BY ns DESC, name
                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS text
    FROM range_names
),
rows AS (
    SELECT start_function, key_goid,
        count(*) AS goroutines, sum(total_ns) AS total_ns, sum(exec_ns) AS exec_ns,
        sum(sched_wait_ns) AS sched_wait_ns, sum(block_ns) AS block_ns, sum(syscall_ns) AS syscall_ns,
        sum(syscall_block_ns) AS syscall_block_ns,
        sum(max(0, total_ns - exec_ns - sched_wait_ns - block_ns - syscall_ns - syscall_block_ns)) AS unknown_ns,
        sum(range_ns) AS range_ns,
        -- Nearest rank: the value at rank ceil(p * n / 100).
        CASE WHEN :function IS NULL THEN min(CASE WHEN rank >= (50 * n + 99) / 100 THEN total_ns END) END AS total_p50_ns,
        CASE WHEN :function IS NULL THEN min(CASE WHEN rank >= (99 * n + 99) / 100 THEN total_ns END) END AS total_p99_ns
    FROM keyed GROUP BY start_function, key_goid
)
SELECT
    (SELECT CASE WHEN label <> '' THEN label ELSE CAST(run_id AS TEXT) END FROM runs WHERE run_id = :run_id) AS run,
    r.start_function,
    r.key_goid AS goid,
    r.goroutines, r.total_ns, r.exec_ns, r.sched_wait_ns, r.block_ns, r.syscall_ns, r.syscall_block_ns,
    r.unknown_ns, r.range_ns, r.total_p50_ns, r.total_p99_ns,
    CASE WHEN (SELECT sum(exec_ns) FROM per_goroutine) > 0
         THEN CAST(r.exec_ns AS REAL) / (SELECT sum(exec_ns) FROM per_goroutine) ELSE 0.0 END AS exec_share,
    coalesce(rt.text, '') AS block_by_reason,
    coalesce(gt.text, '') AS range_by_name
FROM rows r
LEFT JOIN reason_text rt ON rt.start_function = r.start_function AND rt.key_goid IS r.key_goid
LEFT JOIN range_text gt ON gt.start_function = r.start_function AND gt.key_goid IS r.key_goid
ORDER BY CASE WHEN :function IS NULL THEN r.exec_ns ELSE r.total_ns END DESC, r.start_function, r.key_goid;
