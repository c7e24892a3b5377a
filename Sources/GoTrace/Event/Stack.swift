// Stack handles and frames (from Go 1.27.3 src/internal/trace/event.go).

/// A handle to a stack in a generation's table (Go's `Stack`). Equal handles have identical frames;
/// unequal handles may still have equal frames.
public struct Stack: Sendable {
    let table: EvTable?
    let id: StackID

    init(table: EvTable?, id: StackID) {
        self.table = table
        self.id = id
    }

    /// Go's `NoStack`: the lack of a stack trace.
    public static let noStack = Stack(table: nil, id: StackID(0))

    /// Whether this is `noStack`. As in Go (`s != NoStack` compares table and ID), a handle with a table but
    /// ID 0 is *not* noStack: it has no frames but still prints an empty stack header.
    public var isNoStack: Bool { table == nil && id.rawValue == 0 }

    /// The stack's id in its generation's table: equal within one generation means equal frames
    /// (ids start over each generation, which begins with a Sync event). For per-generation caches.
    public var idInGeneration: UInt64 { id.rawValue }

    /// Calls `body` with each frame, leaf first (Go's `Frames()`); `body` returns false to stop early.
    public func forEachFrame(_ body: (StackFrame) -> Bool) {
        guard id.rawValue != 0, let table, let stk = table.stacks.get(id) else { return }
        for pc in stk.pcs {
            // Go reads pcs[pc] without checking: an unknown PC is the zero frame.
            let f = table.pcs[pc] ?? Frame(pc: 0, funcID: StringID(0), fileID: StringID(0), line: 0)
            let frame = StackFrame(pc: f.pc, function: table.strings.get(f.funcID) ?? "",
                                   file: table.strings.get(f.fileID) ?? "", line: f.line)
            if !body(frame) { return }
        }
    }

    /// All frames, leaf first.
    public func frames() -> [StackFrame] {
        var out: [StackFrame] = []
        forEachFrame {
            out.append($0)
            return true
        }
        return out
    }

    /// Go's `printStack(w, prefix, frames)`: "PREFIXfunc @ 0xPC\n" then "PREFIX\tfile:line\n" per frame.
    func appendText(to b: inout [UInt8], prefix: StaticString) {
        guard id.rawValue != 0, let table, let stk = table.stacks.get(id) else { return }
        for pc in stk.pcs {
            let f = table.pcs[pc] ?? Frame(pc: 0, funcID: StringID(0), fileID: StringID(0), line: 0)
            b.append(ascii: prefix)
            b.append(traceText: table.strings.get(f.funcID) ?? "")
            b.append(ascii: " @ 0x")
            b.append(hex: f.pc)
            b.append(ascii: "\n")
            b.append(ascii: prefix)
            b.append(ascii: "\t")
            b.append(traceText: table.strings.get(f.fileID) ?? "")
            b.append(ascii: ":")
            b.append(decimal: f.line)
            b.append(ascii: "\n")
        }
    }
}

extension Stack: Equatable {
    /// Go's `==` on Stack: same table and same ID.
    public static func == (a: Stack, b: Stack) -> Bool { a.table === b.table && a.id == b.id }
}

extension Stack: CustomStringConvertible {
    /// Go's `Stack.String()`.
    public var description: String {
        var b: [UInt8] = []
        appendText(to: &b, prefix: "")
        return String(decoding: b, as: UTF8.self)
    }
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
