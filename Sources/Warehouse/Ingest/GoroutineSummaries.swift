import GoTrace

/// What one goroutine's intervals add up to so far. GoroutineIntervals keeps one per live goroutine and hands
/// every interval it writes to `GoroutineSummaries.record`, so the sums are those of its goroutine_states rows.
struct GoroutineTally {
    struct Entry {
        var state: GoroutineStateName
        var reason: String
        var category: String
        /// GoroutineIntervals' code of (reason, category) in this run: compared instead of the strings.
        var label: Int32
        var intervals: Int64
        var ns: Int64
    }
    /// Per (state, reason, category): a goroutine has a handful, so a linear scan (reasons and categories are
    /// short strings, compared inline) costs less than hashing.
    var entries: [Entry] = []

    struct LockWait {
        var stackID: Int64
        var category: String
        var intervals: Int64
        var ns: Int64
    }
    var lockWaits: [LockWait] = []
    /// Each lock wait's length (lock_wait_histogram, migration 0013), folded into the group's when the goroutine
    /// ends (its group is known by then).
    var lockWaitLengths: [Int64] = []

    /// Go's RangeTime: time in each runtime range, by name.
    var ranges: [(name: String, ns: Int64)] = []

    mutating func addRange(_ name: String, _ ns: Int64) {
        if let i = ranges.firstIndex(where: { $0.name == name }) { ranges[i].ns &+= ns } else { ranges.append((name, ns)) }
    }

    /// Runnable waits seen while the goroutine had no name yet: its group is the name it ends up with (Go names
    /// a goroutine by the first stack it sees), so they wait here until then.
    var pendingWaits: [Int64] = []
    /// Its group, once it has a name: bound once, so the interval path never hashes the name.
    var group: GoroutineSummaries.Group?

    @inline(__always)
    mutating func add(_ state: GoroutineStateName, _ label: GoroutineIntervals.Label, _ code: Int32, _ ns: Int64) {
        for i in entries.indices where entries[i].label == code && entries[i].state == state {
            entries[i].intervals &+= 1
            entries[i].ns &+= ns
            return
        }
        entries.append(
            Entry(state: state, reason: label.reason, category: label.category, label: code, intervals: 1, ns: ns))
    }

    /// Sum of a state's time.
    func ns(_ state: GoroutineStateName) -> Int64 {
        var total: Int64 = 0
        for entry in entries where entry.state == state { total &+= entry.ns }
        return total
    }

    /// Takes over an earlier tally of the same goroutine id (Go quirk: a goroutine named again from
    /// Undetermined gets a fresh summary; its rows stay in goroutine_states, so they stay counted here).
    mutating func absorb(_ other: GoroutineTally) {
        for e in other.entries {
            if let i = entries.firstIndex(where: { $0.state == e.state && $0.label == e.label }) {
                entries[i].intervals &+= e.intervals
                entries[i].ns &+= e.ns
            } else {
                entries.append(e)
            }
        }
        lockWaits += other.lockWaits
        lockWaitLengths += other.lockWaitLengths
        for r in other.ranges { addRange(r.name, r.ns) }
        pendingWaits += other.pendingWaits
        if let g = other.group, group == nil { group = g }
    }
}

/// Computes, while the ingest streams, what the goroutine reports read (migration 0005): per goroutine its
/// Summarizer figures (goroutine_summaries) and state totals (goroutine_state_totals); per group (start
/// function) the state totals (goroutine_group_totals), an exact histogram of runnable waits
/// (sched_wait_histogram) and the lock waits per stack (lock_waits_by_stack). Memory follows the live
/// goroutines, the groups and the distinct wait lengths, not the trace: a goroutine's tally is folded into its
/// group's when it ends.
final class GoroutineSummaries {
    private let writer: RunWriter

    /// A group (start function): its goroutines' figures (goroutine_groups), their state totals
    /// (goroutine_group_totals), its runnable waits by length (sched_wait_histogram), and every goroutine's total
    /// for the percentiles (8 bytes a goroutine: the one part that grows with the goroutines, like RunWriter's bit
    /// per goroutine id).
    final class Group {
        var counts: [Int64: Int64] = [:]
        /// Lock waits by length (lock_wait_histogram).
        var lockCounts: [Int64: Int64] = [:]
        var entries: [GoroutineTally.Entry] = []
        var goroutines: Int64 = 0
        var total: Int64 = 0, exec: Int64 = 0, schedWait: Int64 = 0, block: Int64 = 0, syscall: Int64 = 0
        var syscallBlock: Int64 = 0, unknown: Int64 = 0, range: Int64 = 0
        var totals: [Int64] = []

