import GoTrace

/// Builds the blocking_profile rows: the totals behind `go tool trace -pprof=sync|net|syscall|sched`, computed
/// while the trace streams by, so that reports read a few hundred rows instead of windowing every interval.
///
/// A port of cmd/trace/pprof.go (makeComputePprofFunc with pprofByGoroutine and no name filter), run for the
/// four kinds at once:
/// - a goroutine is tracked from a transition into the kind's state (for sync and net: with a reason the kind
///   takes) until a transition into another state; only then is the interval counted, so one still open at the
///   end of the trace is not;
/// - the interval is clipped to the goroutine's [StartTime, EndTime or trace end] from Go's Summarizer (first
///   run; exit or 'forever' block); zero-length results are not counted;
/// - it is counted under the stack of the event that began it (Go's `startEv.Stack()`): the blocking stack,
///   the syscall's stack, and for sched the stack of whoever made the goroutine runnable (itself when preempted
///   or yielding, the waker when woken, also a waker outside any goroutine);
/// - stacks are keyed as Go keys them: by their first 128 PCs padded with zeros (see `stackKey`).
///
/// Beyond Go, each row also carries a category (the finer cause of goroutine_states.category for sync and net,
/// 'syscall', and for sched the stop reason or 'woken') and, for syscalls, the part spent after the P was taken
/// away (Go's SyscallBlockTime rule, as goroutine_states' syscall_blocked).
///
/// Each row is also split by the goroutine's start function (blocking_profile_functions, migration 0012), named
/// as GoroutineIntervals names goroutines.start_function: the root frame of its first transition stack whose
/// root has a name. The export's start_function label and --function read that split.
///
/// Memory follows the live goroutines plus one entry per distinct (kind, category, stack, start function): a
/// goroutine's state is dropped when it exits.
final class BlockingProfile {
    enum Kind: Int, CaseIterable {
        case sync, net, syscall, sched

        var name: String {
            switch self {
            case .sync: "sync"
            case .net: "net"
            case .syscall: "syscall"
            case .sched: "sched"
            }
        }
    }

    private let writer: RunWriter
    private var origin: Int64?
    private var lastTs: Int64 = 0

    /// An interval being tracked: Go's `tracking[id]`, the event that began it.
    private struct Tracking {
        var start: Int64
        var stackID: Int64?
        var pcKey: Int32
        var category: Int32
    }

    /// An interval that ended before its goroutine first ran. Go clips it to [StartTime, ...] with the final
    /// StartTime, so it counts only if the goroutine never runs (StartTime 0): kept until that is known.
    private struct Pending {
        var kind: Kind
        var category: Int32
        var stackID: Int64?
        var pcKey: Int32
        var start: Int64
        var end: Int64
        var blockedFrom: Int64?
        var seq: Int64
    }

    private final class G {
        /// Go's GoroutineSummary.StartTime (nil where Go has 0) and EndTime.
        var started: Int64?
        var ended: Int64?
        /// Summarizer's lastSyscallTime != 0 and lastSyscallBlockTime.
        var inSyscall = false
        var syscallBlock: Int64?
        /// pprof.go's `tracking` of each kind, in Kind order: sync, net, syscall, sched.
        var tracking: (Tracking?, Tracking?, Tracking?, Tracking?) = (nil, nil, nil, nil)
        var pending: [Pending] = []
        /// Its start function (index into `functions`), nil until named, and the slot its time is counted
        /// under (-1: none yet; see `slot(of:)`).
        var function: Int32?
        var slot: Int32 = -1

        var tracksNothing: Bool {
            tracking.0 == nil && tracking.1 == nil && tracking.2 == nil && tracking.3 == nil
        }
    }

    private var gs = GoroutineTable<G>()
    /// The Summarizer's syscallingP / syscallingG (P → goroutine in a syscall on it, and back).
    private var syscallingP: [Int64: Int64] = [:]
    private var syscallingG: [Int64: Int64] = [:]

    private struct Totals {
        var count: Int64 = 0
        var ns: Int64 = 0
        var blockedNs: Int64 = 0

        mutating func merge(_ other: Totals) {
            count += other.count
            ns += other.ns
            blockedNs += other.blockedNs
        }

