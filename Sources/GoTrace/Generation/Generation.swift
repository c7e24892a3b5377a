// Port of Go 1.27.3 src/internal/trace/generation.go: buffering one generation's batches and decoding
// its structural parts (strings, stacks, CPU samples, sync/frequency, experimental batches).

/// Go's `generation`: all the trace data for a single generation. Purely data.
final class Generation {
    var gen: UInt64 = 0
    /// Go's embedded *evTable.
    let table = EvTable()
    /// The bytes of this generation's event batches.
    let store: ByteStore
    /// Go's `batches map[ThreadID][]batch`, as lists indexed by position in `batchMs`.
    var batches: [[Batch]] = []
    var batchIndex: [ThreadID: Int] = [:]
    /// Ms in order of first appearance (Go's `batchMs`).
    var batchMs: [ThreadID] = []
    var cpuSamples: [CPUSample] = []
    var minTs: Timestamp = 0

    /// After reading: every event batch in one buffer, each M's batches contiguous (M i's are
    /// `flatRanges[i]`), so batch cursors walk raw memory with no reference counting.
    private(set) var flat = UnsafeMutableBufferPointer<Batch>(start: nil, count: 0)
    private(set) var flatRanges: [(lo: Int, hi: Int)] = []

    init(store: ByteStore) { self.store = store }

    deinit { flat.deallocate() }

    /// Builds `flat` from `batches` (once, when the generation is complete).
    func flatten() {
        let total = batches.reduce(0) { $0 + $1.count }
        flat.deallocate()
        flat = .allocate(capacity: total)
        flatRanges = []
        guard let base = flat.baseAddress else { return }
        var i = 0
        for list in batches {
            let lo = i
            for b in list {
                (base + i).initialize(to: b)
                i += 1
            }
            flatRanges.append((lo, i))
        }
    }

    var hasBatches: Bool { !batches.isEmpty }
}

/// Go's `spilledBatch`: the first batch of the next generation, read while looking for the end of the
/// previous one (traces before Go 1.26 have no end-of-generation signal). Its bytes are kept apart so
/// the previous generation's buffer can be released.
struct SpilledBatch {
    var gen: UInt64
    var batch: Batch
    var data: [UInt8]
    /// File offset of the batch's header: where its generation begins (`batch.fileOffset` is its data's).
    var headerOffset: Int64
}

/// A generation over `store` (recycled from the previous generation when given).
private func newGeneration(_ store: ByteStore?) -> Generation {
    guard let store else { return Generation(store: ByteStore()) }
    store.reset()
    return Generation(store: store)
}

/// Go's `readGeneration` (Go 1.26+ traces, with explicit end-of-generation batches). Returns nil when
/// the trace is exhausted.
func readGeneration(_ r: FileReader, _ ver: TraceVersion, reuse: ByteStore? = nil) throws(TraceError) -> Generation? {
    if ver < .go126 {
        throw TraceError(path: r.path, "internal error: readGeneration called for <1.26 trace")
    }
    let g = newGeneration(reuse)
    let genStart = r.offset
    // Read batches one at a time until we hit the next generation.
    while true {
        let start = r.offset
        let res = try readBatch(r, into: g.store)
        guard case .batch(let b, let gen) = res else {
            if g.hasBatches {
                throw TraceError(path: r.path, offset: start, "incomplete generation found; trace likely truncated")
            }
            return nil  // All done.
        }
        if g.gen == 0 {
            // Initialize gen. (Go does this before the end-of-generation check, so an
            // EndOfGeneration batch first sets gen to 0, i.e. leaves it unset.)
            g.gen = gen
        }
        if b.isEndOfGeneration(g.store) {
            g.store.truncate(to: b.start)
            break
        }
        if gen == 0 {
            // 0 is a sentinel used by the runtime, so we'll never see it.
            throw TraceError(path: r.path, offset: start, "invalid generation number \(gen)")
        }
        if gen != g.gen {
            throw TraceError(
                path: r.path, offset: start,
                "broken trace: missing end-of-generation event, or generations are interleaved")
        }
        if g.minTs == 0 || b.time < g.minTs {
            g.minTs = b.time
        }
        try processBatch(g, b, ver, path: r.path)
    }
    try finishGeneration(g, ver, path: r.path, at: genStart, requireClockSnapshot: true)
    return g
}

