import GoTrace

/// Builds goroutine_states and goroutines rows from the ordered event stream.
///
/// A port of the goroutine-state part of Go's internal/trace/summary.go (Summarizer.Event for goroutine
/// and proc transitions, snapshotStat, finalize), so that summing duration_ns by state and reason gives
/// exactly Go's ExecTime, SchedWaitTime, SyscallTime, SyscallBlockTime and BlockTimeByReason. Where Go
/// accumulates a duration, this emits an interval row with the same bounds:
/// - a goroutine first seen as Undetermined is counted from the last sync (generation start);
/// - a 'forever' block ends the goroutine (its time after that is not counted, as in Go);
/// - intervals still open at the end close at the last event;
/// - a syscall whose P goes idle splits into syscall, then syscall_blocked.
/// Go's quirks are kept and marked "Go quirk" below.
final class GoroutineIntervals {
    private let writer: RunWriter
    /// Sums every interval written, for the reports' tables (migration 0005).
    private let summaries: GoroutineSummaries
    /// Sums the lock waits by lock and waker stack (lock-holders, migration 0011).
    private let lockHolders: LockHolders
    /// Walks each task's critical path when it ends (critical-path-summary, migration 0011); EventRows hands
    /// it the task events.
    let paths: CriticalPaths
    /// Report gc's rollups (migration 0016): each running interval's length; EventRows hands it labels and metrics.
    let gcRollups: GCRollups
    /// Trace clock at the run's origin (the first event).
    private(set) var origin: Int64?
    private var syncTs: Int64 = 0
    private(set) var lastTs: Int64 = 0

    /// A (reason, category) pair of this run's intervals, looked up once when an interval opens: the rows, the
    /// tallies and the lock-wait test then use its codes, not the strings (a few string compares per interval
    /// were a visible share of a pool ingest).
    struct Label {
        var reason: String
        var category: String
        /// RunWriter's codes, for the interval rows.
        var reasonCode: Int32
        var categoryCode: Int32
        /// The one definition of a lock wait (category mutex or rwmutex; BlockCategory).
        var isLock: Bool
        /// The runnable row Go's quirk adds for a syscall still blocked at the end (GoroutineSummaries).
        var isOpenBlockedSyscall: Bool
    }
    /// Indexed by a label's code; a run has a handful.
    private var labels: [Label] = []
    private var lastLabel: Int32 = -1

    private func label(_ reason: String, _ category: String) -> Int32 {
        if lastLabel >= 0 {
            let l = labels[Int(lastLabel)]
            if l.reason == reason && l.category == category { return lastLabel }
        }
        for i in labels.indices where labels[i].reason == reason && labels[i].category == category {
            lastLabel = Int32(i)
            return lastLabel
        }
        labels.append(
            Label(
                reason: reason, category: category, reasonCode: writer.reasonCode(reason),
                categoryCode: writer.categoryCode(category), isLock: category == "mutex" || category == "rwmutex",
                isOpenBlockedSyscall: reason == GoroutineIntervals.openBlockedSyscallReason))
        lastLabel = Int32(labels.count - 1)
        return lastLabel
    }

    /// An interval in progress: where it began and what to record about it.
    private struct Open {
        var start: Int64
        /// Its reason and category (`labels`).
        var label: Int32
        var stackID: Int64? = nil
        var procID: Int64? = nil
        var threadID: Int64? = nil
    }

    private final class G {
        var row: RunWriter.GoroutineRow
        // Go's goroutineSummary.last*Time, nil where Go has 0.
        var running: Open?
        var runnable: Open?
        var waiting: Open?
        var syscall: Open?
        var syscallBlockTime: Int64?
        /// Its intervals summed so far (GoroutineSummaries).
        var tally = GoroutineTally()
        /// Go's lastRangeTime: ranges in progress on it, by name.
        var openRanges: [(name: String, start: Int64)] = []
        /// What CriticalPaths keeps of it.
        let path: CriticalPaths.Goroutine
        /// Its intervals not yet written (RunWriter.insertGoroutineState).
        let chunk: OpenIntervalChunk

