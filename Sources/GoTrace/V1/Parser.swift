// Port of Go 1.27.3's internal/trace/internal/tracev1/parser.go: the parser for Go execution traces from
// versions 1.11–1.21 ("v1"). v1 has no generations, so, like Go, the whole trace is read into memory and its
// events are merged into one globally ordered list before anything is handed on.
//
// Everything lives in `enum V1` so the names (Event, EventType, Frame, ...) don't collide with the current model.

/// Namespace for the legacy (Go 1.11–1.21) trace format.
public enum V1 {
    /// Go's tracev1.Timestamp: nanoseconds since the start of the trace once parsing is done (CPU ticks before).
    typealias Timestamp = Int64

    /// Go's `[4]uint64` event arguments, stored inline.
    struct Args: Sendable {
        var a0: UInt64 = 0, a1: UInt64 = 0, a2: UInt64 = 0, a3: UInt64 = 0

        subscript(i: Int) -> UInt64 {
            get {
                switch i {
                case 0: return a0
                case 1: return a1
                case 2: return a2
                default: return a3
                }
            }
            set {
                switch i {
                case 0: a0 = newValue
                case 1: a1 = newValue
                case 2: a2 = newValue
                default: a3 = newValue
                }
            }
        }
    }

    /// One event of a v1 trace (Go's tracev1.Event). Pointer-free and small, as in Go.
    struct Event: Sendable {
        var ts: Timestamp = 0  // timestamp in nanoseconds
        var g: UInt64 = 0  // G on which the event happened
        var args = Args()  // event-type-specific arguments
        var stkID: UInt32 = 0  // unique stack ID
        var p: Int32 = 0  // P on which the event happened (a real P or one of timerP, netpollP, syscallP)
        /// File offset of the raw event, for errors found after parsing (ordering, validation, conversion).
        /// 32 bits keep Event at 64 bytes; `UInt32.max` means "beyond 4 GiB", i.e. unknown.
        var fileOffset: UInt32 = UInt32.max
        var type: EventType = .none

        /// The file offset for an error message, when known.
        var offset: Int? { fileOffset == UInt32.max ? nil : Int(fileOffset) }

        static func fileOffset(_ at: Int) -> UInt32 { at >= 0 && at < Int(UInt32.max) ? UInt32(at) : UInt32.max }
    }

    /// A frame in stack traces (Go's tracev1.Frame): fn and file are string IDs.
    struct Frame: Sendable {
        var pc: UInt64
        var fn: UInt64
        var file: UInt64
        var line: Int
    }

    // Special P identifiers.
    static let fakeP: Int32 = 1_000_000
    static let timerP: Int32 = 1_000_001  // contains timer unblocks
    static let netpollP: Int32 = 1_000_002  // contains network unblocks
    static let syscallP: Int32 = 1_000_003  // contains returns from syscalls
    static let gcP: Int32 = 1_000_004  // contains GC state
    static let profileP: Int32 = 1_000_005  // contains recording of CPU profile samples

    /// The result of `parse` (Go's tracev1.Trace).
    struct Trace {
        var version: Int
        /// The events, sorted by time.
        var events: [Event]
        /// Stack traces as PC lists, keyed by stack ID.
        var stacks: [UInt32: [UInt64]]
        var pcs: [UInt64: Frame]
        var strings: [UInt64: String]
        var inlineStrings: [String]

        /// Go's (*Trace).STWReason: the version-dependent meaning of an EvSTWStart kind argument.
        func stwReason(_ kindID: UInt64) -> STWReason { V1.stwReason(version: version, kindID) }
    }

    static func stwReason(version: Int, _ kindID: UInt64) -> STWReason {
        if version < 21 {
            if kindID == 0 || kindID == 1 { return STWReason(rawValue: Int(kindID) + 1) ?? .unknown }
            return .unknown
        } else if version == 21 {
            if kindID < UInt64(STWReason.numReasons) { return STWReason(rawValue: Int(kindID)) ?? .unknown }
            return .unknown
        }
        return .unknown
    }

    enum STWReason: Int {
        case unknown = 0
        case gcMarkTermination, gcSweepTermination, writeHeapDump, goroutineProfile, goroutineProfileCleanup,
            allGoroutinesStackTrace, readMemStats, allThreadsSyscall, gomaxprocs, startTrace, stopTrace,
            countPagesInUse, readMetricsSlow, readMemStatsSlow, pageCachePagesLeaked, resetDebugLog
        static let numReasons = 17
    }

    /// Why a v1 trace could not be parsed. `message` is Go's error text; `offset` is the byte offset in the file
    /// (including the 16-byte header) where the problem was found, when it is tied to one place.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var message: String
        public var offset: Int?
        public var description: String {
            if let offset { return "\(message) (at byte offset \(offset))" }
            return message
        }
    }

    /// Go's ErrTimeOrder text: the trace's time stamps don't respect the event order.
    static let errTimeOrder = "time stamps out of order"
    static let errMalformedVarint = "malformatted base-128 varint"

    /// Parses a v1 trace. `data` is the whole file; `bodyOffset` is where the events begin (just after the
    /// header), and `version` is the minor version from the header (11, 19 or 21).
    static func parse(_ data: [UInt8], bodyOffset: Int, version: Int) throws(ParseError) -> Trace {
        var p = Parser(data: data, start: bodyOffset, version: version)
        return try p.parse()
    }
}

// MARK: - Event types

extension V1 {
    /// A v1 wire event type (the runtime's trace.go constants with the "trace" prefix removed).
    struct EventType: RawRepresentable, Hashable, Sendable {
        var rawValue: UInt8
        init(rawValue: UInt8) { self.rawValue = rawValue }