        mutating func add(_ ns: Int64, _ blocked: Int64) {
            count += 1
            self.ns += ns
            blockedNs += blocked
        }
    }
    /// A profile row in the making, keyed by kind (bits 56..), category (32..55) and Go's stack key (0..31): one
    /// integer hashes faster than a struct of three, and this runs once per interval.
    private var totals: [SlotKey: Totals] = [:]
    /// In front of `totals`, which every counted interval adds to: the entries in use, by key, in a direct-mapped
    /// cache (a worker pool counts under a few dozen keys), merged into `totals` when evicted and at the end.
    /// Hashing a SlotKey for every interval was 1% of a pool ingest's CPU.
    private var recentKeys = [SlotKey](repeating: SlotKey(key: -1, slot: -1), count: 256)
    private var recentTotals = [Totals](repeating: Totals(), count: 256)

    @inline(__always) private func add(_ key: SlotKey, _ ns: Int64, _ blocked: Int64) {
        let mixed = UInt64(bitPattern: key.key) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(UInt32(bitPattern: key.slot))
        let i = Int(truncatingIfNeeded: (mixed ^ mixed >> 29) & 255)
        if recentKeys[i] != key {
            if recentKeys[i].slot >= 0 { totals[recentKeys[i], default: Totals()].merge(recentTotals[i]) }
            recentKeys[i] = key
            recentTotals[i] = Totals()
        }
        recentTotals[i].add(ns, blocked)
    }

    /// Moves every cached entry into `totals`.
    private func flushRecent() {
        for i in recentKeys.indices where recentKeys[i].slot >= 0 {
            totals[recentKeys[i], default: Totals()].merge(recentTotals[i])
            recentKeys[i] = SlotKey(key: -1, slot: -1)
        }
    }
    private struct SlotKey: Hashable {
        var key: Int64
        var slot: Int32
    }
    /// Start functions, interned, and the slots time is counted under: one per named function (shared by its
    /// goroutines), and one of its own for a goroutine that has time counted before it is named (its name, set
    /// when it is named, is -1 until then). Goroutines are named once, so a slot's name is final when written.
    private var functions: [String] = []
    private var functionIndex: [String: Int32] = [:]
    private var slotFunction: [Int32] = []
    private var sharedSlot: [Int32: Int32] = [:]
    @inline(__always) private static func key(_ kind: Kind, _ category: Int32, _ pcKey: Int32) -> Int64 {
        Int64(kind.rawValue) << 56 | Int64(category) << 32 | Int64(pcKey)
    }
    /// Go's stackMap keeps, per PC key, the stack it saw last (its profile labels the record with that stack's
    /// frames): per kind, indexed by PC key, the order of that sighting and the warehouse stack (0: none).
    private var labels: [[(seq: Int64, stackID: Int64)]] = Array(repeating: [], count: Kind.allCases.count)
    /// Go's getOrAdd calls so far: orders the sightings, including those of pending intervals counted later.
    private var seq: Int64 = 0

    /// PC key of each warehouse stack id (index: stack id; -1: not computed yet), and the keys themselves.
    private var pcKeyOfStack: [Int32] = []
    private var pcKeys: [[UInt64]: Int32] = [[]: 0]

    /// Category names, interned (a handful per run: a linear scan beats hashing).
    private var categories: [String] = []
    /// What each reason means here, found by a linear scan (a trace has a handful of reasons; String.contains
    /// goes through Foundation, far slower than comparing small strings).
    private struct Reason {
        var text: String
        var sync: Bool
        var net: Bool
        /// Category of a runnable interval begun with this reason (not a wake-up).
        var runnable: Int32
    }
    private var reasons: [Reason] = []
    private lazy var wokenCategory = category("woken")
    private lazy var syscallCategory = category(BlockCategory.syscall.rawValue)
    /// Category of a sync or net wait per (stack, reason), as GoroutineIntervals computes goroutine_states.category.
    /// Indexed by the stack id (a run's stack ids count up from 1), as GoroutineIntervals' categoryCache.
    private var waitCategories: [(reason: String, category: Int32)?] = []

    init(writer: RunWriter) { self.writer = writer }

    @inline(__always) private func rel(_ t: Time) -> Int64 { t.rawValue &- (origin ?? t.rawValue) }

    private func stackID(_ stack: Stack) throws -> Int64? {
        if stack.isNoStack || stack.idInGeneration == 0 { return nil }
        return try writer.stackID(traceStackID: stack.idInGeneration) { stack.frames() }
    }

    private func category(_ name: String) -> Int32 {
        for (i, known) in categories.enumerated() where known == name { return Int32(i) }
        categories.append(name)
        return Int32(categories.count - 1)
    }

