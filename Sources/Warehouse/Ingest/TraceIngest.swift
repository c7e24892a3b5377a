import Foundation

/// Produces a run's rows from a trace file: the event-to-row logic plugs in here.
public protocol TraceRowSource {
    /// Reads the trace at `path` and writes its rows through `writer`, reporting bytes consumed to
    /// `progress`. Throws (an IngestError naming the file and offset) when the file cannot be read at all;
    /// a trace that is damaged after good generations is kept up to the damage, recorded with
    /// `writer.insertIssue`, and flagged in the returned facts. Throws IngestRerun when the rows written
    /// so far must go: the ingest then rolls them back and has the run written again by a fresh writer.
    func writeRows(path: String, into writer: RunWriter, progress: (Int64) -> Void) throws -> TraceFacts
    /// The same, reporting the events read so far too, where the source counts them (the progress bar's
    /// events and rate). Sources that only count bytes get the default, which reports `events: nil`.
    func writeRows(path: String, into writer: RunWriter, reporting progress: (IngestProgress) -> Void) throws
        -> TraceFacts
}

/// How far an ingest has read its trace.
public struct IngestProgress: Sendable, Equatable {
    /// Bytes of the file consumed.
    public var bytes: Int64
    /// Events read, when the source counts them.
    public var events: Int64?

    public init(bytes: Int64, events: Int64? = nil) {
        self.bytes = bytes
        self.events = events
    }
}

extension TraceRowSource {
    public func writeRows(path: String, into writer: RunWriter, reporting progress: (IngestProgress) -> Void)
        throws -> TraceFacts
    {
        try writeRows(path: path, into: writer) { progress(IngestProgress(bytes: $0)) }
    }
}

public struct IngestOptions: Sendable {
    public var metadata: RunMetadata
    /// Replace a run with the same source sha256 instead of refusing the file.
    public var replace: Bool

    public init(metadata: RunMetadata = RunMetadata(), replace: Bool = false) {
        self.metadata = metadata
        self.replace = replace
    }
}

public enum TraceIngest {
    /// Checks that `path` names a readable, non-empty regular file, before the warehouse is touched.
    public static func validateSource(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw IngestError(path: path, message: "no such file")
        }
        guard !isDirectory.boolValue else { throw IngestError(path: path, message: "is a directory, not a trace file") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw IngestError(path: path, message: "not readable")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        guard size > 0 else { throw IngestError(path: path, byteOffset: 0, message: "empty file, not a Go trace") }
    }

    /// Ingests one trace file as one run, in one transaction: on any error nothing of it remains.
    public static func ingest(
        path: String, into db: Database, source: TraceRowSource, options: IngestOptions = IngestOptions(),
        progress: (IngestProgress) -> Void = { _ in }
    ) throws -> RunWriter.Result {
        try validateSource(path)
        var mark = IngestTimings.now()
        let (sha256, bytes) = try SHA256.file(atPath: path)
        let hashNs = IngestTimings.now() - mark
        func newWriter() throws -> RunWriter {
            let writer = try RunWriter(
                db: db, sourcePath: path, sha256: sha256, sourceBytes: bytes, metadata: options.metadata,
                replace: options.replace)
            writer.timings.hashNs = hashNs
            return writer
        }
        var writer = try newWriter()
        do {
            mark = IngestTimings.now()
            let facts: TraceFacts
            do {
                facts = try source.writeRows(path: path, into: writer, reporting: progress)
            } catch let again as IngestRerun {
                // Only after a damaged trace (see IngestRerun's throwers): the run is written again, in a new
                // transaction.
                writer.abandon()
                let startedAt = writer.startedAt
                writer = try newWriter()
                writer.startedAt = startedAt
                facts = try again.rerun(writer, progress)
            }
            writer.timings.rowsNs = IngestTimings.now() - mark
            return try writer.finish(facts)
        } catch {
            writer.abandon()
            throw error
        }
    }
}
