-- traceware warehouse schema, migration 0013: every lock wait's length, for compare's significance tests.
--
-- `traceware compare` tests whether head's lock waits tend to be longer than base's with a Mann-Whitney U-test on
-- the waits themselves (Sources/Warehouse/Compare/Significance.swift), one start function at a time. The ingest
-- counts them by length while it writes goroutine_states (GoroutineSummaries.swift), as sched_wait_histogram
-- counts runnable waits, so compare reads a few hundred rows per run instead of scanning its intervals. Runs
-- ingested before 0013 are counted below from their goroutine_states, so an upgraded warehouse answers as a fresh
-- ingest would.

CREATE TABLE IF NOT EXISTS lock_wait_histogram ( -- doc: Every lock wait of a run (goroutine_states.category 'mutex' or 'rwmutex', state 'waiting') as an exact histogram per goroutine group: how many waits of each length. The samples behind compare's lock_wait_p50_ns and lock_wait_p99_ns and their U-test.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    start_function TEXT NOT NULL, -- doc: The group: goroutines.start_function of the goroutine that waited.
    is_system INTEGER NOT NULL, -- doc: 1 for a group of runtime goroutines (goroutines.is_system); compare reads user groups only, as mutex-share does.
    duration_ns INTEGER NOT NULL, -- doc: Length of the wait (goroutine_states.duration_ns).
    waits INTEGER NOT NULL, -- doc: Number of lock waits of exactly that length.
    PRIMARY KEY (run_id, start_function, duration_ns)
) WITHOUT ROWID;

INSERT INTO lock_wait_histogram (run_id, start_function, is_system, duration_ns, waits)
SELECT s.run_id, g.start_function, g.is_system, s.end_ns - s.start_ns, count(*)
FROM goroutine_states s JOIN goroutines g ON g.run_id = s.run_id AND g.goid = s.goid
WHERE s.state = 'waiting' AND s.category IN ('mutex', 'rwmutex') AND s.stack_id IS NOT NULL
GROUP BY s.run_id, g.start_function, s.end_ns - s.start_ns;