    @inline(__always) private func reason(_ text: String) -> Reason {
        for r in reasons where r.text == text { return r }
        let r = Reason(
            text: text, sync: Self.tracks(.sync, text), net: Self.tracks(.net, text),
            runnable: category(text.isEmpty ? "runnable" : text))
        reasons.append(r)
        return r
    }

    /// `transition` is `ev.stateTransition` for a state transition event (the caller has built it already).
    func consume(_ ev: Event, _ transition: StateTransition?) throws {
        if origin == nil { origin = ev.time.rawValue }
        let t = rel(ev.time)
        lastTs = t
        guard let st = transition else { return }
        switch st.resource.kind {
        case .goroutine:
            try goroutineTransition(ev, st, t)
        case .proc:
            // The Summarizer's syscall blocking: a P going idle while its goroutine is in a syscall.
            if st.oldState != st.newState && st.newState == ProcState.idle.rawValue,
                let goid = syscallingP.removeValue(forKey: st.resource.rawID)
            {
                gs[goid]?.syscallBlock = t
            }
        default:
            break
        }
    }

    private func goroutineTransition(_ ev: Event, _ st: StateTransition, _ t: Int64) throws {
        let id = st.resource.rawID
        let old = st.oldState
        let new = st.newState
        let g: G
        if let known = gs[id] {
            g = known
        } else {
            g = G()
            gs[id] = g
        }

        // pprof.go, per kind: close a tracked interval on a transition into another state, or begin one.
        let waiting = GoState.waiting.rawValue
        if let open = g.tracking.0, new != waiting {
            g.tracking.0 = nil
            close(g, .sync, open, end: t)
        }
        if let open = g.tracking.1, new != waiting {
            g.tracking.1 = nil
            close(g, .net, open, end: t)
        }
        if let open = g.tracking.2, new != GoState.syscall.rawValue {
            g.tracking.2 = nil
            close(g, .syscall, open, end: t)
        }
        if let open = g.tracking.3, new != GoState.runnable.rawValue {
            g.tracking.3 = nil
            close(g, .sched, open, end: t)
        }
        switch GoState(rawValue: new) {
        case .waiting:
            let r = reason(st.reason)
            if r.sync && g.tracking.0 == nil {
                let stackID = try stackID(ev.stack)
                g.tracking.0 = Tracking(
                    start: t, stackID: stackID, pcKey: stackKey(stackID, ev.stack), category: try waitCategory(st))
            }
            if r.net && g.tracking.1 == nil {
                let stackID = try stackID(ev.stack)
                g.tracking.1 = Tracking(
                    start: t, stackID: stackID, pcKey: stackKey(stackID, ev.stack), category: try waitCategory(st))
            }
        case .syscall:
            if g.tracking.2 == nil {
                let stackID = try stackID(ev.stack)
                g.tracking.2 = Tracking(
                    start: t, stackID: stackID, pcKey: stackKey(stackID, ev.stack), category: syscallCategory)
            }
        case .runnable:
            if g.tracking.3 == nil {
                let stackID = try stackID(ev.stack)
                g.tracking.3 = Tracking(
                    start: t, stackID: stackID, pcKey: stackKey(stackID, ev.stack),
                    category: old == waiting ? wokenCategory : reason(st.reason).runnable)
            }
        default:
            break
        }

        // Named as GoroutineIntervals names goroutines.start_function (a goroutine is new after NotExist).
        if old == GoState.notExist.rawValue && old != new {
            g.function = nil
            g.slot = -1
        }
        if g.function == nil && !st.stack.isNoStack { name(g, st.stack) }

        // The Summarizer's part that the clipping and the syscall split need (summary.go, Event).
        guard old != new else { return }
        switch GoState(rawValue: old) {
        case .undetermined, .notExist:
            // A new summary for this id (Go quirk for Undetermined: replaces any earlier one).
            g.started = nil
            g.ended = nil
            g.inSyscall = false
            g.syscallBlock = nil
        case .syscall:
            if g.inSyscall {
                if let p = syscallingG.removeValue(forKey: id) { syscallingP[p] = nil }
                g.inSyscall = false
                g.syscallBlock = nil
            }
        default:
            break
        }
        switch GoState(rawValue: new) {
        case .running:
            if g.started == nil {
                g.started = t
                // Ended before StartTime: Go's overlap with [StartTime, end] is empty.
                g.pending.removeAll()
            }
        case .waiting where st.reason == "forever":
            finalize(g, at: t)
        case .notExist:
            finalize(g, at: t)
            // Nothing of it is tracked any more (every kind closed on this transition); a valid trace never
            // names this goroutine again.
            if g.pending.isEmpty && g.tracksNothing { gs[id] = nil }
        case .syscall:
            let p = ev.proc.rawValue
            syscallingP[p] = id
            syscallingG[id] = p
            g.inSyscall = true
        default:
            break
        }
    }

