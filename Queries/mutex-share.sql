-- name: mutex-share
-- summary: What share of user goroutines' latency was blocking on sync.Mutex / sync.RWMutex locks, and where.
-- param: top = 5 : how many user frames to list in top_stacks
-- doc: One row per run. Goroutines: user goroutines (goroutines.is_system = 0, Go's rule), except the
-- doc: tracer's own goroutine (entry function runtime/trace.*), which only exists because the program is traced.
-- doc: latency_ns: time those goroutines were alive and not running: runnable (sched wait, including after
-- doc: preemption) + waiting (every reason) + syscall + syscall_blocked. A 'forever' block ends the goroutine
-- doc: (as in Go's Summarizer), so its time is never latency.
-- doc: mutex_ns: waiting intervals with reason 'sync' (v1 traces: GoBlockSync, converted to 'sync' by Go's
-- doc: reader too) whose block stack has a lock frame: sync.(*Mutex).Lock/lockSlow, internal/sync.(*Mutex).Lock/
-- doc: lockSlow (Go 1.24+), sync.(*RWMutex).Lock/RLock, sync.(*rlocker).Lock. Waits that only say 'sync' (a
-- doc: WaitGroup, a bare semaphore) are not mutex time; the lock a Cond.Wait or Once.Do takes again is.
-- doc: rwmutex_ns is the part of mutex_ns whose stack goes through sync.(*RWMutex).
-- doc: share = mutex_ns / latency_ns (0 when there is no latency).
-- doc: top_stacks: the user frames (innermost frame outside the standard library) of the lock waits, with
-- doc: their ns, largest first, the first :top of them, as 'function:line ns' separated by '; '.
-- doc: Checked against scripts/gotools/mutexshare, which walks Go's internal/trace events itself.
WITH
user_goroutines AS (
    SELECT goid FROM goroutines
    WHERE run_id = :run_id AND is_system = 0 AND start_function NOT LIKE 'runtime/trace.%'
),
latency AS (
    SELECT s.state, s.reason, s.stack_id, s.duration_ns
    FROM goroutine_states s JOIN user_goroutines g ON g.goid = s.goid
    WHERE s.run_id = :run_id AND s.state IN ('runnable', 'waiting', 'syscall', 'syscall_blocked')
      AND s.reason <> 'forever'
),
lock_stacks AS (
    SELECT r.stack_id, max(f.function LIKE 'sync.(*RWMutex).%' OR f.function = 'sync.(*rlocker).Lock') AS rw
    FROM frames f JOIN stack_frame_refs r ON r.run_id = f.run_id AND r.frame_id = f.frame_id
    WHERE f.run_id = :run_id AND f.function IN (
        'sync.(*Mutex).Lock', 'sync.(*Mutex).lockSlow',
        'internal/sync.(*Mutex).Lock', 'internal/sync.(*Mutex).lockSlow',
        'sync.(*RWMutex).Lock', 'sync.(*RWMutex).RLock', 'sync.(*rlocker).Lock')
    GROUP BY r.stack_id
),
lock_waits AS (
    SELECT l.stack_id, l.duration_ns, k.rw
    FROM latency l JOIN lock_stacks k ON k.stack_id = l.stack_id
    WHERE l.state = 'waiting' AND l.reason = 'sync'
),
by_frame AS (
    SELECT coalesce(uf.function || ':' || uf.line, '?') AS frame, sum(w.duration_ns) AS ns
    FROM lock_waits w
    LEFT JOIN stacks st ON st.run_id = :run_id AND st.stack_id = w.stack_id
    LEFT JOIN frames uf ON uf.run_id = :run_id AND uf.frame_id = st.user_frame_id
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
        (SELECT count(*) FROM user_goroutines) AS goroutines,
        (SELECT coalesce(sum(duration_ns), 0) FROM latency) AS latency_ns,
        (SELECT coalesce(sum(duration_ns), 0) FROM lock_waits) AS mutex_ns,
        (SELECT coalesce(sum(duration_ns), 0) FROM lock_waits WHERE rw) AS rwmutex_ns
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
