// Port of Go 1.27.3 src/internal/trace/reader.go: the public trace reader. It streams a trace one
// generation at a time (plus, before Go 1.26, the first batch of the next one), validating it and
// producing events in Go's order.

/// Reads a Go execution trace file, validates it, and produces its events in the same order and with the
/// same content as Go's `internal/trace.Reader`.
///
/// Provided the trace is non-empty, the Reader always produces a Sync event first and a Sync event last
/// (with any number of Sync events in between: one per generation).
public final class Reader {
    /// The trace file's path.
    public let path: String
    /// The trace's format version, from its header.
    public let version: TraceVersion
    /// Bytes of the file consumed when the last Sync event was produced (the part of the trace known to be
    /// good; cmd/trace uses this for its "Lost N% of the latest trace data" warning, though Go counts
    /// bufio's reads, so its figure can be slightly larger).
    public private(set) var validBytes: Int64 = 0
    /// Length of the file prefix that holds exactly what was read up to the last Sync event: Go reads those
    /// bytes alone, without error, to the same events (up to and including that Sync, which then stands as
    /// the final one). Where the data before each Sync ends: a generation's Sync comes out before its events,
    /// so it stands for the generations before it, which end where its own first batch begins; the Sync
    /// emitted before an error stands for everything delivered, which ends where the failed read began; the
    /// final Sync, for the whole file. Unlike `validBytes` it never includes read-ahead. 0 for legacy
    /// (pre-1.22) traces, which have no generations.
    public private(set) var completeBytes: Int64 = 0

    private let r: FileReader
    // Hot state: no dynamic exclusivity checks (a Reader is used from one thread at a time and never
    // hands out overlapping accesses).
    @exclusivity(unchecked) private var lastTs = Time(0)
    @exclusivity(unchecked) private var gen: Generation? {
        didSet {
            // Raw views of the installed generation for the hot path (kept alive by `gen`).
            if let gen, let flat = gen.flat.baseAddress {
                curBatches = UnsafePointer(flat)
                curStore = UnsafePointer(gen.store.base)
            } else {
                curBatches = nil
                curStore = nil
            }
            curTable = gen?.table
            curFreq = gen?.table.freq ?? Frequency()
            if let gen {
                lastGoodFreq = gen.table.freq
                lastGoodGen = gen.gen
            }
            curGenNumber = gen?.gen ?? 0
        }
    }
    @exclusivity(unchecked) private var curBatches: UnsafePointer<Batch>?
    @exclusivity(unchecked) private var curStore: UnsafePointer<UInt8>?
    @exclusivity(unchecked) private unowned(unsafe) var curTable: EvTable? = nil
    @exclusivity(unchecked) private var curFreq = Frequency()
    /// The frequency of the last generation installed (kept after an error, for `lostTailEndTime`).
    private var lastGoodFreq = Frequency()
    private var lastGoodGen: UInt64 = 0
    /// Where the generation being read (or last read) begins, and the time of its batch that was spilled
    /// into the previous read: where `lostTailEndTime` starts looking.
    private var tailStart: Int64 = 0
    private var tailSpillTime: Timestamp? = nil
    @exclusivity(unchecked) private var curGenNumber: UInt64 = 0
    /// File offset of the event last advanced through the ordering (where queued events come from).
    @exclusivity(unchecked) private var lastEventOffset: Int64? = nil
    @exclusivity(unchecked) private var frontier: [BatchCursor] = []
    @exclusivity(unchecked) private var cpuSamples: [CPUSample] = []
    @exclusivity(unchecked) private var cpuNext = 0
    private let order: Ordering
    private var syncs = 0
    private var readGenErr: TraceError?
    @exclusivity(unchecked) private var done = false

    // Spill state. Traces before Go 1.26 had no explicit end-of-generation signal, so the first batch of
    // the next generation must be read to find the end of one; it is "spilled" into the next.
    private var spill: SpilledBatch?
    /// Error from reading the spill.
    private var spillErr: TraceError?
    /// Whether we emitted a Sync before reporting spillErr.
    private var spillErrSync = false
    /// Where the batch that failed with spillErr begins (or the generation, for an error reading it).
    private var spillErrAt: Int64 = 0

