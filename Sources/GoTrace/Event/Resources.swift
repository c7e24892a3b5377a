// Port of Go 1.27.3 src/internal/trace/resources.go: resource IDs, resource states and state transitions.

/// The runtime-internal M structure's ID; unique for each OS thread (Go's `ThreadID`).
public struct ThreadID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ raw: Int64) { self.rawValue = raw }
    /// Go's `NoThread`: the event doesn't correspond to any thread in particular.
    public static let none = ThreadID(-1)
    @inlinable public static func < (a: ThreadID, b: ThreadID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// The runtime-internal P structure's ID; unique for each P (Go's `ProcID`).
public struct ProcID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ raw: Int64) { self.rawValue = raw }
    /// Go's `NoProc`: the event doesn't correspond to any P in particular.
    public static let none = ProcID(-1)
    @inlinable public static func < (a: ProcID, b: ProcID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// The runtime-internal G structure's goid field; unique for each goroutine (Go's `GoID`).
public struct GoID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    @inlinable public init(rawValue: Int64) { self.rawValue = rawValue }
    @inlinable public init(_ raw: Int64) { self.rawValue = raw }
    /// Go's `NoGoroutine`: the event doesn't correspond to any goroutine in particular.
    public static let none = GoID(-1)
    @inlinable public static func < (a: GoID, b: GoID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// The state of a goroutine. New states may be added in the future; like Go's, `init(rawValue:)` can see
/// values outside the known set only through `StateTransition`, which keeps the raw byte.
public enum GoState: UInt8, Sendable, CustomStringConvertible {
    case undetermined = 0  // No information is known about the goroutine.
    case notExist          // Goroutine does not exist.
    case runnable          // Goroutine is runnable but not running.
    case running           // Goroutine is running.
    case waiting           // Goroutine is waiting on something to happen.
    case syscall           // Goroutine is in a system call.

    /// Whether the goroutine is executing and bound to its thread.
    @inlinable public var executing: Bool { self == .running || self == .syscall }

    public var description: String { GoState.name(rawValue) }

    /// Go's `GoState.String()` for any raw byte ("Bad" for unknown values).
    public static func name(_ raw: UInt8) -> String {
        switch raw {
        case 0: return "Undetermined"
        case 1: return "NotExist"
        case 2: return "Runnable"
        case 3: return "Running"
        case 4: return "Waiting"
        case 5: return "Syscall"
        default: return "Bad"
        }
    }
}

/// The state of a proc.
public enum ProcState: UInt8, Sendable, CustomStringConvertible {
    case undetermined = 0  // No information is known about the proc.
    case notExist          // Proc does not exist.
    case running           // Proc is running.
    case idle              // Proc is idle.

    /// Whether the proc is executing and bound to its thread.
    @inlinable public var executing: Bool { self == .running }

    public var description: String { ProcState.name(rawValue) }

    /// Go's `ProcState.String()` for any raw byte ("Bad" for unknown values).
    public static func name(_ raw: UInt8) -> String {
        switch raw {
        case 0: return "Undetermined"
        case 1: return "NotExist"
        case 2: return "Running"
        case 3: return "Idle"
        default: return "Bad"
        }
    }
}

/// A kind of resource that has a state machine.
public enum ResourceKind: UInt8, Sendable, CustomStringConvertible {
    case none = 0
    case goroutine
    case proc
    case thread

    public var description: String {
        switch self {
        case .none: return "None"
        case .goroutine: return "Goroutine"
        case .proc: return "Proc"
        case .thread: return "Thread"
        }
    }
}

/// A generic resource ID (Go's `ResourceID`).
public struct ResourceID: Hashable, Sendable, CustomStringConvertible {
    public var kind: ResourceKind
    @usableFromInline var id: Int64

    @inlinable public init(kind: ResourceKind, id: Int64) {
        self.kind = kind
        self.id = id
    }
    @inlinable public init(_ id: GoID) { self.init(kind: .goroutine, id: id.rawValue) }
    @inlinable public init(_ id: ProcID) { self.init(kind: .proc, id: id.rawValue) }
    @inlinable public init(_ id: ThreadID) { self.init(kind: .thread, id: id.rawValue) }

    public static let none = ResourceID(kind: .none, id: 0)

    /// The raw ID regardless of kind.
    @inlinable public var rawID: Int64 { id }

    /// The goroutine ID, or nil when this is not a goroutine resource. (Go panics instead.)
    @inlinable public var goroutine: GoID? { kind == .goroutine ? GoID(id) : nil }
    /// The proc ID, or nil when this is not a proc resource. (Go panics instead.)
    @inlinable public var proc: ProcID? { kind == .proc ? ProcID(id) : nil }
    /// The thread ID, or nil when this is not a thread resource. (Go panics instead.)
    @inlinable public var thread: ThreadID? { kind == .thread ? ThreadID(id) : nil }

    /// Go's `ResourceID.String()`: "None", or "Kind(id)".
    public var description: String {
        if kind == .none { return kind.description }
        return "\(kind.description)(\(id))"
    }
}

/// Details about a StateTransition event (Go's `StateTransition`).
public struct StateTransition: Sendable {
    /// The resource this state transition is for.
    public var resource: ResourceID
    /// A human-readable reason for the state transition.
    public var reason: String
    /// The stack of the transitioning resource (e.g. the starting stack of a new goroutine), as opposed to
    /// the stack of whoever emitted the event (`Event.stack`).
    public var stack: Stack
    /// The transition in a neutral form, as in Go; read through `goroutine()` / `proc()`.
    public var oldState: UInt8
    public var newState: UInt8

    @inlinable public init(resource: ResourceID, reason: String = "", stack: Stack = .noStack,
                           oldState: UInt8, newState: UInt8) {
        self.resource = resource
        self.reason = reason
        self.stack = stack
        self.oldState = oldState
        self.newState = newState
    }

    /// The goroutine transition. Unknown raw states map to `.undetermined`; use `oldState`/`newState` for
    /// the raw bytes. Precondition (as Go's panic): `resource.kind == .goroutine`.
    @inlinable public func goroutine() -> (from: GoState, to: GoState) {
        precondition(resource.kind == .goroutine, "goroutine() called on non-Goroutine state transition")
        return (GoState(rawValue: oldState) ?? .undetermined, GoState(rawValue: newState) ?? .undetermined)
    }

    /// The proc transition. Precondition (as Go's panic): `resource.kind == .proc`.
    @inlinable public func proc() -> (from: ProcState, to: ProcState) {
        precondition(resource.kind == .proc, "proc() called on non-Proc state transition")
        return (ProcState(rawValue: oldState) ?? .undetermined, ProcState(rawValue: newState) ?? .undetermined)
    }
}

/// Go's `MakeGoStateTransition`.
@inlinable public func makeGoStateTransition(id: GoID, from: GoState, to: GoState) -> StateTransition {
    StateTransition(resource: ResourceID(id), oldState: from.rawValue, newState: to.rawValue)
}

/// Go's `MakeProcStateTransition`.
@inlinable public func makeProcStateTransition(id: ProcID, from: ProcState, to: ProcState) -> StateTransition {
    StateTransition(resource: ResourceID(id), oldState: from.rawValue, newState: to.rawValue)
}
