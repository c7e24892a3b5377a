-- name: blocking-stacks
-- summary: Where goroutines waited, by kind and stack: the rows behind go tool trace -pprof=sync|net|syscall|sched.
-- param: kind = all : sync, net, syscall, sched, or all (any other value selects nothing)
-- param: top = 20 : rows per kind, largest first (0 = every stack)
-- doc: One row per run, kind, category and stack. All goroutines count (system ones too), as in go tool trace.
-- doc: Kinds, as cmd/trace/pprof.go defines them:
-- doc:   sync: waiting whose reason contains 'chan', 'sync' or 'select' (channels, select, Mutex, RWMutex,
-- doc:         WaitGroup, Cond, semaphores); category tells which (goroutine_states.category);
-- doc:   net: waiting with reason 'network';
-- doc:   syscall: in a system call (syscall and syscall_blocked together), by the stack that entered it;
-- doc:   sched: runnable (waiting for a P), by the stack of the event that made the goroutine runnable, as Go
-- doc:          does: its own stack when it was preempted or yielded, the waker's stack when it was woken
-- doc:          (goroutine_states.waker_stack_id of the wait that ended then). category is the stop reason, or
-- doc:          'woken'.
-- doc: Go's rules kept: a goroutine's time counts only between its first run (goroutines.started_ns) and its
-- doc: end (or the end of the trace), clipped; an interval still open when the trace ends is not counted.
-- doc: count: intervals; total_ns: their time; share: of the kind's total. stack: frames innermost first,
-- doc: 'function:line' separated by ' < ' (read: called from); user_frame: the innermost frame outside the
-- doc: standard library. Checked against go tool trace -pprof=KIND read with go tool pprof -raw, per stack.
WITH
run AS (SELECT end_ns FROM runs WHERE run_id = :run_id),
-- Runnable intervals with the interval before them on the same goroutine (a goroutine is in one state at a
-- time; equal starts are in interval_id order, i.e. the order they closed): right after a wait that ended when
-- it began, the wake-up began it. The window follows goroutine_intervals' key (run_id, goid, start_ns,
-- interval_id), so nothing is sorted.
sched AS (
    SELECT * FROM (
        SELECT s.goid, s.state, s.reason, s.start_ns, s.end_ns, s.stack_id,
            lag(s.state) OVER w = 'waiting' AND lag(s.end_ns) OVER w = s.start_ns AS woken,
            lag(s.waker_stack_id) OVER w AS waker_stack_id
        FROM goroutine_states s
        WHERE s.run_id = :run_id AND :kind IN ('all', 'sched')
        WINDOW w AS (PARTITION BY s.goid ORDER BY s.start_ns, s.interval_id)
    ) WHERE state = 'runnable'
),
raw AS (
    SELECT
        CASE
            WHEN state = 'waiting' AND reason = 'network' THEN 'net'
            WHEN state = 'waiting' AND (instr(reason, 'chan') > 0 OR instr(reason, 'sync') > 0
                                        OR instr(reason, 'select') > 0) THEN 'sync'
            WHEN state IN ('syscall', 'syscall_blocked') THEN 'syscall'
        END AS kind,
        goid, state, reason, category, start_ns, end_ns, stack_id
    FROM goroutine_states
    WHERE run_id = :run_id AND state IN ('waiting', 'syscall', 'syscall_blocked') AND :kind <> 'sched'
),
-- A syscall split into syscall + syscall_blocked is one interval for Go.
merged AS (
    SELECT kind, goid, start_ns, end_ns, stack_id, category FROM raw
    WHERE kind IN ('sync', 'net') AND (:kind = 'all' OR :kind = kind)
    UNION ALL
    SELECT 'sched', goid, start_ns, end_ns,
        CASE WHEN woken THEN waker_stack_id ELSE stack_id END,
        CASE WHEN woken THEN 'woken' WHEN reason <> '' THEN reason ELSE 'runnable' END
    FROM sched
    UNION ALL
    SELECT 'syscall', goid, min(start_ns), max(end_ns), stack_id, 'syscall' FROM (
        SELECT r.*, sum(CASE WHEN r.state = 'syscall' THEN 1 ELSE 0 END)
                        OVER (PARTITION BY r.goid ORDER BY r.start_ns, r.state) AS n
        FROM raw r WHERE r.kind = 'syscall' AND :kind IN ('all', 'syscall')
    ) GROUP BY goid, n
),
attributed AS (
    SELECT m.kind, m.start_ns, m.end_ns, m.stack_id, m.category,
        -- Go's window for the goroutine: [first run, end or trace end]; never ran: no lower bound.
        g.started_ns, coalesce(g.ended_ns, (SELECT end_ns FROM run)) AS g_end, g.ended_ns
    FROM merged m JOIN goroutines g ON g.run_id = :run_id AND g.goid = m.goid
),
counted AS (
    SELECT kind, category, stack_id,
        min(end_ns, g_end) - max(start_ns, coalesce(started_ns, start_ns)) AS ns
    FROM attributed
    -- Open at the end of the trace (Go counts an interval only when it ends): the goroutine did not end then.
    WHERE NOT (end_ns >= (SELECT end_ns FROM run) AND (ended_ns IS NULL OR ended_ns > end_ns))
),
grouped AS (
    SELECT kind, category, stack_id, count(*) AS count, sum(ns) AS total_ns
    FROM counted WHERE ns > 0 GROUP BY kind, category, stack_id
),
ranked AS (
    SELECT gr.*, row_number() OVER (PARTITION BY kind ORDER BY total_ns DESC, category, stack_id) AS n,
        CAST(total_ns AS REAL) / sum(total_ns) OVER (PARTITION BY kind) AS share
    FROM grouped gr
),
kept AS (SELECT * FROM ranked WHERE :top <= 0 OR n <= :top),
stack_text AS (
    SELECT stack_id, text FROM (
        SELECT r.stack_id, r.depth,
            group_concat(f.function || ':' || f.line, ' < ')
                OVER (PARTITION BY r.stack_id ORDER BY r.depth
                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS text
        FROM stack_frame_refs r JOIN frames f ON f.run_id = r.run_id AND f.frame_id = r.frame_id
        WHERE r.run_id = :run_id AND r.stack_id IN (SELECT stack_id FROM kept)
    ) WHERE depth = 0
)
SELECT
    (SELECT CASE WHEN label <> '' THEN label ELSE CAST(run_id AS TEXT) END FROM runs WHERE run_id = :run_id) AS run,
    k.kind, k.category, k.count, k.total_ns, k.share,
    coalesce(uf.function || ':' || uf.line, '') AS user_frame,
    coalesce(t.text, '') AS stack
FROM kept k
LEFT JOIN stack_text t ON t.stack_id = k.stack_id
LEFT JOIN stacks st ON st.run_id = :run_id AND st.stack_id = k.stack_id
LEFT JOIN frames uf ON uf.run_id = :run_id AND uf.frame_id = st.user_frame_id
ORDER BY CASE k.kind WHEN 'sync' THEN 1 WHEN 'net' THEN 2 WHEN 'syscall' THEN 3 ELSE 4 END, k.n;
