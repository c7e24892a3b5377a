import Foundation
import GoTrace

/// A TraceEventStream read on a thread of its own, up to `chunksAhead` chunks of `chunkEvents` events ahead of
/// the consumer: the ingest thread then spends its time on the trackers and rows, and the trace reader
/// (decoding, ordering: about a fifth of the ingest thread's CPU) runs beside it on the second core. Events
/// are values that keep their generation's tables alive, and those tables are read-only once their events
/// flow (GoTrace's EvTable guards the one part that is not, its extra strings), so handing them across
/// threads is safe.
///
/// The stream's events, errors, end and damage come out in the same order and at the same place as from the
/// stream itself. Progress (`bytesConsumed`) is that of the last chunk handed over. The reading thread stops
/// at the end, after an error, or when the consumer drops this stream (an ingest that stops early).
final class ReadAheadStream: TraceEventStream {
    static let chunkEvents = 4096
    static let chunksAhead = 4

    private struct Chunk {
        var events: [Event]
        var bytes: Int64
        /// The last chunk: the stream ended (`error` nil) or threw `error` after these events.
        var final = false
        var error: (any Error)?
        var damage: TraceDamage?
    }

    /// What the two threads share, under `condition`.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        var chunks: [Chunk] = []
        var head = 0
        var cancelled = false
    }

    private let shared = Shared()
    let traceVersion: String
    private(set) var bytesConsumed: Int64 = 0
    private(set) var damage: TraceDamage?
    private var current: [Event] = []
    private var index = 0
    private var finished = false
    private var pendingError: (any Error)?

    init(_ stream: any TraceEventStream) {
        traceVersion = stream.traceVersion
        let shared = self.shared
        // The stream moves to the reading thread: nothing else touches it from here on.
        nonisolated(unsafe) var stream = stream
        let thread = Thread {
            var final = false
            while !final {
                var chunk = Chunk(events: [], bytes: 0)
                chunk.events.reserveCapacity(Self.chunkEvents)
                do {
                    while chunk.events.count < Self.chunkEvents {
                        guard let event = try stream.nextEvent() else {
                            chunk.final = true
                            break
                        }
                        chunk.events.append(event)
                    }
                } catch {
                    chunk.final = true
                    chunk.error = error
                }
                // The ingest thread counts references on tables only it touches from here on.
                Event.detachTables(&chunk.events)
                chunk.bytes = stream.bytesConsumed
                if chunk.final { chunk.damage = stream.damage }
                final = chunk.final
                shared.condition.lock()
                while shared.chunks.count - shared.head >= Self.chunksAhead && !shared.cancelled {
                    shared.condition.wait()
                }
                if shared.cancelled {
                    shared.condition.unlock()
                    return
                }
                shared.chunks.append(chunk)
                shared.condition.signal()
                shared.condition.unlock()
            }
        }
        thread.name = "traceware.ingest.read"
        // As the main thread's: the reader's recursion depth (V1 parsing) was only ever tried there.
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit {
        shared.condition.lock()
        shared.cancelled = true
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    func nextEvent() throws -> Event? {
        if index < current.count {
            index += 1
            return current[index - 1]
        }
        if finished {
            if let error = pendingError {
                pendingError = nil
                throw error
            }
            return nil
        }
        shared.condition.lock()
        while shared.head == shared.chunks.count { shared.condition.wait() }
        let chunk = shared.chunks[shared.head]
        shared.chunks[shared.head].events = []
        shared.head += 1
        if shared.head >= 64 {
            shared.chunks.removeFirst(shared.head)
            shared.head = 0
        }
        shared.condition.signal()
        shared.condition.unlock()
        current = chunk.events
        index = 0
        bytesConsumed = chunk.bytes
        if chunk.final {
            finished = true
            pendingError = chunk.error
            damage = chunk.damage
        }
        return try nextEvent()
    }
}
