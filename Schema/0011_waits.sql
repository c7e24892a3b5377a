-- traceware warehouse schema, migration 0011: lock holders and critical paths, computed at ingest (issue 14).
--
-- lock-holders read every interval of a run's user goroutines (0.7-0.8 s on a 45 MB run, 2 s under compare);
-- the ingest now sums the same lock waits by (lock stack, waker stack) as it writes them
-- (Sources/Warehouse/Ingest/LockHolders.swift), and the report reads those few rows. Runs ingested before this
-- migration get their rows here, from goroutine_intervals, by the rule the report applied until then.
--
-- critical-path-summary walked the critical path of every task of the run at query time (over 60 s for the
-- 590K tasks of a 50 MB service trace). The ingest now walks each complete task when it ends
-- (Sources/Warehouse/Ingest/CriticalPaths.swift: the walk only looks back in time, so everything it needs is in
-- the past; intervals older than every open task are dropped as the trace goes on, so memory follows the
-- tasks in flight) and sums the paths by task type and cause. A task the ingest could not walk exactly (see
-- critical_path_tasks.walked) is walked by the report, as before; so is every task of a run ingested before
-- this migration (it has no critical_path_tasks rows), and every region (the region= parameter).

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

CREATE TABLE critical_path_causes ( -- doc: Where the critical paths of a run's tasks went, per task type and cause: the path segments of critical-path (walked back from each task's end through wake-ups) summed at ingest over the complete tasks walked then (critical_path_tasks.walked = 1). critical-path-summary reads it.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    task_name TEXT NOT NULL, -- doc: The task type (tasks.name).
    state TEXT NOT NULL, -- doc: As critical-path's state: a goroutine_states state, or 'unknown' for time the trace does not cover on the goroutine.
    category TEXT NOT NULL, -- doc: As goroutine_states.category ('' for unknown).
    reason TEXT NOT NULL, -- doc: As goroutine_states.reason ('' for unknown).
    start_function TEXT NOT NULL, -- doc: The segment's goroutine's goroutines.start_function.
    user_frame TEXT NOT NULL, -- doc: As critical-path's user_frame: 'function:line' of the innermost user frame of the interval's stack (stacks.user_frame_id), '' if none.
    ns INTEGER NOT NULL, -- doc: Path time of that cause, summed over the tasks.
    instances INTEGER NOT NULL, -- doc: In how many tasks' paths the cause appears.
    PRIMARY KEY (run_id, task_name, state, category, reason, start_function, user_frame)
) WITHOUT ROWID;

CREATE TABLE critical_path_tasks ( -- doc: One row per complete task of the run (start and end in the trace); critical_path_tasks_by_duration orders them as critical-path-summary ranks them for its percentiles.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    duration_ns INTEGER NOT NULL, -- doc: As tasks.duration_ns.
    start_ns INTEGER NOT NULL, -- doc: As tasks.start_ns.
    task_id INTEGER NOT NULL, -- doc: The task (tasks.task_id).
    name TEXT NOT NULL, -- doc: As tasks.name.
    goid INTEGER, -- doc: Where its walk starts: tasks.end_goid.
    top_ns INTEGER, -- doc: Its path's largest cause (as critical_path_causes groups them): that cause's ns; NULL when the path is empty (no end goroutine, zero duration) or walked is 0.
    walked INTEGER NOT NULL, -- doc: 1: walked at ingest, its path is in critical_path_causes and top_ns. 0: the ingest could not walk it exactly (its path reached time the ingest no longer held, an interval still open in a state other than running, a goroutine not named yet, or a stack whose user frame was not settled yet): the report walks it from goroutine_states.
    PRIMARY KEY (run_id, task_id)
) WITHOUT ROWID;

-- section: indexes
CREATE INDEX IF NOT EXISTS lock_holder_waits_by_run ON lock_holder_waits (run_id);
-- Percentile order (duration, start, id). Keyed by task_id, the table takes its rows nearly in order as tasks
-- end; this index, whose keys come in random order, a load into an empty warehouse builds once at the end
-- (RunWriter.indexesBuiltAfterLoad). It covers every column the percentile rows read.
CREATE INDEX IF NOT EXISTS critical_path_tasks_by_duration
    ON critical_path_tasks (run_id, duration_ns, start_ns, task_id, name, goid, top_ns, walked);
