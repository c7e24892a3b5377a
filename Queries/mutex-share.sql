-- name: mutex-share
-- summary: What share of user goroutines' latency was blocking on sync.Mutex / sync.RWMutex locks, and where.
-- param: top = 5 : how many user frames to list in top_stacks
-- doc: One row per run. Goroutines: user goroutines (goroutines.is_system = 0, Go's rule), except the
-- doc: tracer's own goroutine (entry function runtime/trace.*), which only exists because the program is traced.
-- doc: latency_ns: time those goroutines were alive and not running: runnable (sched wait, including after
-- doc: preemption) + waiting (every reason) + syscall + syscall_blocked. A 'forever' block ends the goroutine
-- doc: (as in Go's Summarizer), so its time is never latency.
-- doc: mutex_ns: lock waits, goroutine_states.category 'mutex' or 'rwmutex', the one definition every report
-- doc: uses: waiting intervals with reason 'sync' (v1 traces: GoBlockSync, converted to 'sync' by Go's
-- doc: reader too) whose block stack has a lock frame: sync.(*Mutex).Lock/lockSlow, internal/sync.(*Mutex).Lock/
-- doc: lockSlow (Go 1.24+), sync.(*RWMutex).Lock/RLock, sync.(*rlocker).Lock. Waits that only say 'sync' (a
-- doc: WaitGroup, a bare semaphore) are not mutex time; the lock a Cond.Wait or Once.Do takes again is.
-- doc: rwmutex_ns is the part of mutex_ns whose stack goes through sync.(*RWMutex).
-- doc: share = mutex_ns / latency_ns (0 when there is no latency).
-- doc: top_stacks: the user frames (innermost frame outside the standard library) of the lock waits, with
-- doc: their ns, largest first, the first :top of them, as 'function:line ns' separated by '; '.
-- doc: Read from goroutine_group_totals, goroutine_groups and lock_waits_by_stack (computed at ingest).
-- doc: Checked against scripts/gotools/mutexshare, which walks Go's internal/trace events itself.
WITH
user_groups AS (
    SELECT start_function, state, reason, category, total_ns
    FROM goroutine_group_totals
    WHERE run_id = :run_id AND is_system = 0 AND start_function NOT LIKE 'runtime/trace.%'
),
by_frame AS (
    SELECT coalesce(uf.function || ':' || uf.line, '?') AS frame, sum(w.total_ns) AS ns
    FROM lock_waits_by_stack w
    LEFT JOIN stacks st ON st.run_id = :run_id AND st.stack_id = w.stack_id
    LEFT JOIN frames uf ON uf.run_id = :run_id AND uf.frame_id = st.user_frame_id
    WHERE w.run_id = :run_id AND w.start_function IN (SELECT start_function FROM user_groups)
    GROUP BY 1
),
ranked AS (
    SELECT frame || ' ' || ns AS item, row_number() OVER (ORDER BY ns DESC, frame) AS n FROM by_frame
),
top AS (
    -- A window aggregate concatenates in its ORDER BY order (SQLite 3.40 has no ORDER BY inside group_concat).
    SELECT group_concat(item, '; ') OVER (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        AS stacks
    FROM ranked WHERE n <= :top LIMIT 1
),
totals AS (
    SELECT
        (SELECT coalesce(sum(goroutines), 0) FROM goroutine_groups
         WHERE run_id = :run_id AND is_system = 0 AND start_function NOT LIKE 'runtime/trace.%') AS goroutines,
        (SELECT coalesce(sum(total_ns), 0) FROM user_groups
         WHERE state IN ('runnable', 'waiting', 'syscall', 'syscall_blocked') AND reason <> 'forever') AS latency_ns,
        (SELECT coalesce(sum(total_ns), 0) FROM user_groups WHERE category IN ('mutex', 'rwmutex')) AS mutex_ns,
        (SELECT coalesce(sum(total_ns), 0) FROM user_groups WHERE category = 'rwmutex') AS rwmutex_ns
)
SELECT
    (SELECT CASE WHEN label <> '' THEN label ELSE CAST(run_id AS TEXT) END FROM runs WHERE run_id = :run_id) AS run,
    t.goroutines,
    t.mutex_ns,
    t.rwmutex_ns,
    t.latency_ns,
    CASE WHEN t.latency_ns > 0 THEN CAST(t.mutex_ns AS REAL) / t.latency_ns ELSE 0.0 END AS share,
    coalesce((SELECT stacks FROM top), '') AS top_stacks
FROM totals t;
