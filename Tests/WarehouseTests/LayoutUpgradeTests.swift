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

    /// Migration 0016 fills gc_worker_histogram and metric_rollups of runs ingested before it from their stored
    /// rows (labels, goroutine_states, metric_samples): a warehouse that lacks them (here: fresh ingests of every
    /// gc fixture, v1 formats included, with the two tables dropped and the version set back to the one before
    /// 0016) reads after the upgrade as it did: the same rollup rows, and the same gc report (whose figures
    /// equal Go's: ReportMoreTests.gcMatchesGo, LabelTests.gcWorkersMatchGo).
    @Test func migration0016FillsTheGCRollupsOfOlderRuns() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("w.db")
        let traces = ReportFacts.fixtures("gc") + [ReportFacts.fixture("1.27", "mutex")]
        let rollups = [
            "SELECT * FROM gc_worker_histogram ORDER BY run_id, label, duration_ns",
            "SELECT * FROM metric_rollups ORDER BY run_id, name_id",
        ]
        let versionBefore = try #require(WarehouseSchema.migrations.last { $0.version < 16 }).version
        var runs: [Int64] = []
        var before: [[[DatabaseValue]]] = []
        var reportsBefore: [[[DatabaseValue]]] = []
        let gc = try ReportCatalog.find("gc", db: nil, queriesDirectory: nil)
        do {
            let db = try WarehouseStore.openForWriting(path)
            for trace in traces {
                runs.append(try TraceIngest.ingest(path: trace, into: db, source: TraceReaderAdapter.source).runID)
            }
            before = try rollups.map { try db.rows($0) }
            reportsBefore = try runs.map { try ReportRunner.run(gc, runID: $0, parameters: [:], on: db).rows }
            try db.execute("DROP TABLE gc_worker_histogram; DROP TABLE metric_rollups; PRAGMA user_version = \(versionBefore)")
        }
        let db = try WarehouseStore.openForWriting(path)
        #expect(try db.scalarInt64("PRAGMA user_version") == Int64(WarehouseSchema.latestVersion))
        let after = try rollups.map { try db.rows($0) }
        #expect(!before[0].isEmpty && !before[1].isEmpty)
        #expect(after[0] == before[0], "gc_worker_histogram differs after the upgrade")
        #expect(after[1] == before[1], "metric_rollups differs after the upgrade")
        for (run, rows) in zip(runs, reportsBefore) {
            #expect(try ReportRunner.run(gc, runID: run, parameters: [:], on: db).rows == rows, "gc on run \(run)")
        }
        // Every gc fixture has mark workers and heap samples: the comparison is not of empty tables.
        #expect(Set(before[0].map { $0[0] }).count >= ReportFacts.fixtures("gc").count)
    }

    /// Migration 0015 (goroutines and goroutine_times into goroutine_records and goroutine_kinds, tasks into
    /// task_spans and task_names, critical_path_tasks clustered by duration) moves every row: a warehouse at
    /// version 14 holding a fresh ingest's rows (traces with tasks and critical paths, goroutines that outlive
    /// the trace, a v1 trace) reads the same through the views after the upgrade, row for row.
    @Test func migration15KeepsEveryGoroutineTaskAndCriticalPathRow() throws {
        let dir = try TemporaryDirectory()
        let fresh = try WarehouseStore.openForWriting(dir.path("fresh.db"))
        for trace in ["go1.27/annotation", "go1.27/chain", "go1.22/chain", "go1.27/mutex", "go1.21/tcp"] {
            _ = try TraceIngest.ingest(
                path: packageRoot.appendingPathComponent("Tests/Fixtures/traces/\(trace).trace").path, into: fresh,
                source: TraceReaderAdapter.source)
        }
        let queries = [
            "SELECT * FROM goroutines ORDER BY run_id, goid",
            "SELECT * FROM goroutine_summaries ORDER BY run_id, goid",
            "SELECT * FROM tasks ORDER BY run_id, task_id",
            "SELECT * FROM critical_path_tasks ORDER BY run_id, task_id",
        ]
        let expected = try queries.map { try fresh.rows($0) }
        #expect(expected.allSatisfy { !$0.isEmpty })
        #expect(try fresh.scalarInt64("SELECT count(*) FROM goroutines WHERE ended_ns IS NULL") ?? 0 > 0)

        let path = dir.path("old.db")
        let old = try Database(path: path)
        try WarehouseSchema.migrate(old, migrations: WarehouseSchema.migrations.filter { $0.version < 15 })
        try old.execute("ATTACH DATABASE '\(dir.path("fresh.db"))' AS f")
        try old.execute(
            """
            INSERT INTO runs (run_id, trace_version, source_path, source_sha256, source_bytes, end_ns, ingested_at)
            SELECT run_id, trace_version, source_path, source_sha256, source_bytes, end_ns, ingested_at FROM f.runs;
            INSERT INTO goroutines SELECT * FROM f.goroutines;
            INSERT INTO goroutine_times
            SELECT run_id, goid, total_ns, exec_ns, sched_wait_ns, block_ns, syscall_ns, syscall_block_ns
            FROM f.goroutine_summaries;
            INSERT INTO tasks (run_id, task_id, parent_task_id, name, start_ns, end_ns, start_goid, end_goid,
                               start_stack_id, end_stack_id)
            SELECT run_id, task_id, parent_task_id, name, start_ns, end_ns, start_goid, end_goid, start_stack_id,
                   end_stack_id FROM f.tasks;
            INSERT INTO critical_path_tasks SELECT * FROM f.critical_path_tasks;
            """)
        try old.execute("DETACH DATABASE f")
        #expect(try queries.map { try old.rows($0) } == expected)
        #expect(try old.scalarText("SELECT type FROM sqlite_schema WHERE name = 'goroutines'") == "table")

        try WarehouseSchema.migrate(old)
        #expect(try old.scalarInt64("PRAGMA user_version") == Int64(WarehouseSchema.latestVersion))
        for (query, rows) in zip(queries, expected) {
            #expect(try old.rows(query) == rows, "\(query)")
        }
        for view in ["goroutines", "goroutine_summaries", "tasks"] {
            #expect(try old.scalarText("SELECT type FROM sqlite_schema WHERE name = ?", [.text(view)]) == "view")
        }
        #expect(try old.scalarInt64(
            "SELECT count(*) FROM sqlite_schema WHERE name IN ('goroutine_times', 'tasks_by_name', 'critical_path_tasks_by_duration')") == 0)
        #expect(try old.scalarText("PRAGMA integrity_check") == "ok")
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
