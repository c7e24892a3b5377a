import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// goroutine_intervals is a virtual table over encoded chunks (migration 0014, IntervalsModule): every plan it
/// offers must return the intervals Go's reader reports. Each query shape (by goroutine, goid IN, a join driven
/// from goroutines, time windows with every kind of bound, a plain scan, ORDER BY consumed or not) sums each
/// goroutine's intervals by state and reason, and the sums must equal Go's Summarizer's figures for that
/// goroutine (ExecTime, SchedWaitTime, SyscallTime, SyscallBlockTime, BlockTimeByReason), exactly.
@Suite(.enabled(if: goIsAvailable || TestSupport.isCI, "Go not found at \(goBinary); skipped locally, fails in CI (CI=true)"))
struct IntervalQueryTests {
    /// Current-format traces (Go's Summarizer is deterministic on them): a few goroutines, 10,000 goroutines,
    /// channels, network.
    static let traces = ["mutex", "many", "chan", "tcp"].map { ReportCoreSupport.fixture("1.27", $0) }

    static let shared: GoSummary.Outcome<ReportCoreSupport.Shared> = {
        do { return .success(try ReportCoreSupport.Shared(traces, name: "intervals.db")) } catch {
            return .failure("ingesting the interval fixtures failed: \(error)")
        }
    }()

    typealias Totals = [Int64: [String: Int64]]

    /// Go's per-goroutine figures, keyed as `add` keys ours.
    static func goTotals(_ trace: String) throws -> Totals {
        var totals: Totals = [:]
        for g in try GoSummary.summarize(trace).goroutineStats {
            var t: [String: Int64] = [
                "running": g.ExecTime, "runnable": g.SchedWaitTime, "syscall": g.SyscallTime,
                "syscall_blocked": g.SyscallBlockTime,
            ]
            for (reason, ns) in g.BlockTimeByReason { t["waiting/" + reason] = ns }
            totals[g.ID] = t.filter { $0.value != 0 }
        }
        return totals.filter { !$0.value.isEmpty }
    }

    /// Adds rows (goid, state, reason, duration_ns) into per-goroutine totals.
    static func add(_ rows: [[DatabaseValue]], into totals: inout Totals) {
        for row in rows {
            guard case .integer(let goid) = row[0], case .text(let state) = row[1], case .text(let reason) = row[2],
                case .integer(let ns) = row[3]
            else { continue }
            let key = state == "waiting" ? "waiting/" + reason : state
            totals[goid, default: [:]][key, default: 0] += ns
        }
    }

    static func normalized(_ totals: Totals) -> Totals {
        totals.mapValues { $0.filter { $0.value != 0 } }.filter { !$0.value.isEmpty }
    }

    static func differences(_ ours: Totals, _ go: Totals, _ shape: String) -> [String] {
        let ours = normalized(ours)
        var out: [String] = []
        for goid in Set(ours.keys).union(go.keys).sorted() where ours[goid] != go[goid] {
            out.append("\(shape): g\(goid) ours \(ours[goid] ?? [:]), Go \(go[goid] ?? [:])")
        }
        return Array(out.prefix(5))
    }

    static let columns = "goid, state, reason, duration_ns"

    static func plan(_ db: Database, _ sql: String, _ arguments: [DatabaseValue]) throws -> String {
        try db.rows("EXPLAIN QUERY PLAN " + sql, arguments).map { $0[3].description }.joined(separator: "; ")
    }

