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
        var stream = try open(path)
        let rows = EventRows(writer: writer)
        var sinceProgress = 0
        while let event = try stream.nextEvent() {
            try rows.consume(event)
            sinceProgress += 1
            if sinceProgress == 65_536 {
                sinceProgress = 0
                progress(stream.bytesConsumed)
            }
        }
        progress(stream.bytesConsumed)
        var facts = try rows.finish()
        facts.traceVersion = stream.traceVersion
        if let damage = stream.damage {
            facts.truncated = true
            facts.lostBytes = damage.lostBytes
            facts.lostStartNs = facts.endNs
            facts.lostEndNs = damage.lostEndTime.map { $0 &- facts.clockOrigin }
            try writer.insertIssue(
                severity: .error, message: damage.message, byteOffset: damage.byteOffset, tsNs: facts.endNs)
        }
        return facts
    }
}
