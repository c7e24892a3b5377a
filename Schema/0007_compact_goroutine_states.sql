-- traceware warehouse schema, migration 0007: goroutine_states stored compactly, behind a view.
--
-- goroutine_states was a rowid table plus an index on (run_id, goid, start_ns): every interval was stored twice,
-- with three text columns, and made 12 bytes of warehouse per byte of trace. Its rows now live in
-- goroutine_intervals, a WITHOUT ROWID table clustered on (run_id, goid, start_ns, interval_id): a goroutine's
-- intervals in time order, stored once. The few-valued columns (state, reason, category, and the P and thread of
-- the event that began the interval) are one small per-run code, kind_id, spelled out in
-- goroutine_interval_kinds; the end is stored as a duration (a smaller number). `goroutine_states` becomes a
-- view with the columns of the table it replaces, and their values, plus interval_id: queries on it read the
-- same. Existing intervals are moved over (the old rowid becomes their interval_id), then the old table goes.

CREATE TABLE goroutine_interval_kinds ( -- doc: The few-valued columns of goroutine_states, one row per distinct combination in a run: goroutine_intervals.kind_id refers to it.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    kind_id INTEGER NOT NULL, -- doc: Warehouse id of the combination, unique within the run (from 0, in order of first use).
    state TEXT NOT NULL, -- doc: 'running', 'runnable', 'waiting', 'syscall', or 'syscall_blocked' (see goroutine_states.state).
    reason TEXT NOT NULL, -- doc: The block or stop reason ('' where there is none).
    category TEXT NOT NULL, -- doc: The finer cause (see goroutine_states.category).
    proc_id INTEGER, -- doc: P of the event that started the interval, NULL for none.
    thread_id INTEGER, -- doc: OS thread (M) of the event that started the interval, NULL for none.
    PRIMARY KEY (run_id, kind_id)
) WITHOUT ROWID;

CREATE TABLE goroutine_intervals ( -- doc: The stored rows behind the goroutine_states view: one per interval that a goroutine spent in one state, clustered by run, goroutine and time. Query goroutine_states instead.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: The goroutine (goroutines.goid).
    start_ns INTEGER NOT NULL, -- doc: Start of the interval.
    interval_id INTEGER NOT NULL, -- doc: Number of the interval within its run, in the order the ingest produced them (intervals moved from an older warehouse keep their old rowid): orders intervals of one goroutine that start at the same time.
    kind_id INTEGER NOT NULL, -- doc: Its state, reason, category, P and thread (goroutine_interval_kinds.kind_id).
    duration_ns INTEGER NOT NULL, -- doc: Length of the interval (end_ns - start_ns).
    stack_id INTEGER, -- doc: Stack of the transition into the state; NULL when the trace has none.
    waker_goid INTEGER, -- doc: For a waiting interval: the goroutine that made it runnable again, when the trace says so.
    waker_stack_id INTEGER, -- doc: For a waiting interval: the stack where the waker unblocked it, when the trace says so.
    PRIMARY KEY (run_id, goid, start_ns, interval_id)
) WITHOUT ROWID;

-- The move, for a warehouse that has intervals already: each run's combinations are numbered most frequent first
-- (the smallest codes take the fewest bytes), then the rows are copied in key order (the old index's order, which
-- ends with the rowid), so the new table is written front to back.
CREATE TEMP TABLE goroutine_interval_kinds_0007 AS
SELECT run_id, row_number() OVER (PARTITION BY run_id ORDER BY count(*) DESC, state, reason, category, proc_id,
                                               thread_id) - 1 AS kind_id,
       state, reason, category, proc_id, thread_id
FROM goroutine_states GROUP BY run_id, state, reason, category, proc_id, thread_id;
CREATE INDEX temp.goroutine_interval_kinds_0007_by_value
    ON goroutine_interval_kinds_0007 (run_id, state, reason, category, proc_id, thread_id);

INSERT INTO goroutine_interval_kinds (run_id, kind_id, state, reason, category, proc_id, thread_id)
SELECT run_id, kind_id, state, reason, category, proc_id, thread_id FROM goroutine_interval_kinds_0007;

INSERT INTO goroutine_intervals (run_id, goid, start_ns, interval_id, kind_id, duration_ns, stack_id, waker_goid,
                                 waker_stack_id)
SELECT s.run_id, s.goid, s.start_ns, s.rowid, k.kind_id, s.end_ns - s.start_ns, s.stack_id, s.waker_goid,
       s.waker_stack_id
FROM goroutine_states s CROSS JOIN goroutine_interval_kinds_0007 k
    ON k.run_id = s.run_id AND k.state = s.state AND k.reason = s.reason AND k.category = s.category
   AND k.proc_id IS s.proc_id AND k.thread_id IS s.thread_id
ORDER BY s.run_id, s.goid, s.start_ns, s.rowid;

DROP TABLE goroutine_interval_kinds_0007;
DROP TABLE goroutine_states;

