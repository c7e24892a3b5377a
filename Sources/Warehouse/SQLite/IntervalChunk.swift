/// The encoding of `goroutine_interval_chunks.data` (migration 0014): one goroutine's consecutive
/// goroutine_intervals rows, in key order (start_ns, then interval_id), packed into one blob so that a chunk
/// of hundreds of intervals is one SQLite row (one insert, ~6-9 bytes an interval instead of one b-tree row
/// of ~30 bytes each).
///
/// Layout: a format byte (1), then per interval a flag byte and varints. The first interval's start and id
/// are the chunk's key columns (first_start_ns, first_interval_id), so the blob is read with them:
/// - flag bits 0-2: kind_id when it is 0-6, 7 when a varint kind follows;
/// - bit 3: a zigzag varint gap follows: start - previous end (absent: the interval starts where the previous
///   one ended, which is how a goroutine's states follow each other; the first interval: start = first_start_ns);
/// - bit 4: a zigzag varint id step follows: interval_id - previous interval_id (absent: +1; the first
///   interval: interval_id = first_interval_id);
/// - bit 5: stack_id follows (zigzag varint), bit 6: waker_goid, bit 7: waker_stack_id (absent: NULL);
/// - then the duration (zigzag varint), before the optional fields in the order above.
/// Zigzag everywhere a value could be negative: a valid trace never gives a negative duration or gap, but an
/// older warehouse's rows are moved as they are.
enum IntervalChunk {
    static let format: UInt8 = 1
    /// A chunk closes at this many intervals or `maxBytes` of data, whichever comes first: a row stays well
    /// under the 64 KiB page's overflow threshold, and a window query decodes at most this much of a chunk it
    /// only partly needs.
    static let maxIntervals = 1024
    static let maxBytes = 4096

    struct Interval: Equatable {
        var startNs: Int64
        var intervalID: Int64
        var kindID: Int64
        var durationNs: Int64
        var stackID: Int64?
        var wakerGoid: Int64?
        var wakerStackID: Int64?

        var endNs: Int64 { startNs &+ durationNs }

        /// The table's key order within a goroutine.
        @inline(__always) static func keyLess(_ a: Interval, _ b: Interval) -> Bool {
            a.startNs != b.startNs ? a.startNs < b.startNs : a.intervalID < b.intervalID
        }
    }

    struct CorruptChunk: Error, CustomStringConvertible {
        var description: String
    }

    // MARK: Encoding

    /// Appends intervals to one chunk's bytes. The first interval's start and id go in the key columns.
    struct Encoder {
        private(set) var bytes: [UInt8] = [IntervalChunk.format]
        private(set) var count = 0
        private(set) var firstStartNs: Int64 = 0
        private(set) var firstIntervalID: Int64 = 0
        /// The largest end (or start, if larger) in the chunk: last_end_ns.
        private(set) var lastEndNs: Int64 = .min
        /// The last interval appended (start, id), to tell whether the chunk stays in key order.
        private(set) var lastStartNs: Int64 = 0
        private(set) var lastIntervalID: Int64 = 0
        private var previousEnd: Int64 = 0

        init() {}

        @inline(__always) mutating func append(_ interval: Interval) {
            append(
                startNs: interval.startNs, intervalID: interval.intervalID, kindID: interval.kindID,
                durationNs: interval.durationNs, stackID: interval.stackID, wakerGoid: interval.wakerGoid,
                wakerStackID: interval.wakerStackID)
        }

        @inline(__always) mutating func append(
            startNs: Int64, intervalID: Int64, kindID: Int64, durationNs: Int64, stackID: Int64?, wakerGoid: Int64?,
            wakerStackID: Int64?
        ) {
            if count == 0 {
                firstStartNs = startNs
                firstIntervalID = intervalID
                previousEnd = startNs
                lastIntervalID = intervalID &- 1
            }
            let gap = startNs &- previousEnd
            let step = intervalID &- lastIntervalID
            var flag: UInt8 = kindID >= 0 && kindID < 7 ? UInt8(kindID) : 7
            if gap != 0 { flag |= 1 << 3 }
            if step != 1 { flag |= 1 << 4 }
            if stackID != nil { flag |= 1 << 5 }
            if wakerGoid != nil { flag |= 1 << 6 }
            if wakerStackID != nil { flag |= 1 << 7 }
            bytes.append(flag)
            putVarint(zigzag(durationNs))
            if flag & 7 == 7 { putVarint(zigzag(kindID)) }
            if gap != 0 { putVarint(zigzag(gap)) }
            if step != 1 { putVarint(zigzag(step)) }
            if let stackID { putVarint(zigzag(stackID)) }
            if let wakerGoid { putVarint(zigzag(wakerGoid)) }
            if let wakerStackID { putVarint(zigzag(wakerStackID)) }
            let end = startNs &+ durationNs
            previousEnd = end
            // last_end_ns bounds every start too (a moved warehouse's duration may be negative).
            let reach = end > startNs ? end : startNs
            if reach > lastEndNs { lastEndNs = reach }
            lastStartNs = startNs
            lastIntervalID = intervalID
            count += 1
        }

