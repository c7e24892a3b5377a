import GoTrace

/// Turns the ordered event stream of one trace into warehouse rows: goroutine intervals (GoroutineIntervals,
/// Go's summary semantics) plus procs, proc_states, threads, GC cycles, STW pauses, ranges, metrics, tasks,
/// regions, logs and CPU samples. Feed every event to `consume`, then call `finish`.
public final class EventRows {
    private let writer: RunWriter
    private let goroutines: GoroutineIntervals
    private let blocking: BlockingProfile
    public private(set) var facts = TraceFacts()

    private var origin: Int64?
    private var syncTs: Int64 = 0
    private var lastTs: Int64 = 0

    private struct Seen {
        var first: Int64
        var last: Int64
    }
    /// First and last time each P / thread id appears. Every event touches both, so small ids (P ids) live in
    /// an array; others (thread ids are OS thread ids since Go 1.22) in a dictionary of slots, with the last
    /// one used remembered: consecutive events come from one thread's batch, so most lookups hash nothing.
    private struct SeenTable {
        var small: [Seen?] = []
        var largeSlots: [Int64: Int] = [:]
        var large: [(id: Int64, seen: Seen)] = []
        var lastLarge = -1

        @inline(__always) mutating func see(_ id: Int64, _ t: Int64) {
            if id >= 0 && id < 4096 {
                let i = Int(id)
                if i >= small.count { small.append(contentsOf: repeatElement(nil, count: i + 1 - small.count)) }
                if small[i] == nil { small[i] = Seen(first: t, last: t) } else { small[i]?.last = t }
                return
            }
            if lastLarge >= 0 && large[lastLarge].id == id {
                large[lastLarge].seen.last = t
            } else if let slot = largeSlots[id] {
                large[slot].seen.last = t
                lastLarge = slot
            } else {
                lastLarge = large.count
                largeSlots[id] = lastLarge
                large.append((id, Seen(first: t, last: t)))
            }
        }

        var sorted: [(Int64, Seen)] {
            var all: [(Int64, Seen)] = small.enumerated().compactMap { i, seen in seen.map { (Int64(i), $0) } }
            all += large.map { ($0.id, $0.seen) }
            return all.sorted { $0.0 < $1.0 }
        }
    }
    private var procsSeen = SeenTable()
    private var threadsSeen = SeenTable()

    private struct OpenProcState {
        var state: String
        var start: Int64
        var threadID: Int64?
    }
    private var procStates: [Int64: OpenProcState] = [:]

    private struct RangeKey: Hashable {
        var scope: UInt8
        var scopeID: Int64
        var name: String
    }
    private struct OpenRange {
        var start: Int64
        var goid: Int64?
        var stackID: Int64?
        var complete: Bool
    }
    private var openRanges: [RangeKey: OpenRange] = [:]
    private var gcSeq: Int64 = 0

    private var tasks: [UInt64: RunWriter.TaskRow] = [:]
    private var taskOrder: [UInt64] = []

    private struct OpenRegion {
        var taskID: Int64?
        var name: String
        var start: Int64
        var stackID: Int64?
    }
    private var regions: [Int64: [OpenRegion]] = [:]

    public init(writer: RunWriter) {
        self.writer = writer
        self.goroutines = GoroutineIntervals(writer: writer)
        self.blocking = BlockingProfile(writer: writer)
    }

    @inline(__always) private func rel(_ t: Time) -> Int64 { t.rawValue &- (origin ?? t.rawValue) }

    private func stackID(_ stack: Stack) throws -> Int64? {
        if stack.isNoStack || stack.idInGeneration == 0 { return nil }
        return try writer.stackID(traceStackID: stack.idInGeneration) { stack.frames() }
    }

    private static func id(_ raw: Int64) -> Int64? { raw >= 0 ? raw : nil }

    /// A task reference: NULL for none and for the background task (0), as the schema documents.
    private static func task(_ id: TaskID) -> Int64? {
        id == TaskID.noTask || id == TaskID.backgroundTask ? nil : Int64(bitPattern: id.rawValue)
    }

    /// The Sync that Go's reader puts before a pre-1.22 (v1) trace's first event, held until that event.
    private var heldSync: Event?

    public func consume(_ ev: Event) throws {
        if origin == nil {
            // A v1 trace opens with a Sync at Time -1 (Go's reader's initial lastTs, converted traces have no
            // sync of their own): not a time of the trace's clock, so the origin is the next event's. The Sync
            // still comes first, at -(origin + 1) ns: goroutines that existed before tracing started are
            // created there, and Go's Summarizer counts their first interval from it too (Go quirk, kept).
            if heldSync == nil, ev.kind == .sync, ev.time.rawValue == -1 {
                heldSync = ev
                return
            }
            try startClock(at: ev.time.rawValue)
        }
        try consumeTimed(ev)
    }

