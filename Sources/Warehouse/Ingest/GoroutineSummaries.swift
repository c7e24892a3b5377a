import GoTrace

/// What one goroutine's intervals add up to so far. GoroutineIntervals keeps one per live goroutine and hands
/// every interval it writes to `GoroutineSummaries.record`, so the sums are those of its goroutine_states rows.
struct GoroutineTally {
    struct Entry {
        var state: GoroutineStateName
        var reason: String
        var category: String
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
    mutating func add(_ state: GoroutineStateName, _ reason: String, _ category: String, _ ns: Int64) {
        for i in entries.indices
        where entries[i].state == state && entries[i].reason == reason && entries[i].category == category {
            entries[i].intervals &+= 1
            entries[i].ns &+= ns
            return
        }
        entries.append(Entry(state: state, reason: reason, category: category, intervals: 1, ns: ns))
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
            if let i = entries.firstIndex(where: { $0.state == e.state && $0.reason == e.reason && $0.category == e.category }) {
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
            for i in entries.indices
            where entries[i].state == e.state && entries[i].reason == e.reason && entries[i].category == e.category {
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

    init(writer: RunWriter) { self.writer = writer }

    /// One interval written to goroutine_states, of a goroutine currently named `name` ('' while unknown).
    @inline(__always)
    func record(
        _ tally: inout GoroutineTally, name: String, _ state: GoroutineStateName, reason: String, category: String,
        ns: Int64, stackID: Int64?
    ) {
        tally.add(state, reason, category, ns)
        switch state {
        case .runnable:
            // The row Go's quirk adds for a syscall still blocked at the end is no wait (as sched-latency says).
            if reason == GoroutineIntervals.openBlockedSyscallReason { return }
            if let group = tally.group {
                group.addWait(ns)
            } else if !name.isEmpty {
                named(&tally, name)
                tally.group?.addWait(ns)
            } else {
                tally.pendingWaits.append(ns)
            }
        case .waiting:
            guard let stackID, category == "mutex" || category == "rwmutex" else { return }
            tally.lockWaitLengths.append(ns)
            for i in tally.lockWaits.indices where tally.lockWaits[i].stackID == stackID {
                tally.lockWaits[i].intervals &+= 1
                tally.lockWaits[i].ns &+= ns
                return
            }
            tally.lockWaits.append(GoroutineTally.LockWait(stackID: stackID, category: category, intervals: 1, ns: ns))
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

    /// The goroutine ended (or the trace did, at `endNs`): its rows, and its sums folded into its group's.
    /// `written` is false for a goroutine id already written (RunWriter.insertGoroutine kept the first row):
    /// then only the group sums take it.
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
            try writer.insertGoroutineSummary(
                goid: row.goid, totalNs: total, execNs: exec, schedWaitNs: sched, blockNs: block, syscallNs: syscall,
                syscallBlockNs: syscallBlock)
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
                try writer.insertGoroutineRangeTotal(goid: row.goid, name: r.name, ns: r.ns)
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
        try writer.insertSchedWaitStats(
            scope: scope, startFunction: name, waits: n, totalNs: total, p50Ns: rank(50), p90Ns: rank(90),
            p99Ns: rank(99), maxNs: sorted[sorted.count - 1].key)
    }

    /// After the last goroutine: the per-group rows, in a stable order.
    func finishRun() throws {
        let names = groups.keys.sorted()
        for name in names {
            guard let g = groups[name] else { continue }
            for e in g.entries.sorted(by: { ($0.state.index, $0.reason, $0.category) < ($1.state.index, $1.reason, $1.category) }) {
                try writer.insertGoroutineGroupTotal(
                    startFunction: name, state: e.state, reason: e.reason, category: e.category, intervals: e.intervals,
                    ns: e.ns)
            }
            // A group only of goroutine ids written before (RunWriter kept their first row) has no goroutines.
            guard g.goroutines > 0 else { continue }
            g.totals.sort()
            try writer.insertGoroutineGroup(
                startFunction: name, goroutines: g.goroutines, totalNs: g.total, execNs: g.exec, schedWaitNs: g.schedWait,
                blockNs: g.block, syscallNs: g.syscall, syscallBlockNs: g.syscallBlock, unknownNs: g.unknown,
                rangeNs: g.range, totalP50Ns: Self.nearestRank(50, of: g.totals),
                totalP99Ns: Self.nearestRank(99, of: g.totals))
        }
        // Each group's waits by length, and the run's (every group's) for scope 'all'.
        var all: [Int64: Int64] = [:]
        for name in names {
            guard let g = groups[name] else { continue }
            let sorted = g.counts.sorted(by: { $0.key < $1.key })
            for (ns, waits) in sorted {
                try writer.insertSchedWaitBucket(startFunction: name, durationNs: ns, waits: waits)
                all[ns, default: 0] &+= waits
            }
            if !sorted.isEmpty { try writeSchedWaitStats(scope: "group", name, sorted) }
        }
        if !all.isEmpty { try writeSchedWaitStats(scope: "all", "", all.sorted(by: { $0.key < $1.key })) }
        for name in names {
            guard let g = groups[name] else { continue }
            for (ns, waits) in g.lockCounts.sorted(by: { $0.key < $1.key }) {
                try writer.insertLockWaitBucket(startFunction: name, durationNs: ns, waits: waits)
            }
        }
        for (key, w) in lockWaits.sorted(by: { ($0.key.function, $0.key.stackID) < ($1.key.function, $1.key.stackID) }) {
            try writer.insertLockWaits(
                startFunction: key.function, stackID: key.stackID, category: w.category, intervals: w.intervals, ns: w.ns)
        }
        groups = [:]
        lockWaits = [:]
    }
}

// The rows of migration 0005's tables (column lists in IngestTable.columns).
extension RunWriter {
    func insertGoroutineSummary(
        goid: Int64, totalNs: Int64, execNs: Int64, schedWaitNs: Int64, blockNs: Int64, syscallNs: Int64,
        syscallBlockNs: Int64
    ) throws {
        // goroutine_times (migration 0010): start_function, is_system and unknown_ns come back in the
        // goroutine_summaries view, from goroutines and these times.
        var r = RowValues()
        r.int(goid)
        r.int(totalNs)
        r.int(execNs)
        r.int(schedWaitNs)
        r.int(blockNs)
        r.int(syscallNs)
        r.int(syscallBlockNs)
        try queue(.goroutineSummaries, r)
    }

    func insertGoroutineGroupTotal(
        startFunction: String, state: GoroutineStateName, reason: String, category: String, intervals: Int64, ns: Int64
    ) throws {
        var r = RowValues()
        text(startFunction, into: &r)
        r.bool(StackRules.isSystemGoroutine(startFunction))
        frequentText(state.rawValue, into: &r)
        frequentText(reason, into: &r)
        frequentText(category, into: &r)
        r.int(intervals)
        r.int(ns)
        try queue(.goroutineGroupTotals, r)
    }

    func insertGoroutineRangeTotal(goid: Int64, name: String, ns: Int64) throws {
        var r = RowValues()
        r.int(goid)
        frequentText(name, into: &r)
        r.int(ns)
        try queue(.goroutineRangeTotals, r)
    }

    func insertGoroutineGroup(
        startFunction: String, goroutines: Int64, totalNs: Int64, execNs: Int64, schedWaitNs: Int64, blockNs: Int64,
        syscallNs: Int64, syscallBlockNs: Int64, unknownNs: Int64, rangeNs: Int64, totalP50Ns: Int64?,
        totalP99Ns: Int64?
    ) throws {
        var r = RowValues()
        text(startFunction, into: &r)
        r.bool(StackRules.isSystemGoroutine(startFunction))
        r.int(goroutines)
        r.int(totalNs)
        r.int(execNs)
        r.int(schedWaitNs)
        r.int(blockNs)
        r.int(syscallNs)
        r.int(syscallBlockNs)
        r.int(unknownNs)
        r.int(rangeNs)
        r.int(totalP50Ns)
        r.int(totalP99Ns)
        try queue(.goroutineGroups, r)
    }

    func insertSchedWaitStats(
        scope: String, startFunction: String, waits: Int64, totalNs: Int64, p50Ns: Int64, p90Ns: Int64, p99Ns: Int64,
        maxNs: Int64
    ) throws {
        var r = RowValues()
        frequentText(scope, into: &r)
        text(startFunction, into: &r)
        r.bool(StackRules.isSystemGoroutine(startFunction))
        r.int(waits)
        r.int(totalNs)
        r.int(p50Ns)
        r.int(p90Ns)
        r.int(p99Ns)
        r.int(maxNs)
        try queue(.schedWaitStats, r)
    }

    func insertSchedWaitBucket(startFunction: String, durationNs: Int64, waits: Int64) throws {
        var r = RowValues()
        text(startFunction, into: &r)
        r.int(durationNs)
        r.int(waits)
        try queue(.schedWaitHistogram, r)
    }

    func insertLockWaitBucket(startFunction: String, durationNs: Int64, waits: Int64) throws {
        var r = RowValues()
        text(startFunction, into: &r)
        r.bool(StackRules.isSystemGoroutine(startFunction))
        r.int(durationNs)
        r.int(waits)
        try queue(.lockWaitHistogram, r)
    }

    func insertLockWaits(startFunction: String, stackID: Int64, category: String, intervals: Int64, ns: Int64) throws {
        var r = RowValues()
        text(startFunction, into: &r)
        r.int(stackID)
        frequentText(category, into: &r)
        r.int(intervals)
        r.int(ns)
        try queue(.lockWaitsByStack, r)
    }
}
