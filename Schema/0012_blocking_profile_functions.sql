-- traceware warehouse schema, migration 0012: the blocking profile split by start function, computed at ingest.
--
-- `traceware export pprof` labels every sample with its goroutine's start function (pprof label start_function,
-- for -tagfocus) and `--function F` keeps one start function's goroutines; blocking_profile (0006) has no such
-- split, so the export used to window every goroutine_states row of the run (8 s for sync, 36 s for sched on a
-- 45 MB run). Same rules and stacks as blocking_profile (Sources/Warehouse/Ingest/BlockingProfile.swift): summed
-- over start_function, these rows are blocking_profile's count and total_ns.
--
-- Runs ingested before this migration have no rows here (the split needs the trace, not the stored intervals):
-- the export computes them from goroutine_states as before, which is slower. Ingest the trace again (--replace)
-- for the fast path.

CREATE TABLE blocking_profile_functions ( -- doc: blocking_profile split by the goroutines' start function: where goroutines waited, per run, kind, category, stack and start function (go tool trace's per-name profiles, its /block?name=F, /io, /syscall and /sched, are the rows of one start function). Same rules as blocking_profile. Filled at ingest from this version on; runs ingested before have no rows.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    kind TEXT NOT NULL, -- doc: As blocking_profile.kind: 'sync', 'net', 'syscall' or 'sched'.
    category TEXT NOT NULL, -- doc: As blocking_profile.category.
    stack_id INTEGER, -- doc: As blocking_profile.stack_id (Go's stack key quirk included: the stack Go saw last for the key, over all start functions). NULL: no stack.
    start_function TEXT NOT NULL, -- doc: The goroutines' start function (goroutines.start_function; '' when none was seen).
    count INTEGER NOT NULL, -- doc: Number of intervals (Go's sample count).
    total_ns INTEGER NOT NULL -- doc: Their time, clipped as blocking_profile's (Go's sample value).
);

-- section: indexes
CREATE INDEX IF NOT EXISTS blocking_profile_functions_by_kind ON blocking_profile_functions (run_id, kind, start_function);