    private func name(_ g: G, _ stack: Stack) {
        var root: StackFrame?
        stack.forEachFrame {
            root = $0
            return true
        }
        guard let function = root?.function, !function.isEmpty else { return }
        let index: Int32
        if let known = functionIndex[function] {
            index = known
        } else {
            index = Int32(functions.count)
            functions.append(function)
            functionIndex[function] = index
        }
        g.function = index
        // Time counted before the name was known is in the goroutine's own slot: it gets the name now.
        if g.slot >= 0 { slotFunction[Int(g.slot)] = index }
        g.slot = -1
    }

    /// The slot a goroutine's time is counted under now.
    private func slot(of g: G) -> Int32 {
        if g.slot >= 0 { return g.slot }
        let slot: Int32
        if let function = g.function {
            if let shared = sharedSlot[function] {
                slot = shared
            } else {
                slot = Int32(slotFunction.count)
                slotFunction.append(function)
                sharedSlot[function] = slot
            }
        } else {
            slot = Int32(slotFunction.count)
            slotFunction.append(-1)
        }
        g.slot = slot
        return slot
    }

    private func finalize(_ g: G, at t: Int64) {
        g.ended = t
        g.inSyscall = false
        g.syscallBlock = nil
        if g.started == nil {
            // It never ran and now ended: its pending intervals count, clipped to its end.
            for p in g.pending { count(p, g, clipStart: p.start, clipEnd: min(p.end, t)) }
            g.pending.removeAll()
        }
    }

    private static func tracks(_ kind: Kind, _ reason: String) -> Bool {
        switch kind {
        case .net: reason == "network"
        case .sync: reason.contains("chan") || reason.contains("sync") || reason.contains("select")
        case .syscall, .sched: true
        }
    }

    private func waitCategory(_ st: StateTransition) throws -> Int32 {
        guard let id = try stackID(st.stack) else {
            return category(BlockCategory.classify(state: .waiting, reason: st.reason, frames: []))
        }
        let slot = Int(id)
        if slot < waitCategories.count, let known = waitCategories[slot], known.reason == st.reason {
            return known.category
        }
        let category = self.category(BlockCategory.classify(state: .waiting, reason: st.reason, frames: st.stack.frames()))
        if slot >= waitCategories.count {
            waitCategories.append(contentsOf: repeatElement(nil, count: slot + 1 - waitCategories.count))
        }
        waitCategories[slot] = (st.reason, category)
        return category
    }

    /// The end of a tracked interval: Go computes its overlap with [StartTime, EndTime or trace end].
    private func close(_ g: G, _ kind: Kind, _ open: Tracking, end: Int64) {
        seq += 1
        let blockedFrom = kind == .syscall ? g.syscallBlock : nil
        let p = Pending(
            kind: kind, category: open.category, stackID: open.stackID, pcKey: open.pcKey, start: open.start, end: end,
            blockedFrom: blockedFrom, seq: seq)
        guard let started = g.started else {
            g.pending.append(p)
            return
        }
        // An EndTime before this end only happens after a goroutine ended and came back, which a valid trace
        // never has; Go would use its last EndTime, this uses the one known now.
        count(p, g, clipStart: max(p.start, started), clipEnd: g.ended.map { min(p.end, $0) } ?? p.end)
    }

    private func count(_ p: Pending, _ g: G, clipStart: Int64, clipEnd: Int64) {
        let ns = clipEnd &- clipStart
        guard ns > 0 else { return }
        let pcKey = Int(p.pcKey)
        let kind = p.kind.rawValue
        if pcKey >= labels[kind].count {
            labels[kind].append(contentsOf: repeatElement((seq: Int64(-1), stackID: Int64(0)), count: pcKey + 1 - labels[kind].count))
        }
        // A later sighting may already label the record (a pending interval is counted late).
        if labels[kind][pcKey].seq < p.seq { labels[kind][pcKey] = (p.seq, p.stackID ?? 0) }
        var blocked: Int64 = 0
        if let from = p.blockedFrom { blocked = max(0, clipEnd &- max(from, clipStart)) }
        add(SlotKey(key: Self.key(p.kind, p.category, p.pcKey), slot: slot(of: g)), ns, blocked)
    }