        init(goid: Int64, created: Int64, path: CriticalPaths.Goroutine, chunk: OpenIntervalChunk? = nil) {
            row = RunWriter.GoroutineRow(goid: goid, createdNs: created)
            self.path = path
            self.chunk = chunk ?? OpenIntervalChunk(goid: goid)
        }

        /// Go's `*(g.goroutineSummary) = goroutineSummary{}` after finalize.
        func clear() {
            running = nil
            runnable = nil
            waiting = nil
            syscall = nil
            syscallBlockTime = nil
        }
    }

    private var gs = GoroutineTable<G>()
    private var syscallingP: [Int64: Int64] = [:]  // P → goroutine in a syscall on it
    private var syscallingG: [Int64: Int64] = [:]  // goroutine → its P
    /// Go's rangesP: a P range attributed to the goroutine it began on.
    private struct RangeP: Hashable {
        var proc: Int64
        var name: String
    }
    private var rangesP: [RangeP: Int64] = [:]
    /// Category per warehouse stack id, with the reason it was computed for (a stack is nearly always
    /// blocked with one reason; a different one recomputes).
    /// Indexed by the stack id (a run's stack ids count up from 1): an array, not a dictionary, since every
    /// wait looks it up.
    private var categoryCache: [(reason: String, label: Int32)?] = []
    /// The labels of running rows, syscall rows, and the last runnable reason's.
    private lazy var noLabel = label("", "")
    private lazy var syscallLabel = label("", BlockCategory.syscall.rawValue)
    private var lastRunnable: (reason: String, label: Int32)?

    private func runnableLabel(_ reason: String) -> Int32 {
        if let last = lastRunnable, last.reason == reason { return last.label }
        let code = label(reason, BlockCategory.classify(state: .runnable, reason: reason, frames: []))
        lastRunnable = (reason, code)
        return code
    }

    init(writer: RunWriter) {
        self.writer = writer
        self.summaries = GoroutineSummaries(writer: writer)
        self.lockHolders = LockHolders(writer: writer)
        self.paths = CriticalPaths(writer: writer)
        self.gcRollups = GCRollups(writer: writer)
    }

    /// Nanoseconds since the origin.
    @inline(__always) private func rel(_ t: Time) -> Int64 { t.rawValue &- (origin ?? t.rawValue) }

    private func stackID(_ stack: Stack) throws -> Int64? {
        if stack.isNoStack || stack.idInGeneration == 0 { return nil }
        return try writer.stackID(traceStackID: stack.idInGeneration) { stack.frames() }
    }

    private func nonNegative(_ id: Int64) -> Int64? { id >= 0 ? id : nil }

    /// Sets the origin before the first event, when it is not that event's time (EventRows: v1 traces).
    func start(origin: Int64) {
        if self.origin == nil { self.origin = origin }
    }

    /// `transition` is `ev.stateTransition` for a state transition event (the caller has built it already).
    func consume(_ ev: Event, _ transition: StateTransition?) throws {
        if origin == nil {
            origin = ev.time.rawValue
            syncTs = 0
        }
        let t = rel(ev.time)
        lastTs = t

        switch ev.kind {
        case .sync:
            syncTs = t
            // A new generation: the trace's stack ids start over.
            writer.beginGeneration()
        case .stateTransition:
            guard let st = transition else { return }
            switch st.resource.kind {
            case .goroutine:
                try goroutineTransition(ev, st, t)
            case .proc:
                // A P going idle while its goroutine is in a syscall: the syscall is now blocking.
                if st.oldState != st.newState && st.newState == ProcState.idle.rawValue {
                    let p = st.resource.rawID
                    if let goid = syscallingP[p] {
                        gs[goid]?.syscallBlockTime = t
                        syscallingP[p] = nil
                        // Go quirk: syscallingG keeps its entry; see the syscall exit below.
                    }
                }
            default:
                break
            }
        case .rangeBegin, .rangeActive, .rangeEnd:
            if let r = ev.range { range(ev, r, t) }
        default:
            break
        }
    }

