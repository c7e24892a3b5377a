-- name: critical-path
-- summary: The critical path of a task (or of a goroutine over a time range): who it waited for, back through wake-ups.
-- param: task_id = -1 : the task (tasks.task_id); its interval, walked back from the goroutine that ended it
-- param: goid = -1 : instead of a task: the goroutine to walk back from
-- param: from_ns = -1 : with goid: start of the interval
-- param: to_ns = -1 : with goid: end of the interval
-- doc: One row per segment of the path, in time order (seq 1 is the earliest); the segments tile the interval
-- doc: exactly (each starts where the previous ended; the durations sum to the task's duration_ns). A task with
-- doc: no start or end in the trace gives no rows. The walk goes back from the end, on the task's end_goid:
-- doc: - running, runnable (scheduler wait: it stays on the goroutine that waited), syscall: on the path as is;
-- doc: - waiting that ended with a wake-up by another goroutine (goroutine_states.waker_goid): the walk follows
-- doc:   the waker from the moment of the wake-up back to when the wait began (or the interval's start), then
-- doc:   goes on with the waiter before its wait; the wait itself gives no row (the waker's rows cover it);
-- doc: - waiting with no waker goroutine (a timer, the network poller, a wake-up from outside any goroutine, G=-1,
-- doc:   even with a stack), or still waiting at the end of the interval: a row for the wait itself, with its
-- doc:   reason and category (what it was waiting for);
-- doc: - before the goroutine existed: the goroutine that created it (goroutines.parent_goid), from the creation
-- doc:   back; when the creator is unknown, or in a gap between a goroutine's intervals, a row with state 'unknown'.
-- doc: Go's quirks, as goroutine_states records them: a wake-up is the state transition's event, whatever P it
-- doc: was recorded on, so the waker is the goroutine of that event; a goroutine woken while already runnable
-- doc: has no waiting interval then, so there is nothing to follow; a syscall still open at the end of the trace
-- doc: overlaps its runnable part, and the walk takes the interval that began last (of equal starts, the one
-- doc: that closed last). Each step is one index probe, so the cost follows the path's length, not the run's.
-- doc: Columns: seq, goid, start_function (goroutines.start_function), state, reason, category, start_ns, end_ns,
-- doc: duration_ns, user_frame (innermost frame outside the standard library of the interval's stack: where it
-- doc: blocked, entered the syscall or was preempted; '' for running) and stack ('function:line' innermost first,
-- doc: ' < ' separated).
WITH RECURSIVE
params AS (
    SELECT
        CASE WHEN :task_id <> -1 THEN t.end_goid ELSE :goid END AS goid,
        CASE WHEN :task_id <> -1 THEN t.start_ns ELSE :from_ns END AS from_ns,
        CASE WHEN :task_id <> -1 THEN t.end_ns ELSE :to_ns END AS to_ns
    FROM (SELECT 1) LEFT JOIN tasks t ON t.run_id = :run_id AND t.task_id = :task_id
),
-- One step of the walk per row: at time t on goroutine goid, going back, not below lo; ret holds the
-- waiters to return to, 'goid,lo;' pushed in front. A step either emits a segment [seg_start, t] on goid
-- and moves t back, or switches goroutine (follow a waker, return to a waiter, go to a creator).
walk (n, goid, t, lo, ret, seg_goid, seg_start, seg_end, seg_istart, seg_iid, seg_state) AS (
    SELECT 0, goid, to_ns, from_ns, '', NULL, NULL, NULL, NULL, NULL, NULL
    FROM params WHERE goid IS NOT NULL AND from_ns >= 0 AND to_ns > from_ns
    UNION ALL
    SELECT w.n + 1,
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
    SELECT w.seg_goid AS goid, w.seg_start AS start_ns, w.seg_end AS end_ns, w.seg_state AS state, w.seg_istart, w.seg_iid, w.n
    FROM walk w WHERE w.seg_goid IS NOT NULL AND w.seg_end > w.seg_start
)
SELECT
    row_number() OVER (ORDER BY sg.n DESC) AS seq,
    sg.goid,
    coalesce(g.start_function, '') AS start_function,
    sg.state,
    coalesce(sk.reason, '') AS reason,
    coalesce(sk.category, '') AS category,
    sg.start_ns, sg.end_ns, sg.end_ns - sg.start_ns AS duration_ns,
    coalesce(uf.function || ':' || uf.line, '') AS user_frame,
    coalesce((SELECT group_concat(txt, ' < ') FROM (
        SELECT f.function || ':' || f.line AS txt FROM stack_frame_refs r
        JOIN frames f ON f.run_id = r.run_id AND f.frame_id = r.frame_id
        WHERE r.run_id = :run_id AND r.stack_id = s.stack_id ORDER BY r.depth)), '') AS stack
FROM segments sg
LEFT JOIN goroutine_intervals s
        ON s.run_id = :run_id AND s.goid = sg.goid AND s.start_ns = sg.seg_istart AND s.interval_id = sg.seg_iid
LEFT JOIN goroutine_interval_kinds sk ON sk.run_id = :run_id AND sk.kind_id = s.kind_id
LEFT JOIN goroutines g ON g.run_id = :run_id AND g.goid = sg.goid
LEFT JOIN stacks st ON st.run_id = :run_id AND st.stack_id = s.stack_id
LEFT JOIN frames uf ON uf.run_id = :run_id AND uf.frame_id = st.user_frame_id
ORDER BY seq;
