-- traceware warehouse schema, migration 0001: the core tables.
--
-- Migrations are only ever appended (0002_*.sql, ...); a released file is never edited.
-- Doc comments are machine-read by `traceware schema`:
--   * `-- doc: TEXT` at the end of a CREATE TABLE / CREATE VIEW line documents the table or view;
--   * `-- doc: TEXT` at the end of a column line documents that column (for views: the line that ends in
--     `AS column_name,`).
-- Everything after the line `-- section: indexes` is index DDL. The ingest drops those indexes before a
-- bulk load into an empty warehouse and (re)creates them after the load, in the same transaction.
--
-- Timestamps (*_ns) are nanoseconds since the run's start (runs.clock_origin); durations are nanoseconds.
-- Ids from the trace (goid, proc_id, thread_id, task_id) are the trace's own; stack_id and frame_id are
-- the warehouse's, interned per run (equal stacks get one id).

CREATE TABLE runs ( -- doc: One row per ingested trace file.
    run_id INTEGER PRIMARY KEY, -- doc: Warehouse id of the run.
    label TEXT NOT NULL DEFAULT '', -- doc: Free-form label given at ingest (--label).
    build TEXT NOT NULL DEFAULT '', -- doc: Build identifier given at ingest (--build), e.g. a version or git sha.
    trace_version TEXT NOT NULL, -- doc: Trace format version as Go names it, e.g. 'go1.26'.
    source_path TEXT NOT NULL, -- doc: Path of the trace file as given at ingest.
    source_sha256 TEXT NOT NULL UNIQUE, -- doc: SHA-256 of the trace file (lower-case hex); a second ingest of the same file is refused.
    source_bytes INTEGER NOT NULL, -- doc: Size of the trace file in bytes.
    event_count INTEGER NOT NULL DEFAULT 0, -- doc: Number of events the reader produced.
    generation_count INTEGER NOT NULL DEFAULT 0, -- doc: Number of trace generations read.
    goroutine_count INTEGER NOT NULL DEFAULT 0, -- doc: Number of goroutines seen (rows in goroutines).
    start_ns INTEGER NOT NULL DEFAULT 0, -- doc: Start of the run: always 0, the origin of every *_ns column.
    end_ns INTEGER NOT NULL DEFAULT 0, -- doc: Time of the last event.
    duration_ns INTEGER GENERATED ALWAYS AS (end_ns - start_ns) VIRTUAL, -- doc: end_ns - start_ns.
    clock_origin INTEGER NOT NULL DEFAULT 0, -- doc: The trace clock value (Go's trace.Time, ns) at start_ns: the first event's timestamp. Pre-1.22 traces: the first after the Sync that Go's reader puts at Time -1, so that Sync (where goroutines that existed before tracing started are created, as in Go's Summarizer) is at -(clock_origin + 1).
    wall_clock_start_ns INTEGER, -- doc: Unix time in ns at start_ns, when the trace carries a wall-clock snapshot (Go 1.25+); NULL otherwise.
    truncated INTEGER NOT NULL DEFAULT 0, -- doc: 1 when the trace was cut short or damaged and only its complete generations were ingested.
    lost_bytes INTEGER NOT NULL DEFAULT 0, -- doc: Bytes of the trace file not ingested because of truncation or damage: the first source_bytes - lost_bytes bytes are a complete trace that Go reads without error to event_count events (for traces before Go 1.26 cut inside their first generation, that is the header alone, which Go reads to its one Sync event and then reports 'no frequency event found'). On a damaged trace the run keeps the events up to the last Sync event before the error, as cmd/trace does.
    lost_start_ns INTEGER, -- doc: Start of the time range lost to truncation (the end of the last good generation); NULL when nothing was lost.
    lost_end_ns INTEGER, -- doc: End of the time range lost to truncation, when known; NULL otherwise.
    ingested_at TEXT NOT NULL, -- doc: When the ingest committed, UTC, ISO 8601.
    ingest_duration_ns INTEGER NOT NULL DEFAULT 0, -- doc: Wall time the ingest took.
    traceware_version TEXT NOT NULL DEFAULT '' -- doc: Version of traceware that ingested the run.
);