        static let none = EventType(rawValue: 0)  // unused
        static let batch = EventType(rawValue: 1)  // start of per-P batch of events [pid, timestamp]
        static let frequency = EventType(rawValue: 2)  // tracer timer frequency [ticks per second]
        static let stack = EventType(rawValue: 3)  // stack [id, number of PCs, {PC, func ID, file ID, line}...]
        static let gomaxprocs = EventType(rawValue: 4)  // current GOMAXPROCS [timestamp, GOMAXPROCS, stack id]
        static let procStart = EventType(rawValue: 5)  // start of P [timestamp, thread id]
        static let procStop = EventType(rawValue: 6)  // stop of P [timestamp]
        static let gcStart = EventType(rawValue: 7)  // GC start [timestamp, seq, stack id]
        static let gcDone = EventType(rawValue: 8)  // GC done [timestamp]
        static let stwStart = EventType(rawValue: 9)  // STW start [timestamp, kind]
        static let stwDone = EventType(rawValue: 10)  // STW done [timestamp]
        static let gcSweepStart = EventType(rawValue: 11)  // GC sweep start [timestamp, stack id]
        static let gcSweepDone = EventType(rawValue: 12)  // GC sweep done [timestamp, swept, reclaimed]
        static let goCreate = EventType(rawValue: 13)  // [timestamp, new goroutine id, new stack id, stack id]
        static let goStart = EventType(rawValue: 14)  // [timestamp, goroutine id, seq]
        static let goEnd = EventType(rawValue: 15)  // [timestamp]
        static let goStop = EventType(rawValue: 16)  // [timestamp, stack]
        static let goSched = EventType(rawValue: 17)  // [timestamp, stack]
        static let goPreempt = EventType(rawValue: 18)  // [timestamp, stack]
        static let goSleep = EventType(rawValue: 19)  // [timestamp, stack]
        static let goBlock = EventType(rawValue: 20)  // [timestamp, stack]
        static let goUnblock = EventType(rawValue: 21)  // [timestamp, goroutine id, seq, stack]
        static let goBlockSend = EventType(rawValue: 22)  // [timestamp, stack]
        static let goBlockRecv = EventType(rawValue: 23)  // [timestamp, stack]
        static let goBlockSelect = EventType(rawValue: 24)  // [timestamp, stack]
        static let goBlockSync = EventType(rawValue: 25)  // [timestamp, stack]
        static let goBlockCond = EventType(rawValue: 26)  // [timestamp, stack]
        static let goBlockNet = EventType(rawValue: 27)  // [timestamp, stack]
        static let goSysCall = EventType(rawValue: 28)  // [timestamp, stack]
        static let goSysExit = EventType(rawValue: 29)  // [timestamp, goroutine id, seq, real timestamp]
        static let goSysBlock = EventType(rawValue: 30)  // [timestamp]
        static let goWaiting = EventType(rawValue: 31)  // blocked when tracing starts [timestamp, goroutine id]
        static let goInSyscall = EventType(rawValue: 32)  // in syscall when tracing starts [timestamp, goroutine id]
        static let heapAlloc = EventType(rawValue: 33)  // [timestamp, heap live bytes]
        static let heapGoal = EventType(rawValue: 34)  // [timestamp, heap goal bytes]
        static let timerGoroutine = EventType(rawValue: 35)  // [timer goroutine id]
        static let futileWakeup = EventType(rawValue: 36)  // [timestamp]
        static let string = EventType(rawValue: 37)  // string dictionary entry [ID, length, string]
        static let goStartLocal = EventType(rawValue: 38)  // [timestamp, goroutine id]
        static let goUnblockLocal = EventType(rawValue: 39)  // [timestamp, goroutine id, stack]
        static let goSysExitLocal = EventType(rawValue: 40)  // [timestamp, goroutine id, real timestamp]
        static let goStartLabel = EventType(rawValue: 41)  // [timestamp, goroutine id, seq, label string id]
        static let goBlockGC = EventType(rawValue: 42)  // [timestamp, stack]
        static let gcMarkAssistStart = EventType(rawValue: 43)  // [timestamp, stack]
        static let gcMarkAssistDone = EventType(rawValue: 44)  // [timestamp]
        static let userTaskCreate = EventType(rawValue: 45)  // [timestamp, task id, parent id, stack, name]
        static let userTaskEnd = EventType(rawValue: 46)  // [timestamp, task id, stack]
        static let userRegion = EventType(rawValue: 47)  // [timestamp, task id, mode, name]
        static let userLog = EventType(rawValue: 48)  // [timestamp, id, key string id, stack, value string]
        static let cpuSample = EventType(rawValue: 49)  // [timestamp, stack, real timestamp, real P, goroutine]
        static let count = EventType(rawValue: 50)

        var desc: EventDescription { eventDescriptions[Int(rawValue)] }
    }

    /// Go's EventDescriptions entry.
    struct EventDescription: Sendable {
        var name: String
        var minVersion: Int
        var stack: Bool
        var args: [String]
    }

    /// Go's EventDescriptions, indexed by type; unused slots have an empty name (as Go's zero value).
    static let eventDescriptions: [EventDescription] = {
        var d = [EventDescription](
            repeating: EventDescription(name: "", minVersion: 0, stack: false, args: []), count: 256)
        func set(_ t: EventType, _ name: String, _ minVersion: Int, _ stack: Bool, _ args: [String]) {
            d[Int(t.rawValue)] = EventDescription(name: name, minVersion: minVersion, stack: stack, args: args)
        }
        set(.none, "None", 5, false, [])
        set(.batch, "Batch", 5, false, ["p", "ticks"])
        set(.frequency, "Frequency", 5, false, ["freq"])
        set(.stack, "Stack", 5, false, ["id", "siz"])
        set(.gomaxprocs, "Gomaxprocs", 5, true, ["procs"])
        set(.procStart, "ProcStart", 5, false, ["thread"])
        set(.procStop, "ProcStop", 5, false, [])
        set(.gcStart, "GCStart", 5, true, ["seq"])
        set(.gcDone, "GCDone", 5, false, [])
        set(.stwStart, "GCSTWStart", 5, false, ["kindid"])
        set(.stwDone, "GCSTWDone", 5, false, [])
        set(.gcSweepStart, "GCSweepStart", 5, true, [])
        set(.gcSweepDone, "GCSweepDone", 5, false, ["swept", "reclaimed"])
        set(.goCreate, "GoCreate", 5, true, ["g", "stack"])
        set(.goStart, "GoStart", 5, false, ["g", "seq"])
        set(.goEnd, "GoEnd", 5, false, [])
        set(.goStop, "GoStop", 5, true, [])
        set(.goSched, "GoSched", 5, true, [])
        set(.goPreempt, "GoPreempt", 5, true, [])
        set(.goSleep, "GoSleep", 5, true, [])
        set(.goBlock, "GoBlock", 5, true, [])
        set(.goUnblock, "GoUnblock", 5, true, ["g", "seq"])
        set(.goBlockSend, "GoBlockSend", 5, true, [])
        set(.goBlockRecv, "GoBlockRecv", 5, true, [])
        set(.goBlockSelect, "GoBlockSelect", 5, true, [])
        set(.goBlockSync, "GoBlockSync", 5, true, [])
        set(.goBlockCond, "GoBlockCond", 5, true, [])
        set(.goBlockNet, "GoBlockNet", 5, true, [])
        set(.goSysCall, "GoSysCall", 5, true, [])
        set(.goSysExit, "GoSysExit", 5, false, ["g", "seq", "ts"])
        set(.goSysBlock, "GoSysBlock", 5, false, [])
        set(.goWaiting, "GoWaiting", 5, false, ["g"])
        set(.goInSyscall, "GoInSyscall", 5, false, ["g"])
        set(.heapAlloc, "HeapAlloc", 5, false, ["mem"])
        set(.heapGoal, "HeapGoal", 5, false, ["mem"])
        set(.timerGoroutine, "TimerGoroutine", 5, false, ["g"])
        set(.futileWakeup, "FutileWakeup", 5, false, [])
        set(.string, "String", 7, false, [])
        set(.goStartLocal, "GoStartLocal", 7, false, ["g"])
        set(.goUnblockLocal, "GoUnblockLocal", 7, true, ["g"])
        set(.goSysExitLocal, "GoSysExitLocal", 7, false, ["g", "ts"])
        set(.goStartLabel, "GoStartLabel", 8, false, ["g", "seq", "labelid"])
        set(.goBlockGC, "GoBlockGC", 8, true, [])
        set(.gcMarkAssistStart, "GCMarkAssistStart", 9, true, [])
        set(.gcMarkAssistDone, "GCMarkAssistDone", 9, false, [])
        set(.userTaskCreate, "UserTaskCreate", 11, true, ["taskid", "pid", "typeid"])
        set(.userTaskEnd, "UserTaskEnd", 11, true, ["taskid"])
        set(.userRegion, "UserRegion", 11, true, ["taskid", "mode", "typeid"])
        set(.userLog, "UserLog", 11, true, ["id", "keyid"])
        set(.cpuSample, "CPUSample", 19, true, ["ts", "p", "g"])
        return d
    }()
}