/// Go's `readGenerationWithSpill` (traces before Go 1.26). Returns the generation (nil if none), the
/// first batch of the next generation if one was read, and an error reading that spill, which must be
/// reported only after the generation has been consumed, with the file offset of the batch that failed
/// (everything before it was read into the generation).
func readGenerationWithSpill(
    _ r: FileReader, _ spillIn: SpilledBatch?, _ ver: TraceVersion, reuse: ByteStore? = nil
) throws(TraceError) -> (Generation?, SpilledBatch?, (error: TraceError, at: Int64)?) {
    if ver >= .go126 {
        throw TraceError(path: r.path, "internal error: readGenerationWithSpill called for Go 1.26+ trace")
    }
    let g = newGeneration(reuse)
    // Where this generation starts in the file (for errors about the generation as a whole).
    let genStart = spillIn?.batch.fileOffset ?? r.offset
    // Process the spilled batch, which contains real data.
    if let spill = spillIn {
        g.gen = spill.gen
        g.minTs = spill.batch.time
        var b = spill.batch
        let start = g.store.count
        spill.data.withUnsafeBufferPointer { g.store.append($0) }
        b.start = start
        b.end = start + spill.data.count
        try processBatch(g, b, ver, path: r.path)
    }
    var spill: SpilledBatch? = nil
    // Read batches one at a time until we either hit the next generation.
    var spillErr: (error: TraceError, at: Int64)? = nil
    while true {
        let start = r.offset
        let res: BatchRead
        do {
            res = try readBatch(r, into: g.store)
        } catch {
            if g.gen != 0 {
                // This may be an error reading the first batch of the next generation.
                // This is fine. Let's forge ahead assuming that what we've got so far is fine.
                spillErr = (error, start)
                break
            }
            throw error
        }
        guard case .batch(let b, let gen) = res else { break }  // io.EOF
        if gen == 0 {
            // 0 is a sentinel used by the runtime, so we'll never see it.
            throw TraceError(path: r.path, offset: start, "invalid generation number \(gen)")
        }
        if g.gen == 0 {
            // Initialize gen.
            g.gen = gen
        }
        if gen == g.gen &+ 1 {
            // TODO (as in Go): increment the generation with wraparound the same way the runtime does.
            let data = g.store.bytes(b.start, b.end)
            g.store.truncate(to: b.start)
            spill = SpilledBatch(gen: gen, batch: b, data: data, headerOffset: start)
            break
        }
        if gen != g.gen {
            // N.B. Fail as fast as possible if we see this: if the batches are mixed across
            // generations then it's likely we can't parse this generation correctly at all.
            throw TraceError(path: r.path, offset: start, "generations out of order")
        }
        if g.minTs == 0 || b.time < g.minTs {
            g.minTs = b.time
        }
        try processBatch(g, b, ver, path: r.path)
    }
    try finishGeneration(g, ver, path: r.path, at: genStart, requireClockSnapshot: ver >= .go125)
    return (g, spill, spillErr)
}

/// The common tail of both readGeneration variants: invariants, compaction, validation, CPU samples.
/// Errors about the generation as a whole are located at `start`, where the generation begins.
private func finishGeneration(
    _ g: Generation, _ ver: TraceVersion, path: String, at start: Int64, requireClockSnapshot: Bool
) throws(TraceError) {
    // Check some invariants.
    if g.table.freq.value == 0 {
        throw TraceError(path: path, offset: start, "no frequency event found")
    }
    if requireClockSnapshot && !g.table.hasClockSnapshot {
        throw TraceError(path: path, offset: start, "no clock snapshot event found")
    }

    // N.B. Trust that the batch order is correct (see Go's comment): the source of truth is the order
    // things appear in the trace and the partial order sequence numbers on certain events.

    // Compactify stacks and strings for better lookup performance later.
    g.table.stacks.compactify()
    g.table.strings.compactify()

    // Validate stacks.
    if let err = validateStackStrings(g.table.stacks, g.table.strings, g.table.pcs) {
        throw err.located(path: path, offset: start)
    }

    // Now that we have the frequency, fix up CPU samples.
    fixUpCPUSamples(&g.cpuSamples, g.table.freq)
    g.flatten()
}

