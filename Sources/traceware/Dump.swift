import ArgumentParser
import GoTrace

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a trace's ordered events exactly as `go tool trace -d=parsed` does.",
        discussion: """
            On a damaged trace, prints the events that could be read, then the error (file, what is wrong, \
            byte offset) and how much of the trace was lost, and exits with status 1.
            """)

    @Argument(help: "The trace file.") var trace: String

    @Flag(help: "Read every event but print only a final count line (for benchmarks).")
    var parseOnly = false

    func run() throws {
        let result = ParsedDump.run(path: trace, parseOnly: parseOnly) { writeAll(1, $0) }
        if parseOnly {
            let line = "\(result.events) events\n"
            Array(line.utf8).withUnsafeBufferPointer { writeAll(1, $0) }
        }
        guard let error = result.error else { return }
        // TraceError's one line names the file, the byte offset where known, and what is wrong.
        var message = "traceware dump: \(error)\n"
        if let lost = result.lossDescription { message += "traceware dump: warning: \(lost)\n" }
        Array(message.utf8).withUnsafeBufferPointer { writeAll(2, $0) }
        throw ExitCode(1)
    }
}

/// Writes all of `bytes` to a file descriptor, retrying short writes and EINTR.
private func writeAll(_ fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
    guard var p = bytes.baseAddress else { return }
    var left = bytes.count
    while left > 0 {
        let n = write(fd, p, left)
        if n < 0 {
            if errno == EINTR { continue }
            return  // stdout closed (e.g. piped into head): stop quietly
        }
        p += n
        left -= n
    }
}
