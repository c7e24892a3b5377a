// Errors of the trace reader: what went wrong, where in which file.

/// An error reading a trace: the file, the byte offset where known, and what is wrong.
/// `message` is Go's error text where Go has one, so it can be compared with Go's reader.
public struct TraceError: Error, CustomStringConvertible, Sendable {
    /// The trace file's path ("" when reading from memory).
    public var path: String
    /// Absolute byte offset in the file the problem was found at, when known.
    public var offset: Int64?
    /// What is wrong (Go's message where Go has one).
    public var message: String

    public init(path: String = "", offset: Int64? = nil, _ message: String) {
        self.path = path
        self.offset = offset
        self.message = message
    }

    /// One line: "path: offset N: message".
    public var description: String {
        var s = ""
        if !path.isEmpty { s += path + ": " }
        if let offset { s += "offset \(offset): " }
        s += message
        // Keep it to one line: Go's "broken trace" messages embed multi-line dumps.
        return s.split(separator: "\n", omittingEmptySubsequences: true).joined(separator: " | ")
    }

    /// Fills in the file and offset when not already known.
    func located(path: String, offset: Int64?) -> TraceError {
        var e = self
        if e.path.isEmpty { e.path = path }
        if e.offset == nil { e.offset = offset }
        return e
    }
}
