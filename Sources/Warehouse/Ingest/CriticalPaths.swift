/// Walks the critical path of every complete task when it ends, while the ingest streams, and sums the paths by
/// task type and cause into critical_path_causes, with one critical_path_tasks row per task (migration 0011), so
/// that critical-path-summary reads a few rows instead of walking hundreds of thousands of tasks.
///
/// The walk is critical-path's (Queries/critical-path.sql, checked against scripts/gotools/criticalpath), step
/// for step, over the same intervals: GoroutineIntervals hands every goroutine_states row it writes to `closed`,
/// and the interval it opens to `opened`. A task's walk only looks back in time, from its end to its start, so
/// when it ends everything it needs has happened. Two things may not be final yet, and a task whose path meets
/// one is left to the report (critical_path_tasks.walked = 0, walked from goroutine_states at query time):
/// - an interval still open at the task's end in a state other than running (a running one is final: it is on
///   the path up to the end, whatever it becomes later), or a goroutine's intervals out of order (which a valid
///   trace does not give);
/// - a label the ingest may still change: a goroutine without a name yet (goroutines.start_function is its
///   first named stack's root), or a stack decided before the user-frame rule settled (RunWriter's provisional
///   stacks).
///
/// Memory: each goroutine keeps only the intervals that end at or after the start of the oldest task still
/// open (a walk never goes below its task's start, and an interval that ends before it can neither cover a
/// moment of the walk nor change a gap's bound: only whether the goroutine had an earlier interval matters,
/// kept as a flag); with no task open nothing is kept. If a task stays open so long that more than
/// `maxKept` intervals pile up, the horizon moves to the present anyway and the tasks open then are left to
/// the report. Ended goroutines are dropped once nothing of theirs is kept.
final class CriticalPaths {
    private let writer: RunWriter

    /// One goroutine_states row, as the walk needs it. `kind` indexes `kinds` (state, reason, category).
    struct Interval {
        var start: Int64
        var end: Int64
        var stackID: Int64  // 0: none
        var waker: Int64  // -1: none
        var kind: Int32
        var waiting: Bool
    }

    final class Goroutine {
        let goid: Int64
        var parent: Int64?
        /// Index into `names` of its start function; -1 while it has none.
        var name: Int32 = -1
        /// Kept intervals from `head` on, in the order they were written (start order).
        var intervals: [Interval] = []
        var head = 0
        /// Intervals before `head` were dropped (or never kept): the goroutine had intervals before.
        var hadEarlier = false
        /// The interval in progress: its start and whether it is running.
        var openStart: Int64?
        var openRunning = false
        var ended = false
        /// Intervals written out of start order, or overlapping: walks through it are left to the report.
        var disordered = false

        init(goid: Int64) { self.goid = goid }

        var keptCount: Int { intervals.count - head }
    }

    private var goroutines: [Int64: Goroutine] = [:]

    /// (state, reason, category) of the intervals, interned; reasons and categories are a handful per run.
    private struct Kind {
        var state: String
        var reason: String
        var category: String
    }
    private var kinds: [Kind] = []
    private var lastKind = -1
    private lazy var unknownKind = kind("unknown", "", "")
    private lazy var runningKind = kind(GoroutineStateName.running.rawValue, "", "")

    private var names: [String] = []
    private var nameIDs: [String: Int32] = [:]

    /// Tasks begun and not ended: their start, type and whether the walk is left to the report.
    private struct OpenTask {
        var start: Int64
        var leftToReport = false
    }
    private var openTasks: [UInt64: OpenTask] = [:]
    /// Task ids in the order they began (their starts ascend): the oldest still open sets the horizon.
    private var beginOrder: [UInt64] = []
    private var beginHead = 0
    private var taskNames: [String] = []
    private var taskNameIDs: [String: Int32] = [:]

    /// Task ids written to critical_path_tasks (dense small integers in practice): a task id begun again
    /// after it ended is not written twice (tasks keeps one row per id).
    private var writtenTasks: [UInt64] = []
    private var writtenTasksLarge = Set<UInt64>()

    private struct CauseKey: Hashable {
        var task: Int32
        var kind: Int32
        var name: Int32
        var frame: Int32
    }
    private var causes: [CauseKey: (ns: Int64, instances: Int64)] = [:]

    private var kept = 0
    private var sincePrune = 0
    static let pruneEvery = 1 << 16
    static let maxKept = 1 << 20
    /// As critical-path.sql's recursion limit (`w.n < 1000000`): a walk that long is left to the report.
    static let maxSteps = 1_000_000

