import Foundation

/// Ingests trace files into the warehouse at a path, one run per file, each in its own transaction.
///
/// When no warehouse exists at the path yet, the first run is built in a WarehouseDraft and published
/// when it commits (one write of each page instead of WAL plus checkpoint); the warehouse then exists from
/// that first good run on, and a run that fails leaves nothing behind, not even an empty warehouse. Later
/// runs go into the published warehouse through a normal WAL connection.
public final class WarehouseIngest {
    public let path: String
    private var db: Database?

    public init(path: String) { self.path = path }

    public func ingest(
        trace: String, source: TraceRowSource, options: IngestOptions = IngestOptions(),
        progress: (IngestProgress) -> Void = { _ in }
    ) throws -> RunWriter.Result {
        if db == nil && !Self.exists(path) {
            try TraceIngest.validateSource(trace)  // a bad path fails before any file is created
            let draft = try WarehouseDraft(for: path)
            var result = try TraceIngest.ingest(
                path: trace, into: draft.database, source: source, options: options, progress: progress)
            let mark = IngestTimings.now()
            if try draft.publish() {
                result.timings.commitNs += IngestTimings.now() - mark
                return result
            }
            // Another process created the warehouse meanwhile: this run goes into that one.
        }
        let db = try self.db ?? WarehouseStore.openForWriting(path)
        self.db = db
        return try TraceIngest.ingest(path: trace, into: db, source: source, options: options, progress: progress)
    }

    /// Whether anything (even a dangling symlink) is at `path`.
    private static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }
}
