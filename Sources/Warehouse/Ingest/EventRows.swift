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

    /// Tasks begun and not yet ended. A task's row is written when it ends, so memory follows the open tasks,
    /// not every task of the run (a service with a task per request has hundreds of thousands).
    private var tasks: [UInt64: RunWriter.TaskRow] = [:]
    /// Tasks whose row is written: one more TaskBegin or TaskEnd of one (which a valid trace never has) is
    /// recorded as an issue instead of a second row that the primary key would refuse.
    private var writtenTasks = DenseIDSet()

    private struct OpenRegion {
        var taskID: Int64?
        var name: String
        var start: Int64
        var stackID: Int64?
    }
    private var regions: [Int64: [OpenRegion]] = [:]

    /// The run's metric names (metric_names), in order of first use: a trace has a handful.
    private var metricNames: [String] = []

    /// The run's id for a metric name, adding the name on first use.
    private func metricNameID(_ name: String) throws -> Int64 {
        for (i, known) in metricNames.enumerated() where known == name { return Int64(i + 1) }
        metricNames.append(name)
        try writer.write(MetricNameRow(nameID: Int64(metricNames.count), name: name))
        return Int64(metricNames.count)
    }

    /// The run's samples so far: the next one's sample_id (metric_samples is clustered by metric, so the
    /// number keeps the trace order that a rowid kept before migration 0010).
    private var metricSampleCount: Int64 = 0

    /// The run's range scopes and names (range_kinds, migration 0010), in order of first use: a trace has a handful.
    private var rangeKinds: [(scope: String, name: String)] = []
    /// The run's ranges so far: the next one's range_id.
    private var rangeCount: Int64 = 0

    /// The run's code for a range scope and name, adding it on first use.
    private func rangeKindID(scope: String, name: String) throws -> Int64 {
        for (i, known) in rangeKinds.enumerated() where known.scope == scope && known.name == name { return Int64(i) }
        rangeKinds.append((scope, name))
        try writer.write(RangeKindRow(kindID: Int64(rangeKinds.count - 1), scope: scope, name: name))
        return Int64(rangeKinds.count - 1)
    }

    /// The run's task type names (task_names, migration 0015): a trace has a handful.
    private var taskNameIDs: [String: Int64] = [:]

    /// A task_spans row, with its name as the run's code.
    private func writeTask(_ task: RunWriter.TaskRow) throws {
        var row = task
        if let known = taskNameIDs[row.name] {
            row.nameID = known
        } else {
            row.nameID = Int64(taskNameIDs.count)
            taskNameIDs[row.name] = row.nameID
            try writer.write(TaskNameRow(nameID: row.nameID, name: row.name))
        }
        try writer.write(row)
    }

    /// The run's region type names (region_names, migration 0010) and the next region's region_id.
    private var regionNameIDs: [String: Int64] = [:]
    private var regionCount: Int64 = 0

    /// A region_spans row: the name as the run's code, the end as a duration (kept as end_ns only when the start
    /// is unknown).
    private func writeRegion(
        goid: Int64, taskID: Int64?, name: String, depth: Int64, startNs: Int64?, endNs: Int64?,
        startStackID: Int64?, endStackID: Int64?
    ) throws {
        let nameID: Int64
        if let known = regionNameIDs[name] {
            nameID = known
        } else {
            nameID = Int64(regionNameIDs.count)
            regionNameIDs[name] = nameID
            try writer.write(RegionNameRow(nameID: nameID, name: name))
        }
        regionCount += 1
        var durationNs: Int64?
        if let startNs, let endNs { durationNs = endNs - startNs }
        try writer.write(
            RegionRow(
                goid: goid, regionID: regionCount, taskID: taskID, nameID: nameID, depth: depth, startNs: startNs,
                durationNs: durationNs, endNs: startNs == nil ? endNs : nil, startStackID: startStackID,
                endStackID: endStackID))
    }

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
                metricSampleCount += 1
                let nameID = try metricNameID(metric.name)
                try writer.write(
                    MetricSampleRow(
                        tsNs: t, nameID: nameID, value: .integer(Int64(clamping: value)), sampleID: metricSampleCount))
                goroutines.gcRollups.metric(nameID: nameID, value: Int64(clamping: value), at: t)
            }
        case .log:
            if let log = ev.log {
                try writer.write(
                    LogRow(
                        tsNs: t, goid: Self.id(ev.goroutine.rawValue), taskID: Self.task(log.task),
                        category: log.category, message: log.message, stackID: try stackID(ev.stack)))
            }
        case .label:
            if let label = ev.label {
                try writer.write(
                    LabelRow(tsNs: t, goid: label.resource.goroutine?.rawValue ?? -1, label: label.label))
                if let goid = label.resource.goroutine?.rawValue { goroutines.gcRollups.label(goid: goid, label.label) }
            }
        case .stackSample:
            try writer.write(
                CPUSampleRow(
                    tsNs: t, goid: Self.id(ev.goroutine.rawValue), procID: Self.id(ev.proc.rawValue),
                    threadID: Self.id(ev.thread.rawValue), stackID: try stackID(ev.stack)))
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
                let id = Int64(bitPattern: task.id.rawValue)
                if writtenTasks.contains(id) {
                    try writer.insertIssue(
                        severity: .warning, message: "task \(id) appeared again after its end; its first row is kept",
                        tsNs: t)
                    break
                }
                var row = tasks.removeValue(forKey: task.id.rawValue) ?? RunWriter.TaskRow(taskID: id)
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
                    writtenTasks.insert(id)
                    try writeTask(row)
                    break
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
                if var stack = regions.removeValue(forKey: goid), let open = stack.popLast() {
                    // An emptied stack leaves the table: memory follows the goroutines inside regions.
                    if !stack.isEmpty { regions[goid] = stack }
                    try writeRegion(
                        goid: goid, taskID: open.taskID, name: open.name, depth: Int64(stack.count),
                        startNs: open.start, endNs: t, startStackID: open.stackID, endStackID: try stackID(ev.stack))
                } else {
                    try writeRegion(
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
            try writer.write(
                ProcStateRow(procID: p, state: open.state, startNs: open.start, endNs: t, threadID: open.threadID))
        }
    }

    private func writeRange(_ key: RangeKey, _ scope: ResourceID, _ open: OpenRange, end: Int64) throws {
        if key.name == "GC concurrent mark phase" {
            gcSeq += 1
            try writer.write(GCCycleRow(seq: gcSeq, startNs: open.start, endNs: end, complete: open.complete))
        } else if key.name.hasPrefix("stop-the-world (") && key.name.hasSuffix(")") {
            let reason = String(key.name.dropFirst("stop-the-world (".count).dropLast())
            try writer.write(STWPauseRow(reason: reason, startNs: open.start, endNs: end, goid: open.goid))
        } else {
            let scopeName: String
            switch scope.kind {
            case .goroutine: scopeName = "goroutine"
            case .proc: scopeName = "proc"
            case .thread: scopeName = "thread"
            default: scopeName = "global"
            }
            // range_spans (migration 0010): scope and name as the run's code, the end as a duration.
            rangeCount += 1
            try writer.write(
                RangeRow(
                    kindID: try rangeKindID(scope: scopeName, name: key.name), startNs: open.start, rangeID: rangeCount,
                    scopeID: scope.kind == .none ? nil : scope.rawID, durationNs: end - open.start, goid: open.goid,
                    startStackID: open.stackID, complete: open.complete))
        }
    }

    /// Closes everything still open at the last event and writes the per-entity rows. Returns the facts
    /// gathered (the caller adds the trace version and truncation).
    public func finish() throws -> TraceFacts {
        if let held = heldSync { try startClock(at: held.time.rawValue) }  // a trace of that Sync alone
        try goroutines.finish()
        try goroutines.gcRollups.finish()  // after the intervals still open at the end
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
        // Tasks still open at the end (tasks is keyed by task_id, so the order of its rows does not matter).
        for id in tasks.keys.sorted() { if let row = tasks[id] { try writeTask(row) } }
        tasks.removeAll()
        for goid in regions.keys.sorted() {
            for (depth, open) in (regions[goid] ?? []).enumerated() {
                try writeRegion(
                    goid: goid, taskID: open.taskID, name: open.name, depth: Int64(depth), startNs: open.start,
                    endNs: nil, startStackID: open.stackID, endStackID: nil)
            }
        }
        for (p, seen) in procsSeen.sorted {
            try writer.write(ProcRow(procID: p, firstNs: seen.first, lastNs: seen.last))
        }
        for (m, seen) in threadsSeen.sorted {
            try writer.write(ThreadRow(threadID: m, firstNs: seen.first, lastNs: seen.last))
        }
        facts.endNs = lastTs
        return facts
    }
}