/// Go's `processBatch`: adds the batch to the generation.
func processBatch(_ g: Generation, _ b: Batch, _ ver: TraceVersion, path: String) throws(TraceError) {
    let s = g.store
    do throws(TraceError) {
        if b.isStringsBatch(s) {
            try addStrings(&g.table.strings, b, s)
            s.truncate(to: b.start)
        } else if b.isStacksBatch(s) {
            try addStacks(&g.table.stacks, &g.table.pcs, b, s)
            s.truncate(to: b.start)
        } else if b.isCPUSamplesBatch(s) {
            try addCPUSamples(&g.cpuSamples, b, s)
            s.truncate(to: b.start)
        } else if b.isSyncBatch(s, ver) {
            try setSyncBatch(g.table, b, s, ver)
            s.truncate(to: b.start)
        } else if b.exp != Tracev2.noExperiment {
            g.table.expBatches[b.exp, default: []].append(
                ExperimentalBatch(thread: b.m, data: s.bytes(b.start, b.end)))
            s.truncate(to: b.start)
        } else if b.isEndOfGeneration(s) {
            throw TraceError("internal error: unexpectedly processing EndOfGeneration; broken trace?")
        } else {
            if let i = g.batchIndex[b.m] {
                g.batches[i].append(b)
            } else {
                g.batchIndex[b.m] = g.batches.count
                g.batchMs.append(b.m)
                g.batches.append([b])
            }
        }
    } catch {
        throw error.located(path: path, offset: b.fileOffset)
    }
}

/// Go's `validateStackStrings`: every PC of every stack has a frame whose strings exist.
func validateStackStrings(
    _ stacks: DataTable<StackID, StackEntry>, _ strings: DataTable<StringID, String>, _ frames: [UInt64: Frame]
) -> TraceError? {
    var err: TraceError? = nil
    _ = stacks.forEach { id, stk in
        for pc in stk.pcs {
            guard let frame = frames[pc] else {
                err = TraceError("found unknown pc \(String(pc, radix: 16)) for stack \(id.rawValue)")
                return false
            }
            if strings.get(frame.funcID) == nil {
                err = TraceError("found invalid func string ID \(frame.funcID.rawValue) for stack \(id.rawValue)")
                return false
            }
            if strings.get(frame.fileID) == nil {
                err = TraceError("found invalid file string ID \(frame.fileID.rawValue) for stack \(id.rawValue)")
                return false
            }
        }
        return true
    }
    return err
}

/// Wraps a Go io error from a ByteCursor at the cursor's position.
private func ioErr(_ e: GoIOError, _ b: Batch, _ c: ByteCursor, _ prefix: String = "") -> TraceError {
    TraceError(offset: b.fileOffset &+ Int64(c.pos), prefix + e.message)
}