    @Test(arguments: traces)
    func everyQueryShapeGivesGosIntervals(trace: String) throws {
        let shared = try Self.shared.get()
        let db = try WarehouseStore.openForReading(shared.path)
        let run = try #require(shared.runIDs[trace])
        let go = try Self.goTotals(trace)
        #expect(!go.isEmpty)
        let goids = try db.rows("SELECT goid FROM goroutines WHERE run_id = ? ORDER BY goid", [.integer(run)])
            .compactMap { row -> Int64? in if case .integer(let g) = row[0] { g } else { nil } }
        let total = try #require(try db.scalarInt64("SELECT count(*) FROM goroutine_states WHERE run_id = ?", [.integer(run)]))
        #expect(total > 0)

        // A plain scan of the run.
        var scan: Totals = [:]
        Self.add(try db.rows("SELECT \(Self.columns) FROM goroutine_states WHERE run_id = ?", [.integer(run)]), into: &scan)
        #expect(Self.differences(scan, go, "scan") == [])

        // By goroutine: run_id = and goid =, one goroutine at a time (at most 300 of them), and the rest by IN lists.
        var byGoroutine: Totals = [:]
        let single = "SELECT \(Self.columns) FROM goroutine_states WHERE run_id = ? AND goid = ?"
        #expect(try Self.plan(db, single, [.integer(run), .integer(goids[0])]).contains("VIRTUAL TABLE INDEX 3:"))
        for goid in goids.prefix(300) {
            Self.add(try db.rows(single, [.integer(run), .integer(goid)]), into: &byGoroutine)
        }
        var rest = Array(goids.dropFirst(300))
        while !rest.isEmpty {
            let part = rest.prefix(500)
            rest.removeFirst(part.count)
            let list = part.map(String.init).joined(separator: ", ")
            Self.add(
                try db.rows(
                    "SELECT \(Self.columns) FROM goroutine_states WHERE run_id = ? AND goid IN (\(list))", [.integer(run)]),
                into: &byGoroutine)
        }
        #expect(Self.differences(byGoroutine, go, "by goroutine") == [])

        // A join driven from goroutines (README's ad-hoc time-window form), over the whole run.
        let join = """
            SELECT s.goid, s.state, s.reason, s.duration_ns FROM goroutines g CROSS JOIN goroutine_states s
                ON s.run_id = g.run_id AND s.goid = g.goid
            WHERE g.run_id = ?
            """
        var joined: Totals = [:]
        Self.add(try db.rows(join, [.integer(run)]), into: &joined)
        #expect(Self.differences(joined, go, "join") == [])

        // Time windows: the run cut at a few points; every interval falls in exactly one window, whichever
        // bound operators cut it (>= / <, > / <=, and = at each cut point), both with goid given and without.
        let end = try #require(try db.scalarInt64("SELECT max(start_ns) FROM goroutine_states WHERE run_id = ?", [.integer(run)]))
        let begin = try #require(try db.scalarInt64("SELECT min(start_ns) FROM goroutine_states WHERE run_id = ?", [.integer(run)]))
        let cuts = [begin] + (1..<7).map { begin + (end - begin) * Int64($0) / 7 } + [end + 1]
        for (lowerOp, upperOp, atCut) in [(">=", "<", false), (">", "<=", true)] {
            var windows: Totals = [:]
            var windowsJoined: Totals = [:]
            for i in 0..<(cuts.count - 1) {
                let arguments: [DatabaseValue] = [.integer(run), .integer(cuts[i]), .integer(cuts[i + 1])]
                let sql = "SELECT \(Self.columns) FROM goroutine_states WHERE run_id = ? AND start_ns \(lowerOp) ? AND start_ns \(upperOp) ?"
                Self.add(try db.rows(sql, arguments), into: &windows)
                let windowJoin = join + " AND s.start_ns \(lowerOp) ? AND s.start_ns \(upperOp) ?"
                #expect(try Self.plan(db, windowJoin, arguments).contains("VIRTUAL TABLE INDEX"))
                Self.add(try db.rows(windowJoin, arguments), into: &windowsJoined)
            }
            if atCut {
                // (>, <=) windows leave out the first cut itself: an = query picks it up.
                let equal = "SELECT \(Self.columns) FROM goroutine_states WHERE run_id = ? AND start_ns = ?"
                Self.add(try db.rows(equal, [.integer(run), .integer(cuts[0])]), into: &windows)
                Self.add(try db.rows(equal, [.integer(run), .integer(cuts[0])]), into: &windowsJoined)
            }
            #expect(Self.differences(windows, go, "windows \(lowerOp) \(upperOp)") == [])
            #expect(Self.differences(windowsJoined, go, "joined windows \(lowerOp) \(upperOp)") == [])
        }
        // A bound of another type is left to SQLite: a real bound selects as the integer would.
        let realBound = try db.scalarInt64(
            "SELECT count(*) FROM goroutine_states WHERE run_id = ? AND start_ns >= ? AND start_ns < ?",
            [.integer(run), .real(Double(cuts[2]) - 0.5), .real(Double(cuts[5]) + 0.5)])
        let integerBound = try db.scalarInt64(
            "SELECT count(*) FROM goroutine_states WHERE run_id = ? AND start_ns >= ? AND start_ns <= ?",
            [.integer(run), .integer(cuts[2]), .integer(cuts[5])])
        #expect(realBound == integerBound)

        // ORDER BY on a prefix of the key is consumed (no sort) and holds; a descending one is sorted by SQLite.
        let ordered = "SELECT goid, start_ns, interval_id FROM goroutine_intervals WHERE run_id = ? ORDER BY run_id, goid, start_ns, interval_id"
        #expect(!(try Self.plan(db, ordered, [.integer(run)]).contains("TEMP B-TREE")))
        let rows = try db.rows(ordered, [.integer(run)]).map { row in row.map { v -> Int64 in if case .integer(let i) = v { i } else { .min } } }
        #expect(Int64(rows.count) == total)
        #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) })
        let byGoid = "SELECT goid, start_ns, interval_id FROM goroutine_intervals WHERE run_id = ? AND goid = ? ORDER BY start_ns, interval_id"
        #expect(!(try Self.plan(db, byGoid, [.integer(run), .integer(goids[0])]).contains("TEMP B-TREE")))
        // Descending on the key: consumed too (chunks read last first); a mixed order is SQLite's to sort.
        let descending = "SELECT goid, start_ns, interval_id FROM goroutine_intervals WHERE run_id = ? ORDER BY goid DESC, start_ns DESC, interval_id DESC"
        #expect(!(try Self.plan(db, descending, [.integer(run)]).contains("TEMP B-TREE")))
        let down = try db.rows(descending, [.integer(run)]).map { row in row.map { v -> Int64 in if case .integer(let i) = v { i } else { .min } } }
        #expect(down == rows.reversed())
        let mixed = "SELECT goid, start_ns, interval_id FROM goroutine_intervals WHERE run_id = ? ORDER BY goid, start_ns DESC"
        #expect(try Self.plan(db, mixed, [.integer(run)]).contains("TEMP B-TREE"))
        let mixedRows = try db.rows(mixed, [.integer(run)]).map { row in row.map { v -> Int64 in if case .integer(let i) = v { i } else { .min } } }
        #expect(mixedRows.map { [$0[0], -$0[1]] } == mixedRows.map { [$0[0], -$0[1]] }.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(Int64(mixedRows.count) == total)
        // critical-path's probe: a goroutine's last interval that began before t, for t at each interval's start
        // and just after it, against the ordered rows read above.
        let probe = """
            SELECT start_ns, interval_id FROM goroutine_intervals WHERE run_id = ? AND goid = ? AND start_ns < ?
            ORDER BY start_ns DESC, interval_id DESC LIMIT 1
            """
        #expect(!(try Self.plan(db, probe, [.integer(run), .integer(goids[0]), .integer(end)]).contains("TEMP B-TREE")))
        var probes = 0
        for (i, row) in rows.enumerated() where i % max(1, rows.count / 400) == 0 {
            let goid = row[0]
            for t in [row[1], row[1] + 1] {
                let expected = rows.last { $0[0] == goid && $0[1] < t }.map { [DatabaseValue.integer($0[1]), .integer($0[2])] }
                let got = try db.rows(probe, [.integer(run), .integer(goid), .integer(t)]).first
                #expect(got == expected, "g\(goid) before \(t)")
                probes += 1
            }
        }
        #expect(probes > 100)
    }

