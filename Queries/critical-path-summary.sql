-- name: critical-path-summary
-- summary: Where the critical path of every task of a type (or region of a name) went: by state, cause, goroutine and frame; and the p50 and p99 instances.
-- param: name : the task type (tasks.name); '' or unset = every task type
-- param: region : instead of tasks: a region name (regions.name), each instance walked on its goroutine
-- param: top = 20 : cause rows to list (0 = every one)
-- doc: The instances: complete tasks of the type (start and end in the trace), or complete regions of the name.
-- doc: Each one's critical path is the critical-path report's walk (see its doc: back from the end through
-- doc: wake-ups, tiling the instance exactly); this report runs the same walk for all of them at once.
-- doc: Rows of kind 'cause' come first, most time first: the path time summed over the instances by state,
-- doc: category, reason, start_function (the goroutine's entry function) and user_frame (as in critical-path);
-- doc: ns: that time; share: of all the instances' path time (which is the sum of their durations); instances:
-- doc: in how many instances' paths it appears; ns_per_instance: ns / all instances.
-- doc: Then two rows of kind 'p50' and 'p99': the instance at that nearest-rank percentile of duration (the
-- doc: smallest duration v such that at least p% are <= v; ties by task_id / start), with its task_id (NULL for
-- doc: a region), goid (where the walk starts), start_ns and duration_ns; ns and share: its path's largest cause
-- doc: (the cause text columns stay '' so that compare pairs these rows across builds). Run critical-path
-- doc: --param task_id=N (or goid/from_ns/to_ns) for that instance's whole path.
-- doc: compare --report critical-path-summary pairs the cause rows on their text columns, the percentile rows on
-- doc: their kind.
-- doc: Tasks are walked at ingest (critical_path_causes, critical_path_tasks; the same walk, in
-- doc: Sources/Warehouse/Ingest/CriticalPaths.swift): the report reads those sums, and walks here only the tasks
-- doc: the ingest left to it (critical_path_tasks.walked = 0), every task of a run ingested before migration 0011,
-- doc: and regions.
WITH RECURSIVE
-- stored: the run's tasks were walked at ingest (it has critical_path_tasks rows; a run ingested before
-- migration 0011 has none).
mode AS (
    SELECT coalesce(:region, '') <> '' AS by_region,
        EXISTS (SELECT 1 FROM critical_path_tasks WHERE run_id = :run_id) AS stored
),
-- The instances. stored_items: a run's tasks walked at ingest, in critical_path_tasks' key order (duration_ns,
-- start_ns, task_id: the percentile order, so ranks need no sort); walked = 1 when the path is in
-- critical_path_causes (top_ns: its largest cause), 0 when the ingest left it to this report. other_items: tasks
-- of a run ingested before migration 0011, or regions: walked here.
stored_items AS NOT MATERIALIZED (
    SELECT c.task_id AS item, c.task_id, c.goid, c.start_ns AS from_ns, c.start_ns + c.duration_ns AS to_ns,
        c.duration_ns AS d, c.walked, c.top_ns
    FROM critical_path_tasks c
    WHERE c.run_id = :run_id AND (SELECT NOT by_region AND stored FROM mode)
      AND (coalesce(:name, '') = '' OR c.name = :name)
),
other_items AS NOT MATERIALIZED (
    SELECT task_id AS item, task_id, end_goid AS goid, start_ns AS from_ns, end_ns AS to_ns, end_ns - start_ns AS d,
        0 AS walked, NULL AS top_ns
    FROM tasks
    WHERE run_id = :run_id AND (SELECT NOT by_region AND NOT stored FROM mode)
      AND (coalesce(:name, '') = '' OR name = :name) AND start_ns IS NOT NULL AND end_ns IS NOT NULL
    UNION ALL
    SELECT -region_id, NULL, goid, start_ns, end_ns, end_ns - start_ns, 0, NULL
    FROM regions
    WHERE run_id = :run_id AND (SELECT by_region FROM mode) AND name = :region
      AND start_ns IS NOT NULL AND end_ns IS NOT NULL
),
walk (item, n, goid, t, lo, ret, seg_goid, seg_start, seg_end, seg_istart, seg_iid, seg_state) AS (
    SELECT item, 0, goid, to_ns, from_ns, '', NULL, NULL, NULL, NULL, NULL, NULL
    FROM (SELECT item, goid, from_ns, to_ns FROM stored_items WHERE walked = 0
          UNION ALL SELECT item, goid, from_ns, to_ns FROM other_items)
    WHERE goid IS NOT NULL AND from_ns >= 0 AND to_ns > from_ns
    UNION ALL
    SELECT w.item, w.n + 1,
        CASE
            WHEN w.t <= w.lo THEN CAST(substr(w.ret, 1, instr(w.ret, ',') - 1) AS INTEGER)
            WHEN coalesce(c.start_ns + c.duration_ns >= w.t, 0) = 0 AND c.interval_id IS NULL AND g.parent_goid IS NOT NULL THEN g.parent_goid
            WHEN k.state = 'waiting' AND c.start_ns + c.duration_ns = w.t AND c.waker_goid IS NOT NULL AND c.waker_goid <> w.goid
                THEN c.waker_goid
            ELSE w.goid
        END,
        CASE
            WHEN w.t <= w.lo THEN w.t
            WHEN coalesce(c.start_ns + c.duration_ns >= w.t, 0) = 0 AND c.interval_id IS NULL AND g.parent_goid IS NOT NULL THEN w.t
            WHEN k.state = 'waiting' AND c.start_ns + c.duration_ns = w.t AND c.waker_goid IS NOT NULL AND c.waker_goid <> w.goid
                THEN w.t
            WHEN coalesce(c.start_ns + c.duration_ns >= w.t, 0) = 0 THEN max(coalesce(c.start_ns + c.duration_ns, w.lo), w.lo)
            ELSE max(c.start_ns, w.lo)
        END,
        CASE
            WHEN w.t <= w.lo THEN CAST(substr(w.ret, instr(w.ret, ',') + 1, instr(w.ret, ';') - instr(w.ret, ',') - 1)
                                       AS INTEGER)
            WHEN k.state = 'waiting' AND c.start_ns + c.duration_ns = w.t AND c.waker_goid IS NOT NULL AND c.waker_goid <> w.goid
                THEN max(c.start_ns, w.lo)
            ELSE w.lo
        END,
        CASE
            WHEN w.t <= w.lo THEN substr(w.ret, instr(w.ret, ';') + 1)
            WHEN k.state = 'waiting' AND c.start_ns + c.duration_ns = w.t AND c.waker_goid IS NOT NULL AND c.waker_goid <> w.goid
                THEN w.goid || ',' || w.lo || ';' || w.ret
            ELSE w.ret
        END,
        -- The segment emitted by this step, if any.
        CASE
            WHEN w.t <= w.lo THEN NULL
            WHEN coalesce(c.start_ns + c.duration_ns >= w.t, 0) = 0 AND c.interval_id IS NULL AND g.parent_goid IS NOT NULL THEN NULL
            WHEN k.state = 'waiting' AND c.start_ns + c.duration_ns = w.t AND c.waker_goid IS NOT NULL AND c.waker_goid <> w.goid
                THEN NULL
            ELSE w.goid
        END,
        CASE WHEN coalesce(c.start_ns + c.duration_ns >= w.t, 0) = 0 THEN max(coalesce(c.start_ns + c.duration_ns, w.lo), w.lo)
             ELSE max(c.start_ns, w.lo) END,
        w.t,
        CASE WHEN coalesce(c.start_ns + c.duration_ns >= w.t, 0) = 0 THEN NULL ELSE c.start_ns END,
        CASE WHEN coalesce(c.start_ns + c.duration_ns >= w.t, 0) = 0 THEN NULL ELSE c.interval_id END,
        CASE WHEN coalesce(c.start_ns + c.duration_ns >= w.t, 0) = 0 THEN 'unknown' ELSE k.state END
    FROM walk w
    -- c: the goroutine's last interval that began before t (of equal starts, the one that closed last: the
    -- largest interval_id), one primary-key probe of goroutine_intervals (not the goroutine_states view, which
    -- SQLite 3.40 materializes whole here). It covers t when it ends at or after t: intervals of a goroutine do
    -- not overlap (but for the open syscall at the trace's end, whose runnable part begins later and ends with
    -- it), so no earlier one can. Otherwise it is the interval before the gap, or NULL: none before t.
    LEFT JOIN goroutine_intervals c ON c.run_id = :run_id AND c.goid = w.goid
        AND c.start_ns = (
            SELECT s.start_ns FROM goroutine_intervals s
            WHERE s.run_id = :run_id AND s.goid = w.goid AND s.start_ns < w.t
            ORDER BY s.start_ns DESC, s.interval_id DESC LIMIT 1)
        AND c.interval_id = (
            SELECT s.interval_id FROM goroutine_intervals s
            WHERE s.run_id = :run_id AND s.goid = w.goid AND s.start_ns < w.t
            ORDER BY s.start_ns DESC, s.interval_id DESC LIMIT 1)
    LEFT JOIN goroutine_interval_kinds k ON k.run_id = :run_id AND k.kind_id = c.kind_id
    LEFT JOIN goroutines g ON g.run_id = :run_id AND g.goid = w.goid
    WHERE NOT (w.t <= w.lo AND w.ret = '') AND w.n < 1000000
),
segments AS (
    SELECT w.item, w.seg_goid AS goid, w.seg_end - w.seg_start AS ns, w.seg_state AS state, w.seg_istart, w.seg_iid
    FROM walk w WHERE w.seg_goid IS NOT NULL AND w.seg_end > w.seg_start
),
labelled AS (
    SELECT sg.item, sg.state, coalesce(sk.category, '') AS category, coalesce(sk.reason, '') AS reason,
        coalesce(g.start_function, '') AS start_function,
        coalesce(uf.function || ':' || uf.line, '') AS user_frame, sg.ns
    FROM segments sg
    LEFT JOIN goroutine_intervals s
        ON s.run_id = :run_id AND s.goid = sg.goid AND s.start_ns = sg.seg_istart AND s.interval_id = sg.seg_iid
    LEFT JOIN goroutine_interval_kinds sk ON sk.run_id = :run_id AND sk.kind_id = s.kind_id
    LEFT JOIN goroutines g ON g.run_id = :run_id AND g.goid = sg.goid
    LEFT JOIN stacks st ON st.run_id = :run_id AND st.stack_id = s.stack_id
    LEFT JOIN frames uf ON uf.run_id = :run_id AND uf.frame_id = st.user_frame_id
),
causes AS (
    SELECT state, category, reason, start_function, user_frame, sum(ns) AS ns, sum(instances) AS instances
    FROM (
        SELECT state, category, reason, start_function, user_frame, sum(ns) AS ns, count(DISTINCT item) AS instances
        FROM labelled GROUP BY state, category, reason, start_function, user_frame
        UNION ALL
        SELECT c.state, c.category, c.reason, c.start_function, c.user_frame, c.ns, c.instances
        FROM critical_path_causes c
        WHERE c.run_id = :run_id AND (SELECT NOT by_region AND stored FROM mode)
          AND (coalesce(:name, '') = '' OR c.task_name = :name)
    )
    GROUP BY state, category, reason, start_function, user_frame
),
totals AS (
    SELECT sum(n) AS n, sum(ns) AS ns FROM (
        SELECT count(*) AS n, sum(d) AS ns FROM stored_items WHERE d > 0
        UNION ALL
        SELECT count(*), sum(d) FROM other_items WHERE to_ns > from_ns)
),
ranked_causes AS (
    SELECT c.*, row_number() OVER (ORDER BY ns DESC, state, category, reason, start_function, user_frame) AS place
    FROM causes c
),
-- Each instance's largest cause.
item_causes AS (
    SELECT item, state, category, reason, start_function, user_frame, ns,
        row_number() OVER (PARTITION BY item ORDER BY ns DESC, state, category, reason, start_function, user_frame) AS r
    FROM (SELECT item, state, category, reason, start_function, user_frame, sum(ns) AS ns
          FROM labelled GROUP BY item, state, category, reason, start_function, user_frame)
),
-- The instances at the nearest ranks ceil(p * n / 100), in the order (duration, start, id): stored ones read in
-- key order up to the rank, the others sorted. Only one of the two sets has rows.
ranks AS (SELECT (50 * n + 99) / 100 - 1 AS p50, (99 * n + 99) / 100 - 1 AS p99 FROM totals),
picked AS (
    SELECT * FROM (SELECT 'p50' AS kind, * FROM stored_items WHERE d > 0 ORDER BY d, from_ns, item
                   LIMIT 1 OFFSET (SELECT p50 FROM ranks))
    UNION ALL
    SELECT * FROM (SELECT 'p99' AS kind, * FROM stored_items WHERE d > 0 ORDER BY d, from_ns, item
                   LIMIT 1 OFFSET (SELECT p99 FROM ranks))
    UNION ALL
    SELECT * FROM (SELECT 'p50' AS kind, * FROM other_items WHERE to_ns > from_ns ORDER BY d, from_ns, item
                   LIMIT 1 OFFSET (SELECT p50 FROM ranks))
    UNION ALL
    SELECT * FROM (SELECT 'p99' AS kind, * FROM other_items WHERE to_ns > from_ns ORDER BY d, from_ns, item
                   LIMIT 1 OFFSET (SELECT p99 FROM ranks))
)
SELECT
    (SELECT CASE WHEN label <> '' THEN label ELSE CAST(run_id AS TEXT) END FROM runs WHERE run_id = :run_id) AS run,
    x.kind, x.state, x.category, x.reason, x.start_function, x.user_frame, x.ns, x.share, x.instances,
    x.ns_per_instance, x.task_id, x.goid, x.start_ns, x.duration_ns
FROM (
    SELECT 1 AS ord, place, 'cause' AS kind, c.state, c.category, c.reason, c.start_function, c.user_frame, c.ns,
        CAST(c.ns AS REAL) / t.ns AS share, c.instances, CAST(c.ns AS REAL) / t.n AS ns_per_instance,
        NULL AS task_id, NULL AS goid, NULL AS start_ns, NULL AS duration_ns
    FROM ranked_causes c, totals t
    WHERE :top <= 0 OR c.place <= :top
    UNION ALL
    SELECT 2, CASE ri.kind WHEN 'p50' THEN 1 ELSE 2 END, ri.kind, '', '', '', '', '',
        coalesce(ri.top_ns, ic.ns), CAST(coalesce(ri.top_ns, ic.ns) AS REAL) / ri.d, 1, NULL, ri.task_id, ri.goid,
        ri.from_ns, ri.d
    FROM picked ri
    LEFT JOIN item_causes ic ON ic.item = ri.item AND ic.r = 1
) x
ORDER BY x.ord, x.place;
