-- traceware warehouse schema, migration 0005: what the goroutine reports ask, computed once at ingest.
--
-- goroutine-analysis, latency-breakdown, mutex-share, sched-latency and compare's metrics used to scan
-- goroutine_states (millions of rows for a busy run) and rank them with window functions on every call. The
-- ingest now sums the same intervals as it writes them (Sources/Warehouse/Ingest/GoroutineSummaries.swift), into
-- the small tables below, and the reports read those. goroutine_states stays, for ad-hoc SQL; every figure here
-- equals the corresponding sum over goroutine_states.
--
-- One definition of a mutex wait: goroutine_states.category is 'mutex' or 'rwmutex' exactly when the interval
-- is a wait with reason 'sync' whose block stack has a lock frame (sync.(*Mutex).Lock/lockSlow,
-- internal/sync.(*Mutex).Lock/lockSlow, sync.(*RWMutex).Lock/RLock, sync.(*rlocker).Lock); 'rwmutex' when a frame
-- of the stack belongs to sync.(*RWMutex) or is sync.(*rlocker).Lock. Before 0005 the category was the outermost
-- sync primitive of the stack, so the lock that Cond.Wait or Once.Do takes was 'cond' / 'once' there and 'mutex'
-- in mutex-share. Runs ingested before 0005 are re-categorized below by the same rule, then summed into the new
-- tables from their goroutine_states, so an upgraded warehouse answers as a fresh ingest would.
--
-- doc-update: goroutine_states.category: Finer cause from the reason and the stack: mutex, rwmutex, waitgroup, cond, semaphore, once, chan_send, chan_recv, select, sleep, network, syscall, gc, preempted, runtime, other; '' for running/runnable without a cause. mutex/rwmutex is the one definition of a lock wait that every report uses: reason 'sync' and a lock frame in the block stack (sync.(*Mutex).Lock/lockSlow, internal/sync.(*Mutex).Lock/lockSlow, sync.(*RWMutex).Lock/RLock, sync.(*rlocker).Lock), rwmutex when the stack goes through sync.(*RWMutex) or sync.(*rlocker).Lock; so the lock Cond.Wait or Once.Do takes again is mutex. Other waits: the outermost sync primitive of the stack, else by reason.

