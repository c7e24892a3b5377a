-- name: latency-breakdown
-- summary: Where user goroutines' latency went: the share of each cause (sched wait, mutex, channels, syscalls, ...).
-- doc: One row per run and category, largest first. Goroutines and latency as in mutex-share: user goroutines
-- doc: (is_system = 0) except the tracer's own (runtime/trace.*); latency = runnable + waiting + syscall +
-- doc: syscall_blocked, 'forever' excluded. Categories:
-- doc:   sched_wait: runnable (waiting for a P, including after preemption);
-- doc:   mutex, rwmutex: lock waits, goroutine_states.category 'mutex' / 'rwmutex' (the one definition: a 'sync'
-- doc:     wait whose block stack has a sync.Mutex / sync.RWMutex lock frame, see `traceware schema`), so
-- doc:     mutex + rwmutex = mutex-share's mutex_ns;
-- doc:   syscall: in a system call, with or without its P;
-- doc:   any other wait: goroutine_states.category: waitgroup, cond, semaphore, once, chan_send, chan_recv,
-- doc:     select, sleep, network, gc (GC assist and other GC waits), preempted, runtime, other.
-- doc: ns: time; intervals: number of intervals; share: ns / the run's latency (the shares add up to 1).
-- doc: Read from goroutine_group_totals (the ingest's sums per start function), not goroutine_states.
-- doc: Checked against scripts/gotools/mutexshare (total latency, mutex, rwmutex, sched wait and syscall time,
-- doc: from Go's reader).
WITH
latency AS (
    SELECT state, category, intervals, total_ns
    FROM goroutine_group_totals
    WHERE run_id = :run_id AND is_system = 0 AND start_function NOT LIKE 'runtime/trace.%'
      AND state IN ('runnable', 'waiting', 'syscall', 'syscall_blocked') AND reason <> 'forever'
),
categorized AS (
    SELECT
        CASE
            WHEN state = 'runnable' THEN 'sched_wait'
            WHEN state IN ('syscall', 'syscall_blocked') THEN 'syscall'
            WHEN category = '' THEN 'other'
            ELSE category
        END AS category,
        intervals, total_ns
    FROM latency
),
totals AS (
    SELECT category, sum(total_ns) AS ns, sum(intervals) AS intervals FROM categorized GROUP BY category
)
SELECT
    (SELECT CASE WHEN label <> '' THEN label ELSE CAST(run_id AS TEXT) END FROM runs WHERE run_id = :run_id) AS run,
    category, ns, intervals,
    CAST(ns AS REAL) / (SELECT sum(ns) FROM totals) AS share
FROM totals WHERE ns > 0
ORDER BY ns DESC, category;