    /// Once an error was returned, it is returned again (Go leaves the Reader's behaviour unspecified).
    @exclusivity(unchecked) private var failed: (any Error)?

    /// The legacy (Go 1.11–1.21) path: the next event of the trace parsed and converted by V1.
    private var v1Events: (() throws -> Event?)?

    /// Go's `NewReader`: reads the header and readies the reader for that version.
    public init(path: String) throws {
        self.path = path
        let fr = try FileReader(path: path)
        let prefix: [UInt8]
        do { prefix = try fr.peekPrefix(64) } catch {
            throw TraceError(path: path, offset: 0, error.message)
        }
        guard let header = parseTraceHeader(prefix[...]) else {
            throw TraceError(path: path, offset: 0, "bad file format: not a Go execution trace?")
        }
        guard let v = TraceVersion(rawValue: header.version) else {
            throw TraceError(path: path, offset: 0, "unknown or unsupported trace version go 1.\(header.version)")
        }
        self.version = v
        self.order = Ordering(traceVer: v)
        if v.isLegacy {
            // The single hand-off to the legacy (v1) format: Go's tracev1.Parse + convertV1Trace.
            self.r = fr
            self.v1Events = try Reader.openLegacy(path: path, version: v, headerLength: header.length)
            return
        }
        fr.skip(header.length)
        self.r = fr
    }

    /// The single hook into the legacy (Go 1.11–1.21) reader in V1/.
    private static func openLegacy(
        path: String, version: TraceVersion, headerLength: Int
    ) throws -> () throws -> Event? {
        let v1 = try V1.open(path: path, version: Int(version.rawValue), headerLength: headerLength)
        return { try v1.readEvent() }
    }

    /// Go's `ReadEvent`: the next event, or nil once the trace is exhausted. Errors carry the file and,
    /// where known, the byte offset.
    public func readEvent() throws -> Event? {
        if let failed { throw failed }
        // Return only EOF if we're done.
        if done { return nil }
        do {
            // Handle v1 execution traces.
            if let v1 = v1Events {
                let ev = try v1()
                if ev == nil { done = true }
                return ev
            }
            var e = try readEventV2()
            // Go's deferred fix-up: validate table IDs, then make timestamps strictly increasing.
            if let err = validateTableIDs(e) { throw err.located(path: path, offset: lastEventOffset) }
            if e.base.time <= lastTs {
                var base = e.base
                base.time = Time(lastTs.rawValue &+ 1)
                e = Event(table: e.table, ctx: e.ctx, base: base)
            }
            lastTs = e.base.time
            return e
        } catch let err as TraceError {
            // Go quirk, matched: a few generation-parsing paths return io.EOF itself (e.g. a sync, string or
            // stack batch cut inside its last varint), and ReadEvent hands it on unchanged after the Sync; its
            // callers (cmd/trace, -d=parsed) compare with io.EOF and take it for the end of the trace. A bare
            // "EOF" (never wrapped with context) is that error.
            if v1Events == nil && err.message == GoIOError.eof.message {
                done = true
                return nil
            }
            let located = err.located(path: path, offset: nil)
            failed = located
            throw located
        } catch {
            failed = error
            throw error
        }
    }

    /// For a trace that failed after good generations: the latest batch time in the part not delivered (from
    /// the start of the failed generation up to the first malformed batch header), converted as Go converts times: raw ticks times the
    /// last good generation's frequency. A batch header holds the time its batch began, so this is a lower
    /// bound of where the lost data ends. Nil for v1 traces, when nothing failed, or when no time later than
    /// the last event is found. Reads only batch headers, and only when called.
    public func lostTailEndTime() -> Time? {
        guard failed != nil, !version.isLegacy, lastGoodFreq.value > 0,
            let file = try? FileReader(path: path, chunkSize: 1 << 16)
        else { return nil }
        file.seek(to: tailStart)
        var latest: Timestamp? = tailSpillTime
        while let ts = nextTailBatchTime(file, minGen: lastGoodGen) {
            latest = max(latest ?? 0, ts)
        }
        guard let latest else { return nil }
        let t = lastGoodFreq.mul(latest)
        return t > lastTs ? t : nil
    }