    private func startClock(at time: Int64) throws {
        origin = time
        facts.clockOrigin = time
        goroutines.start(origin: time)
        if let held = heldSync {
            heldSync = nil
            try consumeTimed(held)
        }
    }

    private func consumeTimed(_ ev: Event) throws {
        let t = rel(ev.time)
        lastTs = t
        facts.eventCount += 1
        // Goroutine intervals first: they see the sync (and the stack-cache reset) before anyone else.
        // The transition is built once (its reason and stack are looked up in the generation's tables).
        let transition = ev.kind == .stateTransition ? ev.stateTransition : nil
        try goroutines.consume(ev, transition)
        try blocking.consume(ev, transition)

        if let p = Self.id(ev.proc.rawValue) { procsSeen.see(p, t) }
        if let m = Self.id(ev.thread.rawValue) { threadsSeen.see(m, t) }

        switch ev.kind {
        case .sync:
            syncTs = t
            facts.generationCount += 1
            if facts.wallClockStartNs == nil, let snapshot = ev.sync?.clockSnapshot {
                let wall = snapshot.wall.seconds &* 1_000_000_000 &+ snapshot.wall.nanoseconds
                facts.wallClockStartNs = wall &- (snapshot.trace.rawValue &- facts.clockOrigin)
            }
        case .metric:
            if let metric = ev.metric, let value = metric.value.uint64 {
                try writer.insertMetric(tsNs: t, name: metric.name, value: .integer(Int64(clamping: value)))
            }
        case .log:
            if let log = ev.log {
                try writer.insertLog(
                    tsNs: t, goid: Self.id(ev.goroutine.rawValue), taskID: Self.task(log.task),
                    category: log.category, message: log.message, stackID: try stackID(ev.stack))
            }
        case .label:
            if let label = ev.label {
                try writer.insertLabel(tsNs: t, goid: label.resource.goroutine?.rawValue ?? -1, label: label.label)
            }
        case .stackSample:
            try writer.insertCPUSample(
                tsNs: t, goid: Self.id(ev.goroutine.rawValue), procID: Self.id(ev.proc.rawValue),
                threadID: Self.id(ev.thread.rawValue), stackID: try stackID(ev.stack))
        case .rangeBegin, .rangeActive:
            if let r = ev.range {
                let key = RangeKey(scope: r.scope.kind.rawValue, scopeID: r.scope.rawID, name: r.name)
                let active = ev.kind == .rangeActive
                // Each generation re-announces the ranges still in progress (RangeActive): one that began
                // earlier in this trace keeps its beginning. Only a range already active when tracing started
                // begins at the sync, incomplete.
                if active && openRanges[key] != nil { break }
                openRanges[key] = OpenRange(
                    start: active ? syncTs : t, goid: Self.id(ev.goroutine.rawValue),
                    stackID: active ? nil : try stackID(ev.stack), complete: !active)
            }
        case .rangeEnd:
            if let r = ev.range {
                let key = RangeKey(scope: r.scope.kind.rawValue, scopeID: r.scope.rawID, name: r.name)
                let open =
                    openRanges.removeValue(forKey: key)
                    ?? OpenRange(start: syncTs, goid: Self.id(ev.goroutine.rawValue), stackID: nil, complete: false)
                try writeRange(key, r.scope, open, end: t)
            }
        case .taskBegin, .taskEnd:
            if let task = ev.task {
                var row = tasks[task.id.rawValue] ?? RunWriter.TaskRow(taskID: Int64(bitPattern: task.id.rawValue))
                if tasks[task.id.rawValue] == nil { taskOrder.append(task.id.rawValue) }
                if !task.type.isEmpty { row.name = task.type }
                if row.parentTaskID == nil, let parent = Self.task(task.parent) {
                    row.parentTaskID = parent
                }
                if ev.kind == .taskBegin {
                    row.startNs = t
                    row.startGoid = Self.id(ev.goroutine.rawValue)
                    row.startStackID = try stackID(ev.stack)
                    goroutines.paths.taskBegin(task.id.rawValue, at: t)
                } else {
                    row.endNs = t
                    row.endGoid = Self.id(ev.goroutine.rawValue)
                    row.endStackID = try stackID(ev.stack)
                    try goroutines.paths.taskEnd(task.id.rawValue, name: row.name, at: t, goid: row.endGoid)
                }
                tasks[task.id.rawValue] = row
            }
        case .regionBegin:
            if let region = ev.region {
                regions[ev.goroutine.rawValue, default: []].append(
                    OpenRegion(
                        taskID: Self.task(region.task), name: region.type, start: t, stackID: try stackID(ev.stack)))
            }
        case .regionEnd:
            if let region = ev.region {
                let goid = ev.goroutine.rawValue
                // As Go's summary: the innermost open region is the one that ends.
                if var stack = regions[goid], let open = stack.popLast() {
                    regions[goid] = stack
                    try writer.insertRegion(
                        goid: goid, taskID: open.taskID, name: open.name, depth: Int64(stack.count),
                        startNs: open.start, endNs: t, startStackID: open.stackID, endStackID: try stackID(ev.stack))
                } else {
                    try writer.insertRegion(
                        goid: goid, taskID: Self.task(region.task), name: region.type, depth: 0, startNs: nil,
                        endNs: t, startStackID: nil, endStackID: try stackID(ev.stack))
                }
            }
        case .stateTransition:
            if let st = transition, st.resource.kind == .proc, st.oldState != st.newState {
                let p = st.resource.rawID
                procsSeen.see(p, t)
                try closeProcState(p, at: t)
                switch ProcState(rawValue: st.newState) {
                case .running:
                    procStates[p] = OpenProcState(state: "running", start: t, threadID: Self.id(ev.thread.rawValue))
                case .idle:
                    procStates[p] = OpenProcState(state: "idle", start: t, threadID: nil)
                default:
                    break
                }
            }
        default:
            break
        }
    }