extension V1 {
    /// Go's sort.Stable by timestamp, without a second copy of the events: sorts 4-byte indices by
    /// (time, index) — a total order, so the result is the stable one — then permutes the events in place.
    static func stableSortByTime(_ events: inout [Event]) {
        let n = events.count
        guard n > 1 else { return }
        guard n <= Int(Int32.max) else {
            events.sort { $0.ts < $1.ts }  // Swift's sort is stable too, it just needs a larger buffer
            return
        }
        var perm = [Int32](unsafeUninitializedCapacity: n) { buf, count in
            for i in 0..<n { buf[i] = Int32(i) }
            count = n
        }
        perm.sort { a, b in
            let ta = events[Int(a)].ts
            let tb = events[Int(b)].ts
            return ta != tb ? ta < tb : a < b
        }
        // Follow the permutation's cycles: position i receives the event at perm[i].
        var placed = [Bool](repeating: false, count: n)
        for start in 0..<n where !placed[start] {
            let first = events[start]
            var i = start
            while true {
                placed[i] = true
                let j = Int(perm[i])
                if j == start {
                    events[i] = first
                    break
                }
                events[i] = events[j]
                i = j
            }
        }
    }

    /// Per-type facts from eventDescriptions, flattened for the per-event paths (no String/Array copies):
    /// bit 7 = has a stack, bits 0–6 = number of named args; and the minimum version.
    static let descShape: [UInt8] = eventDescriptions.map { UInt8($0.args.count) | ($0.stack ? 0x80 : 0) }
    static let descMinVersion: [UInt8] = eventDescriptions.map { UInt8($0.minVersion) }
}

extension V1.Event: CustomStringConvertible {
    /// Go's (*tracev1.Event).String(), used in some of Go's error messages.
    var description: String {
        let desc = type.desc
        var s = "\(ts) \(desc.name) p=\(p) g=\(g) stk=\(stkID)"
        for (i, a) in desc.args.enumerated() { s += " \(a)=\(args[i])" }
        return s
    }
}

// MARK: - Parser

extension V1 {
    /// The reused argument buffer of readRawEvent (Go's p.args): resetting it is just count = 0.
    struct ArgBuffer {
        private var storage = [UInt64](repeating: 0, count: 256)
        private(set) var count = 0

        @inline(__always) mutating func removeAll() { count = 0 }

        @inline(__always) mutating func append(_ v: UInt64) {
            if count == storage.count { storage.append(contentsOf: repeatElement(0, count: storage.count)) }
            storage[count] = v
            count += 1
        }

        /// Callers check `count` first (every use follows Go's argument-count checks).
        @inline(__always) subscript(i: Int) -> UInt64 { storage[i] }
    }

    /// A raw event as read from the wire (Go's rawEvent). `args` lives in the parser's reused buffer.
    struct RawEvent {
        var typ: EventType = .none
        var sarg: Swift.Range<Int>? = nil  // EvUserLog's value string: its bytes in the data
        var batchPid: Int32 = 0
        var batchOffset: Int = 0
    }

    struct BatchOffset {
        var offset: Int
        var numEvents: Int
    }

    /// Per-P merge state (Go's proc).
    struct Proc {
        var pid: Int32
        /// Remaining events of the current batch are events[head...].
        var events: [Event] = []
        var head = 0
        var done = false
    }

    struct Parser {
        let ver: Int
        let data: [UInt8]
        /// Where the body begins; Go's offsets are relative to it, ours are absolute file offsets.
        let start: Int
        var off: Int

        var strings: [UInt64: String] = [:]
        var inlineStrings: [String] = []
        /// Keyed by the raw bytes, as Go's map[string]int: Swift's String equality would merge canonically
        /// equivalent but different byte strings.
        var inlineStringsMapping: [[UInt8]: Int] = [:]
        /// Batch offsets per P, in order of each P's first batch in the file (Go keeps a map; see parseEventBatches).
        var batchPids: [Int32] = []
        var batchOffsets: [Int32: [BatchOffset]] = [:]
        /// Index of the next batch to load, per P.
        var nextBatch: [Int32: Int] = [:]
        var stacks: [UInt32: [UInt64]] = [:]
        var ticksPerSec: Int64 = 0
        var pcs: [UInt64: Frame] = [:]
        var cpuSamples: [Event] = []
        var timerGoids: Set<UInt64> = []

        // State for readRawEvent: the arguments of the last raw event.
        var args = ArgBuffer()
        let descShape = V1.descShape
        let descMinVersion = V1.descMinVersion

        // State for parseEvent.
        var lastTs: Timestamp = 0
        var lastG: UInt64 = 0
        var lastGs: [Int32: UInt64] = [:]
        var lastP: Int32 = 0

        init(data: [UInt8], start: Int, version: Int) {
            self.data = data
            self.start = start
            self.off = start
            self.ver = version
        }

        func fail(_ message: String, at offset: Int? = nil) -> ParseError {
            ParseError(message: message, offset: offset)
        }