    /// Go's Summarizer for ranges (RangeTime): a goroutine range counts whole for its goroutine; a P range
    /// (e.g. a GC sweep) for the goroutine it began on, if it also ends on it.
    private func range(_ ev: Event, _ r: GoTrace.Range, _ t: Int64) {
        var g: G?
        switch r.scope.kind {
        case .goroutine:
            g = gs[r.scope.rawID]
        case .proc:
            let key = RangeP(proc: r.scope.rawID, name: r.name)
            if ev.kind == .rangeEnd {
                if let goid = rangesP.removeValue(forKey: key), goid == ev.goroutine.rawValue { g = gs[goid] }
            } else {
                g = gs[ev.goroutine.rawValue]
                if g != nil { rangesP[key] = ev.goroutine.rawValue }
            }
        default:
            return
        }
        guard let g else { return }
        let open = g.openRanges.firstIndex { $0.name == r.name }
        switch ev.kind {
        case .rangeActive:
            if let open {
                g.tally.addRange(r.name, syncTs &- g.openRanges[open].start)
                g.openRanges[open].start = syncTs
            } else {
                g.openRanges.append((r.name, syncTs))
            }
        case .rangeBegin:
            if let open { g.openRanges[open].start = t } else { g.openRanges.append((r.name, t)) }
        default:
            guard let open else { return }
            g.tally.addRange(r.name, t &- g.openRanges[open].start)
            g.openRanges.remove(at: open)
        }
    }

    /// Go's snapshotStat for ranges: those still open count until `t`.
    private func closeRanges(_ g: G, at t: Int64) {
        for open in g.openRanges { g.tally.addRange(open.name, t &- open.start) }
        g.openRanges = []
    }

