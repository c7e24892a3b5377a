import GoTrace

/// A source of ordered events for one trace file: what the GoTrace reader provides.
public protocol TraceEventStream {
    /// The next event, or nil at the end. A damaged or cut trace ends early: `damage` says so afterwards.
    mutating func nextEvent() throws -> Event?
    /// The trace's version as Go names it, e.g. "go1.26".
    var traceVersion: String { get }
    /// Bytes of the file consumed so far (for progress).
    var bytesConsumed: Int64 { get }
    /// Set when reading stopped at a damaged or truncated generation after good ones.
    var damage: TraceDamage? { get }
}

/// Where and why a trace stopped being readable after its good generations.
public struct TraceDamage: Sendable {
    public var byteOffset: Int64
    public var lostBytes: Int64
    public var message: String
    /// The latest trace time (Go's Time, not yet relative to the run) seen in the lost part, when known.
    public var lostEndTime: Int64?

    public init(byteOffset: Int64, lostBytes: Int64, message: String, lostEndTime: Int64? = nil) {
        self.byteOffset = byteOffset
        self.lostBytes = lostBytes
        self.message = message
        self.lostEndTime = lostEndTime
    }
}

/// Opens an event stream for a path.
public typealias TraceOpener = (String) throws -> any TraceEventStream

/// The TraceRowSource that reads a Go trace through a TraceEventStream and writes rows with EventRows.
public struct EventStreamRowSource: TraceRowSource {
    public let open: TraceOpener

    public init(open: @escaping TraceOpener) { self.open = open }

    public func writeRows(path: String, into writer: RunWriter, progress: (Int64) -> Void) throws -> TraceFacts {
        try write(path: path, into: writer, progress: { progress($0.bytes) }, keep: nil)
    }

    public func writeRows(path: String, into writer: RunWriter, reporting progress: (IngestProgress) -> Void)
        throws -> TraceFacts
    {
        try write(path: path, into: writer, progress: progress, keep: nil)
    }

    /// Writes the rows of the stream's events, or with `keep` of its first `keep.events` events only, the
    /// stream's damage being then `keep.damage` (found by an earlier reading).
    private func write(
        path: String, into writer: RunWriter, progress: (IngestProgress) -> Void,
        keep: (events: Int64, damage: TraceDamage)?
    ) throws -> TraceFacts {
        // Read ahead on a thread of its own: the trackers and rows keep this one busy.
        let stream = ReadAheadStream(try open(path))
        let rows = EventRows(writer: writer)
        var sinceProgress = 0
        var events: Int64 = 0
        var throughLastSync: Int64 = 0
        var beyondSync: Int64 = 0  // events kept that are not Syncs
        while keep.map({ events < $0.events }) ?? true, let event = try stream.nextEvent() {
            try rows.consume(event)
            events += 1
            if event.kind == .sync { throughLastSync = events } else { beyondSync += 1 }
            sinceProgress += 1
            if sinceProgress == 65_536 {
                sinceProgress = 0
                progress(IngestProgress(bytes: stream.bytesConsumed, events: events))
            }
        }
        progress(IngestProgress(bytes: stream.bytesConsumed, events: events))
        let damage = keep?.damage ?? stream.damage
        if let damage, keep == nil, events > throughLastSync {
            // The reader delivered events of a generation it then failed on (before Go 1.26 a cut generation
            // is read as far as it goes; any generation can fail while its events are ordered). Like
            // cmd/trace, which keeps the events up to the last Sync before an error (parseTrace's
            // validEvents), the run keeps only those: then the file's first source_bytes - lost_bytes bytes
            // are a complete trace that Go reads without error to exactly the run's events. (Go's goroutine
            // summary, by contrast, has seen the dropped events too; cmd/trace's timeline and profiles have
            // not.) The rows already queued cannot be taken back: the ingest starts over, keeping fewer.
            let open = self.open
            throw IngestRerun { writer, progress in
                try EventStreamRowSource(open: open).write(
                    path: path, into: writer, progress: progress, keep: (throughLastSync, damage))
            }
        }
        var facts = try rows.finish()
        facts.traceVersion = stream.traceVersion
        if let damage {
            facts.truncated = true
            facts.lostBytes = damage.lostBytes
            facts.lostStartNs = facts.endNs
            facts.lostEndNs = damage.lostEndTime.map { $0 &- facts.clockOrigin }
            try writer.insertIssue(
                severity: .error, message: damage.message, byteOffset: damage.byteOffset, tsNs: facts.endNs)
        }
        if beyondSync == 0 {
            facts.holdsNoEvents = true
            // A file that is only a header (Go reads it as one Sync event, without error), or a trace cut or
            // damaged inside its first generation (one Sync, then the error): both are runs with nothing in
            // them, kept as Go keeps them and flagged here.
            try writer.insertIssue(
                severity: .warning, message: "the trace holds no events beyond its sync event: the run is empty",
                byteOffset: nil, tsNs: facts.endNs)
        }
        return facts
    }
}

/// Thrown by a row source whose rows so far must be discarded: the ingest rolls them back and calls `rerun`
/// with a fresh writer (and the progress callback).
public struct IngestRerun: Error, @unchecked Sendable {
    public let rerun: (RunWriter, (IngestProgress) -> Void) throws -> TraceFacts

    public init(_ rerun: @escaping (RunWriter, (IngestProgress) -> Void) throws -> TraceFacts) { self.rerun = rerun }
}
