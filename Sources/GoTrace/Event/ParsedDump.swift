// The event stream as `go tool trace -d=parsed` prints it: one `Event.String()` per line (fmt.Println),
// shared by `traceware dump` and the conformance tests.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a dump of one trace found.
public struct ParsedDumpResult: Sendable {
    /// Events read (and printed, unless parse-only).
    public var events: Int = 0
    /// The error that stopped reading, if any; the events before it were printed, as Go does.
    public var error: TraceError?
    /// The trace file's size in bytes, when it could be determined.
    public var fileSize: Int64?
    /// Bytes of the file consumed when the last Sync event (a complete generation) came out: like Go's
    /// cmd/trace, everything after it is considered lost when reading fails.
    public var validBytes: Int64 = 0
    /// Sync events read: one per generation (plus the final one).
    public var syncs: Int = 0

    /// Go's cmd/trace warning for a damaged trace ("Lost 12.34% of the latest trace data due to error
    /// (1.2 MiB of 9.8 MiB)"); nil when there was no error, or when no generation was read at all (Go's
    /// "failed to parse any useful part of the trace": the error says it all).
    public var lossDescription: String? {
        guard error != nil, syncs > 0, let size = fileSize, size > 0 else { return nil }
        let lost = max(0, size - validBytes)
        let pct = Double(lost) / Double(size) * 100
        return "lost \(formatFixed(pct, digits: 2))% of the latest trace data due to error "
            + "(\(byteCount(lost)) of \(byteCount(size)))"
    }
}

public enum ParsedDump {
    /// Reads every event of the trace at `path` and passes Go's text for them to `write`, in chunks of about
    /// `chunkSize` bytes. With `parseOnly`, events are read but no text is built.
    public static func run(path: String, parseOnly: Bool = false, chunkSize: Int = 1 << 20,
                           write: (UnsafeBufferPointer<UInt8>) -> Void) -> ParsedDumpResult {
        var result = ParsedDumpResult()
        result.fileSize = fileSize(path)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunkSize + (chunkSize >> 3))
        func flush() {
            if buffer.isEmpty { return }
            buffer.withUnsafeBufferPointer { write($0) }
            buffer.removeAll(keepingCapacity: true)
        }
        do {
            let reader = try Reader(path: path)
            var stacks = StackTextCache()
            while let event = try reader.readEvent() {
                result.events += 1
                if event.kind == .sync {
                    result.syncs += 1
                    result.validBytes = reader.validBytes
                }
                if parseOnly { continue }
                event.appendText(to: &buffer, stackCache: &stacks)
                buffer.append(UInt8(ascii: "\n"))
                if buffer.count >= chunkSize { flush() }
            }
            result.validBytes = result.fileSize ?? result.validBytes
        } catch let error as TraceError {
            result.error = error.path.isEmpty ? TraceError(path: path, offset: error.offset, error.message) : error
        } catch {
            result.error = TraceError(path: path, "\(error)")
        }
        flush()
        return result
    }

    private static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_size)
    }
}

/// Go's cmd/trace byteCount: "N B", or one decimal with KiB/MiB/GiB.
func byteCount(_ b: Int64) -> String {
    switch b {
    case ..<(1 << 10): return "\(b) B"
    case ..<(1 << 20): return formatFixed(Double(b) / Double(1 << 10), digits: 1) + " KiB"
    case ..<(1 << 30): return formatFixed(Double(b) / Double(1 << 20), digits: 1) + " MiB"
    default: return formatFixed(Double(b) / Double(1 << 30), digits: 1) + " GiB"
    }
}

/// `%.Nf` for the small non-negative numbers of the loss warning.
func formatFixed(_ x: Double, digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let n = (x * scale).rounded(.toNearestOrEven)
    guard n.isFinite, n < 9e18 else { return "\(x)" }
    let i = Int64(n)
    let whole = i / Int64(scale)
    var frac = String(i % Int64(scale))
    while frac.count < digits { frac = "0" + frac }
    return digits == 0 ? "\(whole)" : "\(whole).\(frac)"
}
