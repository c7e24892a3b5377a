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
            On a damaged trace, prints the events that could be read, then on stderr the error exactly as Go \
            prints it (one line, or Go's multi-line "broken trace" dump), and exits with status 1, as Go does. \
            `traceware ingest` keeps the byte offset of the error (in ingest_issues).
            """)

    @Argument(help: "The trace file.") var trace: String

    @Flag(help: "Read every event but print only a final count line (for benchmarks).")
    var parseOnly = false

    func run() throws {
        // stderr is go tool trace -d=parsed's: its logAndDie prints the error alone ("%s\n"), with no
        // program name, file or offset, and no "Lost N% of the latest trace data" line (that belongs to its
        // interactive mode). A file that cannot be opened reads as Go's os.Open error.
        let fd = open(trace, O_RDONLY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw fail("failed to read trace file: open \(trace): \(reason.prefix(1).lowercased() + reason.dropFirst())")
        }
        close(fd)
        let result = ParsedDump.run(path: trace, parseOnly: parseOnly) { writeAll(1, $0) }
        if parseOnly {
            let line = "\(result.events) events\n"
            Array(line.utf8).withUnsafeBufferPointer { writeAll(1, $0) }
        }
        guard let error = result.error else { return }
        throw fail(error.message)
    }

    /// Go's logAndDie: the message on stderr, then exit status 1 (the ExitCode to throw).
    private func fail(_ message: String) -> ExitCode {
        Array((message + "\n").utf8).withUnsafeBufferPointer { writeAll(2, $0) }
        return ExitCode(1)
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
