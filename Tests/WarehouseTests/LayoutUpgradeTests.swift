import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// Migration 0007 (goroutine_states moved into the clustered goroutine_intervals table, behind a view) on a
/// warehouse written by the traceware before it (Tests/Fixtures/warehouses/v3.sqlite, see its README).
@Suite struct LayoutUpgradeTests {
    static let oldWarehouse = packageRoot.appendingPathComponent("Tests/Fixtures/warehouses/v3.sqlite").path
    /// The traces v3.sqlite was made from, in run order.
    static let traces = ["go1.27/mutex", "go1.27/file", "go1.21/tcp"].map {
        packageRoot.appendingPathComponent("Tests/Fixtures/traces/\($0).trace").path
    }

    static let stateColumns =
        "run_id, goid, state, reason, category, start_ns, end_ns, duration_ns, stack_id, proc_id, thread_id, "
        + "waker_goid, waker_stack_id"

    /// A copy of the old warehouse (the fixture itself stays at version 3).
    static func copyOfOldWarehouse(in dir: TemporaryDirectory) throws -> String {
        let path = dir.path("old.db")
        try FileManager.default.copyItem(atPath: oldWarehouse, toPath: path)
        return path
    }

    @Test func theFixtureIsAnOlderWarehouse() throws {
        let db = try Database(path: Self.oldWarehouse, mode: .readOnly)
        #expect(try db.scalarInt64("PRAGMA user_version") == 3)
        #expect(try db.scalarText("SELECT type FROM sqlite_schema WHERE name = 'goroutine_states'") == "table")
        #expect(try db.scalarInt64("SELECT count(*) FROM runs") == Int64(Self.traces.count))
    }

    /// Every interval of the old table comes back from the view with the same values, and its old rowid as
    /// interval_id; the old table and its index are gone.
    @Test func everyIntervalSurvivesTheUpgrade() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.copyOfOldWarehouse(in: dir)
        let before = try Database(path: path, mode: .readOnly).rows(
            "SELECT \(Self.stateColumns), rowid FROM goroutine_states ORDER BY rowid")
        #expect(before.count > 6000)