    private func goroutineTransition(_ ev: Event, _ st: StateTransition, _ t: Int64) throws {
        let id = st.resource.rawID
        let old = st.oldState
        let new = st.newState
        if old == new { return }
        let procID = nonNegative(ev.proc.rawValue)
        let threadID = nonNegative(ev.thread.rawValue)

        // Transition out.
        var g: G
        switch GoState(rawValue: old) {
        case .undetermined:
            // Named for the first time: created at the last sync, and the time since then counts as `new`.
            // (Go quirk: an existing summary for this id would be replaced; its rows here are kept, and so are
            // their sums.)
            // A replaced summary's intervals stay (see above): its open chunk carries on.
            g = G(goid: id, created: syncTs, path: paths.goroutine(id), chunk: gs[id]?.chunk)
            if let replaced = gs[id] {
                g.tally.absorb(replaced.tally)
                // Its row will be this one's (the replaced one was never written): named afresh, no creator.
                g.path.name = -1
                g.path.parent = nil
            }
            gs[id] = g
            if new == GoState.syscall.rawValue && procID == nil {
                // No P since the sync: syscall block time up to now; from now on plain syscall time
                // (Go quirk: the "transition in" below counts the rest as SyscallTime even without a P).
                try write(
                    g, .syscallBlocked, label: syscallLabel, start: syncTs, end: t,
                    stackID: nil, procID: nil, threadID: threadID)
            } else if new == GoState.waiting.rawValue && st.reason == "forever" {
                try write(
                    g, .waiting, label: try waitingLabel(st.reason, st.stack),
                    start: syncTs, end: t, stackID: try stackID(st.stack), procID: procID, threadID: threadID)
            }
        case .notExist:
            g = G(goid: id, created: t, path: paths.goroutine(id))
            let creator = ev.goroutine.rawValue
            if creator >= 0 { g.row.parentGoid = creator }
            g.path.parent = g.row.parentGoid
            // The event's own stack is the go statement; st.stack is where the new goroutine will start.
            g.row.createStackID = try stackID(ev.stack)
            gs[id] = g
        default:
            // Go would dereference a nil summary here; a valid trace never gets here without one.
            if let known = gs[id] {
                g = known
            } else {
                g = G(goid: id, created: syncTs, path: paths.goroutine(id))
                gs[id] = g
            }
            try closeOut(g, old: old, ev: ev, t: t)
        }

        // Name the goroutine by the root frame of a transition stack, as Go does while its name is still
        // empty (a stack whose PC is unknown yields Go's zero frame, with an empty name: keep looking).
        if g.row.startFunction.isEmpty && !st.stack.isNoStack {
            var root: StackFrame?
            st.stack.forEachFrame {
                root = $0
                return true
            }
            if let root {
                g.row.startFunction = root.function
                g.row.startPC = Int64(bitPattern: root.pc)
                if !root.function.isEmpty {
                    summaries.named(&g.tally, root.function)
                    paths.named(g.path, root.function)
                }
            }
        }

        // Transition in. For a goroutine coming out of Undetermined the interval starts at the sync.
        let start = GoState(rawValue: old) == .undetermined ? syncTs : t
        switch GoState(rawValue: new) {
        case .running:
            g.running = Open(start: start, label: noLabel, procID: procID, threadID: threadID)
            paths.opened(g.path, .running, start: start)
            if g.row.startedNs == nil { g.row.startedNs = t }
        case .runnable:
            // Woken from outside any goroutine: the event's own stack is the only one (see the waker above).
            let fromOutside =
                GoState(rawValue: old) == .waiting && ev.goroutine.rawValue < 0 && (st.stack.isNoStack || st.stack.idInGeneration == 0)
            g.runnable = Open(
                start: start, label: runnableLabel(st.reason),
                stackID: try stackID(fromOutside ? ev.stack : st.stack), procID: procID, threadID: threadID)
            paths.opened(g.path, .runnable, start: start)
        case .waiting:
            if st.reason != "forever" {
                g.waiting = Open(
                    start: start, label: try waitingLabel(st.reason, st.stack),
                    stackID: try stackID(st.stack), procID: procID, threadID: threadID)
                paths.opened(g.path, .waiting, start: start)
            } else {
                // "Forever" is like goroutine death.
                try finalize(g, at: t)
            }
        case .notExist:
            try finalize(g, at: t)
        case .syscall:
            let p = ev.proc.rawValue
            syscallingP[p] = id
            syscallingG[id] = p
            let syscallStart = (GoState(rawValue: old) == .undetermined && procID != nil) ? syncTs : t
            g.syscall = Open(
                start: syscallStart, label: syscallLabel, stackID: try stackID(st.stack),
                procID: procID, threadID: threadID)
            paths.opened(g.path, .syscall, start: syscallStart)
        default:
            break
        }
    }

    /// Go's "transition out" of running, waiting, runnable or syscall: the interval ends at `t`.
    private func closeOut(_ g: G, old: UInt8, ev: Event, t: Int64) throws {
        switch GoState(rawValue: old) {
        case .running:
            if let open = g.running {
                try emit(g, .running, open, end: t)
                g.running = nil
            }
        case .waiting:
            if let open = g.waiting {
                // Whoever made the transition woke it: the event's goroutine and stack. A wake-up from outside
                // any goroutine (G=-1) may still carry a stack (e.g. runtime.goexit1 under testing/synctest),
                // which Go's sched profile counts under: kept, with no waker goroutine.
                let waker = ev.goroutine.rawValue
                try write(
                    g, .waiting, label: open.label, start: open.start, end: t,
                    stackID: open.stackID, procID: open.procID, threadID: open.threadID,
                    wakerGoid: waker >= 0 ? waker : nil, wakerStackID: try stackID(ev.stack))
                g.waiting = nil
            }
        case .runnable:
            if let open = g.runnable {
                try emit(g, .runnable, open, end: t)
                g.runnable = nil
            }
        case .syscall:
            if let open = g.syscall {
                if let blocked = g.syscallBlockTime {
                    try emit(g, .syscall, open, end: blocked)
                    var rest = open
                    rest.start = blocked
                    try emit(g, .syscallBlocked, rest, end: t)
                } else {
                    try emit(g, .syscall, open, end: t)
                }
                g.syscall = nil
                g.syscallBlockTime = nil
                // Go quirk: deletes syscallingP at the P recorded for this goroutine, even if that P has
                // since been taken by another goroutine's syscall.
                if let p = syscallingG[g.row.goid] { syscallingP[p] = nil }
                syscallingG[g.row.goid] = nil
            }
        default:
            break
        }
    }