    private var now: Int64 = 0

    init(writer: RunWriter) { self.writer = writer }

    /// Once per kept interval: compares in place (a handful of kinds; equal strings of one run share storage, so
    /// each comparison is a pointer check), builds nothing.
    @inline(__always)
    private func kind(_ state: String, _ reason: String, _ category: String) -> Int32 {
        if lastKind >= 0 {
            let k = kinds[lastKind]
            if k.state == state && k.reason == reason && k.category == category { return Int32(lastKind) }
        }
        for i in kinds.indices where kinds[i].state == state && kinds[i].reason == reason && kinds[i].category == category {
            lastKind = i
            return Int32(i)
        }
        kinds.append(Kind(state: state, reason: reason, category: category))
        lastKind = kinds.count - 1
        return Int32(lastKind)
    }

    // MARK: Hooks (GoroutineIntervals, EventRows)

    /// The record of goroutine `goid`, made on first sight (GoroutineIntervals keeps it with its own).
    func goroutine(_ goid: Int64) -> Goroutine {
        if let known = goroutines[goid] {
            known.ended = false
            return known
        }
        let g = Goroutine(goid: goid)
        goroutines[goid] = g
        return g
    }

    /// Its start function, once GoroutineIntervals names it.
    func named(_ g: Goroutine, _ name: String) {
        guard g.name < 0, !name.isEmpty else { return }
        if let id = nameIDs[name] {
            g.name = id
        } else {
            let id = Int32(names.count)
            names.append(name)
            nameIDs[name] = id
            g.name = id
        }
    }

    @inline(__always) func opened(_ g: Goroutine, _ state: GoroutineStateName, start: Int64) {
        g.openStart = start
        g.openRunning = state == .running
    }

    /// A goroutine_states row written (it closes whatever was open).
    @inline(__always)
    func closed(
        _ g: Goroutine, _ state: GoroutineStateName, reason: String, category: String, start: Int64, end: Int64,
        stackID: Int64?, waker: Int64?
    ) {
        g.openStart = nil
        g.openRunning = false
        if let last = g.intervals.last, g.intervals.count > g.head, start < last.start || start < last.end {
            g.disordered = true
        }
        // With no task open, no walk will reach below now: nothing to keep.
        guard openTasks.count > 0 else {
            g.hadEarlier = true
            return
        }
        if g.intervals.capacity == 0 { g.intervals.reserveCapacity(16) }
        g.intervals.append(
            Interval(
                start: start, end: end, stackID: stackID ?? 0, waker: waker ?? -1,
                kind: kind(state.rawValue, reason, category), waiting: state == .waiting))
        kept += 1
        sincePrune += 1
        if sincePrune >= Self.pruneEvery { prune() }
    }

    func ended(_ g: Goroutine) {
        g.ended = true
        g.openStart = nil
        if g.keptCount == 0 { goroutines[g.goid] = nil }
    }

    func taskBegin(_ id: UInt64, at t: Int64) {
        now = t
        // A second begin of an open task: the tasks row keeps the later start (EventRows); so does this.
        openTasks[id] = OpenTask(start: t)
        beginOrder.append(id)
    }

    /// The task ended at `t` on goroutine `goid` (nil: no goroutine): walk it, if it began in the trace.
    func taskEnd(_ id: UInt64, name: String, at t: Int64, goid: Int64?) throws {
        now = t
        guard let task = openTasks.removeValue(forKey: id) else { return }
        guard markWritten(id) else { return }
        let nameID: Int32
        if let known = taskNameIDs[name] {
            nameID = known
        } else {
            nameID = Int32(taskNames.count)
            taskNames.append(name)
            taskNameIDs[name] = nameID
        }
        let duration = t &- task.start
        var walked = !task.leftToReport
        var top: Int64?
        if walked, let goid, duration > 0 {
            if let path = walk(goid: goid, from: task.start, to: t) {
                // The task's path by cause (a handful of causes: a linear scan).
                var mine: [(key: CauseKey, ns: Int64)] = []
                for seg in path {
                    let key = CauseKey(task: nameID, kind: seg.kind, name: seg.name, frame: seg.frame)
                    if let i = mine.firstIndex(where: { $0.key == key }) {
                        mine[i].ns &+= seg.ns
                    } else {
                        mine.append((key, seg.ns))
                    }
                }
                for (key, ns) in mine {
                    let old = causes[key] ?? (0, 0)
                    causes[key] = (old.ns &+ ns, old.instances &+ 1)
                    top = max(top ?? ns, ns)
                }
            } else {
                walked = false
            }
        }
        try writer.write(
            CriticalPathTaskRow(
                durationNs: duration, startNs: task.start, taskID: Int64(bitPattern: id), name: name, goid: goid,
                topNs: walked ? top : nil, walked: walked))
    }

