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

        let warehouse = WarehouseIngest(path: database.resolvedPath)
        let showProgress = isatty(2) != 0
        for trace in traces {
            let total = (try? FileManager.default.attributesOfItem(atPath: trace)[.size] as? NSNumber)?.int64Value ?? 0
            let progress = ProgressBar(enabled: showProgress, total: total, name: trace)
            let result = try warehouse.ingest(
                trace: trace, source: TraceReaderAdapter.source, options: options, progress: progress.update)
            progress.clear()
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

func warn(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func formatSeconds(_ ns: Int64) -> String {
    let seconds = Double(ns) / 1e9
    return seconds >= 1 ? String(format: "%.3fs", seconds) : String(format: "%.3fms", seconds * 1e3)
}

/// A one-line progress bar on stderr, redrawn at most every percent.
final class ProgressBar {
    let enabled: Bool
    let total: Int64
    let name: String
    private var lastPercent = -1

    init(enabled: Bool, total: Int64, name: String) {
        self.enabled = enabled
        self.total = total
        self.name = name
    }

    func update(_ done: Int64) {
        guard enabled, total > 0 else { return }
        let percent = Int(min(100, done * 100 / total))
        guard percent != lastPercent else { return }
        lastPercent = percent
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(percent)% \(name)".utf8))
    }

    func clear() {
        guard enabled, lastPercent >= 0 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
