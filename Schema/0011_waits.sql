-- traceware warehouse schema, migration 0011: lock holders, computed at ingest (issue 14).
--
-- lock-holders read every interval of a run's user goroutines (0.7-0.8 s on a 45 MB run, 2 s under compare);
-- the ingest now sums the same lock waits by (lock stack, waker stack) as it writes them
-- (Sources/Warehouse/Ingest/LockHolders.swift), and the report reads those few rows. Runs ingested before this
-- migration get their rows here, from goroutine_intervals, by the rule the report applied until then.

CREATE TABLE lock_holder_waits ( -- doc: Lock waits of user goroutines by lock stack and waker stack: the rows lock-holders groups by lock site and holder site. The waits are goroutine_states rows of category 'mutex' or 'rwmutex' (the one lock-wait definition) of goroutines with goroutines.is_system = 0 whose start_function is not runtime/trace.* (the tracer's goroutine), summed at ingest.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    stack_id INTEGER NOT NULL, -- doc: The waiter's block stack (goroutine_states.stack_id): where it called Lock.
    waker_stack_id INTEGER, -- doc: The stack of the event that ended the wait (goroutine_states.waker_stack_id): for a Mutex, the semaphore release in Unlock. NULL when the trace gives none (still waiting at the end of the trace, or a wake-up without a stack): lock-holders' '(holder unknown)'.
    waits INTEGER NOT NULL, -- doc: Number of waits.
    wait_ns INTEGER NOT NULL -- doc: Their summed duration_ns.
);

INSERT INTO lock_holder_waits (run_id, stack_id, waker_stack_id, waits, wait_ns)
SELECT i.run_id, i.stack_id, i.waker_stack_id, count(*), sum(i.duration_ns)
FROM goroutine_intervals i
JOIN goroutine_interval_kinds k ON k.run_id = i.run_id AND k.kind_id = i.kind_id
JOIN goroutines g ON g.run_id = i.run_id AND g.goid = i.goid
WHERE k.state = 'waiting' AND k.category IN ('mutex', 'rwmutex') AND i.stack_id IS NOT NULL
  AND g.is_system = 0 AND g.start_function NOT LIKE 'runtime/trace.%'
GROUP BY i.run_id, i.stack_id, i.waker_stack_id;

-- section: indexes
CREATE INDEX IF NOT EXISTS lock_holder_waits_by_run ON lock_holder_waits (run_id);
