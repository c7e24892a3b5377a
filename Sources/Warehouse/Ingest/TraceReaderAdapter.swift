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
    private var others = 0
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
                // Go reads a header-only file as an empty trace (one Sync); a run with nothing in it is refused.
                if others == 0 {
                    throw IngestError(path: reader.path, byteOffset: fileBytes, message: "the trace holds no events")
                }
                return nil
            }
            if event.kind == .sync { syncs += 1 } else { others += 1 }
            return event
        } catch let error as TraceError {
            finished = true
            // The reader produces a Sync before each generation's events: without one, nothing good came
            // before the damage and the file is not a usable trace.
            guard syncs >= 1 else {
                throw IngestError(path: reader.path, byteOffset: error.offset, message: error.message)
            }
            // validBytes is where the last good generation ended as far as the reader knows; it can already
            // include a read-ahead of the damaged generation, so the damage offset bounds it.
            let good = min(reader.validBytes, error.offset ?? reader.validBytes)
            damage = TraceDamage(
                byteOffset: error.offset ?? good, lostBytes: max(0, fileBytes - good), message: error.message,
                lostEndTime: reader.lostTailEndTime()?.rawValue)
            return nil
        }
    }
}