        var isFull: Bool { count >= IntervalChunk.maxIntervals || bytes.count >= IntervalChunk.maxBytes }

        @inline(__always) private mutating func putVarint(_ value: UInt64) {
            var v = value
            while v >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
                v >>= 7
            }
            bytes.append(UInt8(v))
        }
    }

    @inline(__always) static func zigzag(_ v: Int64) -> UInt64 {
        UInt64(bitPattern: (v << 1) ^ (v >> 63))
    }

    @inline(__always) static func unzigzag(_ v: UInt64) -> Int64 {
        Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    /// Encodes intervals (in the order given) as one chunk.
    static func encode(_ intervals: [Interval]) -> Encoder {
        var encoder = Encoder()
        for interval in intervals { encoder.append(interval) }
        return encoder
    }

    // MARK: Decoding

    /// Decodes a chunk's data, given its key columns and interval_count, appending to `out`. Every read is
    /// bounds-checked: a damaged blob throws CorruptChunk, never reads outside `data`.
    static func decode(
        _ data: UnsafeRawBufferPointer, firstStartNs: Int64, firstIntervalID: Int64, count expected: Int,
        into out: inout [Interval]
    ) throws {
        guard data.count >= 1 else { throw CorruptChunk(description: "empty interval chunk") }
        guard data[0] == format else {
            throw CorruptChunk(description: "interval chunk of unknown format \(data[0])")
        }
        guard expected >= 0 && expected <= data.count else {
            throw CorruptChunk(description: "interval chunk says \(expected) intervals in \(data.count) bytes")
        }
        var offset = 1
        let end = data.count

        @inline(__always) func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard offset < end else { throw CorruptChunk(description: "interval chunk cut short at byte \(offset)") }
                let byte = data[offset]
                offset += 1
                guard shift < 64 else { throw CorruptChunk(description: "overlong varint at byte \(offset - 1)") }
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return result }
                shift += 7
            }
        }

        var previousEnd = firstStartNs
        var previousID = firstIntervalID &- 1
        var decoded = 0
        out.reserveCapacity(out.count + expected)
        while offset < end {
            let flag = data[offset]
            offset += 1
            let duration = unzigzag(try varint())
            let kind: Int64 = flag & 7 == 7 ? unzigzag(try varint()) : Int64(flag & 7)
            let start = flag & (1 << 3) != 0 ? previousEnd &+ unzigzag(try varint()) : previousEnd
            let id = flag & (1 << 4) != 0 ? previousID &+ unzigzag(try varint()) : previousID &+ 1
            let stack: Int64? = flag & (1 << 5) != 0 ? unzigzag(try varint()) : nil
            let waker: Int64? = flag & (1 << 6) != 0 ? unzigzag(try varint()) : nil
            let wakerStack: Int64? = flag & (1 << 7) != 0 ? unzigzag(try varint()) : nil
            out.append(
                Interval(
                    startNs: start, intervalID: id, kindID: kind, durationNs: duration, stackID: stack,
                    wakerGoid: waker, wakerStackID: wakerStack))
            previousEnd = start &+ duration
            previousID = id
            decoded += 1
        }
        guard decoded == expected else {
            throw CorruptChunk(description: "interval chunk holds \(decoded) intervals, its row says \(expected)")
        }
    }

    static func decode(_ bytes: [UInt8], firstStartNs: Int64, firstIntervalID: Int64, count: Int) throws -> [Interval] {
        var out: [Interval] = []
        try bytes.withUnsafeBytes {
            try decode($0, firstStartNs: firstStartNs, firstIntervalID: firstIntervalID, count: count, into: &out)
        }
        return out
    }
}