    private func markWritten(_ id: UInt64) -> Bool {
        guard id < 1 << 26 else { return writtenTasksLarge.insert(id).inserted }
        let word = Int(id >> 6)
        let bit: UInt64 = 1 << (id & 63)
        if word >= writtenTasks.count {
            writtenTasks.append(contentsOf: repeatElement(0, count: max(word + 1, writtenTasks.count * 2) - writtenTasks.count))
        }
        if writtenTasks[word] & bit != 0 { return false }
        writtenTasks[word] |= bit
        return true
    }

    // MARK: The walk

    private struct Segment {
        var kind: Int32
        var name: Int32
        var frame: Int32
        var ns: Int64
    }

    /// The interval covering `t` (critical-path.sql: start < t <= end, the latest start, of equal starts the last
    /// written), as an index into `g.intervals`, or -2 for the open interval; -1 for none. `before` is then the
    /// last interval with start < t (-1: none kept).
    private func covering(_ g: Goroutine, _ t: Int64) -> (index: Int, before: Int) {
        if let open = g.openStart, open < t { return (-2, -1) }
        // Binary search: the last kept interval with start < t.
        var lo = g.head, hi = g.intervals.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if g.intervals[mid].start < t { lo = mid + 1 } else { hi = mid }
        }
        let last = lo - 1
        guard last >= g.head else { return (-1, -1) }
        return (g.intervals[last].end >= t ? last : -1, last)
    }

    /// The task's path as segments, or nil when the walk meets something the ingest cannot settle now (see the
    /// type's doc): then the report walks the task.
    private func walk(goid start: Int64, from: Int64, to: Int64) -> [Segment]? {
        var segments: [Segment] = []
        var goid = start
        var t = to
        var lo = from
        var ret: [(goid: Int64, lo: Int64)] = []
        var steps = 0
        var cached: Goroutine?
        let provisional = writer.lastProvisionalStackID
        let frames = writer.userFrameLabelOfStack
        while true {
            if t <= lo {
                guard let back = ret.popLast() else { break }
                goid = back.goid
                lo = back.lo
                steps += 1
                if steps >= Self.maxSteps { return nil }
                continue
            }
            steps += 1
            if steps >= Self.maxSteps { return nil }
            // Consecutive steps mostly stay on one goroutine: look it up only when the walk moves.
            if cached?.goid != goid { cached = goroutines[goid] }
            guard let g = cached, !g.disordered else { return nil }
            let (i, before) = covering(g, t)
            if i == -2 {
                // Open at the task's end: final only when running (no stack, reason or category).
                guard g.openRunning, let open = g.openStart else { return nil }
                guard g.name >= 0 else { return nil }
                let s = max(open, lo)
                segments.append(Segment(kind: runningKind, name: g.name, frame: -1, ns: t &- s))
                t = s
            } else if i >= 0 {
                let iv = g.intervals[i]
                if iv.waiting && iv.end == t && iv.waker >= 0 && iv.waker != goid {
                    ret.append((goid, lo))
                    lo = max(iv.start, lo)
                    goid = iv.waker
                    continue
                }
                guard g.name >= 0 else { return nil }
                var frame: Int32 = -1
                if iv.stackID > 0 {
                    if iv.stackID <= provisional { return nil }
                    frame = frames[Int(iv.stackID) - 1]
                }
                let s = max(iv.start, lo)
                if t > s { segments.append(Segment(kind: iv.kind, name: g.name, frame: frame, ns: t &- s)) }
                t = s
            } else {
                let hasEarlier = before >= 0 || g.hadEarlier
                if !hasEarlier, let parent = g.parent {
                    goid = parent
                    continue
                }
                // A gap (or before a goroutine without a known creator): 'unknown', from the previous interval's
                // end (kept ones only: a dropped one ended before every open task began, so below lo).
                guard g.name >= 0 else { return nil }
                let s = before >= 0 ? max(g.intervals[before].end, lo) : lo
                if t > s { segments.append(Segment(kind: unknownKind, name: g.name, frame: -1, ns: t &- s)) }
                t = s
            }
        }
        return segments
    }

    // MARK: Memory

    /// Drops the intervals that ended before the oldest open task began; with more than `maxKept` left, moves
    /// the horizon to now and leaves the tasks open now to the report.
    private func prune() {
        sincePrune = 0
        while beginHead < beginOrder.count {
            let id = beginOrder[beginHead]
            if let open = openTasks[id], !open.leftToReport { break }
            beginHead += 1
        }
        if beginHead > 4096 && beginHead * 2 > beginOrder.count {
            beginOrder.removeFirst(beginHead)
            beginHead = 0
        }
        var horizon = now
        if beginHead < beginOrder.count, let oldest = openTasks[beginOrder[beginHead]] { horizon = oldest.start }
        dropBefore(horizon)
        if kept > Self.maxKept {
            for id in openTasks.keys { openTasks[id]?.leftToReport = true }
            beginHead = beginOrder.count
            dropBefore(now)
        }
    }

    private func dropBefore(_ horizon: Int64) {
        var gone: [Int64] = []
        for (goid, g) in goroutines {
            var h = g.head
            while h < g.intervals.count && g.intervals[h].end < horizon { h += 1 }
            if h > g.head {
                kept -= h - g.head
                g.hadEarlier = true
                g.head = h
                if g.head == g.intervals.count {
                    g.intervals.removeAll(keepingCapacity: false)
                    g.head = 0
                } else if g.head > 64 && g.head * 2 > g.intervals.count {
                    g.intervals.removeFirst(g.head)
                    g.head = 0
                }
            }
            if g.ended && g.keptCount == 0 { gone.append(goid) }
        }
        for goid in gone { goroutines[goid] = nil }
    }

    // MARK: Rows

    /// After the last event: the causes, in a stable order.
    func finish() throws {
        let labels = writer.userFrameLabels
        let rows = causes.map { key, sum in
            (
                task: taskNames[Int(key.task)], kind: kinds[Int(key.kind)], name: names[Int(key.name)],
                frame: key.frame >= 0 ? labels[Int(key.frame)] : "", sum: sum
            )
        }.sorted {
            ($0.task, $0.kind.state, $0.kind.category, $0.kind.reason, $0.name, $0.frame)
                < ($1.task, $1.kind.state, $1.kind.category, $1.kind.reason, $1.name, $1.frame)
        }
        for row in rows {
            try writer.write(
                CriticalPathCauseRow(
                    taskName: row.task, state: row.kind.state, category: row.kind.category, reason: row.kind.reason,
                    startFunction: row.name, userFrame: row.frame, ns: row.sum.ns, instances: row.sum.instances))
        }
        causes = [:]
        goroutines = [:]
        openTasks = [:]
    }
}

