// Port of Go 1.27.3's internal/trace/internal/tracev1/order.go: the goroutine sequence-number state machine that
// decides when a v1 event is ready to be merged, and the min-heap of ready events.

extension V1 {
    struct OrderEvent {
        var ev: Event
        /// Index of the proc (in the merge's proc list) the event came from.
        var proc: Int
    }

    enum GStatus: Int {
        case dead, runnable, running, waiting
    }

    struct GState: Equatable {
        var seq: UInt64
        var status: GStatus
        static let zero = GState(seq: 0, status: .dead)
    }

    static let unordered = UInt64.max
    static let garbage = UInt64.max - 1
    static let noseq = UInt64.max
    static let seqinc = UInt64.max - 1

    /// Go's stateTransition: the goroutine an event orders on, the state it needs to be merged (initial), and
    /// the state after it (next). Sequence arithmetic wraps, as in Go.
    static func stateTransition(_ ev: Event) -> (g: UInt64, initial: GState, next: GState) {
        switch ev.type {
        case .goCreate:
            return (ev.args[0], GState(seq: 0, status: .dead), GState(seq: 1, status: .runnable))
        case .goWaiting, .goInSyscall:
            return (ev.g, GState(seq: 1, status: .runnable), GState(seq: 2, status: .waiting))
        case .goStart, .goStartLabel:
            return (ev.g, GState(seq: ev.args[1], status: .runnable), GState(seq: ev.args[1] &+ 1, status: .running))
        case .goStartLocal:
            // Emitted on the same P as the GoCreate/GoUnblock it follows, so ready as soon as it's reached;
            // it bumps the sequence, whatever it is.
            return (ev.g, GState(seq: noseq, status: .runnable), GState(seq: seqinc, status: .running))
        case .goBlock, .goBlockSend, .goBlockRecv, .goBlockSelect, .goBlockSync, .goBlockCond, .goBlockNet,
            .goSleep, .goSysBlock, .goBlockGC:
            return (ev.g, GState(seq: noseq, status: .running), GState(seq: noseq, status: .waiting))
        case .goSched, .goPreempt:
            return (ev.g, GState(seq: noseq, status: .running), GState(seq: noseq, status: .runnable))
        case .goUnblock, .goSysExit:
            return (
                ev.args[0], GState(seq: ev.args[1], status: .waiting),
                GState(seq: ev.args[1] &+ 1, status: .runnable)
            )
        case .goUnblockLocal, .goSysExitLocal:
            return (ev.args[0], GState(seq: noseq, status: .waiting), GState(seq: seqinc, status: .runnable))
        case .gcStart:
            return (garbage, GState(seq: ev.args[0], status: .dead), GState(seq: ev.args[0] &+ 1, status: .dead))
        default:
            // No ordering requirements.
            return (unordered, .zero, .zero)
        }
    }

    @inline(__always)
    static func transitionReady(_ g: UInt64, _ curr: GState, _ initial: GState) -> Bool {
        g == unordered || (initial.seq == noseq || initial.seq == curr.seq) && initial.status == curr.status
    }

    static func transition(_ gs: inout DenseMap<GState>, _ g: UInt64, _ initial: GState, _ next: GState)
        throws(ParseError)
    {
        if g == unordered { return }
        let curr = gs[g] ?? .zero
        if !transitionReady(g, curr, initial) {
            // Can only happen when several Ps hold events for the same G; see parseEventBatches.
            throw ParseError(message: "encountered impossible goroutine state transition", offset: nil)
        }
        var next = next
        switch next.seq {
        case noseq: next.seq = curr.seq
        case seqinc: next.seq = curr.seq &+ 1
        default: break
        }
        gs[g] = next
    }

    /// Go's orderEventList: a binary min-heap on timestamps. The sift functions are Go's own (container/heap's
    /// shape), so that events with equal timestamps come out in the same order as in Go given the same pushes.
    struct OrderEventList {
        var items: [OrderEvent] = []

        var isEmpty: Bool { items.isEmpty }

        @inline(__always)
        func less(_ i: Int, _ j: Int) -> Bool { items[i].ev.ts < items[j].ev.ts }

        mutating func push(_ x: OrderEvent) {
            items.append(x)
            heapUp(items.count - 1)
        }

        mutating func pop() -> OrderEvent {
            let n = items.count - 1
            items.swapAt(0, n)
            heapDown(0, n)
            return items.removeLast()
        }

        mutating func heapUp(_ j0: Int) {
            var j = j0
            while true {
                let i = (j - 1) / 2  // parent (Go's integer division truncates toward zero, as Swift's)
                if i == j || !less(j, i) { break }
                items.swapAt(i, j)
                j = i
            }
        }

        mutating func heapDown(_ i0: Int, _ n: Int) {
            var i = i0
            while true {
                let j1 = 2 * i + 1
                if j1 >= n || j1 < 0 { break }
                var j = j1  // left child
                let j2 = j1 + 1
                if j2 < n && less(j2, j1) { j = j2 }  // right child
                if !less(j, i) { break }
                items.swapAt(i, j)
                i = j
            }
        }
    }
}

extension V1 {
    /// A map from small integer keys (goroutine and P IDs, which the runtime hands out densely from 0) that
    /// keeps keys below `limit` in an array and the rest in a Dictionary: the ordering and validation passes
    /// look up per event, and hashing dominated them.
    struct DenseMap<Value> {
        private var dense: [Value?] = []
        private var sparse: [UInt64: Value] = [:]
        let limit: UInt64

        init(limit: UInt64) { self.limit = limit }

        /// A limit for goroutine IDs in a trace of `events` events: up to 2^24, but no more than a few per event,
        /// so that one huge ID in a small (damaged) trace can't make the array take gigabytes. Higher IDs (a
        /// long-lived program's) still work, through the Dictionary.
        static func goroutineLimit(events: Int) -> UInt64 {
            Swift.min(1 << 24, UInt64(Swift.max(events, 0)) &* 4 &+ 4096)
        }

        subscript(key: UInt64) -> Value? {
            @inline(__always) get {
                if key < UInt64(dense.count) { return dense[Int(key)] }
                if key < limit { return nil }
                return sparse[key]
            }
            set {
                if key < UInt64(dense.count) {
                    dense[Int(key)] = newValue
                } else if key < limit {
                    if newValue == nil { return }
                    let n = Swift.max(Int(key) + 1, dense.count * 2, 64)
                    dense.append(contentsOf: repeatElement(nil, count: Swift.min(n, Int(limit)) - dense.count))
                    dense[Int(key)] = newValue
                } else {
                    sparse[key] = newValue
                }
            }
        }
    }
}
