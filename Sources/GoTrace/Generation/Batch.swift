// Port of Go 1.27.3 src/internal/trace/batch.go: reading batches off the wire. Unlike Go, which copies
// every batch into its own []byte, batch data lives in one growing buffer per generation (ByteStore)
// and a Batch is a range of it.

/// One generation's batch bytes, contiguous; batches refer to ranges. Freed with the generation.
final class ByteStore {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 1 << 20) {
        self.capacity = max(capacity, 16)
        self.base = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for n more bytes and returns where they go.
    func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if count + n > capacity {
            var c = capacity
            while count + n > c { c *= 2 }
            let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
            nb.update(from: base, count: count)
            base.deallocate()
            base = nb
            capacity = c
        }
        return base + count
    }

    func commit(_ n: Int) { count += n }

    func truncate(to n: Int) { if n < count { count = n } }

    /// Empties the store for reuse by the next generation (keeps the memory: no fresh pages to fault in).
    func reset() { count = 0 }

    func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count).update(from: src, count: bytes.count)
        commit(bytes.count)
    }

    func bytes(_ start: Int, _ end: Int) -> [UInt8] {
        Array(UnsafeBufferPointer(start: base + start, count: end - start))
    }
}

/// Go's `batch`: a batch of trace events, unparsed except for its header. Its data is
/// `store[start..<end]` of the generation it belongs to.
struct Batch {
    var m: ThreadID
    var time: Timestamp
    var start: Int
    var end: Int
    var exp: Tracev2.Experiment
    /// Absolute file offset of the first data byte (for error messages).
    var fileOffset: Int64

    var isEmpty: Bool { end <= start }

    @inline(__always) func firstType(_ store: ByteStore) -> Tracev2.EventType? {
        end > start ? Tracev2.EventType(store.base[start]) : nil
    }

    func isStringsBatch(_ s: ByteStore) -> Bool {
        exp == Tracev2.noExperiment && firstType(s) == Tracev2.evStrings
    }

    func isStacksBatch(_ s: ByteStore) -> Bool {
        exp == Tracev2.noExperiment && firstType(s) == Tracev2.evStacks
    }

    func isCPUSamplesBatch(_ s: ByteStore) -> Bool {
        exp == Tracev2.noExperiment && firstType(s) == Tracev2.evCPUSamples
    }

    func isSyncBatch(_ s: ByteStore, _ ver: TraceVersion) -> Bool {
        guard exp == Tracev2.noExperiment, let t = firstType(s) else { return false }
        return (t == Tracev2.evFrequency && ver < .go125) || (t == Tracev2.evSync && ver >= .go125)
    }

    func isEndOfGeneration(_ s: ByteStore) -> Bool {
        exp == Tracev2.noExperiment && firstType(s) == Tracev2.evEndOfGeneration
    }
}

/// Result of readBatch: Go's `(batch, gen, err)` with err == io.EOF split out.
enum BatchRead {
    /// Go's bare io.EOF (nothing, or a truncated experimental batch header: see readBatch).
    case eof
    case batch(Batch, gen: UInt64)
}

/// Go's `readBatch`: reads the next full batch from r, appending its data to store.
func readBatch(_ r: FileReader, into store: ByteStore) throws(TraceError) -> BatchRead {
    let batchOffset = r.offset
    func fail(_ msg: String) -> TraceError { TraceError(path: r.path, offset: batchOffset, msg) }

    // Read batch header byte.
    let b: UInt8
    do { b = try r.readByte() } catch {
        if error == .eof { return .eof }
        throw fail(error.message)
    }
    let typ = Tracev2.EventType(b)
    if typ == Tracev2.evEndOfGeneration {
        let start = store.count
        store.reserve(1).pointee = b
        store.commit(1)
        return .batch(
            Batch(m: .none, time: 0, start: start, end: start + 1, exp: Tracev2.noExperiment, fileOffset: batchOffset),
            gen: 0)
    }
    if typ != Tracev2.evEventBatch && typ != Tracev2.evExperimentalBatch {
        throw fail("expected batch event, got event \(b)")
    }

    // Read the experiment if we have one.
    var exp = Tracev2.noExperiment
    if typ == Tracev2.evExperimentalBatch {
        do { exp = Tracev2.Experiment(UInt64(try r.readByte())) } catch {
            // Quirk matched: Go returns the bare io.EOF here, which its callers treat as a clean end of
            // the trace rather than as truncation.
            if error == .eof { return .eof }
            throw fail(error.message)
        }
    }

    // Read the batch header: gen (generation), thread (M) ID, base timestamp for the batch.
    let gen: UInt64, m: UInt64, ts: UInt64, size: UInt64
    do { gen = try r.readUvarint() } catch { throw fail("error reading batch gen: \(error.message)") }
    do { m = try r.readUvarint() } catch { throw fail("error reading batch M ID: \(error.message)") }
    do { ts = try r.readUvarint() } catch { throw fail("error reading batch timestamp: \(error.message)") }

    // Read in the size of the batch to follow.
    do { size = try r.readUvarint() } catch { throw fail("error reading batch size: \(error.message)") }
    if size > Tracev2.maxBatchSize {
        throw fail("invalid batch size \(size), maximum is \(Tracev2.maxBatchSize)")
    }

    // Copy out the batch for later processing.
    let dataOffset = r.offset
    let n = Int(size)
    let start = store.count
    let dest = store.reserve(n)
    let got: Int
    do { got = try r.readBytes(into: dest, count: n) } catch {
        throw fail("copying batch data: \(error.message)")
    }
    if got != n {
        throw fail("failed to read full batch: read \(got) but wanted \(size)")
    }
    store.commit(n)
    return .batch(
        Batch(m: ThreadID(Int64(bitPattern: m)), time: ts, start: start, end: start + n, exp: exp, fileOffset: dataOffset),
        gen: gen)
}
