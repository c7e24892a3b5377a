// Go's `Event.String()` (Go 1.27.3 src/internal/trace/event.go), byte for byte: this is the text of
// `go tool trace -d=parsed` and of `traceware dump`.

extension Event: CustomStringConvertible {
    /// Go's `Event.String()`.
    public var description: String {
        var bytes: [UInt8] = []
        appendText(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends Go's `Event.String()` of this event (without a trailing newline) to `b`.
    public func appendText(to b: inout [UInt8]) {
        var noCache: StackTextCache? = nil
        appendText(to: &b, stackCache: &noCache)
    }

    /// Like `appendText(to:)`, reusing the rendered text of stacks already seen in this generation.
    public func appendText(to b: inout [UInt8], stackCache: inout StackTextCache) {
        var cache: StackTextCache? = consume stackCache
        appendText(to: &b, stackCache: &cache)
        stackCache = cache!
    }

    private func appendText(to b: inout [UInt8], stackCache: inout StackTextCache?) {
        b.append(ascii: "M=")
        b.append(decimal: ctx.m.rawValue)
        b.append(ascii: " P=")
        b.append(decimal: ctx.p.rawValue)
        b.append(ascii: " G=")
        b.append(decimal: ctx.g.rawValue)
        let kind = self.kind
        b.append(ascii: " ")
        b.append(text: kind.description)
        b.append(ascii: " Time=")
        b.append(decimal: base.time.rawValue)
        switch kind {
        case .metric:
            if let m = metric {
                // Go computes a quoted form of string values but then prints m.Value with %s anyway.
                b.append(ascii: " Name=")
                b.append(goQuoted: m.name)
                b.append(ascii: " Value=")
                b.append(traceText: m.value.description)
            }
        case .label:
            if let l = label {
                b.append(ascii: " Label=")
                b.append(goQuoted: l.label)
                b.append(ascii: " Resource=")
                b.append(text: l.resource.description)
            }
        case .rangeBegin, .rangeActive, .rangeEnd:
            if let r = range {
                b.append(ascii: " Name=")
                b.append(goQuoted: r.name)
                b.append(ascii: " Scope=")
                b.append(text: r.scope.description)
                if kind == .rangeEnd {
                    b.append(ascii: " Attributes=[")
                    for (i, attr) in rangeAttributes.enumerated() {
                        if i != 0 { b.append(ascii: " ") }
                        b.append(goQuoted: attr.name)
                        b.append(ascii: "=")
                        b.append(traceText: attr.value.description)
                    }
                    b.append(ascii: "]")
                }
            }
        case .taskBegin, .taskEnd:
            if let t = task {
                b.append(ascii: " ID=")
                b.append(decimal: t.id.rawValue)
                b.append(ascii: " Parent=")
                b.append(decimal: t.parent.rawValue)
                b.append(ascii: " Type=")
                b.append(goQuoted: t.type)
            }
        case .regionBegin, .regionEnd:
            if let r = region {
                b.append(ascii: " Task=")
                b.append(decimal: r.task.rawValue)
                b.append(ascii: " Type=")
                b.append(goQuoted: r.type)
            }
        case .log:
            if let l = log {
                b.append(ascii: " Task=")
                b.append(decimal: l.task.rawValue)
                b.append(ascii: " Category=")
                b.append(goQuoted: l.category)
                b.append(ascii: " Message=")
                b.append(goQuoted: l.message)
            }
        case .stateTransition:
            if let s = stateTransition {
                switch s.resource.kind {
                case .goroutine:
                    b.append(ascii: " GoID=")
                    b.append(decimal: s.resource.rawID)
                    b.append(ascii: " ")
                    b.append(text: GoState.name(s.oldState))
                    b.append(ascii: "->")
                    b.append(text: GoState.name(s.newState))
                case .proc:
                    b.append(ascii: " ProcID=")
                    b.append(decimal: s.resource.rawID)
                    b.append(ascii: " ")
                    b.append(text: ProcState.name(s.oldState))
                    b.append(ascii: "->")
                    b.append(text: ProcState.name(s.newState))
                default:
                    break
                }
                b.append(ascii: " Reason=")
                b.append(goQuoted: s.reason)
                if !s.stack.isNoStack {
                    b.append(ascii: "\nTransitionStack=\n")
                    appendStack(s.stack, to: &b, cache: &stackCache)
                }
            }
        case .experimental:
            if let r = experimental {
                b.append(ascii: " Name=")
                b.append(text: r.name)
                b.append(ascii: " Args=[")
                for i in r.args.indices {
                    if i != 0 { b.append(ascii: ", ") }
                    b.append(text: r.args[i])
                    b.append(ascii: "=")
                    b.append(traceText: r.argValue(i).description)
                }
                b.append(ascii: "]")
            }
        case .sync:
            if let s = sync {
                b.append(ascii: " N=")
                b.append(decimal: Int64(s.n))
                if let snap = s.clockSnapshot {
                    b.append(ascii: " Trace=")
                    b.append(decimal: snap.trace.rawValue)
                    b.append(ascii: " Mono=")
                    b.append(decimal: snap.mono)
                    b.append(ascii: " Wall=")
                    b.append(rfc3339Nano: snap.wall)
                }
            }
        case .bad, .stackSample:
            break
        }
        let stk = stack
        if !stk.isNoStack {
            b.append(ascii: "\nStack=\n")
            appendStack(stk, to: &b, cache: &stackCache)
        }
    }
}

@inline(__always)
private func appendStack(_ stack: Stack, to b: inout [UInt8], cache: inout StackTextCache?) {
    if cache != nil {
        cache!.append(stack, to: &b)
    } else {
        stack.appendText(to: &b, prefix: "\t")
    }
}

/// The rendered text ("\tfunc @ 0xpc\n\t\tfile:line\n" per frame) of the stacks of the current generation,
/// for dumping: a trace repeats the same few stacks far more often than it has distinct ones.
public struct StackTextCache {
    /// The generation whose stacks are cached (held strongly so its identity can't be reused).
    private var table: EvTable?
    private var arena: [UInt8] = []
    private var spans: [UInt64: (start: Int, end: Int)] = [:]

    public init() {}

    mutating func append(_ stack: Stack, to b: inout [UInt8]) {
        guard let t = stack.table, stack.id.rawValue != 0 else { return }  // no frames
        if t !== table {
            table = t
            arena.removeAll(keepingCapacity: true)
            spans.removeAll(keepingCapacity: true)
        }
        if let span = spans[stack.id.rawValue] {
            arena.withUnsafeBufferPointer { b.append(contentsOf: UnsafeBufferPointer(rebasing: $0[span.start..<span.end])) }
            return
        }
        let start = arena.count
        stack.appendText(to: &arena, prefix: "\t")
        spans[stack.id.rawValue] = (start, arena.count)
        arena.withUnsafeBufferPointer { b.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start...])) }
    }
}