    /// Go's stack key (cmd/trace/pprof.go, stackMap): the first pprofMaxStack (128) PCs, padded with zeros. Go
    /// quirk, kept: stacks that differ only past 128 frames merge, and so do a stack whose frames all have PC 0
    /// (e.g. a single unknown frame, '@ 0x0 :0', as on some 'preempted' transitions) and the empty stack;
    /// the merged record is labelled with whichever of them Go saw last.
    private func stackKey(_ stackID: Int64?, _ stack: Stack) -> Int32 {
        guard let stackID, stackID > 0 else { return 0 }
        let slot = Int(stackID)
        if slot < pcKeyOfStack.count, pcKeyOfStack[slot] >= 0 { return pcKeyOfStack[slot] }
        if slot >= pcKeyOfStack.count {
            pcKeyOfStack.append(contentsOf: repeatElement(-1, count: slot + 1 - pcKeyOfStack.count))
        }
        var key: [UInt64] = []
        stack.forEachFrame {
            key.append($0.pc)
            return key.count < Self.pprofMaxStack
        }
        while key.last == 0 { key.removeLast() }
        let id: Int32
        if let known = pcKeys[key] {
            id = known
        } else {
            id = Int32(pcKeys.count)
            pcKeys[key] = id
        }
        pcKeyOfStack[slot] = id
        return id
    }

    static let pprofMaxStack = 128

    /// Writes the rows: intervals of goroutines that never ran count now (Go's StartTime 0), clipped to the end.
    func finish() throws {
        for goid in gs.keys.sorted() {
            guard let g = gs[goid] else { continue }
            for p in g.pending { count(p, g, clipStart: p.start, clipEnd: min(p.end, g.ended ?? lastTs)) }
        }
        gs.removeAll()
        // blocking_profile: the slots summed; blocking_profile_functions: the slots of one name summed.
        var rows: [Int64: Totals] = [:]
        var byFunction: [Int64: [String: Totals]] = [:]
        flushRecent()
        for (k, total) in totals {
            rows[k.key, default: Totals()].merge(total)
            let function = slotFunction[Int(k.slot)]
            byFunction[k.key, default: [:]][function >= 0 ? functions[Int(function)] : "", default: Totals()].merge(total)
        }
        for (key, total) in rows.sorted(by: { $0.key < $1.key }) {
            let kind = Int(key >> 56)
            let category = Int(key >> 32 & 0xff_ffff)
            let pcKey = Int(key & 0xffff_ffff)
            let stackID = labels[kind][pcKey].stackID
            try writer.write(BlockingProfileRow(
                kind: Kind(rawValue: kind)?.name ?? "", category: categories[category],
                stackID: stackID > 0 ? stackID : nil, count: total.count, totalNs: total.ns, blockedNs: total.blockedNs))
            for (function, t) in byFunction[key, default: [:]].sorted(by: { $0.key < $1.key }) {
                try writer.write(BlockingProfileFunctionRow(
                    kind: Kind(rawValue: kind)?.name ?? "", category: categories[category],
                    stackID: stackID > 0 ? stackID : nil, startFunction: function, count: t.count, totalNs: t.ns))
            }
        }
        totals.removeAll()
    }
}

struct BlockingProfileRow: IngestRow {
    static let table = IngestTable.blockingProfile
    static let example = BlockingProfileRow(kind: "", category: "", stackID: nil, count: 0, totalNs: 0, blockedNs: 0)
    var kind: String
    var category: String
    var stackID: Int64?
    var count: Int64
    var totalNs: Int64
    var blockedNs: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.text("kind", kind, .unique)
        row.text("category", category, .unique)
        row.int("stack_id", stackID)
        row.int("count", count)
        row.int("total_ns", totalNs)
        row.int("blocked_ns", blockedNs)
    }
}

/// A blocking_profile_functions row (migration 0012): a blocking_profile row's share of one start function.
struct BlockingProfileFunctionRow: IngestRow {
    static let table = IngestTable.blockingProfileFunctions
    static let example = BlockingProfileFunctionRow(
        kind: "", category: "", stackID: nil, startFunction: "", count: 0, totalNs: 0)
    var kind: String
    var category: String
    var stackID: Int64?
    var startFunction: String
    var count: Int64
    var totalNs: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.text("kind", kind, .frequent)
        row.text("category", category, .frequent)
        row.int("stack_id", stackID)
        row.text("start_function", startFunction, .interned)
        row.int("count", count)
        row.int("total_ns", totalNs)
    }
}
