-- traceware warehouse schema, migration 0014: goroutine intervals stored as encoded chunks.
--
-- One SQLite row per interval was most of a warehouse (busy: 217.9 of 344.6 MB, 28-32 bytes an interval) and
-- most of an ingest's writer time (pool: 8.9M b-tree inserts, 6 s of CPU). A goroutine's consecutive intervals
-- are now one row of goroutine_interval_chunks, packed into a blob (a few bytes an interval; the encoding is
-- described in Sources/Warehouse/SQLite/IntervalChunk.swift), and `goroutine_intervals` is a read-only virtual
-- table with the columns and rows it had, decoded from the chunks by a module that every traceware connection
-- registers (IntervalsModule.swift). The goroutine_states view and everything that reads goroutine_intervals
-- read the same rows as before. A plain sqlite3 shell has no such module: there goroutine_intervals,
-- goroutine_states and the views over it cannot be read ("no such module"); `traceware query` can, as every
-- traceware command.

CREATE TABLE goroutine_interval_chunks ( -- doc: The stored rows behind goroutine_intervals (and so goroutine_states): one goroutine's consecutive intervals, in (start_ns, interval_id) order, encoded in one blob. Read goroutine_states or goroutine_intervals instead: a sqlite3 shell without traceware's module can count chunks, not decode them.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: The goroutine (goroutines.goid).
    first_start_ns INTEGER NOT NULL, -- doc: start_ns of the chunk's first interval. A goroutine's chunks follow each other in time: each begins at or after the previous one's last start.
    first_interval_id INTEGER NOT NULL, -- doc: interval_id of the chunk's first interval.
    last_end_ns INTEGER NOT NULL, -- doc: The largest end_ns (or start_ns, if larger) of its intervals: a query for intervals starting at or after a time skips chunks that end before it.
    interval_count INTEGER NOT NULL, -- doc: Number of intervals in data.
    data BLOB NOT NULL, -- doc: The intervals, encoded (format 1: per interval a flag byte and varints, each relative to the previous interval; see IntervalChunk.swift).
    PRIMARY KEY (run_id, goid, first_start_ns, first_interval_id)
) WITHOUT ROWID;

-- The move, for a warehouse that has intervals already: each goroutine's rows in key order, 512 to a chunk
-- (a few KB: well inside a 64 KiB page). goroutine_interval_chunk() is traceware's aggregate (registered on
-- every connection, like percentile) that encodes a group's rows; it orders them itself.
INSERT INTO goroutine_interval_chunks (run_id, goid, first_start_ns, first_interval_id, last_end_ns, interval_count,
                                       data)
SELECT run_id, goid, min(start_ns), min(CASE WHEN n % 512 = 0 THEN interval_id END),
       max(max(start_ns, start_ns + duration_ns)), count(*),
       goroutine_interval_chunk(start_ns, interval_id, kind_id, duration_ns, stack_id, waker_goid, waker_stack_id)
FROM (SELECT i.*, row_number() OVER (PARTITION BY run_id, goid ORDER BY start_ns, interval_id) - 1 AS n
      FROM goroutine_intervals i)
GROUP BY run_id, goid, n / 512;

-- The views that read goroutine_intervals (goroutine_states, and those over it) name it: they read the virtual
-- table once it has the name, unchanged (no ALTER TABLE RENAME, which would rewrite them).
DROP TABLE goroutine_intervals;

CREATE VIRTUAL TABLE goroutine_intervals USING traceware_goroutine_intervals( -- doc: The rows behind the goroutine_states view: one per interval that a goroutine spent in one state, in (run_id, goid, start_ns, interval_id) order. Read-only, decoded from goroutine_interval_chunks by traceware's module (since schema version 14): a plain sqlite3 shell cannot read it, traceware query can. Fast by run_id and goid (an IN list too), with a start_ns range; a query over a whole run reads every chunk of it. Query goroutine_states instead.
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    goid INTEGER NOT NULL, -- doc: The goroutine (goroutines.goid).
    start_ns INTEGER NOT NULL, -- doc: Start of the interval.
    interval_id INTEGER NOT NULL, -- doc: Number of the interval within its run, in the order the ingest produced them (intervals moved from an older warehouse keep their old rowid): orders intervals of one goroutine that start at the same time.
    kind_id INTEGER NOT NULL, -- doc: Its state, reason, category, P and thread (goroutine_interval_kinds.kind_id).
    duration_ns INTEGER NOT NULL, -- doc: Length of the interval (end_ns - start_ns).
    stack_id INTEGER, -- doc: Stack of the transition into the state; NULL when the trace has none.
    waker_goid INTEGER, -- doc: For a waiting interval: the goroutine that made it runnable again, when the trace says so.
    waker_stack_id INTEGER -- doc: For a waiting interval: the stack where the waker unblocked it, when the trace says so.
);