    private func sync(_ table: EvTable?, _ ts: Time, complete: Int64) -> Event {
        syncs += 1
        validBytes = r.offset
        completeBytes = complete
        return syncEvent(table: table, ts: ts, n: syncs)
    }

    /// Trace v2 parsing algorithm.
    ///
    /// (1) Read in all the batches for the next generation from the stream.
    ///   (a) Use the size field in the header to quickly find all batches.
    /// (2) Parse out the strings, stacks, CPU samples, and timestamp conversion data.
    /// (3) Group each event batch by M, sorted by timestamp. (batchCursor contains the groups.)
    /// (4) Organize batchCursors in a min-heap, ordered by the timestamp of the next event for each M.
    /// (5) Try to advance the next event for the M at the top of the min-heap.
    ///   (a) On success, select that M.
    ///   (b) On failure, sort the min-heap and try to advance other Ms. Select the first M that advances.
    ///   (c) If there's nothing left to advance, goto (1).
    /// (6) Select the latest event for the selected M and get it ready to be returned.
    /// (7) Read the next event for the selected M and update the min-heap.
    /// (8) Return the selected event, goto (5) on the next call.
    private func readEventV2() throws(TraceError) -> Event {
        // Consume any events in the ordering first.
        if let ev = order.next() {
            return ev
        }

        // Check if we need to refresh the generation.
        if frontier.isEmpty && cpuNext == cpuSamples.count {
            if version < .go126 {
                return try nextGenWithSpill()
            }
            if let readGenErr {
                throw readGenErr
            }
            let g: Generation?
            tailStart = r.offset
            do {
                g = try readGeneration(r, version, reuse: gen?.store)
            } catch {
                // Before returning an error, emit the sync event for the current generation and queue up
                // the error for the next call.
                readGenErr = error
                gen = nil
                return sync(nil, lastTs, complete: tailStart)
            }
            return try installGen(g, start: tailStart)
        }
        guard let table = curTable else {
            throw TraceError("internal error: no generation installed")
        }

        // Inject a CPU sample if it comes next.
        if cpuNext < cpuSamples.count {
            if frontier.isEmpty || cpuSamples[cpuNext].time < frontier[0].ev.time {
                let s = cpuSamples[cpuNext]
                cpuNext += 1
                if cpuNext == cpuSamples.count {
                    cpuSamples = []
                    cpuNext = 0
                }
                // Go's cpuSample.asEvent: the stack goes in args[0]. (Quirk matched: the CPUSample spec
                // names argument 4 as the stack, so validateTableIDs checks args[3], which is always 0.)
                var base = BaseEvent(typ: Tracev2.evCPUSample, time: s.time)
                base.args[0] = s.stack.rawValue
                return Event(table: table, ctx: s.ctx, base: base)
            }
        }
        // Try to advance the head of the frontier, which should have the minimum timestamp.
        // This should be by far the most common case.
        if frontier.isEmpty {
            throw TraceError(
                "broken trace: frontier is empty:\n[gen=\(curGenNumber)]\n\n\(dumpFrontier())\n\(order.dump())\n")
        }
        if try !tryAdvance(0) {
            // Try to advance the rest of the frontier, in timestamp order.
            //
            // To do this, sort the min-heap. A sorted min-heap is still a min-heap, but now we can
            // iterate over the rest and try to advance in order. This path should be rare. (Go's
            // unstable sort, so cursors with equal times are tried in Go's order.)
            goSortFunc(&frontier) { $0.ev.time < $1.ev.time }
            var success = false
            var i = 1
            while i < frontier.count {
                if try tryAdvance(i) {
                    success = true
                    break
                }
                i += 1
            }
            if !success {
                throw TraceError(
                    "broken trace: failed to advance: frontier:\n[gen=\(curGenNumber)]\n\n\(dumpFrontier())\n\(order.dump())\n")
            }
        }

        // Pick off the next event on the queue. At this point, one must exist.
        guard let ev = order.next() else {
            throw TraceError("invariant violation: advance successful, but queue is empty")
        }
        return ev
    }