// MARK: Row types of the tables EventRows fills: procs and threads, GC and ranges, metrics, tasks, regions and
// logs, CPU samples and labels.

struct ProcRow: IngestRow {
    static let table = IngestTable.procs
    static let example = ProcRow(procID: 0, firstNs: 0, lastNs: 0)
    var procID: Int64
    var firstNs: Int64
    var lastNs: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("proc_id", procID)
        row.int("first_ns", firstNs)
        row.int("last_ns", lastNs)
    }
}

struct ThreadRow: IngestRow {
    static let table = IngestTable.threads
    static let example = ThreadRow(threadID: 0, firstNs: 0, lastNs: 0)
    var threadID: Int64
    var firstNs: Int64
    var lastNs: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("thread_id", threadID)
        row.int("first_ns", firstNs)
        row.int("last_ns", lastNs)
    }
}

struct ProcStateRow: IngestRow {
    static let table = IngestTable.procStates
    static let example = ProcStateRow(procID: 0, state: "", startNs: 0, endNs: 0, threadID: nil)
    var procID: Int64
    var state: String
    var startNs: Int64
    var endNs: Int64
    var threadID: Int64?

    @inline(__always) func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("proc_id", procID)
        row.text("state", state, .frequent)
        row.int("start_ns", startNs)
        row.int("end_ns", endNs)
        row.int("thread_id", threadID)
    }
}