    private func emit(_ g: G, _ state: GoroutineStateName, _ open: Open, end: Int64) throws {
        try write(
            g, state, label: open.label, start: open.start, end: end, stackID: open.stackID,
            procID: open.procID, threadID: open.threadID)
    }

    /// Every goroutine_states row goes through here, so the summaries sum exactly the rows written.
    @inline(__always)
    private func write(
        _ g: G, _ state: GoroutineStateName, label code: Int32, start: Int64, end: Int64,
        stackID: Int64?, procID: Int64?, threadID: Int64?, wakerGoid: Int64? = nil, wakerStackID: Int64? = nil
    ) throws {
        let label = labels[Int(code)]
        try writer.insertGoroutineState(
            g.chunk, state: state, reasonCode: label.reasonCode, categoryCode: label.categoryCode, startNs: start,
            endNs: end, stackID: stackID, procID: procID, threadID: threadID, wakerGoid: wakerGoid,
            wakerStackID: wakerStackID)
        summaries.record(&g.tally, name: g.row.startFunction, state, label, code, ns: end &- start, stackID: stackID)
        paths.closed(
            g.path, state, reason: label.reason, category: label.category, start: start, end: end, stackID: stackID,
            waker: wakerGoid)
        if state == .waiting && label.isLock {
            lockHolders.record(goid: g.row.goid, stackID: stackID, wakerStackID: wakerStackID, ns: end &- start)
        }
        if state == .running { gcRollups.running(goid: g.row.goid, ns: end &- start) }
    }

    /// The label of a wait with this reason and stack.
    private func waitingLabel(_ reason: String, _ stack: Stack) throws -> Int32 {
        guard let id = try stackID(stack) else {
            return label(reason, BlockCategory.classify(state: .waiting, reason: reason, frames: []))
        }
        let slot = Int(id)
        if slot < categoryCache.count, let known = categoryCache[slot], known.reason == reason { return known.label }
        let code = label(reason, BlockCategory.classify(state: .waiting, reason: reason, frames: stack.frames()))
        if slot >= categoryCache.count {
            categoryCache.append(contentsOf: repeatElement(nil, count: slot + 1 - categoryCache.count))
        }
        categoryCache[slot] = (reason, code)
        return code
    }

    /// Go's finalize with a trigger: the goroutine ended (or blocked forever) at `t`.
    /// Its row is written now and its state dropped, so memory follows the live goroutines, not all of
    /// them. (Go keeps the zeroed summary; a later transition of this goid, which a valid trace never has,
    /// starts a fresh one here and rewrites the row.)
    private func finalize(_ g: G, at t: Int64) throws {
        g.row.endedNs = t
        // Everything was closed by the transition out; Go's snapshot adds only the open ranges.
        closeRanges(g, at: t)
        g.clear()
        try writer.closeIntervals(g.chunk)
        let written = try writer.insertGoroutine(g.row)
        try summaries.finish(g.row, &g.tally, endNs: t, written: written)
        lockHolders.finish(goid: g.row.goid, startFunction: g.row.startFunction)
        paths.ended(g.path)
        gs[g.row.goid] = nil
    }