    /// Go's `tryAdvance` closure: advance frontier[i]'s event through the ordering, then refresh the
    /// cursor and fix the heap.
    @inline(__always)
    private func tryAdvance(_ i: Int) throws(TraceError) -> Bool {
        guard let batches = curBatches, let store = curStore, let table = curTable else {
            throw TraceError("internal error: no generation installed")
        }
        let m = frontier[i].m
        lastEventOffset = frontier[i].evOffset
        let ok: Bool
        do {
            ok = try order.advance(&frontier[i].ev, table, m, curGenNumber)
        } catch {
            throw error.located(path: path, offset: frontier[i].evOffset)
        }
        if !ok { return false }

        // Refresh the cursor's event.
        if try frontier[i].nextEvent(batches, store, curFreq) {
            // If we successfully refreshed, update the heap.
            heapUpdate(&frontier, i)
        } else {
            // There's nothing else to read. Delete this cursor from the frontier.
            heapRemove(&frontier, i)
        }
        return true
    }

    /// Go's `nextGenWithSpill`: reads the next generation while handling the spilled batch.
    private func nextGenWithSpill() throws(TraceError) -> Event {
        if let spillErr {
            if spillErrSync {
                throw spillErr
            }
            spillErrSync = true
            // The generation just consumed read up to the batch that failed: a file ending there is the
            // same trace, ending cleanly.
            return sync(nil, lastTs, complete: spillErrAt)
        }
        if gen != nil && spill == nil {
            // If we have a generation from the last read, nothing left in the frontier, and no spilled
            // batch (so no further generation), we're done. Emit the final sync event.
            done = true
            return sync(nil, lastTs, complete: r.offset)
        }

        // Read the next generation. Go assigns (gen, spill, spillErr) from the call, so a hard error
        // becomes spillErr too: a Sync is emitted first and the error on the next call.
        let g: Generation?
        tailStart = r.offset
        tailSpillTime = spill?.batch.time
        // The generation begins with its spilled batch, read with the previous one.
        let genStart = spill?.headerOffset ?? r.offset
        do {
            let (ng, ns, se) = try readGenerationWithSpill(r, spill, version, reuse: gen?.store)
            g = ng
            spill = ns
            spillErr = se?.error
            spillErrAt = se?.at ?? 0
        } catch {
            g = nil
            spill = nil
            spillErr = error
        }
        guard let g else {
            gen = nil
            spillErrSync = true
            return sync(nil, lastTs, complete: genStart)
        }
        return try installGen(g, start: genStart)
    }

    /// Go's `installGen`: installs the new generation, which begins at file offset `start`, and returns its
    /// Sync event.
    private func installGen(_ g: Generation?, start: Int64) throws(TraceError) -> Event {
        guard let g else {
            // Emit the final sync event.
            gen = nil
            done = true
            return sync(nil, lastTs, complete: r.offset)
        }
        gen = g

        // Reset CPU samples cursor.
        cpuSamples = g.cpuSamples
        cpuNext = 0
        g.cpuSamples = []

        // Reset frontier.
        for (list, m) in g.batchMs.enumerated() {
            guard let batches = curBatches, let store = curStore, list < g.flatRanges.count else { break }
            var bc = BatchCursor(m: m, batches: g.flatRanges[list])
            if try !bc.nextEvent(batches, store, g.table.freq) {
                // Turns out there aren't actually any events in these batches.
                continue
            }
            heapInsert(&frontier, bc)
        }

        // Always emit a sync event at the beginning of the generation.
        return sync(g.table, g.table.freq.mul(g.minTs), complete: start)
    }

    /// Go's `dumpFrontier`.
    private func dumpFrontier() -> String {
        var s = ""
        for bc in frontier {
            guard let spec = Tracev2.spec(bc.ev.typ) else { continue }
            s += "M \(bc.m.rawValue) [\(spec.name) time=\(bc.ev.time.rawValue)"
            for (i, arg) in spec.args.dropFirst().enumerated() {
                s += " \(arg)=\(bc.ev.args[i])"
            }
            s += "]\n"
        }
        return s
    }
}