        mutating func discard(_ n: UInt64) -> Bool {
            if n > UInt64(Int.max) { return false }
            let (noff, overflow) = off.addingReportingOverflow(Int(n))
            if overflow || noff > data.count { return false }
            off = noff
            return true
        }

        mutating func parse() throws(ParseError) -> Trace {
            // 1. Collect batch locations (and CPU samples). 2. Merge the batches into one ordered stream.
            // 3. Convert ticks to nanoseconds and move timer/syscall events to fake Ps. 4. Validate.
            try collectBatchesAndCPUSamples()
            var events = try parseEventBatches()
            if ticksPerSec == 0 { throw fail("no EvFrequency event") }

            if let first = events.first {
                let minTs = first.ts
                // Go uses floating point here to avoid integer overflow.
                let freq = 1e9 / Double(ticksPerSec)
                for i in events.indices {
                    events[i].ts = V1.goFloatToInt64(Double(events[i].ts &- minTs) * freq)
                    if events[i].type == .goUnblock && timerGoids.contains(events[i].g) {
                        events[i].p = V1.timerP
                    }
                    if events[i].type == .goSysExit {
                        events[i].p = V1.syscallP
                    }
                }
            }
            try postProcessTrace(&events)
            return Trace(
                version: ver, events: events, stacks: stacks, pcs: pcs, strings: strings,
                inlineStrings: inlineStrings)
        }

        /// Reads the varint at `off` (Go's readVal with binary.Uvarint).
        @inline(__always)
        mutating func readVal() -> UInt64? {
            guard let (v, n) = V1.uvarint(data, from: off, end: data.count) else { return nil }
            off += n
            return v
        }

        mutating func readByte() -> UInt8? {
            guard off >= 0, off < data.count else { return nil }
            let b = data[off]
            off += 1
            return b
        }

        /// Go's readFull: the range of the next n bytes, failing (like Go) also when n == 0 at the end of data.
        mutating func readFull(_ n: Int) -> Swift.Range<Int>? {
            if off >= data.count || off < 0 || n < 0 || off + n > data.count { return nil }
            let r = off..<(off + n)
            off += n
            return r
        }

        /// Go's readStr; returns where the string's bytes are.
        mutating func readStr() throws(ParseError) -> Swift.Range<Int> {
            let at = off
            guard let sz = readVal() else { throw fail(V1.errMalformedVarint, at: at) }
            if sz == 0 { return off..<off }
            if sz > 1_000_000 { throw fail("string is too large (len=\(sz))", at: at) }
            guard let r = readFull(Int(sz)) else { throw fail("failed to read trace: unexpected EOF", at: at) }
            return r
        }

        /// Go's collectBatchesAndCPUSamples: records where each P's batches are and how many events each has,
        /// and parses CPU samples (which sit in their own batches and are merged by their own timestamps).
        mutating func collectBatchesAndCPUSamples() throws(ParseError) {
            var raw = RawEvent()
            var curP: Int32 = 0
            // The current batch's event count is kept here and stored when the next batch starts (one hash
            // lookup per batch, not per event).
            var inBatch = false
            var curCount = 0
            func flush(_ p: inout Parser) {
                guard inBatch, let n = p.batchOffsets[curP]?.count, n > 0 else { return }
                p.batchOffsets[curP, default: []][n - 1].numEvents = curCount
            }
            while true {
                let at = off
                guard try readRawEvent(skipArgs: true, skipStrings: true, &raw) else { break }
                if raw.typ == .none { continue }
                if raw.typ == .batch {
                    flush(&self)
                    if batchOffsets[raw.batchPid] == nil { batchPids.append(raw.batchPid) }
                    batchOffsets[raw.batchPid, default: []].append(BatchOffset(offset: raw.batchOffset, numEvents: 0))
                    curP = raw.batchPid
                    inBatch = true
                    curCount = 0
                }
                guard inBatch else {
                    throw fail(
                        "read event \(raw.typ.rawValue) with current P of \(curP), but P has no batches yet", at: at)
                }
                curCount += 1

                if raw.typ == .cpuSample {
                    var e = Event()
                    e.type = raw.typ
                    e.fileOffset = Event.fileOffset(at)
                    let narg = argNum(raw)
                    if args.count != narg {
                        throw fail("CPU sample has wrong number of arguments: want \(narg), got \(args.count)", at: at)
                    }
                    for i in 1..<narg {
                        if i == narg - 1 {
                            e.stkID = UInt32(truncatingIfNeeded: args[i])
                        } else {
                            e.args[i - 1] = args[i]
                        }
                    }
                    e.ts = Timestamp(bitPattern: e.args[0])
                    e.p = Int32(truncatingIfNeeded: e.args[1])
                    e.g = e.args[2]
                    e.args[0] = 0
                    // CPU samples are written late by a separate worker; they're merged as their own "P" and
                    // re-sorted by the timestamp taken in the signal handler.
                    cpuSamples.append(e)
                }
            }
            flush(&self)
        }

        /// Go's argNum: the total number of args for the event, counting timestamp, sequence numbers and stack.
        @inline(__always)
        func argNum(_ raw: RawEvent) -> Int {
            if raw.typ == .stack { return args.count }
            let shape = descShape[Int(raw.typ.rawValue)]
            var narg = Int(shape & 0x7f)
            if shape & 0x80 != 0 { narg += 1 }
            switch raw.typ {
            case .batch, .frequency, .timerGoroutine: return narg
            default: return narg + 1  // timestamp
            }
        }

