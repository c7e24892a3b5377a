import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// The tables the ingest computes for the goroutine reports (migration 0005), checked against Go itself:
/// goroutine_summaries, goroutine_state_totals and goroutine_range_totals per goroutine against Go's Summarizer
/// (scripts/gotools/summary); goroutine_group_totals per start function against the Summarizer's goroutines summed
/// by name; sched_wait_histogram against a walk of Go's reader (scripts/gotools/reportfacts); lock_waits_by_stack
/// against scripts/gotools/mutexshare. And the upgrade: a warehouse written before 0005 gets the same tables.
@Suite struct GoroutineSummaryTests {
    static let traces = ReportCoreSupport.scenarios.flatMap { ReportCoreSupport.fixtures($0) }

    /// Per goroutine: every figure of Go's GoroutineSummary, exactly (on a v1 trace, those of one of up to 30 runs
    /// of Go: GoSummary.mismatches).
    @Test(arguments: traces)
    func summariesEqualGoPerGoroutine(trace: String) throws {
        let shared = try ReportCoreSupport.shared.get()
        let db = try WarehouseStore.openForReading(shared.path)
        let run: [DatabaseValue] = [.integer(try #require(shared.runIDs[trace]))]
        var ours: [Int64: [DatabaseValue]] = [:]
        for row in try db.rows(
            """
            SELECT goid, start_function, total_ns, exec_ns, sched_wait_ns, block_ns, syscall_ns, syscall_block_ns,
                   unknown_ns
            FROM goroutine_summaries WHERE run_id = ?
            """, run)
        {
            if case .integer(let goid) = row[0] { ours[goid] = row }
        }
        var blocks: [Int64: [String: Int64]] = [:]
        for row in try db.rows(
            "SELECT goid, reason, sum(total_ns) FROM goroutine_state_totals WHERE run_id = ? AND state = 'waiting' GROUP BY 1, 2",
            run)
        {
            if case .integer(let goid) = row[0], case .text(let reason) = row[1], case .integer(let ns) = row[2] {
                blocks[goid, default: [:]][reason] = ns
            }
        }
        var ranges: [Int64: [String: Int64]] = [:]
        for row in try db.rows("SELECT goid, name, total_ns FROM goroutine_range_totals WHERE run_id = ?", run) {
            if case .integer(let goid) = row[0], case .text(let name) = row[1], case .integer(let ns) = row[2] {
                ranges[goid, default: [:]][name] = ns
            }
        }
        let mismatches = try GoSummary.mismatches(trace, oracle: GoSummary.summarize) { go in
        var mismatches: [String] = []
        if ours.count != go.goroutineStats.count {
            mismatches.append("\(ours.count) summaries, Go \(go.goroutineStats.count) goroutines")
        }
        func close(_ a: Int64, _ b: Int64) -> Bool { a == b }
        for g in go.goroutineStats {
            guard let row = ours[g.ID] else {
                mismatches.append("g\(g.ID): no summary")
                continue
            }
            let values = row.map { value -> Int64 in if case .integer(let v) = value { v } else { -1 } }
            let expected: [(String, Int64, Int64)] = [
                ("total", values[2], g.TotalTime), ("exec", values[3], g.ExecTime), ("sched", values[4], g.SchedWaitTime),
                ("block", values[5], g.BlockTimeByReason.values.reduce(0, +)), ("syscall", values[6], g.SyscallTime),
                ("syscall_block", values[7], g.SyscallBlockTime), ("unknown", values[8], g.UnknownTime),
            ]
            for (name, a, b) in expected where !close(a, b) { mismatches.append("g\(g.ID) \(name): \(a), Go \(b)") }
            if row[1] != .text(g.Name) { mismatches.append("g\(g.ID): start_function \(row[1]), Go \(g.Name)") }
            let goBlocks = g.BlockTimeByReason.filter { $0.value != 0 }
            let ourBlocks = (blocks[g.ID] ?? [:]).filter { $0.value != 0 }
            if Set(goBlocks.keys) != Set(ourBlocks.keys)
                || goBlocks.contains(where: { !close(ourBlocks[$0.key] ?? -1, $0.value) })
            {
                mismatches.append("g\(g.ID) blocks: \(ourBlocks), Go \(goBlocks)")
            }
            let goRanges = g.RangeTime.filter { $0.value != 0 }
            let ourRanges = ranges[g.ID] ?? [:]
            if Set(goRanges.keys) != Set(ourRanges.keys)
                || goRanges.contains(where: { !close(ourRanges[$0.key] ?? -1, $0.value) })
            {
                mismatches.append("g\(g.ID) ranges: \(ourRanges), Go \(goRanges)")
            }
        }
        return mismatches
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(5))")
    }

    /// Per start function: the Summarizer's goroutines of that name, summed, per state and block reason.
    @Test(arguments: traces)
    func groupTotalsEqualGoSummedByName(trace: String) throws {
        let shared = try ReportCoreSupport.shared.get()
        let db = try WarehouseStore.openForReading(shared.path)
        var ours: [String: Int64] = [:]
        for row in try db.rows(
            "SELECT start_function, state, reason, total_ns FROM goroutine_group_totals WHERE run_id = ?",
            [.integer(try #require(shared.runIDs[trace]))])
        {
            guard case .text(let name) = row[0], case .text(let state) = row[1], case .text(let reason) = row[2],
                case .integer(let ns) = row[3]
            else { continue }
            ours["\(name)|\(state == "waiting" ? "waiting/" + reason : state)", default: 0] += ns
        }
        let mismatches = try GoSummary.mismatches(trace, oracle: GoSummary.summarize) { go in
        var expected: [String: Int64] = [:]
        for g in go.goroutineStats {
            expected["\(g.Name)|running", default: 0] += g.ExecTime
            expected["\(g.Name)|runnable", default: 0] += g.SchedWaitTime
            expected["\(g.Name)|syscall", default: 0] += g.SyscallTime
            expected["\(g.Name)|syscall_blocked", default: 0] += g.SyscallBlockTime
            for (reason, ns) in g.BlockTimeByReason { expected["\(g.Name)|waiting/\(reason)", default: 0] += ns }
        }
        let keys = Set(expected.filter { $0.value != 0 }.keys).union(ours.filter { $0.value != 0 }.keys)
        return keys.sorted().filter { ours[$0] ?? 0 != expected[$0] ?? 0 }
            .map { "\($0): \(ours[$0] ?? 0), Go \(expected[$0] ?? 0)" }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    /// The histogram holds every runnable wait: per group, as many waits and as much time as Go's reader shows
    /// (percentiles from it are checked by ReportMoreTests.schedLatencyMatchesGo).
    @Test(arguments: ReportFacts.fixtures("mutex", versions: ["1.22", "1.27"]) + ReportFacts.fixtures("tcp", versions: ["1.27"]))
    func histogramCountsEveryWait(trace: String) throws {
        let h = try ReportHarness(trace)
        var ours: [String: (Int, Int64)] = [:]
        for row in try h.db.rows(
            "SELECT start_function, sum(waits), sum(duration_ns * waits) FROM sched_wait_histogram WHERE run_id = ? GROUP BY 1",
            [.integer(h.runID)])
        {
            guard case .text(let name) = row[0], case .integer(let n) = row[1], case .integer(let ns) = row[2] else { continue }
            ours[name] = (Int(n), ns)
        }
        let go = try ReportFacts.read(trace)
        #expect(Set(ours.keys) == Set(go.SchedByGroup.keys))
        for (name, stats) in go.SchedByGroup {
            #expect(ours[name]?.0 == stats.Count && ours[name]?.1 == stats.Total, "\(name): \(ours[name] as Any), Go \(stats)")
        }
    }

    /// Lock waits per stack of user goroutines add up to mutexshare's mutex time, and its user frames.
    @Test(arguments: ["mutex", "rwmutex"].flatMap { ReportCoreSupport.fixtures($0) })
    func lockWaitsEqualGoMutexShare(trace: String) throws {
        let shared = try ReportCoreSupport.shared.get()
        let db = try WarehouseStore.openForReading(shared.path)
        var frames: [String: Int64] = [:]
        var rw: Int64 = 0
        for row in try db.rows(
            """
            SELECT uf.function || ':' || uf.line, w.category, w.total_ns
            FROM lock_waits_by_stack w
            JOIN stacks st ON st.run_id = w.run_id AND st.stack_id = w.stack_id
            JOIN frames uf ON uf.run_id = w.run_id AND uf.frame_id = st.user_frame_id
            WHERE w.run_id = ?1 AND w.start_function NOT LIKE 'runtime/trace.%' AND w.start_function IN (
                SELECT start_function FROM goroutine_summaries WHERE run_id = ?1 AND is_system = 0)
            """, [.integer(try #require(shared.runIDs[trace]))])
        {
            guard case .text(let frame) = row[0], case .text(let category) = row[1], case .integer(let ns) = row[2] else {
                continue
            }
            frames[frame, default: 0] += ns
            if category == "rwmutex" { rw += ns }
        }
        // Exactly; on a v1 trace, one of up to 30 runs of Go (GoSummary.mismatches).
        let mismatches = try GoSummary.mismatches(trace, oracle: ReportCoreSupport.mutexShare) { go in
            var m: [String] = []
            if frames.values.reduce(0, +) != go.MutexNs { m.append("mutex \(frames) vs Go \(go.MutexNs)") }
            if rw != go.RWMutexNs { m.append("rwmutex \(rw) vs Go \(go.RWMutexNs)") }
            if Set(frames.keys) != Set(go.Frames.keys) { m.append("frames \(frames.keys.sorted()) vs Go \(go.Frames.keys.sorted())") }
            return m
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// The one lock-wait definition is what `traceware schema` says of goroutine_states.category (0005's
    /// doc-update line replaces 0001's doc).
    @Test func categoryDocSaysTheLockWaitRule() throws {
        let table = try #require(SchemaDocs.all.first { $0.name == "goroutine_states" })
        let doc = try #require(table.columns.first { $0.name == "category" }?.doc)
        #expect(doc.contains("one definition of a lock wait"), "\(doc)")
        #expect(table.columns.filter { $0.name == "category" }.count == 1)
        let parsed = SchemaDocs.parse([
            "CREATE TABLE t ( -- doc: T.\n    c INTEGER -- doc: old.\n);", "-- doc-update: t.c: new meaning.",
        ])
        #expect(parsed.first?.columns.map(\.doc) == ["new meaning."])
    }

    // MARK: Upgrade

    /// The tables a warehouse written before 0005 lacks, as a fresh ingest fills them.
    static let newTables = [
        "goroutine_summaries", "goroutine_state_totals", "goroutine_group_totals", "goroutine_range_totals",
        "sched_wait_histogram", "lock_waits_by_stack", "goroutine_groups", "sched_wait_stats",
        "lock_wait_histogram",  // migration 0013, filled from goroutine_states on upgrade as well
    ]

    /// A warehouse at the schema before 0005, holding the runs of `fresh` (its tables copied column by column),
    /// with lock-wait categories as an older traceware may have stored them.
    static func olderWarehouse(at path: String, from fresh: String) throws {
        let before = WarehouseSchema.migrations.filter { $0.version < 5 }
        let old = try Database(path: path)
        try WarehouseSchema.migrate(old, migrations: before)
        try old.execute("ATTACH DATABASE ? AS fresh", [.text(fresh)])
        let tables = try old.rows("SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        for case .text(let table) in tables.map({ $0[0] }) {
            // table_info leaves out generated columns (duration_ns), which cannot be inserted.
            let columns = try old.rows("SELECT name FROM pragma_table_info(?)", [.text(table)])
                .compactMap { if case .text(let c) = $0[0] { quoteIdentifier(c) } else { nil } }.joined(separator: ", ")
            try old.execute(
                "INSERT INTO main.\(quoteIdentifier(table)) (\(columns)) SELECT \(columns) FROM fresh.\(quoteIdentifier(table))")
        }
        // Before 0005 the category was the outermost primitive: a lock wait could say something else (the lock
        // Cond.Wait or Once.Do takes). The migration must put the one definition back.
        try old.execute("UPDATE goroutine_states SET category = 'cond' WHERE category IN ('mutex', 'rwmutex')")
        try old.execute("DETACH DATABASE fresh")
    }

    @Test func upgradeFillsTheTablesAsAFreshIngest() throws {
        let dir = try TemporaryDirectory()
        let traces = [
            ReportCoreSupport.fixture("1.27", "mutex"), ReportCoreSupport.fixture("1.22", "rwmutex"),
            ReportCoreSupport.fixture("1.21", "gc"), ReportCoreSupport.fixture("1.27", "tcp"),
            ReportCoreSupport.fixture("1.27", "many"),
        ]
        let freshPath = dir.path("fresh.db")
        do {
            let fresh = try WarehouseStore.openForWriting(freshPath)
            for trace in traces { _ = try TraceIngest.ingest(path: trace, into: fresh, source: TraceReaderAdapter.source) }
        }
        let oldPath = dir.path("old.db")
        try Self.olderWarehouse(at: oldPath, from: freshPath)
        let fresh = try WarehouseStore.openForReading(freshPath)
        // A report's read-only open upgrades an older warehouse first (its reports read the new tables).
        let upgraded = try WarehouseStore.openForReading(oldPath)
        #expect(upgraded.mode == .readOnly)
        #expect(try upgraded.scalarInt64("PRAGMA user_version") == Int64(WarehouseSchema.latestVersion))

        let categories = "SELECT run_id, goid, start_ns, state, category FROM goroutine_states ORDER BY 1, 2, 3, 4, 5"
        #expect(try upgraded.rows(categories) == fresh.rows(categories), "categories after the upgrade")
        for table in Self.newTables {
            let sql = "SELECT * FROM \(table) ORDER BY " + (1...8).map(String.init).prefix(
                try fresh.rows("SELECT name FROM pragma_table_info(?)", [.text(table)]).count).joined(separator: ", ")
            let expected = try fresh.rows(sql)
            #expect(!expected.isEmpty || table == "lock_waits_by_stack", "\(table) is empty")
            #expect(try upgraded.rows(sql) == expected, "\(table) after the upgrade differs from a fresh ingest")
        }
        // The reports read the same.
        for runID in 1...Int64(traces.count) {
            for name in ["goroutine-analysis", "latency-breakdown", "mutex-share", "sched-latency"] {
                let report = try ReportCatalog.find(name, db: fresh, queriesDirectory: nil)
                let a = try ReportRunner.run(report, runID: runID, parameters: [:], on: fresh)
                let b = try ReportRunner.run(report, runID: runID, parameters: [:], on: upgraded)
                #expect(a.1 == b.1, "\(name) run \(runID)")
            }
        }
    }
}
