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
            WHEN i.interval_id IS NULL AND p.end_ns IS NULL AND g.parent_goid IS NOT NULL THEN g.parent_goid
            WHEN i.state = 'waiting' AND i.end_ns = w.t AND i.waker_goid IS NOT NULL AND i.waker_goid <> w.goid
                THEN i.waker_goid
            ELSE w.goid
        END,
        CASE
            WHEN w.t <= w.lo THEN w.t
            WHEN i.interval_id IS NULL AND p.end_ns IS NULL AND g.parent_goid IS NOT NULL THEN w.t
            WHEN i.state = 'waiting' AND i.end_ns = w.t AND i.waker_goid IS NOT NULL AND i.waker_goid <> w.goid
                THEN w.t
            WHEN i.interval_id IS NULL THEN max(coalesce(p.end_ns, w.lo), w.lo)
            ELSE max(i.start_ns, w.lo)
        END,
        CASE
            WHEN w.t <= w.lo THEN CAST(substr(w.ret, instr(w.ret, ',') + 1, instr(w.ret, ';') - instr(w.ret, ',') - 1)
                                       AS INTEGER)
            WHEN i.state = 'waiting' AND i.end_ns = w.t AND i.waker_goid IS NOT NULL AND i.waker_goid <> w.goid
                THEN max(i.start_ns, w.lo)
            ELSE w.lo
        END,
        CASE
            WHEN w.t <= w.lo THEN substr(w.ret, instr(w.ret, ';') + 1)
            WHEN i.state = 'waiting' AND i.end_ns = w.t AND i.waker_goid IS NOT NULL AND i.waker_goid <> w.goid
                THEN w.goid || ',' || w.lo || ';' || w.ret
            ELSE w.ret
        END,
        -- The segment emitted by this step, if any.
        CASE
            WHEN w.t <= w.lo THEN NULL
            WHEN i.interval_id IS NULL AND p.end_ns IS NULL AND g.parent_goid IS NOT NULL THEN NULL
            WHEN i.state = 'waiting' AND i.end_ns = w.t AND i.waker_goid IS NOT NULL AND i.waker_goid <> w.goid
                THEN NULL
            ELSE w.goid
        END,
        CASE WHEN i.interval_id IS NULL THEN max(coalesce(p.end_ns, w.lo), w.lo) ELSE max(i.start_ns, w.lo) END,
        w.t,
        i.start_ns, i.interval_id,
        CASE WHEN i.interval_id IS NULL THEN 'unknown' ELSE i.state END
    FROM walk w
    -- The interval that covers t (of equal starts, the one that closed last: the largest interval_id). Both
    -- halves of its key come from the same probe, so the join is one primary-key lookup of goroutine_intervals.
    LEFT JOIN goroutine_states i ON i.run_id = :run_id AND i.goid = w.goid
        AND i.start_ns = (
            SELECT s.start_ns FROM goroutine_states s
            WHERE s.run_id = :run_id AND s.goid = w.goid AND s.start_ns < w.t AND s.end_ns >= w.t
            ORDER BY s.start_ns DESC, s.interval_id DESC LIMIT 1)
        AND i.interval_id = (
            SELECT s.interval_id FROM goroutine_states s
            WHERE s.run_id = :run_id AND s.goid = w.goid AND s.start_ns < w.t AND s.end_ns >= w.t
            ORDER BY s.start_ns DESC, s.interval_id DESC LIMIT 1)
    -- No interval covers t: the one before (a gap), if any.
    LEFT JOIN goroutine_states p ON i.interval_id IS NULL AND p.run_id = :run_id AND p.goid = w.goid
        AND p.start_ns = (
            SELECT s.start_ns FROM goroutine_states s
            WHERE s.run_id = :run_id AND s.goid = w.goid AND s.start_ns < w.t
            ORDER BY s.start_ns DESC, s.interval_id DESC LIMIT 1)
        AND p.interval_id = (
            SELECT s.interval_id FROM goroutine_states s
            WHERE s.run_id = :run_id AND s.goid = w.goid AND s.start_ns < w.t
            ORDER BY s.start_ns DESC, s.interval_id DESC LIMIT 1)
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
    coalesce(s.reason, '') AS reason,
    coalesce(s.category, '') AS category,
    sg.start_ns, sg.end_ns, sg.end_ns - sg.start_ns AS duration_ns,
    coalesce(uf.function || ':' || uf.line, '') AS user_frame,
    coalesce((SELECT group_concat(txt, ' < ') FROM (
        SELECT f.function || ':' || f.line AS txt FROM stack_frame_refs r
        JOIN frames f ON f.run_id = r.run_id AND f.frame_id = r.frame_id
        WHERE r.run_id = :run_id AND r.stack_id = s.stack_id ORDER BY r.depth)), '') AS stack
FROM segments sg
LEFT JOIN goroutine_states s
        ON s.run_id = :run_id AND s.goid = sg.goid AND s.start_ns = sg.seg_istart AND s.interval_id = sg.seg_iid
LEFT JOIN goroutines g ON g.run_id = :run_id AND g.goid = sg.goid
LEFT JOIN stacks st ON st.run_id = :run_id AND st.stack_id = s.stack_id
LEFT JOIN frames uf ON uf.run_id = :run_id AND uf.frame_id = st.user_frame_id
ORDER BY seq;