/// Per event type, the argument slots holding stack and string IDs (Go's spec.StackIDs / StringIDs,
/// minus one for the timestamp), precomputed so validation doesn't touch the spec arrays per event.
private struct TableIDSlots {
    var stacks: (Int8, Int8) = (-1, -1)
    var strings: (Int8, Int8) = (-1, -1)
}

private let tableIDSlots: [TableIDSlots] = {
    var t = [TableIDSlots](repeating: TableIDSlots(), count: 256)
    for (i, s) in Tracev2.allSpecs.enumerated() {
        var e = TableIDSlots()
        if s.stackIDs.count > 0 { e.stacks.0 = Int8(s.stackIDs[0] - 1) }
        if s.stackIDs.count > 1 { e.stacks.1 = Int8(s.stackIDs[1] - 1) }
        if s.stringIDs.count > 0 { e.strings.0 = Int8(s.stringIDs[0] - 1) }
        if s.stringIDs.count > 1 { e.strings.1 = Int8(s.stringIDs[1] - 1) }
        t[i] = e
    }
    return t
}()

/// Go's `Event.validateTableIDs` (event.go; only the reader calls it): every stack and string ID the
/// event's spec names must exist in its generation's tables.
@inline(__always)
private func validateTableIDs(_ e: Event) -> TraceError? {
    let typ = e.base.typ
    if typ == evSync { return nil }
    let slots = tableIDSlots[Int(typ.rawValue)]
    guard let table = e.table else { return nil }
    // Check stacks, in spec order.
    if slots.stacks.0 >= 0 {
        let id = StackID(e.base.args[Int(slots.stacks.0)])
        if table.stacks.get(id) == nil { return invalidID("stack", id.rawValue, typ) }
        if slots.stacks.1 >= 0 {
            let id = StackID(e.base.args[Int(slots.stacks.1)])
            if table.stacks.get(id) == nil { return invalidID("stack", id.rawValue, typ) }
        }
    }
    // N.B. Strings referenced by stack frames are validated early on, when reading the stacks in.
    // Check strings.
    if slots.strings.0 >= 0 {
        let id = StringID(e.base.args[Int(slots.strings.0)])
        if table.strings.get(id) == nil { return invalidID("string", id.rawValue, typ) }
        if slots.strings.1 >= 0 {
            let id = StringID(e.base.args[Int(slots.strings.1)])
            if table.strings.get(id) == nil { return invalidID("string", id.rawValue, typ) }
        }
    }
    return nil
}

private func invalidID(_ what: String, _ id: UInt64, _ typ: Tracev2.EventType) -> TraceError {
    TraceError("found invalid \(what) ID \(id) for event \(Tracev2.spec(typ)?.name ?? "")")
}

/// The next batch header's time in a trace's tail (Go's readBatch framing, headers only), for `lostTailEndTime`;
/// nil at the end of the file or at the first malformed header. A batch of an earlier generation than `minGen`
/// is not part of the lost tail: such a header is damage, and ends the walk. A batch whose data is cut short
/// still yields its time (the header was written); the next call then meets the end of the file.
private func nextTailBatchTime(_ file: FileReader, minGen: UInt64) -> Timestamp? {
    do {
        while true {
            let typ = Tracev2.EventType(try file.readByte())
            if typ == Tracev2.evEndOfGeneration { continue }
            guard typ == Tracev2.evEventBatch || typ == Tracev2.evExperimentalBatch else { return nil }
            if typ == Tracev2.evExperimentalBatch { _ = try file.readByte() }
            let gen = try file.readUvarint()
            _ = try file.readUvarint()  // the thread
            let ts = try file.readUvarint()
            let size = try file.readUvarint()
            guard gen >= minGen, size <= Tracev2.maxBatchSize else { return nil }
            file.seek(to: file.offset &+ Int64(size))
            return ts
        }
    } catch {
        return nil
    }
}