        @inline(__always) func addWait(_ ns: Int64) { counts[ns, default: 0] &+= 1 }

        func add(_ e: GoroutineTally.Entry) {
            for i in entries.indices where entries[i].label == e.label && entries[i].state == e.state {
                entries[i].intervals &+= e.intervals
                entries[i].ns &+= e.ns
                return
            }
            entries.append(e)
        }
    }
    private var groups: [String: Group] = [:]

    private struct LockKey: Hashable {
        var function: String
        var stackID: Int64
    }
    private var lockWaits: [LockKey: (category: String, intervals: Int64, ns: Int64)] = [:]

    /// Each goroutine's row (goroutines and goroutine_summaries, migration 0015), written when it ends.
    private let records: GoroutineRecords

    init(writer: RunWriter) {
        self.writer = writer
        self.records = GoroutineRecords(writer: writer)
    }

    /// One interval written to goroutine_states, of a goroutine currently named `name` ('' while unknown).
    @inline(__always)
    func record(
        _ tally: inout GoroutineTally, name: String, _ state: GoroutineStateName, _ label: GoroutineIntervals.Label,
        _ code: Int32, ns: Int64, stackID: Int64?
    ) {
        tally.add(state, label, code, ns)
        switch state {
        case .runnable:
            // The row Go's quirk adds for a syscall still blocked at the end is no wait (as sched-latency says).
            if label.isOpenBlockedSyscall { return }
            if let group = tally.group {
                group.addWait(ns)
            } else if !name.isEmpty {
                named(&tally, name)
                tally.group?.addWait(ns)
            } else {
                tally.pendingWaits.append(ns)
            }
        case .waiting:
            guard let stackID, label.isLock else { return }
            tally.lockWaitLengths.append(ns)
            for i in tally.lockWaits.indices where tally.lockWaits[i].stackID == stackID {
                tally.lockWaits[i].intervals &+= 1
                tally.lockWaits[i].ns &+= ns
                return
            }
            tally.lockWaits.append(GoroutineTally.LockWait(stackID: stackID, category: label.category, intervals: 1, ns: ns))
        default:
            break
        }
    }

    /// The goroutine's group is now known: its waits so far go to that group's histogram.
    func named(_ tally: inout GoroutineTally, _ name: String) {
        guard tally.group == nil else { return }
        let group: Group
        if let known = groups[name] {
            group = known
        } else {
            group = Group()
            groups[name] = group
        }
        for ns in tally.pendingWaits { group.addWait(ns) }
        tally.pendingWaits = []
        tally.group = group
    }

    /// The goroutine ended (or the trace did, at `endNs`): its rows (its goroutines row with its times), and its
    /// sums folded into its group's. `written` is false for a goroutine id already written
    /// (RunWriter.insertGoroutine kept the first row): then only the group sums take it.
    func finish(_ row: RunWriter.GoroutineRow, _ tally: inout GoroutineTally, endNs: Int64, written: Bool) throws {
        let name = row.startFunction
        if tally.group == nil { named(&tally, name) }
        guard let group = tally.group else { return }
        if written {
            let total = endNs - row.createdNs
            let exec = tally.ns(.running), sched = tally.ns(.runnable), block = tally.ns(.waiting)
            let syscall = tally.ns(.syscall), syscallBlock = tally.ns(.syscallBlocked)
            // Go's UnknownTime: what the states do not account for, never negative.
            let unknown = max(0, total - exec - sched - block - syscall - syscallBlock)
            try records.write(
                row,
                GoroutineTimes(
                    totalNs: total, execNs: exec, schedWaitNs: sched, blockNs: block, syscallNs: syscall,
                    syscallBlockNs: syscallBlock))
            group.goroutines += 1
            group.total &+= total
            group.exec &+= exec
            group.schedWait &+= sched
            group.block &+= block
            group.syscall &+= syscall
            group.syscallBlock &+= syscallBlock
            group.unknown &+= unknown
            for r in tally.ranges { group.range &+= r.ns }
            group.totals.append(total)
            for r in tally.ranges where r.ns != 0 {
                try writer.write(GoroutineRangeTotalRow(goid: row.goid, name: r.name, ns: r.ns))
            }
        }
        for e in tally.entries { group.add(e) }
        for ns in tally.lockWaitLengths { group.lockCounts[ns, default: 0] &+= 1 }
        for w in tally.lockWaits {
            let key = LockKey(function: name, stackID: w.stackID)
            let old = lockWaits[key] ?? (w.category, 0, 0)
            lockWaits[key] = (old.category, old.intervals &+ w.intervals, old.ns &+ w.ns)
        }
        tally = GoroutineTally()
    }