-- The intervals drive the join (CROSS JOIN fixes the order in SQLite): a filter on run_id and goid reads only that
-- goroutine's intervals, in time order, and a filter on state or reason looks each interval's kind up (a small
-- table) instead of scanning the intervals once per matching kind.
CREATE VIEW goroutine_states AS -- doc: One row per interval that a goroutine spent in one state, with go tool trace's goroutine analysis semantics (goroutine_intervals with their kinds spelled out).
SELECT i.run_id AS run_id, -- doc: The run (runs.run_id).
       i.goid AS goid, -- doc: The goroutine (goroutines.goid).
       k.state AS state, -- doc: 'running', 'runnable', 'waiting', 'syscall', or 'syscall_blocked' (in a syscall after its P was taken away).
       k.reason AS reason, -- doc: The trace's block or stop reason, e.g. 'sync', 'chan receive', 'preempted'; '' where there is none.
       k.category AS category, -- doc: Finer cause from the reason and the stack: mutex, rwmutex, waitgroup, cond, semaphore, once, chan_send, chan_recv, select, sleep, network, syscall, gc, preempted, runtime, other; '' for running/runnable without a cause. mutex/rwmutex is the one definition of a lock wait that every report uses: reason 'sync' and a lock frame in the block stack (sync.(*Mutex).Lock/lockSlow, internal/sync.(*Mutex).Lock/lockSlow, sync.(*RWMutex).Lock/RLock, sync.(*rlocker).Lock), rwmutex when the stack goes through sync.(*RWMutex) or sync.(*rlocker).Lock; so the lock Cond.Wait or Once.Do takes again is mutex. Other waits: the outermost sync primitive of the stack, else by reason.
       i.start_ns AS start_ns, -- doc: Start of the interval.
       i.start_ns + i.duration_ns AS end_ns, -- doc: End of the interval (an interval still open at the end of the trace closes at the last event).
       i.duration_ns AS duration_ns, -- doc: end_ns - start_ns.
       i.stack_id AS stack_id, -- doc: Stack of the transition into the state (for waiting: where it blocked); NULL when the trace has none.
       k.proc_id AS proc_id, -- doc: P of the event that started the interval, NULL for none.
       k.thread_id AS thread_id, -- doc: OS thread (M) of the event that started the interval, NULL for none.
       i.waker_goid AS waker_goid, -- doc: For a waiting interval: the goroutine that made it runnable again, when the trace says so.
       i.waker_stack_id AS waker_stack_id, -- doc: For a waiting interval: the stack where the waker unblocked it, when the trace says so.
       i.interval_id AS interval_id -- doc: Number of the interval within its run (with run_id, it identifies the interval): a goroutine's intervals that start at the same time are in interval_id order, the order they ended in. Intervals ingested before schema version 7 keep the rowid they had.
FROM goroutine_intervals i CROSS JOIN goroutine_interval_kinds k ON k.run_id = i.run_id AND k.kind_id = i.kind_id;

-- Same view as in 0001, with interval_id now read from goroutine_states (a view has no rowid).
DROP VIEW goroutine_state_frames;
CREATE VIEW goroutine_state_frames AS -- doc: Each goroutine state interval with the top user frame of its stack and the goroutine's entry function.
SELECT s.interval_id AS interval_id, -- doc: The interval (goroutine_states.interval_id; unique within the run).
       s.run_id AS run_id, -- doc: The run (runs.run_id).
       s.goid AS goid, -- doc: The goroutine.
       g.start_function AS start_function, -- doc: The goroutine's entry function.
       g.is_system AS is_system, -- doc: 1 for a runtime goroutine.
       s.state AS state, -- doc: The state (see goroutine_states.state).
       s.reason AS reason, -- doc: The block or stop reason.
       s.category AS category, -- doc: The finer cause (see goroutine_states.category).
       s.start_ns AS start_ns, -- doc: Start of the interval.
       s.end_ns AS end_ns, -- doc: End of the interval.
       s.duration_ns AS duration_ns, -- doc: Length of the interval.
       s.stack_id AS stack_id, -- doc: Stack of the transition into the state.
       uf.function AS user_function, -- doc: Innermost frame of the stack outside the standard library ('' if none).
       uf.file AS user_file, -- doc: Source file of user_function.
       uf.line AS user_line, -- doc: Source line of user_function.
       lf.function AS leaf_function -- doc: Innermost frame of the stack.
FROM goroutine_states s
LEFT JOIN goroutines g ON g.run_id = s.run_id AND g.goid = s.goid
LEFT JOIN stacks st ON st.run_id = s.run_id AND st.stack_id = s.stack_id
LEFT JOIN frames uf ON uf.run_id = s.run_id AND uf.frame_id = st.user_frame_id
LEFT JOIN frames lf ON lf.run_id = s.run_id AND lf.frame_id = st.leaf_frame_id;

-- section: indexes
-- goroutine_intervals' primary key is that index now.
DROP INDEX IF EXISTS goroutine_states_by_goid;