    private func closeProcState(_ p: Int64, at t: Int64) throws {
        if let open = procStates.removeValue(forKey: p) {
            try writer.insertProcState(procID: p, state: open.state, startNs: open.start, endNs: t, threadID: open.threadID)
        }
    }

    private func writeRange(_ key: RangeKey, _ scope: ResourceID, _ open: OpenRange, end: Int64) throws {
        if key.name == "GC concurrent mark phase" {
            gcSeq += 1
            try writer.insertGCCycle(seq: gcSeq, startNs: open.start, endNs: end, complete: open.complete)
        } else if key.name.hasPrefix("stop-the-world (") && key.name.hasSuffix(")") {
            let reason = String(key.name.dropFirst("stop-the-world (".count).dropLast())
            try writer.insertSTWPause(reason: reason, startNs: open.start, endNs: end, goid: open.goid)
        } else {
            let scopeName: String
            switch scope.kind {
            case .goroutine: scopeName = "goroutine"
            case .proc: scopeName = "proc"
            case .thread: scopeName = "thread"
            default: scopeName = "global"
            }
            try writer.insertRange(
                scope: scopeName, scopeID: scope.kind == .none ? nil : scope.rawID, name: key.name,
                startNs: open.start, endNs: end, goid: open.goid, startStackID: open.stackID, complete: open.complete)
        }
    }

    /// Closes everything still open at the last event and writes the per-entity rows. Returns the facts
    /// gathered (the caller adds the trace version and truncation).
    public func finish() throws -> TraceFacts {
        if let held = heldSync { try startClock(at: held.time.rawValue) }  // a trace of that Sync alone
        try goroutines.finish()
        try blocking.finish()
        for p in procStates.keys.sorted() { try closeProcState(p, at: lastTs) }
        // Ranges in a stable order: by start, then name.
        for (key, open) in openRanges.sorted(by: { ($0.value.start, $0.key.name) < ($1.value.start, $1.key.name) }) {
            var incomplete = open
            incomplete.complete = false
            let scope = ResourceID(kind: ResourceKind(rawValue: key.scope) ?? .none, id: key.scopeID)
            try writeRange(key, scope, incomplete, end: lastTs)
        }
        openRanges.removeAll()
        for id in taskOrder { if let row = tasks[id] { try writer.insertTask(row) } }
        for goid in regions.keys.sorted() {
            for (depth, open) in (regions[goid] ?? []).enumerated() {
                try writer.insertRegion(
                    goid: goid, taskID: open.taskID, name: open.name, depth: Int64(depth), startNs: open.start,
                    endNs: nil, startStackID: open.stackID, endStackID: nil)
            }
        }
        for (p, seen) in procsSeen.sorted {
            try writer.insertProc(procID: p, firstNs: seen.first, lastNs: seen.last)
        }
        for (m, seen) in threadsSeen.sorted {
            try writer.insertThread(threadID: m, firstNs: seen.first, lastNs: seen.last)
        }
        facts.endNs = lastTs
        return facts
    }
}
