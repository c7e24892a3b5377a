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