        /// Go's readRawEvent. Returns false at the end of data (Go's io.EOF). Arguments are left in `args`.
        mutating func readRawEvent(skipArgs: Bool, skipStrings: Bool, _ ev: inout RawEvent) throws(ParseError)
            -> Bool
        {
            // The number of arguments is encoded in two bits; 3 on the wire means "length-prefixed". Most events
            // have a timestamp before their arguments, so Go adds 1 and reads it like the first argument.
            let inlineArgs: UInt8 = 3
            let at = off
            guard let b = readByte() else { return false }
            let typ = EventType(rawValue: b & 0x3f)
            let narg = b >> 6 + 1
            if typ == .none || typ.rawValue >= EventType.count.rawValue || Int(descMinVersion[Int(typ.rawValue)]) > ver {
                throw fail("unknown event type \(typ.rawValue)", at: at)
            }
            args.removeAll()

            switch typ {
            case .string:
                if skipStrings {
                    guard readVal() != nil else { throw fail(V1.errMalformedVarint, at: off) }
                    let lnAt = off
                    guard let ln = readVal() else { throw fail(V1.errMalformedVarint, at: lnAt) }
                    if !discard(ln) { throw fail("failed to read trace: EOF", at: lnAt) }
                } else {
                    guard let id = readVal() else { throw fail(V1.errMalformedVarint, at: off) }
                    if id == 0 { throw fail("string has invalid id 0", at: at) }
                    if let s = strings[id], !s.isEmpty { throw fail("string has duplicate id \(id)", at: at) }
                    let lnAt = off
                    guard let ln = readVal() else { throw fail(V1.errMalformedVarint, at: lnAt) }
                    if ln == 0 { throw fail("string has invalid length 0", at: lnAt) }
                    if ln > 1_000_000 { throw fail("string has too large length \(ln)", at: lnAt) }
                    guard let r = readFull(Int(ln)) else {
                        throw fail("failed to read trace: unexpected EOF", at: lnAt)
                    }
                    strings[id] = decodeTraceString(data[r])
                }
                ev.typ = .none
                return true

            case .batch:
                if narg != 2 {
                    throw fail("EvBatch has wrong number of arguments: got \(narg), want 2", at: at)
                }
                guard let pid = readVal() else { throw fail(V1.errMalformedVarint, at: off) }
                if pid != UInt64.max && pid > UInt64(Int32.max) {
                    // Go quirk: the message names math.MaxUint, not the int32 limit it checks.
                    throw fail("processor ID \(pid) is larger than maximum of \(UInt64.max)", at: at)
                }
                let pid32: Int32 = pid == UInt64.max ? -1 : Int32(pid)
                guard let v = readVal() else { throw fail(V1.errMalformedVarint, at: off) }
                ev = RawEvent(typ: .batch, sarg: nil, batchPid: pid32, batchOffset: at)
                args.append(pid)
                args.append(v)
                return true

            default:
                ev = RawEvent(typ: typ)
                if narg <= inlineArgs {
                    for _ in 0..<Int(narg) {
                        guard let v = readVal() else {
                            throw fail("failed to read event \(typ.rawValue) argument: \(V1.errMalformedVarint)", at: off)
                        }
                        if !skipArgs { args.append(v) }
                    }
                } else {
                    // More than inlineArgs args: the first value is the length of the event in bytes.
                    guard let v = readVal() else {
                        throw fail("failed to read event \(typ.rawValue) argument: \(V1.errMalformedVarint)", at: off)
                    }
                    let limit: UInt64 = 2048
                    if v > limit {
                        throw fail(
                            "failed to read event \(typ.rawValue) argument: length-prefixed argument too big: "
                                + "\(v) bytes, limit is \(limit)", at: at)
                    }
                    if !skipArgs || typ == .cpuSample {
                        let bufAt = off
                        guard let r = readFull(Int(v)) else {
                            throw fail("failed to read trace: unexpected EOF", at: bufAt)
                        }
                        var i = r.lowerBound
                        while i < r.upperBound {
                            guard let (x, n) = V1.uvarint(data, from: i, end: r.upperBound) else {
                                throw fail(V1.errMalformedVarint, at: i)
                            }
                            args.append(x)
                            i += n
                        }
                    } else if !discard(v) {
                        throw fail("failed to read trace: EOF", at: off)
                    }
                    if typ == .userLog {
                        // EvUserLog records are followed by a value string.
                        if !skipArgs {
                            ev.sarg = try readStr()
                        } else {
                            let strAt = off
                            guard let n = readVal() else { throw fail(V1.errMalformedVarint, at: strAt) }
                            // Go quirk: a truncated value string here reads as a clean end of the trace.
                            if !discard(n) { return false }
                        }
                    }
                }
                return true
            }
        }

        /// Go's loadBatch: loads the next batch for pid into `events` (reusing its storage). Returns false when
        /// the P has no batches left.
        mutating func loadBatch(_ pid: Int32, into events: inout [Event]) throws(ParseError) -> Bool {
            guard let offsets = batchOffsets[pid] else { return false }
            let next = nextBatch[pid, default: 0]
            guard next < offsets.count else { return false }
            let n = offsets[next].numEvents
            off = offsets[next].offset
            nextBatch[pid] = next + 1
            if next + 1 == offsets.count { batchOffsets[pid] = [] }  // release what's no longer needed

            events.removeAll(keepingCapacity: true)
            events.reserveCapacity(n)
            var gotHeader = false
            var raw = RawEvent()
            var ev = Event()
            while true {
                let at = off
                guard try readRawEvent(skipArgs: false, skipStrings: false, &raw) else { break }
                if raw.typ == .none || raw.typ == .cpuSample { continue }
                if raw.typ == .batch {
                    if gotHeader { break }
                    gotHeader = true
                }
                try parseEvent(raw, &ev, at: at)
                ev.fileOffset = Event.fileOffset(at)
                if ev.type != .none { events.append(ev) }
            }
            return true
        }

