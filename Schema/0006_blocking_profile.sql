-- traceware warehouse schema, migration 0006: the blocking profile, computed at ingest.
--
-- The rows behind `go tool trace -pprof=sync|net|syscall|sched`, totalled per (kind, category, stack) while the
-- trace is read (Sources/Warehouse/Ingest/BlockingProfile.swift, a port of cmd/trace/pprof.go), so that
-- blocking-stacks and syscalls read a few hundred rows instead of windowing every goroutine_states row
-- (21.6 s on a 35 MB trace before).
--
-- Runs ingested before this migration get their rows here, from goroutine_states with the rules the
-- blocking-stacks report applied until then. Two things only the trace has are missing from those rows: a
-- wake-up made from outside any goroutine (G=-1) carrying a stack was stored without it (its sched time is on
-- the empty stack), and a stack of frames that all have PC 0 is put with the empty stack (NULL) whichever of
-- the two Go saw last. Ingest the trace again (--replace) for Go's exact rows.
--
-- Also from this version on (no schema change): a goroutine made runnable from outside any goroutine (G=-1) by
-- an event that carries a stack (e.g. runtime.goexit1 under testing/synctest) has that stack as the runnable
-- interval's goroutine_states.stack_id and as the ended wait's waker_stack_id (waker_goid stays NULL).

CREATE TABLE blocking_profile ( -- doc: Where goroutines waited, per run, kind, category and stack: the samples of go tool trace -pprof=sync|net|syscall|sched, totalled at ingest. All goroutines count (system ones too). Go's rules: an interval counts only once it ends (one still open at the end of the trace does not), clipped to the goroutine's [first run, exit or end of trace]; intervals that clip to nothing are left out.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    kind TEXT NOT NULL, -- doc: 'sync': waiting with a reason that contains 'chan', 'sync' or 'select' (channels, select, Mutex, RWMutex, WaitGroup, Cond, semaphores); 'net': waiting with reason 'network'; 'syscall': in a system call, from entering it to leaving it (syscall and syscall_blocked of goroutine_states together); 'sched': runnable, waiting for a P.
    category TEXT NOT NULL, -- doc: For sync and net: the finer cause, as goroutine_states.category (mutex, rwmutex, waitgroup, cond, chan_send, ...); for syscall: 'syscall'; for sched: 'woken' when another goroutine (or the runtime, outside any goroutine) made it runnable, else the stop reason ('preempted', ...), or 'runnable' where there is none.
    stack_id INTEGER, -- doc: The stack Go's profile counts the time under (stacks.stack_id): where it blocked, where it entered the syscall; for sched, the stack of the event that made it runnable (its own when preempted or yielding, the waker's when woken). NULL: no stack. Go quirk: Go keys stacks by their first 128 PCs padded with zeros, so stacks equal there are one row, and a stack of PC-0 frames is the empty stack; the row's stack is the one Go saw last.
    count INTEGER NOT NULL, -- doc: Number of intervals (Go's sample count).
    total_ns INTEGER NOT NULL, -- doc: Their time, clipped as above (Go's sample value).
    blocked_ns INTEGER NOT NULL DEFAULT 0 -- doc: For syscall: the part of total_ns after the goroutine's P was taken away (as goroutine_states' syscall_blocked); 0 for the other kinds.
);

INSERT INTO blocking_profile (run_id, kind, category, stack_id, count, total_ns, blocked_ns)
WITH
-- A runnable interval right after a wait that ended when it began: the wake-up began it.
sched AS (
    SELECT * FROM (
        SELECT s.run_id, s.goid, s.state, s.reason, s.start_ns, s.end_ns, s.stack_id,
            lag(s.state) OVER w = 'waiting' AND lag(s.end_ns) OVER w = s.start_ns AS woken,
            lag(s.waker_stack_id) OVER w AS waker_stack_id
        FROM goroutine_states s
        WINDOW w AS (PARTITION BY s.run_id, s.goid ORDER BY s.start_ns, s.rowid)
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
        run_id, goid, state, reason, category, start_ns, end_ns, stack_id
    FROM goroutine_states
    WHERE state IN ('waiting', 'syscall', 'syscall_blocked')
),
-- A syscall split into syscall + syscall_blocked is one interval for Go.
merged AS (
    SELECT kind, run_id, goid, start_ns, end_ns, stack_id, category, NULL AS blocked_from FROM raw
    WHERE kind IN ('sync', 'net')
    UNION ALL
    SELECT 'sched', run_id, goid, start_ns, end_ns,
        CASE WHEN woken THEN waker_stack_id ELSE stack_id END,
        CASE WHEN woken THEN 'woken' WHEN reason <> '' THEN reason ELSE 'runnable' END, NULL
    FROM sched
    UNION ALL
    SELECT 'syscall', run_id, goid, min(start_ns), max(end_ns), max(stack_id), 'syscall',
        min(CASE WHEN state = 'syscall_blocked' THEN start_ns END)
    FROM (
        SELECT r.*, sum(CASE WHEN r.state = 'syscall' THEN 1 ELSE 0 END)
                        OVER (PARTITION BY r.run_id, r.goid ORDER BY r.start_ns, r.state) AS n
        FROM raw r WHERE r.kind = 'syscall'
    ) GROUP BY run_id, goid, n
    -- Blocked time before the first syscall row: a syscall already under way at the trace's start, which
    -- Go's profile counts from the event that names it.
    HAVING sum(state = 'syscall') > 0
),
clipped AS (
    SELECT m.run_id, m.kind, m.category, m.stack_id, m.end_ns, m.blocked_from, g.ended_ns, r.end_ns AS run_end,
        -- Go's window for the goroutine: [first run, end or trace end]; never ran: no lower bound.
        max(m.start_ns, coalesce(g.started_ns, m.start_ns)) AS lo,
        min(m.end_ns, coalesce(g.ended_ns, r.end_ns)) AS hi
    FROM merged m
    JOIN goroutines g ON g.run_id = m.run_id AND g.goid = m.goid
    JOIN runs r ON r.run_id = m.run_id
),
-- Go quirk: stacks keyed by their PCs padded with zeros, so a stack of PC-0 frames is the empty stack.
zero_stacks AS (
    SELECT s.run_id, s.stack_id FROM stacks s
    WHERE NOT EXISTS (
        SELECT 1 FROM stack_frame_refs sr JOIN frames f ON f.run_id = sr.run_id AND f.frame_id = sr.frame_id
        WHERE sr.run_id = s.run_id AND sr.stack_id = s.stack_id AND f.pc <> 0)
),
counted AS (
    SELECT c.run_id, c.kind, c.category, CASE WHEN z.stack_id IS NULL THEN c.stack_id END AS stack_id,
        c.hi - c.lo AS ns,
        CASE WHEN c.blocked_from IS NULL THEN 0 ELSE max(0, c.hi - max(c.blocked_from, c.lo)) END AS blocked_ns
    FROM clipped c LEFT JOIN zero_stacks z ON z.run_id = c.run_id AND z.stack_id = c.stack_id
    -- Open at the end of the trace (Go counts an interval only when it ends): the goroutine did not end then.
    WHERE NOT (c.end_ns >= c.run_end AND (c.ended_ns IS NULL OR c.ended_ns > c.end_ns))
)
SELECT run_id, kind, category, stack_id, count(*), sum(ns), sum(blocked_ns)
FROM counted WHERE ns > 0
GROUP BY run_id, kind, category, stack_id;

-- section: indexes
CREATE INDEX IF NOT EXISTS blocking_profile_by_kind ON blocking_profile (run_id, kind, total_ns);
