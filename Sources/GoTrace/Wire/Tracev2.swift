// Port of Go 1.27.3 src/internal/trace/tracev2/{events.go,spec.go}: the wire-level event types of the
// current trace format (introduced in Go 1.22) and their per-type specifications.

/// Namespace for Go's `internal/trace/tracev2` package.
public enum Tracev2 {
    /// An event's type byte on the wire (Go's `tracev2.EventType`).
    public struct EventType: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
        public var rawValue: UInt8
        @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
        @inlinable public init(_ raw: UInt8) { self.rawValue = raw }
        @inlinable public static func < (a: EventType, b: EventType) -> Bool { a.rawValue < b.rawValue }
        /// Go prints an EventType with %v/%d as its number.
        public var description: String { String(rawValue) }

        /// Go's `EventType.Experimental`.
        @inlinable public var experimental: Bool {
            rawValue > Tracev2.maxEvent.rawValue && rawValue < Tracev2.maxExperimentalEvent.rawValue
        }
    }

    // Event types in the trace (Go's iota order; the numbers are the wire format).
    public static let evNone = EventType(0)  // unused

    // Structural events.
    public static let evEventBatch = EventType(1)  // start of per-M batch [generation, M ID, timestamp, batch length]
    public static let evStacks = EventType(2)  // start of a section of the stack table [...EvStack]
    public static let evStack = EventType(3)  // stack table entry [ID, ...{PC, func string ID, file string ID, line #}]
    public static let evStrings = EventType(4)  // start of a section of the string dictionary [...EvString]
    public static let evString = EventType(5)  // string dictionary entry [ID, length, string]
    public static let evCPUSamples = EventType(6)  // start of a section of CPU samples [...EvCPUSample]
    public static let evCPUSample = EventType(7)  // CPU profiling sample [timestamp, M ID, P ID, goroutine ID, stack ID]
    public static let evFrequency = EventType(8)  // timestamp units per sec [freq]

    // Procs.
    public static let evProcsChange = EventType(9)
    public static let evProcStart = EventType(10)
    public static let evProcStop = EventType(11)
    public static let evProcSteal = EventType(12)
    public static let evProcStatus = EventType(13)

    // Goroutines.
    public static let evGoCreate = EventType(14)
    public static let evGoCreateSyscall = EventType(15)
    public static let evGoStart = EventType(16)
    public static let evGoDestroy = EventType(17)
    public static let evGoDestroySyscall = EventType(18)
    public static let evGoStop = EventType(19)
    public static let evGoBlock = EventType(20)
    public static let evGoUnblock = EventType(21)
    public static let evGoSyscallBegin = EventType(22)
    public static let evGoSyscallEnd = EventType(23)
    public static let evGoSyscallEndBlocked = EventType(24)
    public static let evGoStatus = EventType(25)

    // STW.
    public static let evSTWBegin = EventType(26)
    public static let evSTWEnd = EventType(27)

    // GC events.
    public static let evGCActive = EventType(28)
    public static let evGCBegin = EventType(29)
    public static let evGCEnd = EventType(30)
    public static let evGCSweepActive = EventType(31)
    public static let evGCSweepBegin = EventType(32)
    public static let evGCSweepEnd = EventType(33)
    public static let evGCMarkAssistActive = EventType(34)
    public static let evGCMarkAssistBegin = EventType(35)
    public static let evGCMarkAssistEnd = EventType(36)
    public static let evHeapAlloc = EventType(37)
    public static let evHeapGoal = EventType(38)

    // Annotations.
    public static let evGoLabel = EventType(39)
    public static let evUserTaskBegin = EventType(40)
    public static let evUserTaskEnd = EventType(41)
    public static let evUserRegionBegin = EventType(42)
    public static let evUserRegionEnd = EventType(43)
    public static let evUserLog = EventType(44)

    // Coroutines. Added in Go 1.23.
    public static let evGoSwitch = EventType(45)
    public static let evGoSwitchDestroy = EventType(46)
    public static let evGoCreateBlocked = EventType(47)

    // GoStatus with stack. Added in Go 1.23.
    public static let evGoStatusStack = EventType(48)

    // Batch event for an experimental batch with a custom format. Added in Go 1.23.
    public static let evExperimentalBatch = EventType(49)

    // Sync batch. Added in Go 1.25. Previously a lone EvFrequency event.
    public static let evSync = EventType(50)
    public static let evClockSnapshot = EventType(51)

    // In-band end-of-generation signal. Added in Go 1.26.
    public static let evEndOfGeneration = EventType(52)

    public static let numEvents = EventType(53)

    // Experimental events.
    public static let maxEvent = EventType(127)

    // Experimental events for AllocFree (added in Go 1.23).
    public static let evSpan = EventType(128)
    public static let evSpanAlloc = EventType(129)
    public static let evSpanFree = EventType(130)
    public static let evHeapObject = EventType(131)
    public static let evHeapObjectAlloc = EventType(132)
    public static let evHeapObjectFree = EventType(133)
    public static let evGoroutineStack = EventType(134)
    public static let evGoroutineStackAlloc = EventType(135)
    public static let evGoroutineStackFree = EventType(136)

    public static let maxExperimentalEvent = EventType(137)
    public static let numExperimentalEvents = 137 - 127

    /// Go's `MaxTimedEventArgs`.
    public static let maxTimedEventArgs = 5

    /// An experiment ID that events may be associated with (Go's `tracev2.Experiment`).
    public struct Experiment: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt64
        @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
        @inlinable public init(_ raw: UInt64) { self.rawValue = raw }
        public var description: String { String(rawValue) }
    }
    /// Go's `NoExperiment`.
    public static let noExperiment = Experiment(0)
    /// Go's `AllocFree`.
    public static let allocFree = Experiment(1)
    public static let numExperiments = Experiment(2)

    /// Go's `tracev2.Experiments()`: names indexed by experiment ID.
    public static let experiments: [String] = ["None", "AllocFree"]

    /// Status of a goroutine on the wire (Go's `tracev2.GoStatus`).
    public struct GoStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt8
        @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
        @inlinable public init(_ raw: UInt8) { self.rawValue = raw }
        public static let bad = GoStatus(0)
        public static let runnable = GoStatus(1)
        public static let running = GoStatus(2)
        public static let syscall = GoStatus(3)
        public static let waiting = GoStatus(4)
        public var description: String {
            switch rawValue {
            case 1: return "Runnable"
            case 2: return "Running"
            case 3: return "Syscall"
            case 4: return "Waiting"
            default: return "Bad"
            }
        }
    }

    /// Status of a P on the wire (Go's `tracev2.ProcStatus`).
    public struct ProcStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt8
        @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
        @inlinable public init(_ raw: UInt8) { self.rawValue = raw }
        public static let bad = ProcStatus(0)
        public static let running = ProcStatus(1)
        public static let idle = ProcStatus(2)
        public static let syscall = ProcStatus(3)
        /// A special case of syscall: the first mention of the P in a generation is a ProcSteal, so
        /// there's no GoSyscallBegin to connect the steal back to.
        public static let syscallAbandoned = ProcStatus(4)
        public var description: String {
            switch rawValue {
            case 1: return "Running"
            case 2: return "Idle"
            case 3: return "Syscall"
            case 4: return "SyscallAbandoned"
            default: return "Bad"
            }
        }
    }

    /// Go's `MaxBatchSize`.
    public static let maxBatchSize: UInt64 = 64 << 10
    /// Go's `MaxFramesPerStack`.
    public static let maxFramesPerStack: UInt64 = 128
    /// Go's `MaxEventTrailerDataSize`.
    public static let maxEventTrailerDataSize: UInt64 = 1 << 10

    /// Specification of one event type (Go's `tracev2.EventSpec`).
    public struct EventSpec: Sendable {
        /// Human-readable name; "" for unused slots.
        public var name: String
        /// Names of the arguments; the count is the number of varint arguments on the wire.
        public var args: [String]
        /// Which arguments are string IDs.
        public var stringIDs: [Int]
        /// Which arguments are stack IDs; the first is the event's own stack.
        public var stackIDs: [Int]
        /// The "begin" event of a range, if this event ends one.
        public var startEv: EventType
        /// Appears in the main event stream with a timestamp delta as first argument.
        public var isTimedEvent: Bool
        /// Has a trailer: varint length followed by that many raw bytes.
        public var hasData: Bool
        /// A complete stack trace follows the arguments.
        public var isStack: Bool
        /// The experiment this event belongs to, or `noExperiment`.
        public var experiment: Experiment

        init(
            _ name: String = "", args: [String] = [], stringIDs: [Int] = [], stackIDs: [Int] = [],
            startEv: EventType = Tracev2.evNone, isTimedEvent: Bool = false, hasData: Bool = false,
            isStack: Bool = false, experiment: Experiment = Tracev2.noExperiment
        ) {
            self.name = name
            self.args = args
            self.stringIDs = stringIDs
            self.stackIDs = stackIDs
            self.startEv = startEv
            self.isTimedEvent = isTimedEvent
            self.hasData = hasData
            self.isStack = isStack
            self.experiment = experiment
        }
    }

    /// Go's `tracev2.Specs()`: indexed by event type; length 137 (the highest defined type + 1), unused
    /// slots have an empty name, like Go's sparse array literal.
    public static let allSpecs: [EventSpec] = {
        var s = [EventSpec](repeating: EventSpec(), count: Int(maxExperimentalEvent.rawValue))
        func set(_ t: EventType, _ spec: EventSpec) { s[Int(t.rawValue)] = spec }
        // "Structural" events.
        set(evEventBatch, EventSpec("EventBatch", args: ["gen", "m", "time", "size"]))
        set(evStacks, EventSpec("Stacks"))
        set(evStack, EventSpec("Stack", args: ["id", "nframes"], isStack: true))
        set(evStrings, EventSpec("Strings"))
        set(evString, EventSpec("String", args: ["id"], hasData: true))
        set(evCPUSamples, EventSpec("CPUSamples"))
        // N.B. There's a timestamp here, but these events don't appear in the regular M streams.
        set(evCPUSample, EventSpec("CPUSample", args: ["time", "m", "p", "g", "stack"], stackIDs: [4]))
        set(evFrequency, EventSpec("Frequency", args: ["freq"]))
        set(evExperimentalBatch, EventSpec("ExperimentalBatch", args: ["exp", "gen", "m", "time"], hasData: true))
        set(evSync, EventSpec("Sync"))
        set(evEndOfGeneration, EventSpec("EndOfGeneration"))

        // "Timed" events.
        set(evProcsChange, EventSpec("ProcsChange", args: ["dt", "procs_value", "stack"], stackIDs: [2], isTimedEvent: true))
        set(evProcStart, EventSpec("ProcStart", args: ["dt", "p", "p_seq"], isTimedEvent: true))
        set(evProcStop, EventSpec("ProcStop", args: ["dt"], isTimedEvent: true))
        set(evProcSteal, EventSpec("ProcSteal", args: ["dt", "p", "p_seq", "m"], isTimedEvent: true))
        set(evProcStatus, EventSpec("ProcStatus", args: ["dt", "p", "pstatus"], isTimedEvent: true))
        set(evGoCreate, EventSpec("GoCreate", args: ["dt", "new_g", "new_stack", "stack"], stackIDs: [3, 2], isTimedEvent: true))
        set(evGoCreateSyscall, EventSpec("GoCreateSyscall", args: ["dt", "new_g"], isTimedEvent: true))
        set(evGoStart, EventSpec("GoStart", args: ["dt", "g", "g_seq"], isTimedEvent: true))
        set(evGoDestroy, EventSpec("GoDestroy", args: ["dt"], isTimedEvent: true))
        set(evGoDestroySyscall, EventSpec("GoDestroySyscall", args: ["dt"], isTimedEvent: true))
        set(evGoStop, EventSpec("GoStop", args: ["dt", "reason_string", "stack"], stringIDs: [1], stackIDs: [2], isTimedEvent: true))
        set(evGoBlock, EventSpec("GoBlock", args: ["dt", "reason_string", "stack"], stringIDs: [1], stackIDs: [2], isTimedEvent: true))
        set(evGoUnblock, EventSpec("GoUnblock", args: ["dt", "g", "g_seq", "stack"], stackIDs: [3], isTimedEvent: true))
        set(evGoSyscallBegin, EventSpec("GoSyscallBegin", args: ["dt", "p_seq", "stack"], stackIDs: [2], isTimedEvent: true))
        set(evGoSyscallEnd, EventSpec("GoSyscallEnd", args: ["dt"], startEv: evGoSyscallBegin, isTimedEvent: true))
        set(evGoSyscallEndBlocked, EventSpec("GoSyscallEndBlocked", args: ["dt"], startEv: evGoSyscallBegin, isTimedEvent: true))
        set(evGoStatus, EventSpec("GoStatus", args: ["dt", "g", "m", "gstatus"], isTimedEvent: true))
        set(evSTWBegin, EventSpec("STWBegin", args: ["dt", "kind_string", "stack"], stringIDs: [1], stackIDs: [2], isTimedEvent: true))
        set(evSTWEnd, EventSpec("STWEnd", args: ["dt"], startEv: evSTWBegin, isTimedEvent: true))
        set(evGCActive, EventSpec("GCActive", args: ["dt", "gc_seq"], startEv: evGCBegin, isTimedEvent: true))
        set(evGCBegin, EventSpec("GCBegin", args: ["dt", "gc_seq", "stack"], stackIDs: [2], isTimedEvent: true))
        set(evGCEnd, EventSpec("GCEnd", args: ["dt", "gc_seq"], startEv: evGCBegin, isTimedEvent: true))
        set(evGCSweepActive, EventSpec("GCSweepActive", args: ["dt", "p"], startEv: evGCSweepBegin, isTimedEvent: true))
        set(evGCSweepBegin, EventSpec("GCSweepBegin", args: ["dt", "stack"], stackIDs: [1], isTimedEvent: true))
        set(evGCSweepEnd, EventSpec("GCSweepEnd", args: ["dt", "swept_value", "reclaimed_value"], startEv: evGCSweepBegin, isTimedEvent: true))
        set(evGCMarkAssistActive, EventSpec("GCMarkAssistActive", args: ["dt", "g"], startEv: evGCMarkAssistBegin, isTimedEvent: true))
        set(evGCMarkAssistBegin, EventSpec("GCMarkAssistBegin", args: ["dt", "stack"], stackIDs: [1], isTimedEvent: true))
        set(evGCMarkAssistEnd, EventSpec("GCMarkAssistEnd", args: ["dt"], startEv: evGCMarkAssistBegin, isTimedEvent: true))
        set(evHeapAlloc, EventSpec("HeapAlloc", args: ["dt", "heapalloc_value"], isTimedEvent: true))
        set(evHeapGoal, EventSpec("HeapGoal", args: ["dt", "heapgoal_value"], isTimedEvent: true))
        set(evGoLabel, EventSpec("GoLabel", args: ["dt", "label_string"], stringIDs: [1], isTimedEvent: true))
        set(evUserTaskBegin, EventSpec("UserTaskBegin", args: ["dt", "task", "parent_task", "name_string", "stack"], stringIDs: [3], stackIDs: [4], isTimedEvent: true))
        set(evUserTaskEnd, EventSpec("UserTaskEnd", args: ["dt", "task", "stack"], stackIDs: [2], isTimedEvent: true))
        set(evUserRegionBegin, EventSpec("UserRegionBegin", args: ["dt", "task", "name_string", "stack"], stringIDs: [2], stackIDs: [3], isTimedEvent: true))
        set(evUserRegionEnd, EventSpec("UserRegionEnd", args: ["dt", "task", "name_string", "stack"], stringIDs: [2], stackIDs: [3], startEv: evUserRegionBegin, isTimedEvent: true))
        set(evUserLog, EventSpec("UserLog", args: ["dt", "task", "key_string", "value_string", "stack"], stringIDs: [2, 3], stackIDs: [4], isTimedEvent: true))
        set(evGoSwitch, EventSpec("GoSwitch", args: ["dt", "g", "g_seq"], isTimedEvent: true))
        set(evGoSwitchDestroy, EventSpec("GoSwitchDestroy", args: ["dt", "g", "g_seq"], isTimedEvent: true))
        set(evGoCreateBlocked, EventSpec("GoCreateBlocked", args: ["dt", "new_g", "new_stack", "stack"], stackIDs: [3, 2], isTimedEvent: true))
        set(evGoStatusStack, EventSpec("GoStatusStack", args: ["dt", "g", "m", "gstatus", "stack"], stackIDs: [4], isTimedEvent: true))
        set(evClockSnapshot, EventSpec("ClockSnapshot", args: ["dt", "mono", "sec", "nsec"], isTimedEvent: true))

        // Experimental events.
        set(evSpan, EventSpec("Span", args: ["dt", "id", "npages_value", "kindclass"], isTimedEvent: true, experiment: allocFree))
        set(evSpanAlloc, EventSpec("SpanAlloc", args: ["dt", "id", "npages_value", "kindclass"], isTimedEvent: true, experiment: allocFree))
        set(evSpanFree, EventSpec("SpanFree", args: ["dt", "id"], isTimedEvent: true, experiment: allocFree))
        set(evHeapObject, EventSpec("HeapObject", args: ["dt", "id", "type"], isTimedEvent: true, experiment: allocFree))
        set(evHeapObjectAlloc, EventSpec("HeapObjectAlloc", args: ["dt", "id", "type"], isTimedEvent: true, experiment: allocFree))
        set(evHeapObjectFree, EventSpec("HeapObjectFree", args: ["dt", "id"], isTimedEvent: true, experiment: allocFree))
        set(evGoroutineStack, EventSpec("GoroutineStack", args: ["dt", "id", "order"], isTimedEvent: true, experiment: allocFree))
        set(evGoroutineStackAlloc, EventSpec("GoroutineStackAlloc", args: ["dt", "id", "order"], isTimedEvent: true, experiment: allocFree))
        set(evGoroutineStackFree, EventSpec("GoroutineStackFree", args: ["dt", "id"], isTimedEvent: true, experiment: allocFree))
        return s
    }()

    /// Go's `tracev2.Specs()`.
    @inlinable public static func specs() -> [EventSpec] { allSpecs }

    /// The spec for `typ`, or nil if `typ` is beyond Go's specs array (Go would index out of range).
    @inlinable public static func spec(_ typ: EventType) -> EventSpec? {
        let i = Int(typ.rawValue)
        return i < allSpecs.count ? allSpecs[i] : nil
    }

    /// Per-type decode info for the hot path (256 entries so any byte indexes it): the number of varint
    /// arguments after the type byte when the type is a timed event (Go's `len(spec.Args)`), else -1.
    static let timedArgCount: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, s) in allSpecs.enumerated() where s.isTimedEvent && !s.args.isEmpty {
            t[i] = Int8(s.args.count)
        }
        return t
    }()

    /// Per-type index into a BaseEvent's args of the event's own stack id (the first StackIDs entry, minus one
    /// for the peeled timestamp), or -1 without one: Event.stack reads this instead of copying the spec (its
    /// arrays cost a retain and release each, on every event).
    static let stackArgIndex: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, s) in allSpecs.enumerated() { if let first = s.stackIDs.first { t[i] = Int8(first - 1) } }
        return t
    }()

    /// Per-type start of Go's `extra(version.Go122)` slots in a BaseEvent's args (`len(spec.Args)-1`, at least
    /// 0; past the end for types beyond the specs), for the same reason.
    static let extraStart: [Int8] = {
        var t = [Int8](repeating: Int8(TimedEventArgs.count), count: 256)
        for (i, s) in allSpecs.enumerated() { t[i] = Int8(max(0, s.args.count - 1)) }
        return t
    }()

    /// Go's `tracev2.EventNames(specs)`.
    public static func eventNames(_ specs: [EventSpec]) -> [String: EventType] {
        var m: [String: EventType] = [:]
        for (i, s) in specs.enumerated() { m[s.name] = EventType(UInt8(truncatingIfNeeded: i)) }
        return m
    }
}