        /// Go's parseEvent: turns a raw event into an event, checking per-type arguments.
        mutating func parseEvent(_ raw: RawEvent, _ ev: inout Event, at: Int) throws(ParseError) {
            // readRawEvent only lets described types through, so Go's "missing description" can't happen here.
            let hasStack = descShape[Int(raw.typ.rawValue)] & 0x80 != 0
            let narg = argNum(raw)
            if args.count != narg {
                throw fail("\(raw.typ.desc.name) has wrong number of arguments: want \(narg), got \(args.count)", at: at)
            }
            switch raw.typ {
            case .batch:
                lastGs[lastP] = lastG
                if args[0] != UInt64.max && args[0] > UInt64(Int32.max) {
                    throw fail("processor ID \(args[0]) is larger than maximum of \(Int32.max)", at: at)
                }
                lastP = args[0] == UInt64.max ? -1 : Int32(args[0])
                lastG = lastGs[lastP] ?? 0
                lastTs = Timestamp(bitPattern: args[1])
            case .frequency:
                ticksPerSec = Int64(bitPattern: args[0])
                if ticksPerSec <= 0 {
                    // Most likely tick skew between CPUs.
                    throw fail(V1.errTimeOrder, at: at)
                }
            case .timerGoroutine:
                timerGoids.insert(args[0])
            case .stack:
                if args.count < 2 {
                    throw fail("EvStack has wrong number of arguments: want at least 2, got \(args.count)", at: at)
                }
                let size = args[1]
                if size > 1000 { throw fail("EvStack has bad number of frames: \(size)", at: at) }
                let want = 2 + 4 * size
                if UInt64(args.count) != want {
                    throw fail("EvStack has wrong number of arguments: want \(want), got \(args.count)", at: at)
                }
                let id = UInt32(truncatingIfNeeded: args[0])
                if id != 0 && size > 0 {
                    var stk = [UInt64](repeating: 0, count: Int(size))
                    for i in 0..<Int(size) {
                        let pc = args[2 + i * 4]
                        stk[i] = pc
                        if pcs[pc] == nil {
                            pcs[pc] = Frame(
                                pc: pc, fn: args[2 + i * 4 + 1], file: args[2 + i * 4 + 2],
                                line: Int(truncatingIfNeeded: args[2 + i * 4 + 3]))
                        }
                    }
                    stacks[id] = stk
                }
            case .cpuSample:
                // Parsed while indexing; they don't belong to the batch.
                break
            default:
                ev = Event(ts: 0, g: lastG, args: Args(), stkID: 0, p: lastP, type: raw.typ)
                ev.ts = lastTs &+ Timestamp(bitPattern: args[0])
                lastTs = ev.ts
                for i in 1..<narg {
                    if i == narg - 1 && hasStack {
                        ev.stkID = UInt32(truncatingIfNeeded: args[i])
                    } else {
                        ev.args[i - 1] = args[i]
                    }
                }
                switch raw.typ {
                case .goStart, .goStartLocal, .goStartLabel:
                    lastG = ev.args[0]
                    ev.g = lastG
                case .goEnd, .goStop, .goSched, .goPreempt, .goSleep, .goBlock, .goBlockSend, .goBlockRecv,
                    .goBlockSelect, .goBlockSync, .goBlockCond, .goBlockNet, .goSysBlock, .goBlockGC:
                    lastG = 0
                case .goSysExit, .goWaiting, .goInSyscall:
                    ev.g = ev.args[0]
                case .userLog:
                    // Args: 0 task id, 1 key id; the value string gets an ID of its own (inline strings).
                    let bytes = raw.sarg.map { Array(data[$0]) } ?? []
                    if let id = inlineStringsMapping[bytes] {
                        ev.args[3] = UInt64(id)
                    } else {
                        let id = inlineStrings.count
                        inlineStringsMapping[bytes] = id
                        // Lossless: Go keeps invalid UTF-8 (Event/TraceString.swift).
                        inlineStrings.append(decodeTraceString(bytes[...]))
                        ev.args[3] = UInt64(id)
                    }
                default:
                    break
                }
                return
            }
            ev.type = .none
        }
    }
}

extension V1 {
    /// Go's binary.Uvarint over data[from..<end]: nil where Go returns n <= 0 (truncated or overflowing).
    @inline(__always)
    static func uvarint(_ data: [UInt8], from: Int, end: Int) -> (UInt64, Int)? {
        var x: UInt64 = 0
        var s: UInt64 = 0
        var i = from
        while i < end {
            let n = i - from
            if n == 10 { return nil }  // overflow
            let b = data[i]
            if b < 0x80 {
                if n == 9 && b > 1 { return nil }  // overflow
                return (x | UInt64(b) << s, n + 1)
            }
            x |= UInt64(b & 0x7f) << s
            s += 7
            i += 1
        }
        return nil
    }

    /// Go's float64 → int64 conversion as done on amd64 (CVTTSD2SQ): out-of-range values and NaN give Int64.min
    /// instead of trapping.
    @inline(__always)
    static func goFloatToInt64(_ d: Double) -> Int64 {
        if d.isNaN || d >= 9.223372036854775807e18 || d < -9.223372036854775808e18 { return Int64.min }
        return Int64(d)
    }
}

// MARK: - Merging and verification

extension V1.Parser {
    typealias Event = V1.Event

    /// Go's parseEventBatches: merges the per-P batches into one consistent stream. Events within a batch are in
    /// order; among the first unmerged event of each P, those whose goroutine-sequence dependencies are met are
    /// "ready", and the ready event with the lowest timestamp is merged next. This yields a consistent order even
    /// when timestamps are off.
    ///
    /// Go quirk (kept, and not reproducible exactly): Go builds its proc list by iterating a map, so among ready
    /// events with *equal* timestamps the merge order varies from run to run of `go tool trace`. We use the order
    /// in which each P's first batch appears in the file, which is one of the orders Go may pick.
    mutating func parseEventBatches() throws(V1.ParseError) -> [Event] {
        // CPU samples are re-sorted by the timestamp taken in the signal handler, with Go's (unstable) pdqsort
        // so that samples with equal timestamps end up in Go's order.
        goSortFunc(&cpuSamples) { $0.ts < $1.ts }

        var procs = batchPids.map { V1.Proc(pid: $0) }
        procs.append(V1.Proc(pid: V1.profileP, events: cpuSamples))
        cpuSamples = []

        var total = procs.last?.events.count ?? 0
        for offsets in batchOffsets.values { for b in offsets { total += b.numEvents } }
        var events: [Event] = []
        events.reserveCapacity(total)

        var gs = V1.DenseMap<V1.GState>(limit: V1.DenseMap<V1.GState>.goroutineLimit(events: total))
        var frontier = V1.OrderEventList()
        var available = Array(procs.indices)

        while true {
            var i = 0
            pidLoop: while i < available.count {
                let pi = available[i]
                while procs[pi].head >= procs[pi].events.count {
                    // Batches can be empty (only strings or stacks), hence the loop.
                    var buf = procs[pi].events
                    procs[pi].events = []
                    let loaded = try loadBatch(procs[pi].pid, into: &buf)
                    procs[pi].events = buf
                    procs[pi].head = 0
                    if !loaded {
                        // This P has no more events.
                        procs[pi].done = true
                        procs[pi].events = []
                        available.swapAt(i, available.count - 1)
                        available.removeLast()
                        continue pidLoop  // look at index i again: it now holds another proc
                    }
                }
                let ev = procs[pi].events[procs[pi].head]
                let (g, initial, _) = V1.stateTransition(ev)
                // Go's TODO, kept as is: with events for one G on several Ps, a transition that was valid when
                // the frontier was built may not be when it's processed; `transition` reports that.
                if !V1.transitionReady(g, gs[g] ?? .zero, initial) {
                    i += 1
                    continue
                }
                procs[pi].head += 1
                available.swapAt(i, available.count - 1)
                available.removeLast()
                frontier.push(V1.OrderEvent(ev: ev, proc: pi))
            }

            if frontier.isEmpty {
                for p in procs where !p.done {
                    // Go names no event; ours is the first one left waiting on a stuck P.
                    let stuck = p.head < p.events.count ? p.events[p.head].offset : nil
                    throw V1.ParseError(message: "no consistent ordering of events possible", offset: stuck)
                }
                break
            }
            var f = frontier.pop()
            // stateTransition is pure, so recomputing beats storing it in the frontier.
            let (g, initial, next) = V1.stateTransition(f.ev)
            // "Local" events exist only for ordering.
            switch f.ev.type {
            case .goStartLocal: f.ev.type = .goStart
            case .goUnblockLocal: f.ev.type = .goUnblock
            case .goSysExitLocal: f.ev.type = .goSysExit
            default: break
            }
            events.append(f.ev)
            do {
                try V1.transition(&gs, g, initial, next)
            } catch {
                throw V1.ParseError(message: error.message, offset: f.ev.offset)
            }
            available.append(f.proc)
        }

        // The stream is consistent; its timestamps must respect the order.
        var i = events.count - 1
        while i > 0 {
            if events[i].ts < events[i - 1].ts {
                throw V1.ParseError(message: V1.errTimeOrder, offset: events[i].offset)
            }
            i -= 1
        }

        // EvGoSysExit's real exit time (args[2]) may be long before the event was emitted; it's applied only now,
        // then the events are re-sorted stably (Go's sort.Stable).
        var lastSysBlock: [UInt64: V1.Timestamp] = [:]
        var moved = false
        for i in events.indices {
            switch events[i].type {
            case .goSysBlock, .goInSyscall:
                lastSysBlock[events[i].g] = events[i].ts
            case .goSysExit:
                let ts = V1.Timestamp(bitPattern: events[i].args[2])
                if ts == 0 { continue }
                let block = lastSysBlock[events[i].g] ?? 0
                if block == 0 { throw V1.ParseError(message: "stray syscall exit", offset: events[i].offset) }
                if ts < block { throw V1.ParseError(message: V1.errTimeOrder, offset: events[i].offset) }
                events[i].ts = ts
                moved = true
            default:
                break
            }
        }
        if moved { V1.stableSortByTime(&events) }
        return events
    }

