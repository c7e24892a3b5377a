import ArgumentParser
import Foundation
import Warehouse

/// Options of the commands that write the warehouse (ingest, runs delete, vacuum).
struct WriteOptions: ParsableArguments {
    @Option(
        name: .customLong("lock-timeout"),
        help: "Seconds to wait for another process's write lock on the warehouse before giving up.")
    var lockTimeout: Double = 30

    @Flag(help: "No progress and no notices on stderr (errors and warnings still go there).")
    var quiet = false

    func validate() throws {
        guard lockTimeout >= 0, lockTimeout < 86_400 else { throw ValidationError("--lock-timeout expects 0 to 86400 seconds") }
    }

    /// Applies --lock-timeout to every connection the command opens, and, unless --quiet, says at once when
    /// one of them starts waiting for a lock (the wait may last the whole timeout).
    func apply(command: String) {
        LockWait.timeoutMilliseconds = Int32((lockTimeout * 1000).rounded())
        guard !quiet else { return }
        LockWait.notice = { path, timeout in
            StatusLine.interrupt(
                "traceware \(command): waiting for another process's write lock on \(path) "
                    + "(an ingest, a delete or a vacuum; up to \(formatWait(timeout)))")
        }
    }

    /// A status line on stderr when it is a terminal and not --quiet; otherwise one that draws nothing.
    func statusLine() -> StatusLine { StatusLine(enabled: !quiet && isatty(2) != 0) }
}

func formatWait(_ milliseconds: Int32) -> String {
    milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : String(format: "%.1f s", Double(milliseconds) / 1000)
}

/// Runs `body`, turning a failure of the warehouse file itself (disk full, read-only, locked, damaged) into
/// one line naming the warehouse. Other errors keep their own message.
func naming<T>(warehouse path: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        StatusLine.clearCurrent()
        if let failure = WarehouseFailure.explain(error, path: path) { throw failure }
        throw error
    }
}

/// One line on stderr, redrawn in place (\r, erase to end of line): progress of a long command on a terminal.
/// Disabled, it draws nothing, so redirected output and CI logs stay clean.
final class StatusLine {
    let enabled: Bool
    private var drawn = false
    private var lastDrawNs: UInt64 = 0
    private var lastText = ""

    /// The line on screen, if any, so that a notice from elsewhere (LockWait) can take its own line.
    nonisolated(unsafe) private static var current: StatusLine?

    init(enabled: Bool) { self.enabled = enabled }

    /// Set once rows start going to stdout on the same terminal: a status line drawn then would land among them.
    nonisolated(unsafe) private static var suppressed = false

    /// Called before anything is written to stdout.
    static func outputBegins() {
        guard !suppressed, isatty(1) != 0 else { return }
        current?.clear()
        suppressed = true
    }

    /// Draws `text`, at most every 100 ms unless `force`.
    func draw(_ text: String, force: Bool = false) {
        guard enabled, !Self.suppressed else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard force || !drawn || (now - lastDrawNs >= 100_000_000 && text != lastText) else { return }
        lastDrawNs = now
        lastText = text
        drawn = true
        Self.current = self
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    func clear() {
        guard enabled, drawn else { return }
        drawn = false
        if Self.current === self { Self.current = nil }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    static func clearCurrent() { current?.clear() }

    /// Prints a notice on a line of its own, clearing a status line first.
    static func interrupt(_ text: String) {
        current?.clear()
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// "12.3 MB", "512 KB", "1.20 GB" (decimal units, as the README's sizes).
func formatBytes(_ bytes: Int64) -> String {
    let value = Double(bytes)
    if value >= 1e9 { return String(format: "%.2f GB", value / 1e9) }
    if value >= 1e6 { return String(format: "%.1f MB", value / 1e6) }
    if value >= 1e3 { return String(format: "%.0f KB", value / 1e3) }
    return "\(bytes) B"
}

/// "2.48M", "65.5k", "812".
func formatCount(_ count: Int64) -> String {
    let value = Double(count)
    if value >= 1e6 { return String(format: "%.2fM", value / 1e6) }
    if value >= 1e4 { return String(format: "%.1fk", value / 1e3) }
    return "\(count)"
}

/// "3s", "1m05s", "1h02m".
func formatDuration(seconds: Double) -> String {
    let s = Int(seconds.rounded(.up))
    if s < 60 { return "\(s)s" }
    if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
}

/// A read command (a report, a query, a comparison) that runs for more than a second says on a terminal what it is
/// running and for how long, until its output begins. Silent when stderr is not a terminal.
final class QueryStatus {
    private let line = StatusLine(enabled: isatty(2) != 0)
    private var handler: ProgressHandler?

    init(_ db: Database, _ what: String) {
        guard line.enabled else { return }
        let started = DispatchTime.now().uptimeNanoseconds
        handler = ProgressHandler(on: db) { [line] in
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            if seconds >= 1 { line.draw("\(what): \(formatDuration(seconds: seconds))") }
        }
    }

    func stop() {
        handler?.cancel()
        handler = nil
        line.clear()
    }

    deinit { stop() }
}
