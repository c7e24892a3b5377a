import Foundation
import GoTrace

/// Connects the GoTrace reader to the ingest.
public enum TraceReaderAdapter {
    public static var source: EventStreamRowSource {
        EventStreamRowSource { path in try ReaderStream(path: path) }
    }
}

/// GoTrace.Reader as a TraceEventStream. A read error after at least one complete generation ends the
/// stream as damage (the complete generations are kept, as Go's tools keep them); an error before any
/// generation is an ingest error naming the file and offset.
struct ReaderStream: TraceEventStream {
    let reader: Reader
    let fileBytes: Int64
    var damage: TraceDamage?
    private var syncs = 0
    private var finished = false

    init(path: String) throws {
        do {
            reader = try Reader(path: path)
        } catch let error as TraceError {
            throw IngestError(path: path, byteOffset: error.offset, message: error.message)
        }
        fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
    }

    var traceVersion: String { "go1.\(reader.version.rawValue)" }
    var bytesConsumed: Int64 { reader.validBytes }

    mutating func nextEvent() throws -> Event? {
        if finished { return nil }
        do {
            guard let event = try reader.readEvent() else {
                finished = true
                // A header-only file reads as one Sync, without error, as in Go: an empty run (see
                // EventStreamRowSource).
                return nil
            }
            if event.kind == .sync { syncs += 1 }
            return event
        } catch let error as TraceError {
            finished = true
            // The reader produces a Sync before each generation's events: without one, nothing good came
            // before the damage and the file is not a usable trace.
            guard syncs >= 1 else {
                throw IngestError(path: reader.path, byteOffset: error.offset, message: error.message)
            }
            // What was read up to the last Sync is exactly what a file of the first completeBytes bytes holds
            // (runs.lost_bytes's contract: Go reads that prefix without error to the same events). Not the
            // error's offset, which can lie deep inside the failed generation, nor validBytes, which counts
            // what the reader had consumed, read-ahead included.
            let good = reader.completeBytes
            damage = TraceDamage(
                byteOffset: error.offset ?? good, lostBytes: max(0, fileBytes - good), message: error.message,
                lostEndTime: reader.lostTailEndTime()?.rawValue)
            return nil
        }
    }
}