    /// Go's postProcessTrace: inter-event verification (a P doesn't run two Gs at once, a G is blocked before it
    /// is unblocked, ...) and restoration of a few fields (GoStart's stack, NetpollP, GCP).
    mutating func postProcessTrace(_ events: inout [Event]) throws(V1.ParseError) {
        struct GDesc {
            var state: V1.GStatus = .dead
            var ev = -1  // indices into events; -1 is Go's nil
            var evStart = -1
            var evCreate = -1
            var evMarkAssist = -1
        }
        struct PDesc {
            var running = false
            var g: UInt64 = 0
            var evSweep = -1
        }
        var gs = V1.DenseMap<GDesc>(limit: V1.DenseMap<GDesc>.goroutineLimit(events: events.count))
        gs[0] = GDesc(state: .running)
        var ps = V1.DenseMap<PDesc>(limit: 1 << 12)
        var tasks: [UInt64: Int] = [:]  // task id to task creation event
        var activeRegions: [UInt64: [Int]] = [:]  // goroutine id to stack of regions
        var evGC = -1
        var evSTW = -1

        // Every check below is about events[idx]: errors point at its raw event in the file.
        var at: Int? = nil
        func err(_ s: String) -> V1.ParseError { V1.ParseError(message: s, offset: at) }
        // Stack IDs are dense: answer "has frames" from a bitmap rather than hashing per event.
        let maxStackID = stacks.keys.max() ?? 0
        let stackBits: [Bool]? =
            maxStackID < 1 << 24
            ? {
                var b = [Bool](repeating: false, count: Int(maxStackID) + 1)
                for (id, pcs) in stacks where !pcs.isEmpty { b[Int(id)] = true }
                return b
            }() : nil
        @inline(__always) func hasFrames(_ id: UInt32) -> Bool {
            if let stackBits { return Int(id) < stackBits.count && stackBits[Int(id)] }
            return !(stacks[id]?.isEmpty ?? true)
        }
        @inline(__always) func pkey(_ p: Int32) -> UInt64 { UInt64(bitPattern: Int64(p)) }
        func checkRunning(_ p: PDesc, _ g: GDesc, _ ev: Event, allowG0: Bool) throws(V1.ParseError) {
            if g.state != .running {
                throw err("g \(ev.g) is not running while \(ev.type.desc.name) (time \(ev.ts))")
            }
            if p.g != ev.g {
                throw err("p \(ev.p) is not running g \(ev.g) while \(ev.type.desc.name) (time \(ev.ts))")
            }
            if !allowG0 && ev.g == 0 { throw err("g 0 did \(ev.type.desc.name) (time \(ev.ts))") }
        }

        for idx in events.indices {
            let ev = events[idx]
            at = ev.offset
            switch ev.type {
            case .procStart:
                var p = ps[pkey(ev.p)] ?? PDesc()
                if p.running { throw err("p \(ev.p) is running before start (time \(ev.ts))") }
                p.running = true
                ps[pkey(ev.p)] = p
            case .procStop:
                var p = ps[pkey(ev.p)] ?? PDesc()
                if !p.running { throw err("p \(ev.p) is not running before stop (time \(ev.ts))") }
                if p.g != 0 { throw err("p \(ev.p) is running a goroutine \(p.g) during stop (time \(ev.ts))") }
                p.running = false
                ps[pkey(ev.p)] = p
            case .gcStart:
                if evGC != -1 { throw err("previous GC is not ended before a new one (time \(ev.ts))") }
                evGC = idx
                events[idx].p = V1.gcP  // attribute to the global GC state
            case .gcDone:
                if evGC == -1 { throw err("bogus GC end (time \(ev.ts))") }
                evGC = -1
            case .stwStart:
                if evSTW != -1 { throw err("previous STW is not ended before a new one (time \(ev.ts))") }
                evSTW = idx
            case .stwDone:
                if evSTW == -1 { throw err("bogus STW end (time \(ev.ts))") }
                evSTW = -1
            case .gcSweepStart:
                var p = ps[pkey(ev.p)] ?? PDesc()
                if p.evSweep != -1 { throw err("previous sweeping is not ended before a new one (time \(ev.ts))") }
                p.evSweep = idx
                ps[pkey(ev.p)] = p
            case .gcMarkAssistStart:
                var g = gs[ev.g] ?? GDesc()
                if g.evMarkAssist != -1 {
                    throw err("previous mark assist is not ended before a new one (time \(ev.ts))")
                }
                g.evMarkAssist = idx
                gs[ev.g] = g
            case .gcMarkAssistDone:
                // Mark assists can be in progress when tracing starts, so no error here.
                var g = gs[ev.g] ?? GDesc()
                g.evMarkAssist = -1
                gs[ev.g] = g
            case .gcSweepDone:
                var p = ps[pkey(ev.p)] ?? PDesc()
                if p.evSweep == -1 { throw err("bogus sweeping end (time \(ev.ts))") }
                p.evSweep = -1
                ps[pkey(ev.p)] = p
            case .goWaiting:
                var g = gs[ev.g] ?? GDesc()
                if g.state != .runnable { throw err("g \(ev.g) is not runnable before EvGoWaiting (time \(ev.ts))") }
                g.state = .waiting
                g.ev = idx
                gs[ev.g] = g
            case .goInSyscall:
                var g = gs[ev.g] ?? GDesc()
                if g.state != .runnable {
                    throw err("g \(ev.g) is not runnable before EvGoInSyscall (time \(ev.ts))")
                }
                g.state = .waiting
                g.ev = idx
                gs[ev.g] = g
            case .goCreate:
                let g = gs[ev.g] ?? GDesc()
                let p = ps[pkey(ev.p)] ?? PDesc()
                try checkRunning(p, g, ev, allowG0: true)
                if gs[ev.args[0]] != nil { throw err("g \(ev.args[0]) already exists (time \(ev.ts))") }
                gs[ev.args[0]] = GDesc(state: .runnable, ev: idx, evCreate: idx)
            case .goStart, .goStartLabel:
                var g = gs[ev.g] ?? GDesc()
                var p = ps[pkey(ev.p)] ?? PDesc()
                if g.state != .runnable { throw err("g \(ev.g) is not runnable before start (time \(ev.ts))") }
                if p.g != 0 {
                    throw err("p \(ev.p) is already running g \(p.g) while start g \(ev.g) (time \(ev.ts))")
                }
                g.state = .running
                g.evStart = idx
                p.g = ev.g
                if g.evCreate != -1 {
                    events[idx].stkID = UInt32(truncatingIfNeeded: events[g.evCreate].args[1])
                    g.evCreate = -1
                }
                g.ev = -1
                gs[ev.g] = g
                ps[pkey(ev.p)] = p
            case .goEnd, .goStop:
                var g = gs[ev.g] ?? GDesc()
                var p = ps[pkey(ev.p)] ?? PDesc()
                try checkRunning(p, g, ev, allowG0: false)
                g.evStart = -1
                g.state = .dead
                p.g = 0
                if ev.type == .goEnd { activeRegions[ev.g] = nil }  // flush all active regions
                gs[ev.g] = g
                ps[pkey(ev.p)] = p
            case .goSched, .goPreempt:
                var g = gs[ev.g] ?? GDesc()
                var p = ps[pkey(ev.p)] ?? PDesc()
                try checkRunning(p, g, ev, allowG0: false)
                g.state = .runnable
                g.evStart = -1
                p.g = 0
                g.ev = idx
                gs[ev.g] = g
                ps[pkey(ev.p)] = p
            case .goUnblock:
                let g = gs[ev.g] ?? GDesc()
                let p = ps[pkey(ev.p)] ?? PDesc()
                if g.state != .running { throw err("g \(ev.g) is not running while unpark (time \(ev.ts))") }
                if ev.p != V1.timerP && p.g != ev.g {
                    throw err("p \(ev.p) is not running g \(ev.g) while unpark (time \(ev.ts))")
                }
                var g1 = gs[ev.args[0]] ?? GDesc()
                if g1.state != .waiting {
                    throw err("g \(ev.args[0]) is not waiting before unpark (time \(ev.ts))")
                }
                if g1.ev != -1 && events[g1.ev].type == .goBlockNet {
                    events[idx].p = V1.netpollP
                }
                g1.state = .runnable
                g1.ev = idx
                gs[ev.args[0]] = g1
            case .goSysCall:
                var g = gs[ev.g] ?? GDesc()
                let p = ps[pkey(ev.p)] ?? PDesc()
                try checkRunning(p, g, ev, allowG0: false)
                g.ev = idx
                gs[ev.g] = g
            case .goSysBlock:
                var g = gs[ev.g] ?? GDesc()
                var p = ps[pkey(ev.p)] ?? PDesc()
                try checkRunning(p, g, ev, allowG0: false)
                g.state = .waiting
                g.evStart = -1
                p.g = 0
                gs[ev.g] = g
                ps[pkey(ev.p)] = p
            case .goSysExit:
                var g = gs[ev.g] ?? GDesc()
                if g.state != .waiting {
                    throw err("g \(ev.g) is not waiting during syscall exit (time \(ev.ts))")
                }
                g.state = .runnable
                g.ev = idx
                gs[ev.g] = g
            case .goSleep, .goBlock, .goBlockSend, .goBlockRecv, .goBlockSelect, .goBlockSync, .goBlockCond,
                .goBlockNet, .goBlockGC:
                var g = gs[ev.g] ?? GDesc()
                var p = ps[pkey(ev.p)] ?? PDesc()
                try checkRunning(p, g, ev, allowG0: false)
                g.state = .waiting
                g.ev = idx
                g.evStart = -1
                p.g = 0
                gs[ev.g] = g
                ps[pkey(ev.p)] = p
            case .userTaskCreate:
                let taskid = ev.args[0]
                if let prev = tasks[taskid] {
                    throw err(
                        "task id conflicts (id:\(taskid)), \(V1.goQuote(events[idx].description)) vs "
                            + "\(V1.goQuote(events[prev].description))")
                }
                tasks[taskid] = idx
            case .userTaskEnd:
                tasks[ev.args[0]] = nil
            case .userRegion:
                let mode = ev.args[1]
                let regions = activeRegions[ev.g] ?? []
                if mode == 0 {  // region start
                    activeRegions[ev.g, default: []].append(idx)
                } else if mode == 1 {  // region end
                    if let top = regions.last {  // the matching start is in the trace
                        let s = events[top]
                        if s.args[0] != ev.args[0] || s.args[2] != ev.args[2] {  // task id, region name mismatch
                            throw err(
                                "misuse of region in goroutine \(ev.g): span end \(V1.goQuote(events[idx].description)) "
                                    + "when the inner-most active span start event is \(V1.goQuote(s.description))")
                        }
                        if regions.count > 1 {
                            activeRegions[ev.g]?.removeLast()
                        } else {
                            activeRegions[ev.g] = nil
                        }
                    }
                } else {
                    throw err("invalid user region mode: \(V1.goQuote(events[idx].description))")
                }
            default:
                break
            }

            // Events mustn't refer to stacks that don't exist or have no frames.
            let stk = events[idx].stkID
            if stk != 0 && !hasFrames(stk) {
                events[idx].stkID = 0
            }
        }
    }
}

extension V1 {
    /// Go's %q for the ASCII-only strings used in error messages.
    static func goQuote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}
