// Stack handles and frames (from Go 1.27.3 src/internal/trace/event.go).

/// A handle to a stack in a generation's table (Go's `Stack`). Trivially comparable: equal handles have
/// identical frames; unequal handles may still have equal frames.
public struct Stack: Sendable {
    // TODO(event): gains `table: EvTable?` and `id: StackID` once Base.swift lands.
    @usableFromInline var rawID: UInt64

    @inlinable init(rawID: UInt64) { self.rawID = rawID }

    /// Go's `NoStack`.
    public static let noStack = Stack(rawID: 0)
}

/// A single frame of a stack (Go's `StackFrame`).
public struct StackFrame: Hashable, Sendable {
    /// The PC of the call if this is not the leaf frame; for the leaf, where the stack was taken.
    public var pc: UInt64
    /// The function's name.
    public var function: String
    /// The source file containing `function`.
    public var file: String
    /// The line within `file` for `pc`.
    public var line: UInt64

    @inlinable public init(pc: UInt64, function: String, file: String, line: UInt64) {
        self.pc = pc
        self.function = function
        self.file = file
        self.line = line
    }
}