    /// Go's Finalize: open intervals close at the last event; then the goroutine rows are written.
    func finish() throws {
        for goid in gs.keys.sorted() {
            guard let g = gs[goid] else { continue }
            let end = lastTs
            if let open = g.running { try emit(g, .running, open, end: end) }
            if let open = g.runnable { try emit(g, .runnable, open, end: end) }
            if let open = g.waiting { try emit(g, .waiting, open, end: end) }
            if let open = g.syscall {
                // Go quirk (snapshotStat): an open syscall counts whole as SyscallTime even after its P was
                // taken, and the blocked part counts again as SchedWaitTime. Kept so that the totals match Go:
                // the syscall row spans to the end, and a runnable row (overlapping it, with this reason)
                // carries the sched-wait part.
                try emit(g, .syscall, open, end: end)
                if let blocked = g.syscallBlockTime {
                    var wait = open
                    wait.start = blocked
                    wait.label = label(GoroutineIntervals.openBlockedSyscallReason, BlockCategory.syscall.rawValue)
                    try emit(g, .runnable, wait, end: end)
                }
            }
            closeRanges(g, at: end)
            g.clear()
            try writer.closeIntervals(g.chunk)
            let written = try writer.insertGoroutine(g.row)
            try summaries.finish(g.row, &g.tally, endNs: end, written: written)
            lockHolders.finish(goid: g.row.goid, startFunction: g.row.startFunction)
        }
        gs.removeAll()
        try summaries.finishRun()
        try lockHolders.finishRun()
        try paths.finish()
    }

    /// The reason of the runnable row that Go's quirk adds for a syscall still blocked at the end.
    static let openBlockedSyscallReason = "syscall blocked at trace end"
}

// MARK: Row types of the intervals behind goroutine_states (goroutines' rows: GoroutineRecords.swift).

struct GoroutineIntervalKindRow: IngestRow {
    static let table = IngestTable.goroutineIntervalKinds
    static let example = GoroutineIntervalKindRow(
        kindID: 0, state: .running, reason: "", category: "", procID: nil, threadID: nil)
    var kindID: Int64
    var state: GoroutineStateName
    var reason: String
    var category: String
    var procID: Int64?
    var threadID: Int64?

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("kind_id", kindID)
        row.text("state", state.rawValue, .frequent)
        row.text("reason", reason, .frequent)
        row.text("category", category, .frequent)
        row.int("proc_id", procID)
        row.int("thread_id", threadID)
    }
}

/// One goroutine's intervals not yet written: the chunk its next intervals go into (RunWriter appends, and
/// writes it as a GoroutineIntervalChunkRow when it closes).
final class OpenIntervalChunk {
    let goid: Int64
    var encoder = IntervalChunk.Encoder()
    /// An interval came that starts before the previous one: the chunk is sorted before it is written.
    var unsorted = false
    /// The largest start_ns among the intervals of this goroutine already written (nil: none).
    var flushedLastStartNs: Int64?
    /// Position in RunWriter's list of open chunks, -1 when empty.
    var openIndex = -1

    init(goid: Int64) { self.goid = goid }
}

/// One chunk of a goroutine's intervals (migration 0014): up to IntervalChunk.maxIntervals consecutive
/// intervals, encoded. goroutine_intervals (the virtual table) decodes them.
struct GoroutineIntervalChunkRow: IngestRow {
    static let table = IngestTable.goroutineIntervalChunks
    static let example = GoroutineIntervalChunkRow(
        goid: 0, firstStartNs: 0, firstIntervalID: 0, lastEndNs: 0, intervalCount: 0, data: [])
    var goid: Int64
    var firstStartNs: Int64
    var firstIntervalID: Int64
    var lastEndNs: Int64
    var intervalCount: Int64
    var data: [UInt8]

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("goid", goid)
        row.int("first_start_ns", firstStartNs)
        row.int("first_interval_id", firstIntervalID)
        row.int("last_end_ns", lastEndNs)
        row.int("interval_count", intervalCount)
        row.value("data", .blob(data))
    }
}