struct GCCycleRow: IngestRow {
    static let table = IngestTable.gcCycles
    static let example = GCCycleRow(seq: 0, startNs: 0, endNs: 0, complete: true)
    var seq: Int64
    var startNs: Int64
    var endNs: Int64
    var complete: Bool

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("seq", seq)
        row.int("start_ns", startNs)
        row.int("end_ns", endNs)
        row.bool("complete", complete)
    }
}

struct STWPauseRow: IngestRow {
    static let table = IngestTable.stwPauses
    static let example = STWPauseRow(reason: "", startNs: 0, endNs: 0, goid: nil)
    var reason: String
    var startNs: Int64
    var endNs: Int64
    var goid: Int64?

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.text("reason", reason, .frequent)
        row.int("start_ns", startNs)
        row.int("end_ns", endNs)
        row.int("goid", goid)
    }
}

/// range_spans (migration 0010; the ranges view gives scope, name and end_ns back).
struct RangeRow: IngestRow {
    static let table = IngestTable.ranges
    static let example = RangeRow(
        kindID: 0, startNs: 0, rangeID: 0, scopeID: nil, durationNs: 0, goid: nil, startStackID: nil, complete: true)
    var kindID: Int64
    var startNs: Int64
    var rangeID: Int64
    var scopeID: Int64?
    var durationNs: Int64
    var goid: Int64?
    var startStackID: Int64?
    var complete: Bool

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("kind_id", kindID)
        row.int("start_ns", startNs)
        row.int("range_id", rangeID)
        row.int("scope_id", scopeID)
        row.int("duration_ns", durationNs)
        row.int("goid", goid)
        row.int("start_stack_id", startStackID)
        row.bool("complete", complete)
    }
}

/// range_kinds (migration 0010): a run's code for each range scope and name.
struct RangeKindRow: IngestRow {
    static let table = IngestTable.rangeKinds
    static let example = RangeKindRow(kindID: 0, scope: "", name: "")
    var kindID: Int64
    var scope: String
    var name: String

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("kind_id", kindID)
        row.text("scope", scope, .frequent)
        row.text("name", name, .frequent)
    }
}

struct MetricNameRow: IngestRow {
    static let table = IngestTable.metricNames
    static let example = MetricNameRow(nameID: 0, name: "")
    var nameID: Int64
    var name: String

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("name_id", nameID)
        row.text("name", name, .interned)
    }
}

struct MetricSampleRow: IngestRow {
    static let table = IngestTable.metricSamples
    static let example = MetricSampleRow(tsNs: 0, nameID: 0, value: .integer(0), sampleID: 0)
    var tsNs: Int64
    var nameID: Int64
    var value: DatabaseValue
    var sampleID: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("ts_ns", tsNs)
        row.int("name_id", nameID)
        row.value("value", value)
        row.int("sample_id", sampleID)
    }
}

