-- traceware warehouse schema, migration 0004: Go's Label events.
--
-- A Label event names what a goroutine is doing: the runtime emits one each time a GC mark worker starts
-- running ("GC (dedicated)", "GC (fractional)", "GC (idle)"), in every trace format (v1 traces' GoStartLabel,
-- the current format's GoLabel). go tool trace shows the latest label of a goroutine in its name, until the
-- next label: a running interval of a goroutine (goroutine_states) does what the goroutine's latest label at
-- or before the interval's end says.

CREATE TABLE labels ( -- doc: Go's Label events: one row per event, in trace order (go tool trace -d=parsed's Label lines).
    run_id INTEGER NOT NULL, -- doc: The run (runs.run_id).
    ts_ns INTEGER NOT NULL, -- doc: Time of the event.
    goid INTEGER NOT NULL, -- doc: The labelled goroutine (goroutines.goid): Go's Label.Resource.
    label TEXT NOT NULL -- doc: The label, e.g. 'GC (dedicated)', 'GC (fractional)', 'GC (idle)' for the GC's mark workers.
);

-- section: indexes
CREATE INDEX IF NOT EXISTS labels_by_goid ON labels (run_id, goid, ts_ns);
