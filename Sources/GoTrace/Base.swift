// Port of Go 1.27.3 src/internal/trace/base.go: the unprocessed event, the per-generation tables, and
// the small ID types every part of the reader shares.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Go's `timedEventArgs`: room for the arguments of any timed event (`MaxTimedEventArgs - 1` = 4),
/// stored inline so a BaseEvent never allocates.
struct TimedEventArgs: Sendable, Equatable {
    var a0: UInt64 = 0
    var a1: UInt64 = 0
    var a2: UInt64 = 0
    var a3: UInt64 = 0

    static let count = Tracev2.maxTimedEventArgs - 1

    /// Out-of-range indices read 0 and ignore writes (Go would panic; no input reaches them).
    @inline(__always) subscript(i: Int) -> UInt64 {
        get {
            switch i {
            case 0: return a0
            case 1: return a1
            case 2: return a2
            case 3: return a3
            default: return 0
            }
        }
        set {
            switch i {
            case 0: a0 = newValue
            case 1: a1 = newValue
            case 2: a2 = newValue
            case 3: a3 = newValue
            default: break
            }
        }
    }
}

/// Go's `baseEvent`: the basic unprocessed event.
struct BaseEvent: Sendable {
    var typ: Tracev2.EventType
    var time: Time
    var args: TimedEventArgs

    @inline(__always) init(typ: Tracev2.EventType, time: Time, args: TimedEventArgs = TimedEventArgs()) {
        self.typ = typ
        self.time = time
        self.args = args
    }

    /// Index into `args` where Go's `extra(version.Go122)` slice starts: the slots after the event's
    /// own arguments (`args[len(spec.Args)-1:]`), which the parser uses to pass data up into Event.
    @inline(__always) var extraStart: Int { Int(Tracev2.extraStart[Int(typ.rawValue)]) }

    /// Go's `e.extra(version.Go122)[i]`.
    @inline(__always) func extra(_ i: Int) -> UInt64 { args[extraStart + i] }

    /// Go's `e.extra(version.Go122)[i] = v`.
    @inline(__always) mutating func setExtra(_ i: Int, _ v: UInt64) { args[extraStart + i] = v }
}

/// Go's `timestamp`: an unprocessed timestamp in trace clock units.
typealias Timestamp = UInt64

/// Go's `frequency`: nanoseconds per timestamp unit.
struct Frequency: Sendable, Equatable {
    var value: Double = 0

    /// Go's `frequency.mul`: `Time(float64(t) * float64(f))`.
    @inline(__always) func mul(_ t: Timestamp) -> Time {
        Time(goFloat64ToInt64(Double(t) * value))
    }
}

/// Go's float64 -> int64 conversion on amd64 (CVTTSD2SQ): truncation toward zero, and the "integer
/// indefinite" value Int64.min for NaN and out-of-range inputs. Swift's Int64(_:) would trap there.
@inline(__always) func goFloat64ToInt64(_ d: Double) -> Int64 {
    if d.isNaN || d >= 9_223_372_036_854_775_808.0 || d < -9_223_372_036_854_775_808.0 {
        return Int64.min
    }
    return Int64(d)
}

/// An ID type usable as a DataTable key.
protocol TableID: Hashable, Sendable {
    var rawValue: UInt64 { get }
    init(_ raw: UInt64)
}

/// Go's `stringID`: an index into the string table of a generation.
struct StringID: TableID, RawRepresentable, CustomStringConvertible {
    var rawValue: UInt64
    init(rawValue: UInt64) { self.rawValue = rawValue }
    @inline(__always) init(_ raw: UInt64) { self.rawValue = raw }
    var description: String { String(rawValue) }
}

/// Go's `extraStringID`: an index into the extra string table of a generation.
struct ExtraStringID: Hashable, Sendable, RawRepresentable {
    var rawValue: UInt64
    init(rawValue: UInt64) { self.rawValue = rawValue }
    @inline(__always) init(_ raw: UInt64) { self.rawValue = raw }
}

/// Go's `stackID`: an index into the stack table of a generation.
struct StackID: TableID, RawRepresentable, CustomStringConvertible {
    var rawValue: UInt64
    init(rawValue: UInt64) { self.rawValue = rawValue }
    @inline(__always) init(_ raw: UInt64) { self.rawValue = raw }
    var description: String { String(rawValue) }
}

/// Element of a DataTable: knows how Go's %T and %v print it (for the duplicate-ID error).
protocol DataTableElement: Sendable {
    static var zero: Self { get }
    static var goTypeName: String { get }
    var goDescription: String { get }
}