extension RunWriter {
    /// A tasks row, gathered from the task's begin and end events.
    public struct TaskRow: Sendable {
        public var taskID: Int64
        public var parentTaskID: Int64? = nil
        public var name: String = ""
        public var startNs: Int64? = nil
        public var endNs: Int64? = nil
        public var startGoid: Int64? = nil
        public var endGoid: Int64? = nil
        public var startStackID: Int64? = nil
        public var endStackID: Int64? = nil
        /// The run's code for `name` (task_names), given when the row is written.
        var nameID: Int64 = 0
        public init(taskID: Int64) { self.taskID = taskID }
    }
}

extension RunWriter.TaskRow: IngestRow {
    static let table = IngestTable.tasks
    static let example = RunWriter.TaskRow(taskID: 0)

    /// task_spans (migration 0015; the tasks view gives name and end_ns back): the name as the run's code, the
    /// end as a duration (kept as end_ns only when the start is unknown), as region_spans.
    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("task_id", taskID)
        row.int("parent_task_id", parentTaskID)
        row.int("name_id", nameID)
        row.int("start_ns", startNs)
        var durationNs: Int64?
        if let startNs, let endNs { durationNs = endNs - startNs }
        row.int("duration_ns", durationNs)
        row.int("end_ns", startNs == nil ? endNs : nil)
        row.int("start_goid", startGoid)
        row.int("end_goid", endGoid)
        row.int("start_stack_id", startStackID)
        row.int("end_stack_id", endStackID)
    }
}

/// task_names (migration 0015): a run's code for each task type name.
struct TaskNameRow: IngestRow {
    static let table = IngestTable.taskNames
    static let example = TaskNameRow(nameID: 0, name: "")
    var nameID: Int64
    var name: String

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("name_id", nameID)
        row.text("name", name, .unique)
    }
}

/// region_spans (migration 0010; the regions view gives name and end_ns back).
struct RegionRow: IngestRow {
    static let table = IngestTable.regions
    static let example = RegionRow(
        goid: 0, regionID: 0, taskID: nil, nameID: 0, depth: 0, startNs: nil, durationNs: nil, endNs: nil,
        startStackID: nil, endStackID: nil)
    var goid: Int64
    var regionID: Int64
    var taskID: Int64?
    var nameID: Int64
    var depth: Int64
    var startNs: Int64?
    var durationNs: Int64?
    var endNs: Int64?
    var startStackID: Int64?
    var endStackID: Int64?

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("goid", goid)
        row.int("region_id", regionID)
        row.int("task_id", taskID)
        row.int("name_id", nameID)
        row.int("depth", depth)
        row.int("start_ns", startNs)
        row.int("duration_ns", durationNs)
        row.int("end_ns", endNs)
        row.int("start_stack_id", startStackID)
        row.int("end_stack_id", endStackID)
    }
}

/// region_names (migration 0010): a run's code for each region type name.
struct RegionNameRow: IngestRow {
    static let table = IngestTable.regionNames
    static let example = RegionNameRow(nameID: 0, name: "")
    var nameID: Int64
    var name: String

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("name_id", nameID)
        row.text("name", name, .unique)
    }
}

struct LogRow: IngestRow {
    static let table = IngestTable.logs
    static let example = LogRow(tsNs: 0, goid: nil, taskID: nil, category: "", message: "", stackID: nil)
    var tsNs: Int64
    var goid: Int64?
    var taskID: Int64?
    var category: String
    var message: String
    var stackID: Int64?

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("ts_ns", tsNs)
        row.int("goid", goid)
        row.int("task_id", taskID)
        row.text("category", category, .unique)
        row.text("message", message, .unique)
        row.int("stack_id", stackID)
    }
}

/// A Label event: a handful of distinct labels, one per GC mark worker start.
struct LabelRow: IngestRow {
    static let table = IngestTable.labels
    static let example = LabelRow(tsNs: 0, goid: 0, label: "")
    var tsNs: Int64
    var goid: Int64
    var label: String

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("ts_ns", tsNs)
        row.int("goid", goid)
        row.text("label", label, .frequent)
    }
}

struct CPUSampleRow: IngestRow {
    static let table = IngestTable.cpuSamples
    static let example = CPUSampleRow(tsNs: 0, goid: nil, procID: nil, threadID: nil, stackID: nil)
    var tsNs: Int64
    var goid: Int64?
    var procID: Int64?
    var threadID: Int64?
    var stackID: Int64?

    @inline(__always) func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("ts_ns", tsNs)
        row.int("goid", goid)
        row.int("proc_id", procID)
        row.int("thread_id", threadID)
        row.int("stack_id", stackID)
    }
}