    /// Nearest rank: the value at rank ceil(p * n / 100) of the sorted values.
    static func nearestRank(_ p: Int, of sorted: [Int64]) -> Int64? {
        guard !sorted.isEmpty else { return nil }
        return sorted[max(1, (p * sorted.count + 99) / 100) - 1]
    }

    /// sched_wait_stats from a histogram sorted by length: count, total and nearest-rank percentiles.
    private func writeSchedWaitStats(scope: String, _ name: String, _ sorted: [(key: Int64, value: Int64)]) throws {
        let n = sorted.reduce(0) { $0 &+ $1.value }
        let total = sorted.reduce(0) { $0 &+ $1.key &* $1.value }
        func rank(_ p: Int64) -> Int64 {
            let k = (p * n + 99) / 100
            var cumulative: Int64 = 0
            for (ns, waits) in sorted {
                cumulative &+= waits
                if cumulative >= k { return ns }
            }
            return sorted[sorted.count - 1].key
        }
        try writer.write(SchedWaitStatsRow(
            scope: scope, startFunction: name, waits: n, totalNs: total, p50Ns: rank(50), p90Ns: rank(90),
            p99Ns: rank(99), maxNs: sorted[sorted.count - 1].key))
    }

    /// After the last goroutine: the per-group rows, in a stable order.
    func finishRun() throws {
        let names = groups.keys.sorted()
        for name in names {
            guard let g = groups[name] else { continue }
            for e in g.entries.sorted(by: { ($0.state.index, $0.reason, $0.category) < ($1.state.index, $1.reason, $1.category) }) {
                try writer.write(GoroutineGroupTotalRow(
                    startFunction: name, state: e.state, reason: e.reason, category: e.category, intervals: e.intervals,
                    ns: e.ns))
            }
            // A group only of goroutine ids written before (RunWriter kept their first row) has no goroutines.
            guard g.goroutines > 0 else { continue }
            g.totals.sort()
            try writer.write(GoroutineGroupRow(
                startFunction: name, goroutines: g.goroutines, totalNs: g.total, execNs: g.exec, schedWaitNs: g.schedWait,
                blockNs: g.block, syscallNs: g.syscall, syscallBlockNs: g.syscallBlock, unknownNs: g.unknown,
                rangeNs: g.range, totalP50Ns: Self.nearestRank(50, of: g.totals),
                totalP99Ns: Self.nearestRank(99, of: g.totals)))
        }
        // Each group's waits by length, and the run's (every group's) for scope 'all'.
        var all: [Int64: Int64] = [:]
        for name in names {
            guard let g = groups[name] else { continue }
            let sorted = g.counts.sorted(by: { $0.key < $1.key })
            for (ns, waits) in sorted {
                try writer.write(SchedWaitHistogramRow(startFunction: name, durationNs: ns, waits: waits))
                all[ns, default: 0] &+= waits
            }
            if !sorted.isEmpty { try writeSchedWaitStats(scope: "group", name, sorted) }
        }
        if !all.isEmpty { try writeSchedWaitStats(scope: "all", "", all.sorted(by: { $0.key < $1.key })) }
        for name in names {
            guard let g = groups[name] else { continue }
            for (ns, waits) in g.lockCounts.sorted(by: { $0.key < $1.key }) {
                try writer.write(LockWaitHistogramRow(startFunction: name, durationNs: ns, waits: waits))
            }
        }
        for (key, w) in lockWaits.sorted(by: { ($0.key.function, $0.key.stackID) < ($1.key.function, $1.key.stackID) }) {
            try writer.write(LockWaitsByStackRow(
                startFunction: key.function, stackID: key.stackID, category: w.category, intervals: w.intervals, ns: w.ns))
        }
        groups = [:]
        lockWaits = [:]
    }
}

// MARK: Row types of migration 0005's tables.

struct GoroutineGroupTotalRow: IngestRow {
    static let table = IngestTable.goroutineGroupTotals
    static let example = GoroutineGroupTotalRow(
        startFunction: "", state: .running, reason: "", category: "", intervals: 0, ns: 0)
    var startFunction: String
    var state: GoroutineStateName
    var reason: String
    var category: String
    var intervals: Int64
    var ns: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.text("start_function", startFunction, .interned)
        row.bool("is_system", StackRules.isSystemGoroutine(startFunction))
        row.text("state", state.rawValue, .frequent)
        row.text("reason", reason, .frequent)
        row.text("category", category, .frequent)
        row.int("intervals", intervals)
        row.int("total_ns", ns)
    }
}