extension String: DataTableElement {
    static var zero: String { "" }
    static var goTypeName: String { "string" }
    var goDescription: String { self }
}

/// Go's internal `stack`: the PCs of a stack sample; frames are looked up in `EvTable.pcs`.
struct StackEntry: DataTableElement {
    var pcs: [UInt64]
    static var zero: StackEntry { StackEntry(pcs: []) }
    static var goTypeName: String { "trace.stack" }
    /// Go's `stack.String()`: "\t%#v\n" per PC.
    var goDescription: String {
        var s = ""
        for pc in pcs { s += "\t0x" + String(pc, radix: 16) + "\n" }
        return s
    }
}

/// Go's internal `frame`: one stack frame.
struct Frame: Sendable, Equatable {
    var pc: UInt64
    var funcID: StringID
    var fileID: StringID
    var line: UInt64
}

/// Go's `dataTable[EI, E]`: a mapping from IDs to elements. Go fills a map and makes it dense in
/// `compactify`; since the runtime hands out compact IDs, we fill the dense form directly whenever the ID
/// is within 2x of the element count (Go's own waste bound) and use the map only for outliers. Lookups
/// give the same answers either way.
struct DataTable<ID: TableID, E: DataTableElement>: Sendable {
    var present: [UInt8] = []
    var dense: [E] = []
    var sparse: [ID: E]? = nil
    /// Number of elements (dense + sparse).
    private(set) var count = 0

    /// Go's `insert`: fails if a mapping for id already exists, whatever its content.
    mutating func insert(_ id: ID, _ data: E) -> TraceError? {
        if let existing = get(id) {
            return TraceError(
                "multiple \(E.goTypeName)s with the same ID: id=\(id.rawValue), new=\(data.goDescription), existing=\(existing.goDescription)"
            )
        }
        put(id, data)
        return nil
    }

    private mutating func put(_ id: ID, _ data: E) {
        let raw = id.rawValue
        count += 1
        if raw < UInt64(dense.count) {
            setDense(Int(raw), data)
            return
        }
        if raw <= UInt64(2 * count + 64) {
            let size = Int(raw) + 1
            var newSize = max(dense.count * 2, 64)
            while newSize < size { newSize *= 2 }
            dense.append(contentsOf: repeatElement(E.zero, count: newSize - dense.count))
            present.append(contentsOf: repeatElement(0, count: (newSize + 7) / 8 - present.count))
            setDense(Int(raw), data)
            return
        }
        if sparse == nil { sparse = [:] }
        sparse![id] = data
    }

    @inline(__always) private mutating func setDense(_ i: Int, _ data: E) {
        dense[i] = data
        present[i / 8] |= UInt8(1) << UInt8(i % 8)
    }

    /// Go's `append`: adds an element and returns its new ID (Go: len(sparse)+1).
    mutating func append(_ data: E) -> ID {
        let id = ID(UInt64(count) &+ 1)
        put(id, data)
        return id
    }

    /// Go's `compactify`: move outliers into the dense form when the IDs are compact enough (Go's
    /// bound: at most 2x waste, no ID beyond Int.max).
    mutating func compactify() {
        guard let sp = sparse, !sp.isEmpty else { return }
        var maxID: UInt64 = 0
        for id in sp.keys where id.rawValue > maxID { maxID = id.rawValue }
        if maxID >= UInt64(Int.max) { return }
        if maxID > UInt64(2 * count) { return }
        let size = Int(maxID) + 1
        if size > dense.count {
            dense.append(contentsOf: repeatElement(E.zero, count: size - dense.count))
            present.append(contentsOf: repeatElement(0, count: (size + 7) / 8 - present.count))
        }
        for (id, data) in sp { setDense(Int(id.rawValue), data) }
        sparse = nil
    }

    /// Go's `get`: ID 0 always resolves to the zero element.
    @inline(__always) func get(_ id: ID) -> E? {
        let raw = id.rawValue
        if raw == 0 { return E.zero }
        if raw < UInt64(dense.count) {
            let i = Int(raw)
            if present[i / 8] & (UInt8(1) << UInt8(i % 8)) != 0 { return dense[i] }
            // Not in the dense form: it may still be in the map, put there before the dense form grew past
            // it (IDs inserted out of order with gaps, e.g. v1 strings, which compactify leaves sparse).
        }
        if let sp = sparse {
            return sp[id]
        }
        return nil
    }

