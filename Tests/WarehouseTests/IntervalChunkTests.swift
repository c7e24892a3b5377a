import Foundation
import Testing

@testable import Warehouse

/// The codec of goroutine_interval_chunks.data (IntervalChunk): every interval comes back as it went in, with
/// the edge values a moved warehouse may hold (negative, NULL, Int64 limits); a damaged blob is an error,
/// never a crash or a read outside the blob.
@Suite struct IntervalChunkTests {
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 17) % bound
        }
        mutating func value() -> Int64 {
            switch next(6) {
            case 0: return 0
            case 1: return Int64(next(100))
            case 2: return Int64(next(1 << 40))
            case 3: return -Int64(next(1 << 20))
            case 4: return [Int64.min, Int64.max, -1, 1][Int(next(4))]
            default: return Int64(next(5000))
            }
        }
        mutating func optional() -> Int64? { next(3) == 0 ? nil : value() }
    }

    /// Intervals as a goroutine's are (contiguous, ids counting up) mixed with arbitrary ones.
    static func intervals(_ random: inout Generator, count: Int) -> [IntervalChunk.Interval] {
        var out: [IntervalChunk.Interval] = []
        var start = random.value()
        var id = random.value()
        for _ in 0..<count {
            let contiguous = random.next(4) != 0
            if !contiguous { start = random.value() }
            id = contiguous ? id &+ 1 : random.value()
            let duration = contiguous ? Int64(random.next(100_000)) : random.value()
            out.append(
                IntervalChunk.Interval(
                    startNs: start, intervalID: id, kindID: random.next(2) == 0 ? Int64(random.next(9)) : random.value(),
                    durationNs: duration, stackID: random.optional(), wakerGoid: random.optional(),
                    wakerStackID: random.optional()))
            start = start &+ duration
        }
        return out
    }

    @Test func roundTrips() throws {
        var random = Generator(state: 7)
        for round in 0..<2000 {
            let count = round < 10 ? round + 1 : Int(random.next(300)) + 1
            let intervals = Self.intervals(&random, count: count)
            let encoder = IntervalChunk.encode(intervals)
            #expect(encoder.count == intervals.count)
            #expect(encoder.firstStartNs == intervals[0].startNs)
            #expect(encoder.firstIntervalID == intervals[0].intervalID)
            #expect(encoder.lastEndNs == intervals.map { max($0.endNs, $0.startNs) }.max())
            let decoded = try IntervalChunk.decode(
                encoder.bytes, firstStartNs: encoder.firstStartNs, firstIntervalID: encoder.firstIntervalID,
                count: encoder.count)
            #expect(decoded == intervals)
            if decoded != intervals { return }
        }
    }

    /// A goroutine's usual intervals (contiguous, small kinds, ids +1, a stack) take a few bytes each.
    @Test func contiguousIntervalsAreSmall() {
        var encoder = IntervalChunk.Encoder()
        var start: Int64 = 1_000_000
        for i in 0..<1000 {
            let duration = Int64(1000 + i % 3000)
            encoder.append(
                startNs: start, intervalID: Int64(50_000 + i), kindID: Int64(i % 3), durationNs: duration,
                stackID: i % 3 == 2 ? 17 : nil, wakerGoid: nil, wakerStackID: nil)
            start += duration
        }
        // flag + 2-byte duration (+ a 1-byte stack on a third)
        #expect(encoder.bytes.count <= 1 + 1000 * 3 + 334)
    }

    /// Every truncation and many single-byte changes of real chunks: decode throws or returns intervals, and
    /// under the address sanitizer or bounds-checked arrays it never reads outside the blob.
    @Test func damagedChunksThrowOrDecode() throws {
        var random = Generator(state: 3)
        var thrown = 0
        for _ in 0..<200 {
            let intervals = Self.intervals(&random, count: Int(random.next(40)) + 1)
            let encoder = IntervalChunk.encode(intervals)
            let bytes = encoder.bytes
            for cut in 0..<bytes.count {
                do {
                    _ = try IntervalChunk.decode(
                        Array(bytes[..<cut]), firstStartNs: encoder.firstStartNs,
                        firstIntervalID: encoder.firstIntervalID, count: encoder.count)
                    Issue.record("a chunk cut at \(cut) of \(bytes.count) bytes decoded")
                } catch is IntervalChunk.CorruptChunk {
                    thrown += 1
                }
            }
            for _ in 0..<20 {
                var damaged = bytes
                damaged[Int(random.next(UInt64(bytes.count)))] = UInt8(random.next(256))
                do {
                    _ = try IntervalChunk.decode(
                        damaged, firstStartNs: encoder.firstStartNs, firstIntervalID: encoder.firstIntervalID,
                        count: encoder.count)
                } catch is IntervalChunk.CorruptChunk {
                    thrown += 1
                }
            }
            // A wrong count in the row is an error too.
            #expect(throws: IntervalChunk.CorruptChunk.self) {
                _ = try IntervalChunk.decode(
                    bytes, firstStartNs: encoder.firstStartNs, firstIntervalID: encoder.firstIntervalID,
                    count: encoder.count + 1)
            }
        }
        #expect(thrown > 0)
        // An overlong varint (more than 64 bits of continuation) is refused, not shifted past 64.
        let overlong: [UInt8] = [IntervalChunk.format, 0] + Array(repeating: 0xFF, count: 12) + [0]
        #expect(throws: IntervalChunk.CorruptChunk.self) {
            _ = try IntervalChunk.decode(overlong, firstStartNs: 0, firstIntervalID: 1, count: 1)
        }
        #expect(throws: IntervalChunk.CorruptChunk.self) {
            _ = try IntervalChunk.decode([9, 0, 0], firstStartNs: 0, firstIntervalID: 1, count: 1)
        }
    }
}
