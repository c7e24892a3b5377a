import ArgumentParser
import Foundation
import Warehouse

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Normalize Go execution traces into the SQLite warehouse, one run per file.",
        discussion: """
            Each trace is ingested in one transaction: a failed or interrupted ingest leaves nothing behind. \
            A file whose sha256 is already in the warehouse is refused unless --replace is given.
            """)

    @Argument(help: "Trace files.") var traces: [String]
    @OptionGroup var database: DatabaseOptions
    @Option(help: "A label for the runs.") var label: String = ""
    @Option(help: "A build identifier for the runs (version, git sha, ...).") var build: String = ""
    @Option(name: .customLong("tag"), help: "Build metadata as KEY=VALUE (repeatable).") var tags: [String] = []
    @Flag(help: "Replace a run ingested from a file with the same sha256.") var replace = false
    @Flag(help: "Print where each ingest's time went (hashing, reading, inserting, indexes, commit) on stderr.")
    var timings = false
    @OptionGroup var write: WriteOptions

    func validate() throws {
        for tag in tags where !tag.contains("=") || tag.hasPrefix("=") {
            throw ValidationError("--tag expects KEY=VALUE, got '\(tag)'")
        }
    }

    func run() throws {
        let parsedTags = tags.map { tag -> (key: String, value: String) in
            let parts = tag.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        let options = IngestOptions(
            metadata: RunMetadata(label: label, build: build, tags: parsedTags), replace: replace)
        // Bad paths fail before the warehouse is opened (or created).
        for trace in traces { try TraceIngest.validateSource(trace) }

        write.apply(command: "ingest")
        let path = database.resolvedPath
        let warehouse = WarehouseIngest(path: path)
        for trace in traces {
            let total = (try? FileManager.default.attributesOfItem(atPath: trace)[.size] as? NSNumber)?.int64Value ?? 0
            let progress = IngestProgressBar(line: write.statusLine(), total: total, name: trace)
            let result: RunWriter.Result
            do {
                result = try naming(warehouse: path) {
                    try warehouse.ingest(
                        trace: trace, source: TraceReaderAdapter.source, options: options, progress: progress.update)
                }
            } catch let failure as WarehouseFailure where failure.isDiskFull {
                throw DiskFullDuringIngest(failure: failure, trace: trace, traceBytes: total, readBytes: progress.bytes)
            }
            progress.finish()
            if timings { warn("timings: \(result.timings.summary) (\(trace))") }
            let f = result.facts
            if f.truncated {
                warn(
                    "warning: \(trace) is truncated or damaged: ingested its complete generations, "
                        + "lost \(f.lostBytes) bytes (see ingest_issues for run \(result.runID))")
            }
            if f.holdsNoEvents {
                warn("warning: \(trace) holds no events beyond its sync event: run \(result.runID) is empty")
            }
            print(
                "run \(result.runID): \(f.traceVersion), \(f.eventCount) events, \(result.goroutineCount) goroutines, "
                    + "duration \(formatSeconds(f.endNs)), ingested in \(formatSeconds(Int64(result.elapsedNs)))"
                    + " (\(trace))")
        }
    }
}

/// The disk filled during an ingest: one line with the warehouse, how much the run needed, and that nothing of
/// it was kept (the run's transaction rolled back, or the new warehouse's draft was deleted).
struct DiskFullDuringIngest: Error, CustomStringConvertible {
    let failure: WarehouseFailure
    let trace: String
    let traceBytes: Int64
    let readBytes: Int64

    /// Warehouse bytes per trace byte: 11.6-13.0 measured from 12 to 103 MB traces (README, Performance); the
    /// upper figure, so that the estimate is enough.
    static let bytesPerTraceByte: Int64 = 13

    var description: String {
        var text = "\(failure.path): the disk is full: ingesting \(trace) (\(formatBytes(traceBytes))) needs roughly "
            + "\(formatBytes(traceBytes * Self.bytesPerTraceByte)) (about \(Self.bytesPerTraceByte) bytes per trace byte)"
        if traceBytes > 0 && readBytes > 0 {
            text += ", and it filled after \(min(100, readBytes * 100 / traceBytes))% of the trace"
        }
        let directory = URL(fileURLWithPath: failure.path).deletingLastPathComponent().path
        if let free = freeBytes(directory) { text += "; \(formatBytes(free)) free there now" }
        return text + "; nothing of the run was kept"
    }

    private func freeBytes(_ directory: String) -> Int64? {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}

func warn(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func formatSeconds(_ ns: Int64) -> String {
    let seconds = Double(ns) / 1e9
    return seconds >= 1 ? String(format: "%.3fs", seconds) : String(format: "%.3fms", seconds * 1e3)
}

/// The ingest's progress on a terminal: percent, bytes, events, rate and time left, redrawn at most every 100 ms.
/// It also keeps the bytes read, for the disk-full message.
final class IngestProgressBar {
    let line: StatusLine
    let total: Int64
    let name: String
    private(set) var bytes: Int64 = 0
    /// When and where the first report came (after hashing and any wait for the lock): the rate counts from there.
    private var startedNs: UInt64 = 0
    private var startedBytes: Int64 = 0

    init(line: StatusLine, total: Int64, name: String) {
        self.line = line
        self.total = total
        self.name = name
    }

    func update(_ progress: IngestProgress) {
        let now = DispatchTime.now().uptimeNanoseconds
        if startedNs == 0 {
            startedNs = now
            startedBytes = progress.bytes
        }
        bytes = progress.bytes
        guard line.enabled, total > 0 else { return }
        let percent = Int(min(100, progress.bytes * 100 / total))
        let width = 20
        let filled = percent * width / 100
        var text = "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
        text += "\(percent)% \(formatBytes(progress.bytes))/\(formatBytes(total))"
        if let events = progress.events { text += ", \(formatCount(events)) events" }
        let seconds = Double(now - startedNs) / 1e9
        if seconds >= 0.5 && progress.bytes > startedBytes {
            let rate = Double(progress.bytes - startedBytes) / seconds
            text += ", \(formatBytes(Int64(rate)))/s"
            if progress.bytes < total {
                text += ", \(formatDuration(seconds: Double(total - progress.bytes) / rate)) left"
            } else {
                text += ", finishing"
            }
        }
        line.draw(text + "  " + name, force: progress.bytes >= total)
    }

    func finish() { line.clear() }
}
