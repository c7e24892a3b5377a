// Port of Go 1.27.3 src/internal/trace/event.go: the public event model. The text form (Go's
// `Event.String()`) lives in EventText.swift.

/// The kind of an event (Go's `EventKind`); use it to pick the matching detail accessor on `Event`.
public enum EventKind: UInt16, Sendable, CustomStringConvertible {
    case bad = 0
    /// A global synchronization point: all resources existing until here have been enumerated.
    case sync
    /// The value of a metric at a point in time.
    case metric
    /// A label attached to a resource.
    case label
    /// A best-effort execution sample (CPU profile) of a thread/proc/goroutine.
    case stackSample
    /// A named range of time scoped to a resource; `rangeActive` means it was already active.
    case rangeBegin
    case rangeActive
    case rangeEnd
    /// A runtime/trace.Task.
    case taskBegin
    case taskEnd
    /// A runtime/trace.Region.
    case regionBegin
    case regionEnd
    /// A runtime/trace.Log call.
    case log
    /// A state change of some resource.
    case stateTransition
    /// An unvalidated experimental event, exposed in raw form.
    case experimental

    /// Go's `EventKind.String()`.
    public var description: String {
        switch self {
        case .bad: return "Bad"
        case .sync: return "Sync"
        case .metric: return "Metric"
        case .label: return "Label"
        case .stackSample: return "StackSample"
        case .rangeBegin: return "RangeBegin"
        case .rangeActive: return "RangeActive"
        case .rangeEnd: return "RangeEnd"
        case .taskBegin: return "TaskBegin"
        case .taskEnd: return "TaskEnd"
        case .regionBegin: return "RegionBegin"
        case .regionEnd: return "RegionEnd"
        case .log: return "Log"
        case .stateTransition: return "StateTransition"
        case .experimental: return "Experimental"
        }
    }
}

/// A timestamp in nanoseconds on the traced platform's monotonic clock (Go's `Time`). Only meaningful
/// relative to other timestamps of the same clock.
public struct Time: RawRepresentable, Comparable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ raw: Int64) { self.rawValue = raw }

    /// Go's `maxTime`.
    public static let max = Time(Int64.max)

    @inlinable public static func < (a: Time, b: Time) -> Bool { a.rawValue < b.rawValue }

    /// Go's `Time.Sub`: `self - t0` in nanoseconds (wrapping, as Go's int64 arithmetic does).
    @inlinable public func sub(_ t0: Time) -> Int64 { rawValue &- t0.rawValue }

    public var description: String { String(rawValue) }
}

/// Details about a Metric event (Go's `Metric`).
public struct Metric: Sendable {
    /// The metric's name, following runtime/metrics conventions (includes the unit).
    public var name: String
    /// The sampled value; its kind is fixed per metric name.
    public var value: Value
}

/// Details about a Label event (Go's `Label`).
public struct Label: Sendable {
    /// The label applied to the resource.
    public var label: String
    /// The resource the label applies to.
    public var resource: ResourceID
}

/// Details about a RangeBegin/RangeActive/RangeEnd event (Go's `Range`).
public struct Range: Sendable {
    /// The range's name; begin and end of one range share it.
    public var name: String
    /// The resource the range is scoped to (`.none` kind: globally scoped).
    public var scope: ResourceID
}

/// An attribute of a completed range (Go's `RangeAttribute`).
public struct RangeAttribute: Sendable {
    public var name: String
    public var value: Value
}