/// critical_path_tasks (migration 0011): one per complete task, in percentile order.
struct CriticalPathTaskRow: IngestRow {
    static let table = IngestTable.criticalPathTasks
    static let example = CriticalPathTaskRow(
        durationNs: 0, startNs: 0, taskID: 0, name: "", goid: nil, topNs: nil, walked: true)
    var durationNs: Int64
    var startNs: Int64
    var taskID: Int64
    var name: String
    var goid: Int64?
    var topNs: Int64?
    var walked: Bool

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("duration_ns", durationNs)
        row.int("start_ns", startNs)
        row.int("task_id", taskID)
        row.text("name", name, .interned)
        row.int("goid", goid)
        row.int("top_ns", topNs)
        row.bool("walked", walked)
    }
}

/// critical_path_causes (migration 0011): critical-path time of a task type by cause.
struct CriticalPathCauseRow: IngestRow {
    static let table = IngestTable.criticalPathCauses
    static let example = CriticalPathCauseRow(
        taskName: "", state: "", category: "", reason: "", startFunction: "", userFrame: "", ns: 0, instances: 0)
    var taskName: String
    var state: String
    var category: String
    var reason: String
    var startFunction: String
    var userFrame: String
    var ns: Int64
    var instances: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.text("task_name", taskName, .interned)
        row.text("state", state, .frequent)
        row.text("category", category, .frequent)
        row.text("reason", reason, .frequent)
        row.text("start_function", startFunction, .interned)
        row.text("user_frame", userFrame, .interned)
        row.int("ns", ns)
        row.int("instances", instances)
    }
}
