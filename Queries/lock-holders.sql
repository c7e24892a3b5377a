-- name: lock-holders
-- summary: Who made lock waiters wait: sync.Mutex / sync.RWMutex waits by lock site and holder site (the Unlock that woke them).
-- param: top = 0 : how many rows (0 = every row)
-- doc: One row per run, lock site and holder site. The waits are mutex-share's lock waits, exactly: waiting
-- doc: intervals of user goroutines (goroutines.is_system = 0, not the tracer's runtime/trace.* goroutine) with
-- doc: reason 'sync' whose block stack has a lock frame (sync.(*Mutex).Lock/lockSlow, internal/sync.(*Mutex).Lock/
-- doc: lockSlow, sync.(*RWMutex).Lock/RLock, sync.(*rlocker).Lock), so wait_ns sums to mutex-share's mutex_ns:
-- doc: goroutine_states.category 'mutex' or 'rwmutex', the one lock-wait definition the ingest stores.
-- doc: lock_site: the waiter's innermost user frame (outside the standard library) in its block stack, '?' if none.
-- doc: holder_site: the innermost user frame of the stack of the event that ended the wait (goroutine_states.
-- doc: waker_stack_id). For a Mutex wait that event is the semaphore release in Unlock, so the holder site is the
-- doc: end of the critical section that made the waiter wait; '?' when that stack has no user frame.
-- doc: '(holder unknown)' when the trace gives the wake-up no stack: the wait was still open when the trace
-- doc: ended, or the wake-up event carries none. Such waits are kept, never dropped.
-- doc: The waker goroutine (waker_goid) is not needed: a wake-up made from outside any goroutine (G=-1) that
-- doc: still carries a stack names its site the same way (Go's quirk: G=-1 wake-ups can have a stack).
-- doc: waits: count of waits; wait_ns: their time; share: wait_ns / all lock wait time of the run.
-- doc: holder_stack: of the holder stacks of the row, the one with the most wait_ns (ties: the smaller text),
-- doc: frames innermost first, 'function:line' separated by ' < '; '' when the holder is unknown.
-- doc: Order: known holders first, most wait_ns first (the top row is the critical section to shorten), then
-- doc: the unknown ones; ties by lock_site, holder_site.
-- doc: The waits come summed by lock stack and waker stack from lock_holder_waits (computed at ingest).
-- doc: Checked row by row against scripts/gotools/lockholders, which walks Go's internal/trace events itself.
WITH
-- The lock waits summed at ingest by (lock stack, waker stack) (lock_holder_waits, migration 0011): a few
-- hundred rows where the goroutine_states rows are hundreds of thousands.
by_stack AS (
    SELECT stack_id, waker_stack_id, waits, wait_ns AS ns
    FROM lock_holder_waits WHERE run_id = :run_id
),
stack_text AS (
    SELECT stack_id, text FROM (
        SELECT r.stack_id, r.depth,
            group_concat(f.function || ':' || f.line, ' < ')
                OVER (PARTITION BY r.stack_id ORDER BY r.depth
                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS text
        FROM stack_frame_refs r JOIN frames f ON f.run_id = r.run_id AND f.frame_id = r.frame_id
        WHERE r.run_id = :run_id AND r.stack_id IN (SELECT waker_stack_id FROM by_stack)
    ) WHERE depth = 0
),
sited AS (
    SELECT
        coalesce(lf.function || ':' || lf.line, '?') AS lock_site,
        CASE WHEN b.waker_stack_id IS NULL THEN '(holder unknown)'
             ELSE coalesce(hf.function || ':' || hf.line, '?') END AS holder_site,
        coalesce(t.text, '') AS holder_stack, b.waits, b.ns
    FROM by_stack b
    LEFT JOIN stacks ls ON ls.run_id = :run_id AND ls.stack_id = b.stack_id
    LEFT JOIN frames lf ON lf.run_id = :run_id AND lf.frame_id = ls.user_frame_id
    LEFT JOIN stacks hs ON hs.run_id = :run_id AND hs.stack_id = b.waker_stack_id
    LEFT JOIN frames hf ON hf.run_id = :run_id AND hf.frame_id = hs.user_frame_id
    LEFT JOIN stack_text t ON t.stack_id = b.waker_stack_id
),
-- Equal texts from different stack ids (same lines, other PCs) are one holder stack.
by_text AS (
    SELECT lock_site, holder_site, holder_stack, sum(waits) AS waits, sum(ns) AS ns
    FROM sited GROUP BY lock_site, holder_site, holder_stack
),
grouped AS (
    SELECT lock_site, holder_site, sum(waits) AS waits, sum(ns) AS wait_ns,
        (SELECT b2.holder_stack FROM by_text b2
         WHERE b2.lock_site = b.lock_site AND b2.holder_site = b.holder_site
         ORDER BY b2.ns DESC, b2.holder_stack LIMIT 1) AS holder_stack
    FROM by_text b GROUP BY lock_site, holder_site
),
ranked AS (
    SELECT g.*,
        CAST(wait_ns AS REAL) / sum(wait_ns) OVER () AS share,
        row_number() OVER (ORDER BY holder_site = '(holder unknown)', wait_ns DESC, lock_site, holder_site) AS n
    FROM grouped g
)
SELECT
    (SELECT CASE WHEN label <> '' THEN label ELSE CAST(run_id AS TEXT) END FROM runs WHERE run_id = :run_id) AS run,
    lock_site, holder_site, waits, wait_ns,
    CASE WHEN share IS NULL THEN 0.0 ELSE share END AS share,
    holder_stack
FROM ranked
WHERE :top <= 0 OR n <= :top
ORDER BY n;