    /// goroutine_intervals is read-only; a damaged chunk is SQLITE_CORRUPT with a message, not a crash.
    @Test func readOnlyAndDamagedChunks() throws {
        let dir = try TemporaryDirectory()
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        _ = try TraceIngest.ingest(path: Self.traces[0], into: db, source: TraceReaderAdapter.source)
        #expect(throws: DatabaseError.self) {
            try db.execute("DELETE FROM goroutine_intervals WHERE run_id = 1")
        }
        let goid = try #require(try db.scalarInt64("SELECT min(goid) FROM goroutine_interval_chunks"))
        try db.execute(
            "UPDATE goroutine_interval_chunks SET data = substr(data, 1, length(data) - 1) WHERE goid = ?", [.integer(goid)])
        do {
            _ = try db.rows("SELECT * FROM goroutine_states WHERE run_id = 1")
            Issue.record("a damaged chunk was read")
        } catch let error as DatabaseError {
            #expect(error.code == 11, "\(error)")  // SQLITE_CORRUPT
            #expect(error.message.contains("goroutine_interval_chunks row"), "\(error)")
        }
    }
}

/// Migration 0014 on a warehouse of schema version 13 (goroutine_intervals a WITHOUT ROWID table): its rows
/// move into chunks, and goroutine_states reads as a fresh ingest's, row for row and in key order.
@Suite struct IntervalChunkUpgradeTests {
    @Test func aVersion13WarehouseReadsLikeAFreshIngest() throws {
        let dir = try TemporaryDirectory()
        let traces = ["mutex", "many", "tcp"].map { ReportCoreSupport.fixture("1.27", $0) }
            + [ReportCoreSupport.fixture("1.21", "chan")]
        let freshPath = dir.path("fresh.db")
        do {
            let fresh = try WarehouseStore.openForWriting(freshPath)
            for trace in traces { _ = try TraceIngest.ingest(path: trace, into: fresh, source: TraceReaderAdapter.source) }
        }
        let oldPath = dir.path("old.db")
        do {
            let old = try Database(path: oldPath)
            try WarehouseSchema.migrate(old, migrations: WarehouseSchema.migrations.filter { $0.version < 14 })
            #expect(try old.scalarText("SELECT sql FROM sqlite_schema WHERE name = 'goroutine_intervals'")?.contains("WITHOUT ROWID") == true)
            try old.execute("ATTACH DATABASE ? AS fresh", [.text(freshPath)])
            let tables = try old.rows(
                "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            for case .text(let table) in tables.map({ $0[0] }) {
                let columns = try old.rows(
                    "SELECT name FROM pragma_table_xinfo(?, 'main') WHERE hidden = 0", [.text(table)]
                ).map { $0[0].description }.map(quoteIdentifier).joined(separator: ", ")
                // fresh.goroutine_intervals is the virtual table: it reads fresh's own chunks. Tables that later
                // migrations turned into views read through them (goroutines, tasks: 0015), and goroutine_times,
                // folded into goroutine_records by 0015, through its view goroutine_summaries.
                let source = table == "goroutine_times" ? "goroutine_summaries" : table
                try old.execute(
                    "INSERT INTO main.\(quoteIdentifier(table)) (\(columns)) SELECT \(columns) FROM fresh.\(quoteIdentifier(source))")
            }
            try old.execute("DETACH DATABASE fresh")
            #expect(try old.scalarInt64("SELECT count(*) FROM goroutine_intervals") ?? 0 > 20_000)
        }
        let fresh = try WarehouseStore.openForReading(freshPath)
        let upgraded = try WarehouseStore.openForWriting(oldPath)
        #expect(try upgraded.scalarInt64("PRAGMA user_version") == Int64(WarehouseSchema.latestVersion))
        #expect(try upgraded.scalarText("SELECT sql FROM sqlite_schema WHERE name = 'goroutine_intervals'")?.hasPrefix("CREATE VIRTUAL TABLE") == true)
        let ordered = "SELECT * FROM goroutine_states ORDER BY run_id, goid, start_ns, interval_id"
        let expected = try fresh.rows(ordered)
        #expect(expected.count > 20_000)
        #expect(try upgraded.rows(ordered) == expected)
        // In key order without a sort, too.
        #expect(try upgraded.rows("SELECT * FROM goroutine_states") == expected)
        // Every chunk of 512 at most, a goroutine's chunks following each other in time.
        #expect(try upgraded.scalarInt64("SELECT max(interval_count) FROM goroutine_interval_chunks") == 512)
        #expect(
            try upgraded.scalarInt64(
                """
                SELECT count(*) FROM (SELECT first_start_ns, lag(last_start) OVER w AS previous FROM
                    (SELECT *, (SELECT max(start_ns) FROM goroutine_intervals i WHERE i.run_id = c.run_id
                        AND i.goid = c.goid AND i.start_ns >= c.first_start_ns AND i.start_ns <= c.last_end_ns) AS last_start
                     FROM goroutine_interval_chunks c)
                    WINDOW w AS (PARTITION BY run_id, goid ORDER BY first_start_ns, first_interval_id))
                WHERE previous > first_start_ns
                """) == 0)
        for report in ["gc", "critical-path-summary", "lock-holders", "blocking-stacks"] {
            let catalogFresh = try ReportCatalog.find(report, db: fresh, queriesDirectory: nil)
            let catalogOld = try ReportCatalog.find(report, db: upgraded, queriesDirectory: nil)
            for run in 1...Int64(traces.count) {
                #expect(
                    try ReportRunner.run(catalogOld, runID: run, parameters: [:], on: upgraded).1
                        == ReportRunner.run(catalogFresh, runID: run, parameters: [:], on: fresh).1, "\(report) run \(run)")
            }
        }
    }
}