        let db = try WarehouseStore.openForWriting(path)
        #expect(try db.scalarInt64("PRAGMA user_version") == Int64(WarehouseSchema.latestVersion))
        let after = try db.rows("SELECT \(Self.stateColumns), interval_id FROM goroutine_states ORDER BY interval_id")
        #expect(after.count == before.count)
        #expect(after == before)
        #expect(try db.scalarText("SELECT type FROM sqlite_schema WHERE name = 'goroutine_states'") == "view")
        #expect(try db.scalarInt64("SELECT count(*) FROM sqlite_schema WHERE name = 'goroutine_states_by_goid'") == 0)
        // Each run's kinds are numbered from 0, most used first.
        for run in 1...Int64(Self.traces.count) {
            let counts = try db.rows(
                """
                SELECT count(*) FROM goroutine_intervals WHERE run_id = ? GROUP BY kind_id ORDER BY kind_id
                """, [.integer(run)]
            ).map { row -> Int64 in if case .integer(let v) = row[0] { v } else { -1 } }
            #expect(!counts.isEmpty)
            #expect(counts == counts.sorted(by: >))
        }
    }

    /// The upgraded warehouse and a fresh ingest of the same traces by this traceware hold the same intervals
    /// (a goroutine's in the same order) and give the same rows in every canned report, for what an upgrade can
    /// know: the current-format runs (the v1 run's times moved by 1 ns when v1 runs took their clock origin from
    /// the trace's own first event), and not the gc report's 'workers' rows, which need the Label events that
    /// warehouses before migration 0004 did not keep (`ingest --replace` brings both).
    @Test func anUpgradedWarehouseReadsLikeAFreshIngest() throws {
        let dir = try TemporaryDirectory()
        let upgraded = try WarehouseStore.openForWriting(try Self.copyOfOldWarehouse(in: dir))
        let fresh = try WarehouseStore.openForWriting(dir.path("fresh.db"))
        for trace in Self.traces {
            _ = try TraceIngest.ingest(path: trace, into: fresh, source: TraceReaderAdapter.source)
        }
        let currentFormatRuns: [Int64] = [1, 2]
        let ordered = "SELECT \(Self.stateColumns) FROM goroutine_states WHERE run_id IN (1, 2) ORDER BY run_id, goid, start_ns, interval_id"
        let freshRows = try fresh.rows(ordered)
        #expect(try upgraded.rows(ordered) == freshRows)
        #expect(!freshRows.isEmpty)

        var compared = 0
        for report in try ReportCatalog.canned() {
            for run in currentFormatRuns {
                var a = try ReportRunner.run(report, runID: run, parameters: [:], on: upgraded)
                var b = try ReportRunner.run(report, runID: run, parameters: [:], on: fresh)
                if report.name == "gc", let section = a.columns.firstIndex(of: "section") {
                    a.rows.removeAll { $0[section] == .text("workers") }
                    b.rows.removeAll { $0[section] == .text("workers") }
                }
                // The run column shows the label, which the fixture has and the fresh ingest has not.
                let keep = a.columns.indices.filter { a.columns[$0] != "run" }
                #expect(a.columns == b.columns, "\(report.name)")
                #expect(
                    a.rows.map { row in keep.map { row[$0] } } == b.rows.map { row in keep.map { row[$0] } },
                    "\(report.name) on run \(run)")
                compared += a.rows.count
            }
        }
        #expect(compared > 0)
    }

    /// Reading an older warehouse (query, runs, reports) upgrades it first: the embedded reports need the
    /// latest schema.
    @Test func openingAnOlderWarehouseForReadingUpgradesIt() throws {
        let dir = try TemporaryDirectory()
        let path = try Self.copyOfOldWarehouse(in: dir)
        // As every warehouse traceware wrote (the fixture file itself is in rollback mode).
        _ = try Database(path: path, mode: .readWrite).scalarText("PRAGMA journal_mode = WAL")
        let db = try WarehouseStore.openForReading(path)
        #expect(db.mode == .readOnly)
        #expect(try db.scalarInt64("PRAGMA user_version") == Int64(WarehouseSchema.latestVersion))
        // The upgrade's pages are checkpointed into the file: later read-only opens do not replay them.
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "WAL left at \(wal) bytes after the upgrade")
        let report = try ReportCatalog.find("blocking-stacks", db: db, queriesDirectory: nil)
        #expect(!(try ReportRunner.run(report, runID: 1, parameters: [:], on: db).rows.isEmpty))
    }

    /// Each run numbers its own intervals and kinds; replacing a run replaces its intervals and kinds and leaves
    /// the other run's alone.
    @Test func runsNumberTheirOwnIntervalsAndReplaceCleanly() throws {
        let dir = try TemporaryDirectory()
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        let first = try TraceIngest.ingest(path: Self.traces[0], into: db, source: TraceReaderAdapter.source)
        let second = try TraceIngest.ingest(path: Self.traces[1], into: db, source: TraceReaderAdapter.source)
        func ids(_ run: Int64) throws -> [DatabaseValue] {
            try db.rows(
                """
                SELECT min(interval_id), max(interval_id), count(*),
                       (SELECT min(kind_id) FROM goroutine_interval_kinds WHERE run_id = ?1),
                       (SELECT max(kind_id) + 1 FROM goroutine_interval_kinds WHERE run_id = ?1),
                       (SELECT count(*) FROM goroutine_interval_kinds WHERE run_id = ?1)
                FROM goroutine_intervals WHERE run_id = ?1
                """, [.integer(run)]
            ).first ?? []
        }
        for run in [first.runID, second.runID] {
            let row = try ids(run)
            #expect(row.count == 6 && row[0] == 1 && row[1] == row[2] && row[3] == 0 && row[4] == row[5], "\(row)")
        }
        let firstBefore = try ids(first.runID)
        let secondBefore = try ids(second.runID)
        let replaced = try TraceIngest.ingest(
            path: Self.traces[1], into: db, source: TraceReaderAdapter.source, options: IngestOptions(replace: true))
        #expect(try ids(first.runID) == firstBefore)
        // The same trace again: the same numbering, not added to the deleted run's rows.
        #expect(try ids(replaced.runID) == secondBefore)
        #expect(try db.scalarInt64("SELECT count(DISTINCT run_id) FROM goroutine_intervals") == 2)
        #expect(
            try db.scalarInt64("SELECT count(*) FROM goroutine_interval_kinds WHERE run_id NOT IN (SELECT run_id FROM runs)")
                == 0)
    }

    /// A goroutine's intervals come back in time order from the clustered key, without a sort, and each
    /// interval's id follows the order the ingest produced them in.
    @Test func aGoroutinesIntervalsAreReadInKeyOrder() throws {
        let dir = try TemporaryDirectory()
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        _ = try TraceIngest.ingest(path: Self.traces[0], into: db, source: TraceReaderAdapter.source)
        let plan = try db.rows(
            "EXPLAIN QUERY PLAN SELECT * FROM goroutine_states WHERE run_id = 1 AND goid = 1 ORDER BY start_ns, interval_id"
        ).map { $0.last?.description ?? "" }.joined(separator: "\n")
        // A virtual table since 0014: given run_id and goid (idxNum 3), its chunks in key order.
        #expect(plan.contains("SCAN i VIRTUAL TABLE INDEX 3:"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
        // Ids are unique within the run, from 1, with no gaps.
        let n = DatabaseValue.integer(try #require(try db.scalarInt64("SELECT count(*) FROM goroutine_intervals")))
        #expect(
            try db.rows("SELECT count(*), count(DISTINCT interval_id), min(interval_id), max(interval_id) FROM goroutine_states")
                == [[n, n, 1, n]])
    }
}