/// Go's `addStrings`: a batch that starts with EvStrings holds only EvString entries.
func addStrings(_ table: inout DataTable<StringID, String>, _ b: Batch, _ s: ByteStore) throws(TraceError) {
    var r = ByteCursor(s.base + b.start, b.end - b.start)
    guard let hdr = try? r.readByte(), hdr == Tracev2.evStrings.rawValue else {
        throw TraceError(offset: b.fileOffset, "missing strings batch header")
    }
    while r.remaining != 0 {
        let itemStart = r.pos
        do {
            // Read the header.
            let ev = try r.readByte()
            if ev != Tracev2.evString.rawValue {
                throw TraceError(offset: b.fileOffset &+ Int64(itemStart), "expected string event, got \(ev)")
            }
            // Read the string's ID and length.
            let id = try r.readUvarint()
            let len = try r.readUvarint()
            if len > Tracev2.maxEventTrailerDataSize {
                throw TraceError(
                    offset: b.fileOffset &+ Int64(itemStart),
                    "invalid string size \(len), maximum is \(Tracev2.maxEventTrailerDataSize)")
            }
            // Copy out the string.
            let n = min(Int(len), r.remaining)
            if n != Int(len) {
                throw TraceError(
                    offset: b.fileOffset &+ Int64(itemStart), "failed to read full string: read \(n) but wanted \(len)")
            }
            // N.B. Go keeps the raw bytes: decode losslessly (invalid UTF-8 survives; Event/TraceString.swift).
            let str = decodeTraceString(UnsafeBufferPointer(start: r.base + r.pos, count: n))
            r.pos += n
            // Add the string to the map.
            if let err = table.insert(StringID(id), str) {
                throw err.located(path: "", offset: b.fileOffset &+ Int64(itemStart))
            }
        } catch let e as GoIOError {
            throw ioErr(e, b, r)
        } catch let e as TraceError {
            throw e
        } catch {
            throw TraceError("\(error)")
        }
    }
}

/// Go's `addStacks`: a batch that starts with EvStacks holds only EvStack entries.
func addStacks(
    _ table: inout DataTable<StackID, StackEntry>, _ pcs: inout [UInt64: Frame], _ b: Batch, _ s: ByteStore
) throws(TraceError) {
    var r = ByteCursor(s.base + b.start, b.end - b.start)
    guard let hdr = try? r.readByte(), hdr == Tracev2.evStacks.rawValue else {
        throw TraceError(offset: b.fileOffset, "missing stacks batch header")
    }
    while r.remaining != 0 {
        let itemStart = r.pos
        let here = b.fileOffset &+ Int64(itemStart)
        let ev: UInt8, id: UInt64, nFrames: UInt64
        do {
            ev = try r.readByte()
        } catch { throw ioErr(error, b, r) }
        if ev != Tracev2.evStack.rawValue {
            throw TraceError(offset: here, "expected stack event, got \(ev)")
        }
        do {
            // Read the stack's ID and how many frames are in it.
            id = try r.readUvarint()
            nFrames = try r.readUvarint()
        } catch { throw ioErr(error, b, r) }
        if nFrames > Tracev2.maxFramesPerStack {
            throw TraceError(offset: here, "invalid stack size \(nFrames), maximum is \(Tracev2.maxFramesPerStack)")
        }
        // Each frame consists of 4 fields: pc, funcID (string), fileID (string), line.
        var frames: [UInt64] = []
        frames.reserveCapacity(Int(nFrames))
        var i: UInt64 = 0
        while i < nFrames {
            let pc: UInt64, funcID: UInt64, fileID: UInt64, line: UInt64
            do { pc = try r.readUvarint() } catch {
                throw ioErr(error, b, r, "reading frame \(i + 1)'s PC for stack \(id): ")
            }
            do { funcID = try r.readUvarint() } catch {
                throw ioErr(error, b, r, "reading frame \(i + 1)'s funcID for stack \(id): ")
            }
            do { fileID = try r.readUvarint() } catch {
                throw ioErr(error, b, r, "reading frame \(i + 1)'s fileID for stack \(id): ")
            }
            do { line = try r.readUvarint() } catch {
                throw ioErr(error, b, r, "reading frame \(i + 1)'s line for stack \(id): ")
            }
            frames.append(pc)
            if pcs[pc] == nil {
                pcs[pc] = Frame(pc: pc, funcID: StringID(funcID), fileID: StringID(fileID), line: line)
            }
            i += 1
        }
        // Add the stack to the map.
        if let err = table.insert(StackID(id), StackEntry(pcs: frames)) {
            throw err.located(path: "", offset: here)
        }
    }
}