struct GoroutineRangeTotalRow: IngestRow {
    static let table = IngestTable.goroutineRangeTotals
    static let example = GoroutineRangeTotalRow(goid: 0, name: "", ns: 0)
    var goid: Int64
    var name: String
    var ns: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("goid", goid)
        row.text("name", name, .frequent)
        row.int("total_ns", ns)
    }
}

struct GoroutineGroupRow: IngestRow {
    static let table = IngestTable.goroutineGroups
    static let example = GoroutineGroupRow(
        startFunction: "", goroutines: 0, totalNs: 0, execNs: 0, schedWaitNs: 0, blockNs: 0, syscallNs: 0,
        syscallBlockNs: 0, unknownNs: 0, rangeNs: 0, totalP50Ns: nil, totalP99Ns: nil)
    var startFunction: String
    var goroutines: Int64
    var totalNs: Int64
    var execNs: Int64
    var schedWaitNs: Int64
    var blockNs: Int64
    var syscallNs: Int64
    var syscallBlockNs: Int64
    var unknownNs: Int64
    var rangeNs: Int64
    var totalP50Ns: Int64?
    var totalP99Ns: Int64?

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.text("start_function", startFunction, .interned)
        row.bool("is_system", StackRules.isSystemGoroutine(startFunction))
        row.int("goroutines", goroutines)
        row.int("total_ns", totalNs)
        row.int("exec_ns", execNs)
        row.int("sched_wait_ns", schedWaitNs)
        row.int("block_ns", blockNs)
        row.int("syscall_ns", syscallNs)
        row.int("syscall_block_ns", syscallBlockNs)
        row.int("unknown_ns", unknownNs)
        row.int("range_ns", rangeNs)
        row.int("total_p50_ns", totalP50Ns)
        row.int("total_p99_ns", totalP99Ns)
    }
}

struct SchedWaitStatsRow: IngestRow {
    static let table = IngestTable.schedWaitStats
    static let example = SchedWaitStatsRow(
        scope: "", startFunction: "", waits: 0, totalNs: 0, p50Ns: 0, p90Ns: 0, p99Ns: 0, maxNs: 0)
    var scope: String
    var startFunction: String
    var waits: Int64
    var totalNs: Int64
    var p50Ns: Int64
    var p90Ns: Int64
    var p99Ns: Int64
    var maxNs: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.text("scope", scope, .frequent)
        row.text("start_function", startFunction, .interned)
        row.bool("is_system", StackRules.isSystemGoroutine(startFunction))
        row.int("waits", waits)
        row.int("total_ns", totalNs)
        row.int("p50_ns", p50Ns)
        row.int("p90_ns", p90Ns)
        row.int("p99_ns", p99Ns)
        row.int("max_ns", maxNs)
    }
}

struct SchedWaitHistogramRow: IngestRow {
    static let table = IngestTable.schedWaitHistogram
    static let example = SchedWaitHistogramRow(startFunction: "", durationNs: 0, waits: 0)
    var startFunction: String
    var durationNs: Int64
    var waits: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.text("start_function", startFunction, .interned)
        row.int("duration_ns", durationNs)
        row.int("waits", waits)
    }
}

/// lock_wait_histogram (migration 0013): user and system goroutines' lock waits by length, per start function.
struct LockWaitHistogramRow: IngestRow {
    static let table = IngestTable.lockWaitHistogram
    static let example = LockWaitHistogramRow(startFunction: "", durationNs: 0, waits: 0)
    var startFunction: String
    var durationNs: Int64
    var waits: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.text("start_function", startFunction, .interned)
        row.bool("is_system", StackRules.isSystemGoroutine(startFunction))
        row.int("duration_ns", durationNs)
        row.int("waits", waits)
    }
}

struct LockWaitsByStackRow: IngestRow {
    static let table = IngestTable.lockWaitsByStack
    static let example = LockWaitsByStackRow(startFunction: "", stackID: 0, category: "", intervals: 0, ns: 0)
    var startFunction: String
    var stackID: Int64
    var category: String
    var intervals: Int64
    var ns: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.text("start_function", startFunction, .interned)
        row.int("stack_id", stackID)
        row.text("category", category, .frequent)
        row.int("intervals", intervals)
        row.int("total_ns", ns)
    }
}
