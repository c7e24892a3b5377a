// Port of Go 1.27.3 src/internal/trace/batchcursor.go: a cursor over one M's batches, and the min-heap of
// cursors (the frontier) ordered by the timestamp of each cursor's next event.

/// Go's `batchCursor`. Value type: the frontier is an array of these, moved as Go moves pointers.
struct BatchCursor {
    var m: ThreadID
    var lastTs = Time(0)
    /// Next index into the generation's flat batch buffer (Go: into this M's []batch).
    var idx: Int
    /// End of this M's batches in the flat buffer.
    var end: Int
    /// Next index into the current batch's data.
    var dataOff = 0
    /// Last read event. Its args are only overwritten, never cleared, as in Go: slots past an event's
    /// own arguments keep earlier values (including values the ordering smuggled in).
    var ev = BaseEvent(typ: Tracev2.evNone, time: Time(0))
    /// Absolute file offset of `ev` (for error messages).
    var evOffset: Int64 = 0

    init(m: ThreadID, batches range: (lo: Int, hi: Int)) {
        self.m = m
        self.idx = range.lo
        self.end = range.hi
    }

    /// Go's `nextEvent`: reads the next event, completing its timestamp. Returns false at the end.
    @inline(__always)
    mutating func nextEvent(
        _ batches: UnsafePointer<Batch>, _ store: UnsafePointer<UInt8>, _ freq: Frequency
    ) throws(TraceError) -> Bool {
        // Batches should generally always have at least one event, but be defensive and accept empty ones.
        while idx < end && batches[idx].end - batches[idx].start == dataOff {
            idx += 1
            dataOff = 0
            lastTs = Time(0)
        }
        // Have we reached the end of the batches?
        if idx == end {
            return false
        }
        let b = batches[idx]
        // Initialize lastTs if it hasn't been yet. (Quirk matched: an event time of exactly 0 also
        // re-initializes it from the batch's base time.)
        if lastTs.rawValue == 0 {
            lastTs = freq.mul(b.time)
        }
        // Read an event out.
        evOffset = b.fileOffset &+ Int64(dataOff)
        let p = store + b.start + dataOff
        let avail = b.end - b.start - dataOff
        let (n, tsdiff) = try readTimedBaseEvent(p, avail, &ev, evOffset)
        // Complete the timestamp from the cursor's last timestamp.
        ev.time = Time(freq.mul(tsdiff).rawValue &+ lastTs.rawValue)
        // Move the cursor's timestamp forward.
        lastTs = ev.time
        // Move the cursor forward.
        dataOff += n
        return true
    }
}

/// Go's `readTimedBaseEvent`: reads the raw event at p into e without interpreting the arguments, but
/// validating that it is a timed event. Returns the bytes read and the timestamp delta.
///
/// Quirk matched: Go checks against the full spec table (`tracev2.Specs()`), not the trace version's,
/// so event types newer than the trace's version are decoded too.
@inline(__always)
func readTimedBaseEvent(
    _ p: UnsafePointer<UInt8>, _ count: Int, _ e: inout BaseEvent, _ offset: Int64
) throws(TraceError) -> (Int, Timestamp) {
    // Get the event type.
    let typ = p[0]
    if Int(typ) >= Tracev2.allSpecs.count {
        throw TraceError(offset: offset, "found invalid event type: \(typ)")
    }
    e.typ = Tracev2.EventType(typ)

    // Get spec.
    let nargs = Int(Tracev2.timedArgCount[Int(typ)])
    if nargs <= 0 {
        throw TraceError(offset: offset, "found event without a timestamp: type=\(typ)")
    }
    var n = 1

    // Read timestamp diff.
    let (ts, nb) = uvarint(p + n, count - n)
    if nb <= 0 {
        throw TraceError(offset: offset, "found invalid uvarint for timestamp")
    }
    n += nb

    // Read the rest of the arguments.
    var i = 0
    while i < nargs - 1 {
        let (arg, nb) = uvarint(p + n, count - n)
        if nb <= 0 {
            throw TraceError(offset: offset, "found invalid uvarint")
        }
        e.args[i] = arg
        n += nb
        i += 1
    }
    return (n, ts)
}

// The frontier min-heap, ordered by ev.time; same algorithm as Go so ties resolve identically.

func heapInsert(_ heap: inout [BatchCursor], _ bc: BatchCursor) {
    // Add the cursor to the end of the heap, then sift the new entry up to the right place.
    heap.append(bc)
    _ = heapSiftUp(&heap, heap.count - 1)
}

func heapUpdate(_ heap: inout [BatchCursor], _ i: Int) {
    // Try to sift up.
    if heapSiftUp(&heap, i) != i {
        return
    }
    // Try to sift down, if sifting up failed.
    _ = heapSiftDown(&heap, i)
}

func heapRemove(_ heap: inout [BatchCursor], _ i0: Int) {
    var i = i0
    // Sift index i up to the root, ignoring actual values.
    while i > 0 {
        heap.swapAt((i - 1) / 2, i)
        i = (i - 1) / 2
    }
    // Swap the root with the last element, then remove it.
    heap.swapAt(0, heap.count - 1)
    heap.removeLast()
    // Sift the root down.
    _ = heapSiftDown(&heap, 0)
}

@discardableResult
func heapSiftUp(_ heap: inout [BatchCursor], _ i0: Int) -> Int {
    var i = i0
    while i > 0 && heap[(i - 1) / 2].ev.time > heap[i].ev.time {
        heap.swapAt((i - 1) / 2, i)
        i = (i - 1) / 2
    }
    return i
}

@discardableResult
func heapSiftDown(_ heap: inout [BatchCursor], _ i0: Int) -> Int {
    var i = i0
    while true {
        let m = min3(heap, i, 2 * i + 1, 2 * i + 2)
        if m == i {
            // Heap invariant already applies.
            break
        }
        heap.swapAt(i, m)
        i = m
    }
    return i
}

@inline(__always)
func min3(_ b: [BatchCursor], _ i0: Int, _ i1: Int, _ i2: Int) -> Int {
    var minIdx = i0
    var minT = Time.max
    if i0 < b.count {
        minT = b[i0].ev.time
    }
    if i1 < b.count {
        let t = b[i1].ev.time
        if t < minT {
            minT = t
            minIdx = i1
        }
    }
    if i2 < b.count {
        let t = b[i2].ev.time
        if t < minT {
            minT = t
            minIdx = i2
        }
    }
    return minIdx
}