/// The internal ID of a task (Go's `TaskID`).
public struct TaskID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
    @inlinable public init(_ raw: UInt64) { self.rawValue = raw }

    /// Go's `NoTask` (^uint64(0)): the lack of a task.
    public static let noTask = TaskID(UInt64.max)
    /// Go's `BackgroundTask` (0): the global task events attach to when no other task is in context.
    public static let backgroundTask = TaskID(0)

    @inlinable public static func < (a: TaskID, b: TaskID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// Details about a TaskBegin/TaskEnd event (Go's `Task`).
public struct Task: Sendable {
    /// Unique ID associating the task's begin with its end.
    public var id: TaskID
    /// The parent task's ID.
    public var parent: TaskID
    /// The taskType passed to runtime/trace.NewTask; "" if the TaskBegin isn't in the trace.
    public var type: String
}

/// Details about a RegionBegin/RegionEnd event (Go's `Region`).
public struct Region: Sendable {
    /// The task the region belongs to.
    public var task: TaskID
    /// The regionType passed to runtime/trace.StartRegion or WithRegion.
    public var type: String
}

/// Details about a Log event (Go's `Log`).
public struct Log: Sendable {
    public var task: TaskID
    /// The category passed to runtime/trace.Log / Logf.
    public var category: String
    /// The message passed to runtime/trace.Log / Logf.
    public var message: String
}

/// A packet of unparsed experimental data with the thread that produced it (Go's `ExperimentalBatch`).
public struct ExperimentalBatch: Sendable {
    public var thread: ThreadID
    public var data: [UInt8]

    @inlinable public init(thread: ThreadID, data: [UInt8]) {
        self.thread = thread
        self.data = data
    }
}

/// A wall-clock instant as Go's `time.Unix(sec, nsec)` builds it: normalized so that
/// 0 <= nanoseconds < 1e9.
public struct WallTime: Hashable, Sendable {
    public var seconds: Int64
    public var nanoseconds: Int64

    /// Go's `time.Unix(sec, nsec)` normalization.
    @inlinable public init(unixSeconds sec: Int64, nanoseconds nsec: Int64) {
        var sec = sec
        var nsec = nsec
        if nsec < 0 || nsec >= 1_000_000_000 {
            let n = nsec / 1_000_000_000
            sec = sec &+ n
            nsec -= n * 1_000_000_000
            if nsec < 0 {
                nsec += 1_000_000_000
                sec = sec &- 1
            }
        }
        self.seconds = sec
        self.nanoseconds = nsec
    }
}

/// A near-simultaneous reading of several clocks, for converting trace timestamps to other clocks (Go's
/// `ClockSnapshot`; present from Go 1.25 traces on).
public struct ClockSnapshot: Sendable {
    /// The trace clock.
    public var trace: Time
    /// The system wall clock.
    public var wall: WallTime
    /// The system monotonic clock.
    public var mono: UInt64
}

/// Details relevant to all following events up to the next Sync event (Go's `Sync`).
public struct Sync: Sendable {
    /// This is the Nth sync event in the trace.
    public var n: Int
    /// The generation's clock snapshot; nil before Go 1.25.
    public var clockSnapshot: ClockSnapshot?
    /// All unparsed batches of data per experiment name.
    public var experimentalBatches: [String: [ExperimentalBatch]]
}

/// Go's `tracev2GoStatus2GoState`, indexed by the raw tracev2 GoStatus (GoBad, GoRunnable, GoRunning,
/// GoSyscall, GoWaiting). Callers check the index against `count` first, as order.go does.
let tracev2GoStatus2GoState: [GoState] = [.undetermined, .runnable, .running, .syscall, .waiting]

/// Go's `tracev2ProcStatus2ProcState`, indexed by the raw tracev2 ProcStatus (ProcBad, ProcRunning,
/// ProcIdle, ProcSyscall, ProcSyscallAbandoned). A P in a syscall counts as running; an abandoned one as idle.
let tracev2ProcStatus2ProcState: [ProcState] = [.undetermined, .running, .idle, .running, .idle]

/// A single event in the trace (Go's `Event`): a decoded wire event, the scheduling context it happened in,
/// and the generation tables that interpret it. Cheap to copy; details are computed on demand.
public struct Event: Sendable {
    /// The generation's tables; nil only for Sync events Go emits without one (trace end, v1 end).
    /// A var only for `detachTables`.
    var table: EvTable?
    let ctx: SchedCtx
    let base: BaseEvent

    init(table: EvTable?, ctx: SchedCtx, base: BaseEvent) {
        self.table = table
        self.ctx = ctx
        self.base = base
    }

    /// The kind of event; selects which detail accessor applies.
    public var kind: EventKind { tracev2Type2Kind[Int(base.typ.rawValue)] }

    /// The event's timestamp.
    public var time: Time { base.time }

    /// The goroutine executing when the event happened. For goroutine state transitions this is the state
    /// before the transition (a goroutine starting to run shows `.none` here; see `stateTransition`).
    public var goroutine: GoID { ctx.g }

    /// The proc the event pertains to (for proc transitions, before the transition).
    public var proc: ProcID { ctx.p }

    /// The thread the event pertains to.
    public var thread: ThreadID { ctx.m }

    /// Gives events private copies of their generation tables (one per table, sharing its storage), for a
    /// consumer on another thread than the reader: every copy of an event counts a reference on its table, so a
    /// reader thread making events and a consumer thread copying them would otherwise count on the same object,
    /// and that counter's cache line bounces between the cores (swift_retain/release were 40-55% of a read-ahead
    /// ingest's CPU). After this, the reader's table and the copies are each touched by one thread. A copy is
    /// complete for these events: a table only grows while its events flow (its extra strings), and an event
    /// only refers to what was added before it was made.
    public static func detachTables(_ events: inout [Event]) {
        var original: EvTable?
        var copy: EvTable?
        for i in events.indices {
            guard let table = events[i].table else { continue }
            if table !== original {
                original = table
                copy = table.detachedCopy()
            }
            events[i].table = copy
        }
    }

    /// The spec of this event's wire type from the latest format (Go: `tracev2.Specs()[typ]`).
    private var spec: Tracev2.EventSpec? { Tracev2.spec(base.typ) }

    /// Go's `baseEvent.extra(version.Go122)[i]`: data the ordering smuggles up after the event's arguments.
    private func extra(_ i: Int) -> UInt64 { base.extra(i) }

    private func string(_ raw: UInt64) -> String {
        table?.strings.get(StringID(raw)) ?? ""
    }

    /// The stack of the current execution context at this event (`Stack.noStack` if none).
    public var stack: Stack {
        if base.typ == evSync { return .noStack }
        if base.typ == Tracev2.evCPUSample { return Stack(table: table, id: StackID(base.args[0])) }
        // The main context's stack is always the first StackIDs entry; minus one for the peeled timestamp.
        let index = Tracev2.stackArgIndex[Int(base.typ.rawValue)]
        guard index >= 0 else { return .noStack }
        let id = base.args[Int(index)]
        if id == 0 { return .noStack }
        return Stack(table: table, id: StackID(id))
    }

    /// Details of a Metric event; nil for other kinds (Go panics).
    public var metric: Metric? {
        switch base.typ {
        case Tracev2.evProcsChange: return Metric(name: "/sched/gomaxprocs:threads", value: .uint64(base.args[0]))
        case Tracev2.evHeapAlloc: return Metric(name: "/memory/classes/heap/objects:bytes", value: .uint64(base.args[0]))
        case Tracev2.evHeapGoal: return Metric(name: "/gc/heap/goal:bytes", value: .uint64(base.args[0]))
        default: return nil
        }
    }

    /// Details of a Label event; nil for other kinds.
    public var label: Label? {
        guard base.typ == Tracev2.evGoLabel else { return nil }
        return Label(label: string(base.args[0]), resource: ResourceID(ctx.g))
    }

    /// Details of a RangeBegin/RangeActive/RangeEnd event; nil for other kinds.
    public var range: Range? {
        switch base.typ {
        case Tracev2.evSTWBegin, Tracev2.evSTWEnd:
            // The ordering smuggles the STW reason into args[0] of STWEnd too.
            return Range(name: "stop-the-world (" + string(base.args[0]) + ")", scope: ResourceID(ctx.g))
        case Tracev2.evGCBegin, Tracev2.evGCActive, Tracev2.evGCEnd:
            return Range(name: "GC concurrent mark phase", scope: .none)
        case Tracev2.evGCSweepBegin, Tracev2.evGCSweepActive, Tracev2.evGCSweepEnd:
            let p = base.typ == Tracev2.evGCSweepActive ? Int64(bitPattern: base.args[0]) : ctx.p.rawValue
            return Range(name: "GC incremental sweep", scope: ResourceID(kind: .proc, id: p))
        case Tracev2.evGCMarkAssistBegin, Tracev2.evGCMarkAssistActive, Tracev2.evGCMarkAssistEnd:
            let g = base.typ == Tracev2.evGCMarkAssistActive ? Int64(bitPattern: base.args[0]) : ctx.g.rawValue
            return Range(name: "GC mark assist", scope: ResourceID(kind: .goroutine, id: g))
        default:
            return nil
        }
    }

    /// Attributes of a completed range (RangeEnd); empty otherwise.
    public var rangeAttributes: [RangeAttribute] {
        guard base.typ == Tracev2.evGCSweepEnd else { return [] }
        return [RangeAttribute(name: "bytes swept", value: .uint64(base.args[0])),
                RangeAttribute(name: "bytes reclaimed", value: .uint64(base.args[1]))]
    }

    /// Details of a TaskBegin/TaskEnd event; nil for other kinds.
    public var task: Task? {
        switch base.typ {
        case Tracev2.evUserTaskBegin:
            return Task(id: TaskID(base.args[0]), parent: TaskID(base.args[1]), type: string(base.args[2]))
        case Tracev2.evUserTaskEnd:
            // The ordering puts the parent and the type (as an extra string) after the arguments.
            return Task(id: TaskID(base.args[0]), parent: TaskID(extra(0)),
                        type: table?.getExtraString(ExtraStringID(extra(1))) ?? "")
        default:
            return nil
        }
    }

    /// Details of a RegionBegin/RegionEnd event; nil for other kinds.
    public var region: Region? {
        guard base.typ == Tracev2.evUserRegionBegin || base.typ == Tracev2.evUserRegionEnd else { return nil }
        return Region(task: TaskID(base.args[0]), type: string(base.args[1]))
    }

    /// Details of a Log event; nil for other kinds.
    public var log: Log? {
        guard base.typ == Tracev2.evUserLog else { return nil }
        return Log(task: TaskID(base.args[0]), category: string(base.args[1]), message: string(base.args[2]))
    }

    /// Details of a StateTransition event; nil for other kinds.
    public var stateTransition: StateTransition? {
        var s: StateTransition
        switch base.typ {
        case Tracev2.evProcStart:
            s = makeProcStateTransition(id: ProcID(Int64(bitPattern: base.args[0])), from: .idle, to: .running)
        case Tracev2.evProcStop:
            s = makeProcStateTransition(id: ctx.p, from: .running, to: .idle)
        case Tracev2.evProcSteal:
            // A steal that advanced on a SyscallAbandoned P lost information: Go treats the P as idle
            // before, as ProcStatus treats SyscallAbandoned as idle.
            let before: ProcState = extra(0) == UInt64(Tracev2.ProcStatus.syscallAbandoned.rawValue) ? .idle : .running
            s = makeProcStateTransition(id: ProcID(Int64(bitPattern: base.args[0])), from: before, to: .idle)
        case Tracev2.evProcStatus:
            // extra(0) holds the old state, set by the ordering. Go converts with ProcState(uint8(...)).
            let status = base.args[1]
            let to = status < UInt64(tracev2ProcStatus2ProcState.count) ? tracev2ProcStatus2ProcState[Int(status)] : .undetermined
            s = StateTransition(resource: ResourceID(ProcID(Int64(bitPattern: base.args[0]))),
                                oldState: UInt8(truncatingIfNeeded: extra(0)), newState: to.rawValue)
        case Tracev2.evGoCreate, Tracev2.evGoCreateBlocked:
            let to: GoState = base.typ == Tracev2.evGoCreateBlocked ? .waiting : .runnable
            s = makeGoStateTransition(id: GoID(Int64(bitPattern: base.args[0])), from: .notExist, to: to)
            // Quirk kept from Go: the new goroutine's stack handle carries the table even for stack ID 0, so
            // it is not NoStack and prints an empty "TransitionStack=".
            s.stack = Stack(table: table, id: StackID(base.args[1]))
        case Tracev2.evGoCreateSyscall:
            s = makeGoStateTransition(id: GoID(Int64(bitPattern: base.args[0])), from: .notExist, to: .syscall)
        case Tracev2.evGoStart:
            s = makeGoStateTransition(id: GoID(Int64(bitPattern: base.args[0])), from: .runnable, to: .running)
        case Tracev2.evGoDestroy:
            s = makeGoStateTransition(id: ctx.g, from: .running, to: .notExist)
        case Tracev2.evGoDestroySyscall:
            s = makeGoStateTransition(id: ctx.g, from: .syscall, to: .notExist)
        case Tracev2.evGoStop:
            s = makeGoStateTransition(id: ctx.g, from: .running, to: .runnable)
            s.reason = string(base.args[0])
            s.stack = stack
        case Tracev2.evGoBlock:
            s = makeGoStateTransition(id: ctx.g, from: .running, to: .waiting)
            s.reason = string(base.args[0])
            s.stack = stack
        case Tracev2.evGoUnblock, Tracev2.evGoSwitch, Tracev2.evGoSwitchDestroy:
            // GoSwitch and GoSwitchDestroy first unblock the goroutine they name, exactly like GoUnblock.
            s = makeGoStateTransition(id: GoID(Int64(bitPattern: base.args[0])), from: .waiting, to: .runnable)
        case Tracev2.evGoSyscallBegin:
            s = makeGoStateTransition(id: ctx.g, from: .running, to: .syscall)
            s.stack = stack
        case Tracev2.evGoSyscallEnd:
            s = makeGoStateTransition(id: ctx.g, from: .syscall, to: .running)
        case Tracev2.evGoSyscallEndBlocked:
            s = makeGoStateTransition(id: ctx.g, from: .syscall, to: .runnable)
        case Tracev2.evGoStatus, Tracev2.evGoStatusStack:
            // The ordering packs the old state in the high 32 bits; Go converts with GoState(uint64), which
            // truncates to the low byte.
            let packed = base.args[2]
            let from = packed >> 32
            let to = packed & 0xFFFF_FFFF
            let newState = to < UInt64(tracev2GoStatus2GoState.count) ? tracev2GoStatus2GoState[Int(to)] : .undetermined
            s = StateTransition(resource: ResourceID(GoID(Int64(bitPattern: base.args[0]))),
                                oldState: UInt8(truncatingIfNeeded: from), newState: newState.rawValue)
            s.stack = stack
        default:
            return nil
        }
        return s
    }

    /// Details relevant to the following events up to the next Sync; nil for other kinds.
    public var sync: Sync? {
        guard base.typ == evSync else { return nil }
        var s = Sync(n: Int(truncatingIfNeeded: base.args[0]), clockSnapshot: nil, experimentalBatches: [:])
        if let table {
            let names = Tracev2.experiments
            for (exp, batches) in table.expBatches {
                let i = Int(exp.rawValue)
                s.experimentalBatches[i < names.count ? names[i] : ""] = batches
            }
            if table.hasClockSnapshot {
                s.clockSnapshot = ClockSnapshot(trace: table.freq.mul(table.snapTime), wall: table.snapWall,
                                                mono: table.snapMono)
            }
        }
        return s
    }

    /// A raw view of an experimental event; nil for other kinds.
    public var experimental: ExperimentalEvent? {
        guard kind == .experimental, let spec else { return nil }
        let names = Tracev2.experiments
        let exp = Int(spec.experiment.rawValue)
        let argNames = Array(spec.args.dropFirst())  // Skip the timestamp.
        var values: [UInt64] = []
        values.reserveCapacity(argNames.count)
        for i in 0..<min(argNames.count, TimedEventArgs.count) { values.append(base.args[i]) }
        return ExperimentalEvent(name: spec.name, experiment: exp < names.count ? names[exp] : "",
                                 args: argNames, table: table, argValues: values)
    }
}

/// A raw view of an experimental event's arguments and their names (Go's `ExperimentalEvent`).
public struct ExperimentalEvent: Sendable {
    public var name: String
    /// The experiment this event belongs to.
    public var experiment: String
    /// The argument names, in order.
    public var args: [String]
    let table: EvTable?
    let argValues: [UInt64]

    /// The i'th argument as a typed value: arguments whose name ends in "string" are string IDs.
    public func argValue(_ i: Int) -> Value {
        guard i >= 0, i < args.count, i < argValues.count else { return Value(kind: .bad, scalar: 0, string: "") }
        if args[i].hasSuffix("string") {
            return .string(table?.strings.get(StringID(argValues[i])) ?? "")
        }
        return .uint64(argValues[i])
    }
}

/// Go's `evSync`: the pseudo wire type of Sync events (^EventType(0)).
let evSync = Tracev2.EventType(rawValue: 0xFF)

/// Go's `syncEvent`.
func syncEvent(table: EvTable?, ts: Time, n: Int) -> Event {
    var base = BaseEvent(typ: evSync, time: ts)
    base.args[0] = UInt64(truncatingIfNeeded: n)
    return Event(table: table, ctx: SchedCtx(g: .none, p: .none, m: .none), base: base)
}

/// Go's `tracev2Type2Kind`: event kind by wire type; unlisted types are `.bad`.
let tracev2Type2Kind: [EventKind] = {
    var k = [EventKind](repeating: .bad, count: 256)
    let pairs: [(Tracev2.EventType, EventKind)] = [
        (Tracev2.evCPUSample, .stackSample),
        (Tracev2.evProcsChange, .metric),
        (Tracev2.evProcStart, .stateTransition),
        (Tracev2.evProcStop, .stateTransition),
        (Tracev2.evProcSteal, .stateTransition),
        (Tracev2.evProcStatus, .stateTransition),
        (Tracev2.evGoCreate, .stateTransition),
        (Tracev2.evGoCreateSyscall, .stateTransition),
        (Tracev2.evGoStart, .stateTransition),
        (Tracev2.evGoDestroy, .stateTransition),
        (Tracev2.evGoDestroySyscall, .stateTransition),
        (Tracev2.evGoStop, .stateTransition),
        (Tracev2.evGoBlock, .stateTransition),
        (Tracev2.evGoUnblock, .stateTransition),
        (Tracev2.evGoSyscallBegin, .stateTransition),
        (Tracev2.evGoSyscallEnd, .stateTransition),
        (Tracev2.evGoSyscallEndBlocked, .stateTransition),
        (Tracev2.evGoStatus, .stateTransition),
        (Tracev2.evSTWBegin, .rangeBegin),
        (Tracev2.evSTWEnd, .rangeEnd),
        (Tracev2.evGCActive, .rangeActive),
        (Tracev2.evGCBegin, .rangeBegin),
        (Tracev2.evGCEnd, .rangeEnd),
        (Tracev2.evGCSweepActive, .rangeActive),
        (Tracev2.evGCSweepBegin, .rangeBegin),
        (Tracev2.evGCSweepEnd, .rangeEnd),
        (Tracev2.evGCMarkAssistActive, .rangeActive),
        (Tracev2.evGCMarkAssistBegin, .rangeBegin),
        (Tracev2.evGCMarkAssistEnd, .rangeEnd),
        (Tracev2.evHeapAlloc, .metric),
        (Tracev2.evHeapGoal, .metric),
        (Tracev2.evGoLabel, .label),
        (Tracev2.evUserTaskBegin, .taskBegin),
        (Tracev2.evUserTaskEnd, .taskEnd),
        (Tracev2.evUserRegionBegin, .regionBegin),
        (Tracev2.evUserRegionEnd, .regionEnd),
        (Tracev2.evUserLog, .log),
        (Tracev2.evGoSwitch, .stateTransition),
        (Tracev2.evGoSwitchDestroy, .stateTransition),
        (Tracev2.evGoCreateBlocked, .stateTransition),
        (Tracev2.evGoStatusStack, .stateTransition),
        (Tracev2.evSpan, .experimental),
        (Tracev2.evSpanAlloc, .experimental),
        (Tracev2.evSpanFree, .experimental),
        (Tracev2.evHeapObject, .experimental),
        (Tracev2.evHeapObjectAlloc, .experimental),
        (Tracev2.evHeapObjectFree, .experimental),
        (Tracev2.evGoroutineStack, .experimental),
        (Tracev2.evGoroutineStackAlloc, .experimental),
        (Tracev2.evGoroutineStackFree, .experimental),
        (evSync, .sync),
    ]
    for (t, kind) in pairs { k[Int(t.rawValue)] = kind }
    return k
}()