CREATE TABLE goroutine_summaries ( -- doc: One row per goroutine: Go's Summarizer figures for it (internal/trace GoroutineExecStats), summed at ingest from its goroutine_states intervals.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: The goroutine (goroutines.goid).
    start_function TEXT NOT NULL, -- doc: Its entry function, as goroutines.start_function (copied: the reports group by it).
    is_system INTEGER NOT NULL, -- doc: As goroutines.is_system: 1 for a runtime goroutine.
    total_ns INTEGER NOT NULL, -- doc: Go's TotalTime: creation (or the sync where it was first seen) to its end (exit or a 'forever' block), or to the end of the run.
    exec_ns INTEGER NOT NULL, -- doc: Go's ExecTime: time running (state 'running').
    sched_wait_ns INTEGER NOT NULL, -- doc: Go's SchedWaitTime: time runnable (state 'runnable', every reason).
    block_ns INTEGER NOT NULL, -- doc: Time waiting, every reason (the sum of Go's BlockTimeByReason; goroutine_state_totals splits it).
    syscall_ns INTEGER NOT NULL, -- doc: Go's SyscallTime: in a syscall with its P (state 'syscall').
    syscall_block_ns INTEGER NOT NULL, -- doc: Go's SyscallBlockTime: in a syscall after its P was taken (state 'syscall_blocked').
    unknown_ns INTEGER NOT NULL, -- doc: Go's UnknownTime: total_ns minus all of the above, never negative.
    PRIMARY KEY (run_id, goid)
) WITHOUT ROWID;

CREATE TABLE goroutine_state_totals ( -- doc: Time per goroutine, state, reason and category: its goroutine_states rows summed at ingest.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: The goroutine (goroutines.goid).
    state TEXT NOT NULL, -- doc: As goroutine_states.state.
    reason TEXT NOT NULL, -- doc: As goroutine_states.reason.
    category TEXT NOT NULL, -- doc: As goroutine_states.category (mutex/rwmutex: the lock-wait rule).
    intervals INTEGER NOT NULL, -- doc: Number of goroutine_states rows.
    total_ns INTEGER NOT NULL, -- doc: Their summed duration_ns.
    PRIMARY KEY (run_id, goid, state, reason, category)
) WITHOUT ROWID;

CREATE TABLE goroutine_group_totals ( -- doc: Time per goroutine group (start function), state, reason and category: goroutine_state_totals summed over the group's goroutines, so a run-wide figure reads a few rows.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    start_function TEXT NOT NULL, -- doc: The group: goroutines.start_function ('' for goroutines without a stack).
    is_system INTEGER NOT NULL, -- doc: 1 for a group of runtime goroutines (goroutines.is_system).
    state TEXT NOT NULL, -- doc: As goroutine_states.state.
    reason TEXT NOT NULL, -- doc: As goroutine_states.reason.
    category TEXT NOT NULL, -- doc: As goroutine_states.category.
    intervals INTEGER NOT NULL, -- doc: Number of goroutine_states rows.
    total_ns INTEGER NOT NULL, -- doc: Their summed duration_ns.
    PRIMARY KEY (run_id, start_function, state, reason, category)
) WITHOUT ROWID;

CREATE TABLE goroutine_range_totals ( -- doc: Time per goroutine inside each runtime range (Go's RangeTime): its goroutine ranges (e.g. 'GC mark assist'), its stop-the-world pauses ('stop-the-world (REASON)') and the P ranges begun on it (e.g. 'GC incremental sweep'), clipped to its life. Ranges overlap the state times.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: The goroutine (goroutines.goid).
    name TEXT NOT NULL, -- doc: Range name, as Go names it ('stop-the-world (REASON)' for stw_pauses).
    total_ns INTEGER NOT NULL, -- doc: Time inside ranges of that name.
    PRIMARY KEY (run_id, goid, name)
) WITHOUT ROWID;

CREATE TABLE sched_wait_histogram ( -- doc: Every runnable wait of a run as an exact histogram per goroutine group: how many waits of each duration. Any percentile is exact from it (nearest rank: the smallest duration_ns whose cumulative waits reach ceil(p * total / 100)). Trace clocks tick coarsely, so durations repeat and the rows are few.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    start_function TEXT NOT NULL, -- doc: The group: goroutines.start_function of the goroutine that waited.
    duration_ns INTEGER NOT NULL, -- doc: Length of the wait: a goroutine_states row in state 'runnable' (the row Go's Summarizer quirk adds for a syscall still blocked at the end, reason 'syscall blocked at trace end', is not a wait and is left out).
    waits INTEGER NOT NULL, -- doc: Number of waits of exactly that length.
    PRIMARY KEY (run_id, start_function, duration_ns)
) WITHOUT ROWID;

CREATE TABLE lock_waits_by_stack ( -- doc: Lock waits (goroutine_states.category 'mutex' or 'rwmutex') per goroutine group and block stack: where goroutines waited for a lock.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    start_function TEXT NOT NULL, -- doc: The group: goroutines.start_function of the goroutine that waited.
    stack_id INTEGER NOT NULL, -- doc: The block stack (stacks.stack_id).
    category TEXT NOT NULL, -- doc: 'mutex' or 'rwmutex' (the stack decides).
    intervals INTEGER NOT NULL, -- doc: Number of waits.
    total_ns INTEGER NOT NULL, -- doc: Their summed duration_ns.
    PRIMARY KEY (run_id, start_function, stack_id)
) WITHOUT ROWID;

CREATE TABLE goroutine_groups ( -- doc: One row per goroutine group (start function, go tool trace's goroutine analysis): goroutine_summaries summed over the group, with the percentiles of their total time, computed at ingest.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    start_function TEXT NOT NULL, -- doc: The group: goroutines.start_function ('' for goroutines without a stack).
    is_system INTEGER NOT NULL, -- doc: 1 for a group of runtime goroutines (goroutines.is_system).
    goroutines INTEGER NOT NULL, -- doc: Number of goroutines in the group.
    total_ns INTEGER NOT NULL, -- doc: Sum of their goroutine_summaries.total_ns.
    exec_ns INTEGER NOT NULL, -- doc: Sum of exec_ns.
    sched_wait_ns INTEGER NOT NULL, -- doc: Sum of sched_wait_ns.
    block_ns INTEGER NOT NULL, -- doc: Sum of block_ns.
    syscall_ns INTEGER NOT NULL, -- doc: Sum of syscall_ns.
    syscall_block_ns INTEGER NOT NULL, -- doc: Sum of syscall_block_ns.
    unknown_ns INTEGER NOT NULL, -- doc: Sum of unknown_ns.
    range_ns INTEGER NOT NULL, -- doc: Sum of their goroutine_range_totals.total_ns.
    total_p50_ns INTEGER, -- doc: Nearest-rank median of the goroutines' total_ns (the smallest v such that at least half of them are <= v).
    total_p99_ns INTEGER, -- doc: Nearest-rank 99th percentile of the goroutines' total_ns.
    PRIMARY KEY (run_id, start_function)
) WITHOUT ROWID;

CREATE TABLE sched_wait_stats ( -- doc: Runnable waits summed from sched_wait_histogram at ingest: one row for the whole run (scope 'all') and one per goroutine group (scope 'group'), what report sched-latency prints.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    scope TEXT NOT NULL, -- doc: 'all' (every goroutine of the run) or 'group' (the goroutines of start_function).
    start_function TEXT NOT NULL, -- doc: The group ('' for scope 'all').
    is_system INTEGER NOT NULL, -- doc: 1 for a group of runtime goroutines (goroutines.is_system).
    waits INTEGER NOT NULL, -- doc: Number of waits.
    total_ns INTEGER NOT NULL, -- doc: Their summed length.
    p50_ns INTEGER NOT NULL, -- doc: Nearest-rank median wait: the smallest length v such that at least 50% of the waits are <= v.
    p90_ns INTEGER NOT NULL, -- doc: Nearest-rank 90th percentile.
    p99_ns INTEGER NOT NULL, -- doc: Nearest-rank 99th percentile.
    max_ns INTEGER NOT NULL, -- doc: Longest wait.
    PRIMARY KEY (run_id, scope, start_function)
) WITHOUT ROWID;

-- Runs ingested before 0005: the lock-wait rule, then the summaries from their goroutine_states.
CREATE TEMP TABLE lock_stacks_0005 AS
SELECT r.run_id, r.stack_id,
       max(f.function LIKE 'sync.(*RWMutex).%' OR f.function = 'sync.(*rlocker).Lock') AS rw
FROM frames f JOIN stack_frame_refs r ON r.run_id = f.run_id AND r.frame_id = f.frame_id
WHERE f.function IN (
    'sync.(*Mutex).Lock', 'sync.(*Mutex).lockSlow',
    'internal/sync.(*Mutex).Lock', 'internal/sync.(*Mutex).lockSlow',
    'sync.(*RWMutex).Lock', 'sync.(*RWMutex).RLock', 'sync.(*rlocker).Lock')
GROUP BY r.run_id, r.stack_id;

UPDATE goroutine_states SET category = 'other'
WHERE category IN ('mutex', 'rwmutex')
  AND NOT (state = 'waiting' AND reason = 'sync' AND EXISTS (
      SELECT 1 FROM lock_stacks_0005 k WHERE k.run_id = goroutine_states.run_id AND k.stack_id = goroutine_states.stack_id));

UPDATE goroutine_states SET category = (
    SELECT CASE WHEN k.rw THEN 'rwmutex' ELSE 'mutex' END FROM lock_stacks_0005 k
    WHERE k.run_id = goroutine_states.run_id AND k.stack_id = goroutine_states.stack_id)
WHERE state = 'waiting' AND reason = 'sync' AND EXISTS (
    SELECT 1 FROM lock_stacks_0005 k WHERE k.run_id = goroutine_states.run_id AND k.stack_id = goroutine_states.stack_id);

DROP TABLE lock_stacks_0005;

INSERT INTO goroutine_state_totals (run_id, goid, state, reason, category, intervals, total_ns)
SELECT run_id, goid, state, reason, category, count(*), sum(end_ns - start_ns)
FROM goroutine_states GROUP BY run_id, goid, state, reason, category;

INSERT INTO goroutine_summaries (run_id, goid, start_function, is_system, total_ns, exec_ns, sched_wait_ns, block_ns,
                                 syscall_ns, syscall_block_ns, unknown_ns)
SELECT g.run_id, g.goid, g.start_function, g.is_system, g.total_ns, coalesce(t.e, 0), coalesce(t.r, 0),
       coalesce(t.w, 0), coalesce(t.s, 0), coalesce(t.b, 0),
       max(0, g.total_ns - coalesce(t.e + t.r + t.w + t.s + t.b, 0))
FROM (SELECT g.run_id, g.goid, g.start_function, g.is_system,
             coalesce(g.ended_ns, runs.end_ns) - g.created_ns AS total_ns
      FROM goroutines g JOIN runs ON runs.run_id = g.run_id) g
LEFT JOIN (SELECT run_id, goid,
             coalesce(sum(CASE WHEN state = 'running' THEN total_ns END), 0) AS e,
             coalesce(sum(CASE WHEN state = 'runnable' THEN total_ns END), 0) AS r,
             coalesce(sum(CASE WHEN state = 'waiting' THEN total_ns END), 0) AS w,
             coalesce(sum(CASE WHEN state = 'syscall' THEN total_ns END), 0) AS s,
             coalesce(sum(CASE WHEN state = 'syscall_blocked' THEN total_ns END), 0) AS b
      FROM goroutine_state_totals GROUP BY run_id, goid) t ON t.run_id = g.run_id AND t.goid = g.goid;

INSERT INTO goroutine_group_totals (run_id, start_function, is_system, state, reason, category, intervals, total_ns)
SELECT t.run_id, g.start_function, max(g.is_system), t.state, t.reason, t.category, sum(t.intervals), sum(t.total_ns)
FROM goroutine_state_totals t JOIN goroutines g ON g.run_id = t.run_id AND g.goid = t.goid
GROUP BY t.run_id, g.start_function, t.state, t.reason, t.category;

INSERT INTO sched_wait_histogram (run_id, start_function, duration_ns, waits)
SELECT s.run_id, g.start_function, s.end_ns - s.start_ns, count(*)
FROM goroutine_states s JOIN goroutines g ON g.run_id = s.run_id AND g.goid = s.goid
WHERE s.state = 'runnable' AND s.reason <> 'syscall blocked at trace end'
GROUP BY s.run_id, g.start_function, s.end_ns - s.start_ns;

INSERT INTO lock_waits_by_stack (run_id, start_function, stack_id, category, intervals, total_ns)
SELECT s.run_id, g.start_function, s.stack_id, max(s.category), count(*), sum(s.end_ns - s.start_ns)
FROM goroutine_states s JOIN goroutines g ON g.run_id = s.run_id AND g.goid = s.goid
WHERE s.state = 'waiting' AND s.category IN ('mutex', 'rwmutex') AND s.stack_id IS NOT NULL
GROUP BY s.run_id, g.start_function, s.stack_id;

-- Go's RangeTime per goroutine as goroutine-analysis computed it before 0005, from the ranges and stop-the-world
-- pauses of the goroutine (and the P ranges begun on it), clipped to its life. The ingest follows Go's Summarizer
-- event by event instead (a P range counts only if it ends on the goroutine it began on).
INSERT INTO goroutine_range_totals (run_id, goid, name, total_ns)
SELECT run_id, goid, name, sum(ns) FROM (
    SELECT g.run_id, g.goid, r.name,
           max(0, min(r.end_ns, g.end_ns) - max(r.start_ns, g.created_ns)) AS ns
    FROM ranges r
    JOIN (SELECT g.run_id, g.goid, g.created_ns, coalesce(g.ended_ns, runs.end_ns) AS end_ns
          FROM goroutines g JOIN runs ON runs.run_id = g.run_id) g
      ON g.run_id = r.run_id AND g.goid = CASE WHEN r.scope = 'goroutine' THEN r.scope_id ELSE r.goid END
    WHERE r.scope IN ('goroutine', 'proc')
    UNION ALL
    SELECT g.run_id, g.goid, 'stop-the-world (' || w.reason || ')',
           max(0, min(w.end_ns, g.end_ns) - max(w.start_ns, g.created_ns))
    FROM stw_pauses w
    JOIN (SELECT g.run_id, g.goid, g.created_ns, coalesce(g.ended_ns, runs.end_ns) AS end_ns
          FROM goroutines g JOIN runs ON runs.run_id = g.run_id) g
      ON g.run_id = w.run_id AND g.goid = w.goid
)
GROUP BY run_id, goid, name HAVING sum(ns) > 0;

INSERT INTO goroutine_groups (run_id, start_function, is_system, goroutines, total_ns, exec_ns, sched_wait_ns, block_ns,
                              syscall_ns, syscall_block_ns, unknown_ns, range_ns, total_p50_ns, total_p99_ns)
SELECT run_id, start_function, max(is_system), count(*), sum(total_ns), sum(exec_ns), sum(sched_wait_ns), sum(block_ns),
       sum(syscall_ns), sum(syscall_block_ns), sum(unknown_ns), sum(range_ns),
       min(CASE WHEN rank >= (50 * n + 99) / 100 THEN total_ns END),
       min(CASE WHEN rank >= (99 * n + 99) / 100 THEN total_ns END)
FROM (
    SELECT s.*, coalesce((SELECT sum(r.total_ns) FROM goroutine_range_totals r
                          WHERE r.run_id = s.run_id AND r.goid = s.goid), 0) AS range_ns,
           row_number() OVER (PARTITION BY s.run_id, s.start_function ORDER BY s.total_ns) AS rank,
           count(*) OVER (PARTITION BY s.run_id, s.start_function) AS n
    FROM goroutine_summaries s
)
GROUP BY run_id, start_function;

INSERT INTO sched_wait_stats (run_id, scope, start_function, is_system, waits, total_ns, p50_ns, p90_ns, p99_ns, max_ns)
SELECT c.run_id, c.scope, c.start_function,
       CASE WHEN c.scope = 'all' THEN 1 ELSE (SELECT max(g.is_system) FROM goroutine_groups g
                                             WHERE g.run_id = c.run_id AND g.start_function = c.start_function) END,
       s.n, s.total,
       min(CASE WHEN c.c >= (50 * s.n + 99) / 100 THEN c.d END),
       min(CASE WHEN c.c >= (90 * s.n + 99) / 100 THEN c.d END),
       min(CASE WHEN c.c >= (99 * s.n + 99) / 100 THEN c.d END),
       s.max_d
FROM (
    SELECT run_id, 'all' AS scope, '' AS start_function, d,
           sum(waits) OVER (PARTITION BY run_id ORDER BY d ROWS UNBOUNDED PRECEDING) AS c
    FROM (SELECT run_id, duration_ns AS d, sum(waits) AS waits FROM sched_wait_histogram GROUP BY run_id, duration_ns)
    UNION ALL
    SELECT run_id, 'group', start_function, duration_ns,
           sum(waits) OVER (PARTITION BY run_id, start_function ORDER BY duration_ns ROWS UNBOUNDED PRECEDING)
    FROM sched_wait_histogram
) c
JOIN (
    SELECT run_id, 'all' AS scope, '' AS start_function, sum(waits) AS n, sum(duration_ns * waits) AS total,
           max(duration_ns) AS max_d
    FROM sched_wait_histogram GROUP BY run_id
    UNION ALL
    SELECT run_id, 'group', start_function, sum(waits), sum(duration_ns * waits), max(duration_ns)
    FROM sched_wait_histogram GROUP BY run_id, start_function
) s ON s.run_id = c.run_id AND s.scope = c.scope AND s.start_function = c.start_function
GROUP BY c.run_id, c.scope, c.start_function;