CREATE TABLE run_tags ( -- doc: Free-form build metadata of a run (--tag KEY=VALUE): git sha, branch, host, GOMAXPROCS, ...
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    key TEXT NOT NULL, -- doc: Tag name.
    value TEXT NOT NULL, -- doc: Tag value.
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE ingest_issues ( -- doc: Non-fatal problems met while ingesting a run (truncation, damage, oddities), one row each. A trace that holds no events beyond its Sync event (a file that is only a header, which Go reads as one Sync without error, or a trace cut or damaged inside its first generation) is kept as an empty run with 0 goroutines and a 'warning' row saying so.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    severity TEXT NOT NULL, -- doc: 'info', 'warning' or 'error' (an error stopped the reading; what came before it was kept).
    byte_offset INTEGER, -- doc: Offset in the trace file where the problem was found, when known.
    generation INTEGER, -- doc: Trace generation number concerned, when known.
    ts_ns INTEGER, -- doc: Time of the problem, when known.
    message TEXT NOT NULL -- doc: What is wrong, in one line.
);

CREATE TABLE frames ( -- doc: Distinct stack frames of a run (interned: stacks refer to them by frame_id).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    frame_id INTEGER NOT NULL, -- doc: Warehouse id of the frame, unique within the run.
    pc INTEGER NOT NULL, -- doc: Program counter of the frame.
    function TEXT NOT NULL, -- doc: Fully qualified function name, e.g. 'main.worker' or 'sync.(*Mutex).Lock'.
    file TEXT NOT NULL, -- doc: Source file path.
    line INTEGER NOT NULL, -- doc: Source line.
    PRIMARY KEY (run_id, frame_id)
) WITHOUT ROWID;

CREATE TABLE stacks ( -- doc: Distinct call stacks of a run (interned: equal frame lists get one stack_id).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    stack_id INTEGER NOT NULL, -- doc: Warehouse id of the stack, unique within the run; referenced by every *stack_id column.
    depth INTEGER NOT NULL, -- doc: Number of frames.
    leaf_frame_id INTEGER, -- doc: The innermost frame (frames.frame_id), NULL for an empty stack.
    user_frame_id INTEGER, -- doc: The innermost frame outside the standard library, NULL if none: a frame whose file is outside the GOROOT that the runtime's own frames show; in a -trimpath build (GOROOT-relative files), one in the main package's module or, failing that, whose package path's first element has a dot (or is main).
    root_frame_id INTEGER, -- doc: The outermost frame: the goroutine's entry function.
    PRIMARY KEY (run_id, stack_id)
) WITHOUT ROWID;

CREATE TABLE stack_frame_refs ( -- doc: The frames of each stack, in order.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    stack_id INTEGER NOT NULL, -- doc: The stack (stacks.stack_id).
    depth INTEGER NOT NULL, -- doc: Position in the stack: 0 is the innermost (leaf) frame.
    frame_id INTEGER NOT NULL, -- doc: The frame (frames.frame_id).
    PRIMARY KEY (run_id, stack_id, depth)
) WITHOUT ROWID;

CREATE TABLE goroutines ( -- doc: One row per goroutine seen in the run.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: Goroutine id from the trace.
    parent_goid INTEGER, -- doc: The goroutine that created it, when the trace shows the creation; NULL otherwise.
    start_function TEXT NOT NULL DEFAULT '', -- doc: Root frame of its stacks, the entry function: what `go tool trace` groups goroutines by ('' if no stack was seen).
    start_pc INTEGER, -- doc: PC of the first root frame seen.
    is_system INTEGER NOT NULL DEFAULT 0, -- doc: 1 for a runtime goroutine, by Go's rule: entry function in runtime.* other than runtime.main.
    created_ns INTEGER NOT NULL, -- doc: Creation time, or the time of the generation's sync for a goroutine that existed when tracing started.
    started_ns INTEGER, -- doc: First time it ran; NULL if it never ran.
    ended_ns INTEGER, -- doc: When it exited or blocked forever; NULL if it outlived the trace.
    create_stack_id INTEGER -- doc: Stack of the go statement that created it, when known.
);

CREATE TABLE goroutine_states ( -- doc: One row per interval that a goroutine spent in one state, with go tool trace's goroutine analysis semantics.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: The goroutine (goroutines.goid).
    state TEXT NOT NULL, -- doc: 'running', 'runnable', 'waiting', 'syscall', or 'syscall_blocked' (in a syscall after its P was taken away).
    reason TEXT NOT NULL DEFAULT '', -- doc: The trace's block or stop reason, e.g. 'sync', 'chan receive', 'preempted'; '' where there is none.
    category TEXT NOT NULL DEFAULT '', -- doc: Finer cause from the reason and the stack: mutex, rwmutex, waitgroup, cond, semaphore, once, chan_send, chan_recv, select, sleep, network, syscall, gc, preempted, runtime, other; '' for running/runnable without a cause.
    start_ns INTEGER NOT NULL, -- doc: Start of the interval.
    end_ns INTEGER NOT NULL, -- doc: End of the interval (an interval still open at the end of the trace closes at the last event).
    duration_ns INTEGER GENERATED ALWAYS AS (end_ns - start_ns) VIRTUAL, -- doc: end_ns - start_ns.
    stack_id INTEGER, -- doc: Stack of the transition into the state (for waiting: where it blocked); NULL when the trace has none.
    proc_id INTEGER, -- doc: P of the event that started the interval, NULL for none.
    thread_id INTEGER, -- doc: OS thread (M) of the event that started the interval, NULL for none.
    waker_goid INTEGER, -- doc: For a waiting interval: the goroutine that made it runnable again, when the trace says so.
    waker_stack_id INTEGER -- doc: For a waiting interval: the stack where the waker unblocked it, when the trace says so.
);

CREATE TABLE procs ( -- doc: One row per P (logical processor) seen in the run.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    proc_id INTEGER NOT NULL, -- doc: P id from the trace.
    first_ns INTEGER NOT NULL, -- doc: First time the P appears.
    last_ns INTEGER NOT NULL, -- doc: Last time the P appears.
    PRIMARY KEY (run_id, proc_id)
) WITHOUT ROWID;

CREATE TABLE proc_states ( -- doc: One row per interval that a P spent in one state.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    proc_id INTEGER NOT NULL, -- doc: The P (procs.proc_id).
    state TEXT NOT NULL, -- doc: 'running' or 'idle'.
    start_ns INTEGER NOT NULL, -- doc: Start of the interval.
    end_ns INTEGER NOT NULL, -- doc: End of the interval.
    duration_ns INTEGER GENERATED ALWAYS AS (end_ns - start_ns) VIRTUAL, -- doc: end_ns - start_ns.
    thread_id INTEGER -- doc: OS thread (M) holding the P while running, when known.
);

CREATE TABLE threads ( -- doc: One row per OS thread (M) seen in the run.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    thread_id INTEGER NOT NULL, -- doc: Thread id from the trace.
    first_ns INTEGER NOT NULL, -- doc: First time the thread appears.
    last_ns INTEGER NOT NULL, -- doc: Last time the thread appears.
    PRIMARY KEY (run_id, thread_id)
) WITHOUT ROWID;

CREATE TABLE gc_cycles ( -- doc: One row per garbage collection (the 'GC concurrent mark phase' range).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    seq INTEGER NOT NULL, -- doc: Ordinal of the cycle within the run, from 1.
    start_ns INTEGER NOT NULL, -- doc: Start of the cycle (NULL-free: a cycle already running at the start begins at the first sync).
    end_ns INTEGER NOT NULL, -- doc: End of the cycle (an unfinished cycle ends at the last event).
    duration_ns INTEGER GENERATED ALWAYS AS (end_ns - start_ns) VIRTUAL, -- doc: end_ns - start_ns.
    complete INTEGER NOT NULL DEFAULT 1, -- doc: 0 when the trace shows only part of the cycle.
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE stw_pauses ( -- doc: One row per stop-the-world pause.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    reason TEXT NOT NULL, -- doc: Why the world stopped, as the trace says, e.g. 'GC mark termination'.
    start_ns INTEGER NOT NULL, -- doc: Start of the pause.
    end_ns INTEGER NOT NULL, -- doc: End of the pause.
    duration_ns INTEGER GENERATED ALWAYS AS (end_ns - start_ns) VIRTUAL, -- doc: end_ns - start_ns.
    goid INTEGER -- doc: The goroutine that stopped the world, when known.
);

CREATE TABLE ranges ( -- doc: Runtime ranges other than GC cycles and STW pauses: mark assist, sweep, and the like.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    scope TEXT NOT NULL, -- doc: What the range belongs to: 'goroutine', 'proc', 'thread' or 'global'.
    scope_id INTEGER, -- doc: Id of the goroutine, P or thread; NULL for global ranges.
    name TEXT NOT NULL, -- doc: Range name as the trace says, e.g. 'GC mark assist', 'GC incremental sweep'.
    start_ns INTEGER NOT NULL, -- doc: Start (a range already active at a sync starts there).
    end_ns INTEGER NOT NULL, -- doc: End (an unfinished range ends at the last event).
    duration_ns INTEGER GENERATED ALWAYS AS (end_ns - start_ns) VIRTUAL, -- doc: end_ns - start_ns.
    goid INTEGER, -- doc: Goroutine current when the range began, when known.
    start_stack_id INTEGER, -- doc: Stack at the beginning of the range, when known.
    complete INTEGER NOT NULL DEFAULT 1 -- doc: 0 when the trace shows only part of the range.
);

CREATE TABLE metrics ( -- doc: Samples of runtime metrics: heap size, heap goal, GOMAXPROCS, and so on.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    ts_ns INTEGER NOT NULL, -- doc: Time of the sample.
    name TEXT NOT NULL, -- doc: Metric name as Go names it, e.g. '/memory/classes/heap/objects:bytes', '/gc/heap/goal:bytes', '/sched/gomaxprocs:threads'.
    value NUMERIC NOT NULL -- doc: The value (an integer for Go's uint64 metrics).
);

CREATE TABLE tasks ( -- doc: runtime/trace tasks (trace.NewTask).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    task_id INTEGER NOT NULL, -- doc: Task id from the trace.
    parent_task_id INTEGER, -- doc: Parent task, NULL for none.
    name TEXT NOT NULL DEFAULT '', -- doc: Task type name given to trace.NewTask.
    start_ns INTEGER, -- doc: When the task began; NULL if it began before the trace.
    end_ns INTEGER, -- doc: When the task ended; NULL if it had not ended by the end of the trace.
    duration_ns INTEGER GENERATED ALWAYS AS (end_ns - start_ns) VIRTUAL, -- doc: end_ns - start_ns; NULL unless both are known.
    start_goid INTEGER, -- doc: Goroutine that began the task.
    end_goid INTEGER, -- doc: Goroutine that ended the task.
    start_stack_id INTEGER, -- doc: Stack where the task began.
    end_stack_id INTEGER, -- doc: Stack where the task ended.
    PRIMARY KEY (run_id, task_id)
) WITHOUT ROWID;

CREATE TABLE regions ( -- doc: runtime/trace regions (trace.WithRegion / StartRegion), one row per region instance.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: Goroutine the region ran on.
    task_id INTEGER, -- doc: Task the region belongs to; NULL for the background task.
    name TEXT NOT NULL, -- doc: Region type name.
    depth INTEGER NOT NULL DEFAULT 0, -- doc: Nesting depth on its goroutine, 0 for an outermost region.
    start_ns INTEGER, -- doc: When the region began; NULL if it began before the trace.
    end_ns INTEGER, -- doc: When it ended; NULL if it had not ended by the end of the trace.
    duration_ns INTEGER GENERATED ALWAYS AS (end_ns - start_ns) VIRTUAL, -- doc: end_ns - start_ns; NULL unless both are known.
    start_stack_id INTEGER, -- doc: Stack where the region began.
    end_stack_id INTEGER -- doc: Stack where the region ended.
);

CREATE TABLE logs ( -- doc: runtime/trace log messages (trace.Log / Logf).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    ts_ns INTEGER NOT NULL, -- doc: Time of the message.
    goid INTEGER, -- doc: Goroutine that logged it.
    task_id INTEGER, -- doc: Task it was logged under; NULL for the background task.
    category TEXT NOT NULL DEFAULT '', -- doc: The message's category.
    message TEXT NOT NULL, -- doc: The message.
    stack_id INTEGER -- doc: Stack where it was logged.
);

CREATE TABLE cpu_samples ( -- doc: CPU profile samples carried in the trace (when the CPU profiler ran during tracing).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    ts_ns INTEGER NOT NULL, -- doc: Time of the sample.
    goid INTEGER, -- doc: Goroutine running, NULL for none.
    proc_id INTEGER, -- doc: P, NULL for none.
    thread_id INTEGER, -- doc: OS thread (M), NULL for none.
    stack_id INTEGER -- doc: The sampled stack.
);

CREATE VIEW stack_frames AS -- doc: Every frame of every stack, with its function, file and line (stacks joined to frames).
SELECT r.run_id AS run_id, -- doc: The run (runs.run_id).
       r.stack_id AS stack_id, -- doc: The stack (stacks.stack_id).
       r.depth AS depth, -- doc: Position in the stack: 0 is the innermost (leaf) frame.
       f.function AS function, -- doc: Fully qualified function name.
       f.file AS file, -- doc: Source file path.
       f.line AS line, -- doc: Source line.
       f.pc AS pc -- doc: Program counter.
FROM stack_frame_refs r JOIN frames f ON f.run_id = r.run_id AND f.frame_id = r.frame_id;

CREATE VIEW goroutine_state_frames AS -- doc: Each goroutine state interval with the top user frame of its stack and the goroutine's entry function.
SELECT s.rowid AS interval_id, -- doc: Row id of the interval in goroutine_states.
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

CREATE VIEW state_totals AS -- doc: Total time per run, state and reason: the figures of go tool trace's goroutine analysis.
SELECT run_id AS run_id, -- doc: The run (runs.run_id).
       state AS state, -- doc: The state.
       reason AS reason, -- doc: The block or stop reason.
       count(*) AS intervals, -- doc: Number of intervals.
       sum(duration_ns) AS total_ns -- doc: Total time in ns.
FROM goroutine_states GROUP BY run_id, state, reason;

CREATE VIEW goroutine_totals AS -- doc: Time per goroutine and state, with the goroutine's entry function.
SELECT s.run_id AS run_id, -- doc: The run (runs.run_id).
       s.goid AS goid, -- doc: The goroutine.
       g.start_function AS start_function, -- doc: The goroutine's entry function.
       s.state AS state, -- doc: The state.
       s.category AS category, -- doc: The finer cause.
       count(*) AS intervals, -- doc: Number of intervals.
       sum(s.duration_ns) AS total_ns -- doc: Total time in ns.
FROM goroutine_states s LEFT JOIN goroutines g ON g.run_id = s.run_id AND g.goid = s.goid
GROUP BY s.run_id, s.goid, s.state, s.category;

-- section: indexes
CREATE UNIQUE INDEX IF NOT EXISTS goroutines_by_goid ON goroutines (run_id, goid);
CREATE INDEX IF NOT EXISTS goroutine_states_by_goid ON goroutine_states (run_id, goid, start_ns);
CREATE INDEX IF NOT EXISTS stack_frame_refs_by_frame ON stack_frame_refs (run_id, frame_id);
CREATE INDEX IF NOT EXISTS proc_states_by_proc ON proc_states (run_id, proc_id, start_ns);
CREATE INDEX IF NOT EXISTS stw_pauses_by_run ON stw_pauses (run_id, start_ns);
CREATE INDEX IF NOT EXISTS ranges_by_name ON ranges (run_id, name, start_ns);
CREATE INDEX IF NOT EXISTS metrics_by_name ON metrics (run_id, name, ts_ns);
CREATE INDEX IF NOT EXISTS regions_by_goid ON regions (run_id, goid, start_ns);
CREATE INDEX IF NOT EXISTS logs_by_time ON logs (run_id, ts_ns);
CREATE INDEX IF NOT EXISTS cpu_samples_by_time ON cpu_samples (run_id, ts_ns);
CREATE INDEX IF NOT EXISTS ingest_issues_by_run ON ingest_issues (run_id);