/// Go's `addCPUSamples`: a batch that starts with EvCPUSamples holds only EvCPUSample entries.
func addCPUSamples(_ samples: inout [CPUSample], _ b: Batch, _ s: ByteStore) throws(TraceError) {
    var r = ByteCursor(s.base + b.start, b.end - b.start)
    guard let hdr = try? r.readByte(), hdr == Tracev2.evCPUSamples.rawValue else {
        throw TraceError(offset: b.fileOffset, "missing CPU samples batch header")
    }
    while r.remaining != 0 {
        let itemStart = r.pos
        let ev: UInt8
        do { ev = try r.readByte() } catch { throw ioErr(error, b, r) }
        if ev != Tracev2.evCPUSample.rawValue {
            throw TraceError(offset: b.fileOffset &+ Int64(itemStart), "expected CPU sample event, got \(ev)")
        }
        do {
            let ts = try r.readUvarint()
            let m = try r.readUvarint()
            let p = try r.readUvarint()
            let g = try r.readUvarint()
            let st = try r.readUvarint()
            let goid = g == 0 ? GoID.none : GoID(Int64(bitPattern: g))
            samples.append(
                CPUSample(
                    ctx: SchedCtx(g: goid, p: ProcID(Int64(bitPattern: p)), m: ThreadID(Int64(bitPattern: m))),
                    time: Time(Int64(bitPattern: ts)),  // N.B. this is really a "timestamp," not a Time.
                    stack: StackID(st)))
        } catch { throw ioErr(error, b, r) }
    }
}

/// Go's `setSyncBatch`: the frequency and (Go 1.25+) clock snapshot of a generation.
func setSyncBatch(_ t: EvTable, _ b: Batch, _ s: ByteStore, _ ver: TraceVersion) throws(TraceError) {
    var r = ByteCursor(s.base + b.start, b.end - b.start)
    if ver >= .go125 {
        guard let hdr = try? r.readByte(), hdr == Tracev2.evSync.rawValue else {
            throw TraceError(offset: b.fileOffset, "missing sync batch header")
        }
    }
    var lastTs = b.time
    while r.remaining != 0 {
        let itemStart = r.pos
        let ev: UInt8
        do { ev = try r.readByte() } catch { throw ioErr(error, b, r) }
        let et = Tracev2.EventType(ev)
        do {
            if et == Tracev2.evFrequency {
                if t.freq.value != 0 {
                    throw TraceError(offset: b.fileOffset &+ Int64(itemStart), "found multiple frequency events")
                }
                // Read the frequency. It'll come out as timestamp units per second.
                let f = try r.readUvarint()
                // Convert to nanoseconds per timestamp unit.
                t.freq = Frequency(value: 1.0 / (Double(f) / 1e9))
            } else if et == Tracev2.evClockSnapshot && ver >= .go125 {
                if t.hasClockSnapshot {
                    throw TraceError(offset: b.fileOffset &+ Int64(itemStart), "found multiple clock snapshot events")
                }
                t.hasClockSnapshot = true
                let tdiff = try r.readUvarint()
                lastTs &+= tdiff
                t.snapTime = lastTs
                t.snapMono = try r.readUvarint()
                let sec = try r.readUvarint()
                let nsec = try r.readUvarint()
                t.snapWall = WallTime(unixSeconds: Int64(bitPattern: sec), nanoseconds: Int64(bitPattern: nsec))
            } else {
                throw TraceError(
                    offset: b.fileOffset &+ Int64(itemStart), "expected frequency or clock snapshot event, got \(ev)")
            }
        } catch let e as GoIOError {
            throw ioErr(e, b, r)
        } catch let e as TraceError {
            throw e
        } catch {
            throw TraceError("\(error)")
        }
    }
}

/// Go's `fixUpCPUSamples`: convert timestamps now that the frequency is known, then sort by time
/// (with Go's unstable sort, so equal times come out in Go's order).
func fixUpCPUSamples(_ samples: inout [CPUSample], _ freq: Frequency) {
    for i in samples.indices {
        samples[i].time = freq.mul(UInt64(bitPattern: samples[i].time.rawValue))
    }
    goSortFunc(&samples) { $0.time < $1.time }
}