    /// Go's `forEach`: dense entries in ID order, then the rest (Go's map order is random; ours is
    /// Swift's dictionary order).
    func forEach(_ body: (ID, E) -> Bool) -> Bool {
        for (i, value) in dense.enumerated() {
            if present[i / 8] & (UInt8(1) << UInt8(i % 8)) == 0 { continue }
            if !body(ID(UInt64(i)), value) { return false }
        }
        guard let sp = sparse else { return true }
        for (id, value) in sp {
            if !body(id, value) { return false }
        }
        return true
    }
}

/// Go's `evTable`: the per-generation data needed to interpret an individual event. Shared by every
/// Event of the generation; mutated only while that generation is being read (on one thread).
final class EvTable: @unchecked Sendable {
    // Go's embedded `sync`.
    var freq = Frequency()
    var hasClockSnapshot = false
    var snapTime: Timestamp = 0
    var snapMono: UInt64 = 0
    var snapWall = WallTime(unixSeconds: 0, nanoseconds: 0)

    // Read for every event; no dynamic exclusivity checks (tables are only mutated while their
    // generation is being read, on one thread).
    @exclusivity(unchecked) var strings = DataTable<StringID, String>()
    @exclusivity(unchecked) var stacks = DataTable<StackID, StackEntry>()
    @exclusivity(unchecked) var pcs: [UInt64: Frame] = [:]

    /// Strings generated during parsing that don't come from the trace, so they aren't in `strings`.
    var extraStrings: [String] = []
    var extraStringIDs: [String: ExtraStringID] = [:]
    var nextExtra = ExtraStringID(0)

    /// Unparsed data per experiment.
    var expBatches: [Tracev2.Experiment: [ExperimentalBatch]] = [:]

    init() {}

    /// Guards the extra strings: the only part of a table that changes while its generation's events are
    /// being delivered (the ordering adds a task's type as it orders the task's end), so a consumer that
    /// reads events on another thread than the reader (the ingest reads ahead on its own thread) may read
    /// them while the reader adds one. Everything else is filled before the generation's first event.
    private let extraLock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        return lock
    }()

    deinit {
        pthread_mutex_destroy(extraLock)
        extraLock.deallocate()
    }

    /// A table with the same contents (the tables' storage shared, copy-on-write), its own reference count and
    /// its own lock: `Event.detachTables`.
    func detachedCopy() -> EvTable {
        let copy = EvTable()
        copy.freq = freq
        copy.hasClockSnapshot = hasClockSnapshot
        copy.snapTime = snapTime
        copy.snapMono = snapMono
        copy.snapWall = snapWall
        copy.strings = strings
        copy.stacks = stacks
        copy.pcs = pcs
        pthread_mutex_lock(extraLock)
        copy.extraStrings = extraStrings
        copy.extraStringIDs = extraStringIDs
        copy.nextExtra = nextExtra
        pthread_mutex_unlock(extraLock)
        copy.expBatches = expBatches
        return copy
    }

    /// Go's `addExtraString`: a unique ID for s in this table ("" is always 0).
    func addExtraString(_ s: String) -> ExtraStringID {
        if s.isEmpty { return ExtraStringID(0) }
        pthread_mutex_lock(extraLock)
        defer { pthread_mutex_unlock(extraLock) }
        if let id = extraStringIDs[s] { return id }
        nextExtra = ExtraStringID(nextExtra.rawValue &+ 1)
        let id = nextExtra
        extraStrings.append(s)
        extraStringIDs[s] = id
        return id
    }

    /// Go's `getExtraString`; unknown IDs give "" (Go would panic; only our own IDs reach it).
    func getExtraString(_ id: ExtraStringID) -> String {
        if id.rawValue == 0 { return "" }
        pthread_mutex_lock(extraLock)
        defer { pthread_mutex_unlock(extraLock) }
        let i = id.rawValue &- 1
        guard i < UInt64(extraStrings.count) else { return "" }
        return extraStrings[Int(i)]
    }
}

/// Go's `schedCtx`: the scheduling resources associated with an event.
struct SchedCtx: Sendable, Equatable {
    var g: GoID
    var p: ProcID
    var m: ThreadID

    @inline(__always) init(g: GoID, p: ProcID, m: ThreadID) {
        self.g = g
        self.p = p
        self.m = m
    }
}

/// Go's `cpuSample`: a CPU profiling sample captured by the trace.
struct CPUSample: Sendable {
    var ctx: SchedCtx
    /// Raw timestamp until `fixUpCPUSamples` converts it (as Go does, in the same field).
    var time: Time
    var stack: StackID
}
