-- name: latency-breakdown
-- summary: Where user goroutines' latency went: the share of each cause (sched wait, mutex, channels, syscalls, ...).
-- doc: One row per run and category, largest first. Goroutines and latency as in mutex-share: user goroutines
-- doc: (is_system = 0) except the tracer's own (runtime/trace.*); latency = runnable + waiting + syscall +
-- doc: syscall_blocked, 'forever' excluded. Categories:
-- doc:   sched_wait: runnable (waiting for a P, including after preemption);
-- doc:   mutex, rwmutex: 'sync' waits whose stack holds a lock frame (sync.Mutex / sync.RWMutex, as mutex-share
-- doc:     defines them; rwmutex when the stack goes through sync.(*RWMutex)), so mutex + rwmutex = mutex-share's
-- doc:     mutex_ns;
-- doc:   syscall: in a system call, with or without its P;
-- doc:   any other wait: goroutine_states.category: waitgroup, cond, semaphore, once, chan_send, chan_recv,
-- doc:     select, sleep, network, gc (GC assist and other GC waits), preempted, runtime, other.
-- doc: ns: time; intervals: number of intervals; share: ns / the run's latency (the shares add up to 1).
-- doc: Checked against scripts/gotools/mutexshare (total latency, mutex, rwmutex, sched wait and syscall time,
-- doc: from Go's reader).
WITH
user_goroutines AS (
    SELECT goid FROM goroutines
    WHERE run_id = :run_id AND is_system = 0 AND start_function NOT LIKE 'runtime/trace.%'
),
latency AS (
    SELECT s.state, s.reason, s.category, s.stack_id, s.duration_ns
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
categorized AS (
    SELECT
        CASE
            WHEN l.state = 'runnable' THEN 'sched_wait'
            WHEN l.state IN ('syscall', 'syscall_blocked') THEN 'syscall'
            WHEN l.reason = 'sync' AND k.stack_id IS NOT NULL THEN CASE WHEN k.rw THEN 'rwmutex' ELSE 'mutex' END
            WHEN l.category IN ('mutex', 'rwmutex') THEN 'other'  -- not a lock wait by the rule above
            WHEN l.category = '' THEN 'other'
            ELSE l.category
        END AS category,
        l.duration_ns
    FROM latency l LEFT JOIN lock_stacks k ON k.stack_id = l.stack_id
),
totals AS (
    SELECT category, sum(duration_ns) AS ns, count(*) AS intervals FROM categorized GROUP BY category
)
SELECT
    (SELECT CASE WHEN label <> '' THEN label ELSE CAST(run_id AS TEXT) END FROM runs WHERE run_id = :run_id) AS run,
    category, ns, intervals,
    CAST(ns AS REAL) / (SELECT sum(ns) FROM totals) AS share
FROM totals WHERE ns > 0
ORDER BY ns DESC, category;
