// Port of Go 1.27.3 src/internal/trace/value.go: a dynamically-typed value obtained from a trace.

/// The type of a dynamically-typed value from a trace. New kinds may be added in the future.
public enum ValueKind: UInt8, Sendable {
    case bad = 0
    case uint64
    case string
}

/// A dynamically-typed value obtained from a trace (Go's `Value`).
public struct Value: Hashable, Sendable, CustomStringConvertible {
    public let kind: ValueKind
    /// The integer for `.uint64` values (Go keeps the string length here for strings; we don't need to).
    public let scalar: UInt64
    /// The text for `.string` values, "" otherwise.
    public let string: String

    @inlinable init(kind: ValueKind, scalar: UInt64, string: String) {
        self.kind = kind
        self.scalar = scalar
        self.string = string
    }

    /// Go's `Uint64Value`.
    @inlinable public static func uint64(_ x: UInt64) -> Value { Value(kind: .uint64, scalar: x, string: "") }
    /// Go's `StringValue`.
    @inlinable public static func string(_ s: String) -> Value { Value(kind: .string, scalar: 0, string: s) }

    /// The integer of a `.uint64` value, nil for other kinds (Go's `Uint64()` panics instead).
    @inlinable public var uint64: UInt64? { kind == .uint64 ? scalar : nil }

    /// Go's `Value.String()`: the string itself for `.string`, "Value{Uint64(N)}" or "Value{Bad}" otherwise.
    public var description: String {
        switch kind {
        case .string: return string
        case .uint64: return "Value{Uint64(\(scalar))}"
        case .bad: return "Value{Bad}"
        }
    }
}
