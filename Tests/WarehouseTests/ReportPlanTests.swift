import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// The query plans that keep the tasks, regions and gc reports fast on big runs (scripts/bench/bench-reports.sh
/// measures them): each reads its run through an index, groups without sorting every row, and finds the slowest
/// instances of a type at the end of the type's index range. Checked on the plans SQLite makes for the shipped
/// schema, so an index dropped or a report rewritten into a full sort fails here rather than only in a benchmark.
@Suite struct ReportPlanTests {
    /// The detail column of EXPLAIN QUERY PLAN for a canned report on run 1 (other parameters NULL).
    static func plan(_ name: String, in db: Database) throws -> [String] {
        let report = try #require(try ReportCatalog.canned().first { $0.name == name })
        let statement = try db.prepare("EXPLAIN QUERY PLAN " + report.sql)
        try statement.bind(.integer(1), named: ":run_id")
        var details: [String] = []
        while try statement.step() { details.append(statement.row()[3].description) }
        return details
    }

    @Test func tasksAndRegionsReadTheirIndexByType() throws {
        let db = try Database(path: ":memory:")
        try WarehouseSchema.migrate(db)
        // regions reads the stored rows behind the view (migration 0010): region_spans_by_name, keyed by name_id.
        for (report, table, all, byType) in [
            ("tasks", "tasks", "SEARCH tasks USING COVERING INDEX tasks_by_name (run_id=?)",
             "SEARCH s USING INDEX tasks_by_name (run_id=? AND name=?"),
            ("regions", "region_spans", "SEARCH s USING COVERING INDEX region_spans_by_name (run_id=? AND name_id=?)",
             "SEARCH s USING COVERING INDEX region_spans_by_name (run_id=? AND name_id=?"),
        ] {
            let plan = try Self.plan(report, in: db)
            // Covering: the aggregates over every row of the run never look a row up in the table.
            #expect(plan.contains { $0.contains(all) }, "\(report): \(plan)")
            #expect(plan.contains { $0.contains(byType) }, "\(report): \(plan)")
            // The slowest rows are fetched by key, one type at a time, never by a scan of the run.
            #expect(plan.contains { $0.hasPrefix("SEARCH k USING") && $0.contains("PRIMARY KEY") }, "\(report): \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE FOR GROUP BY") || $0.hasPrefix("SCAN \(table)") || $0.hasPrefix("SCAN k") }, "\(report): \(plan)")
        }
    }

    @Test func gcReadsHeapSamplesInIndexOrder() throws {
        let db = try Database(path: ":memory:")
        try WarehouseSchema.migrate(db)
        let plan = try Self.plan("gc", in: db)
        // metric_samples is clustered on (run_id, name_id, ts_ns, sample_id) since migration 0010.
        #expect(plan.contains("SEARCH s USING PRIMARY KEY (run_id=? AND name_id=?)"), "\(plan)")
        #expect(plan.contains("SEARCH l USING PRIMARY KEY (run_id=? AND name_id=?)"), "\(plan)")
        // One sort for the spans' GROUP BY (a few thousand GC ranges), one for the distinct labels (of a few
        // thousand Label events) and the final ORDER BY; none over samples or intervals.
        #expect(plan.filter { $0.contains("TEMP B-TREE") }.count <= 3, "\(plan)")
        #expect(plan.filter { $0.contains("TEMP B-TREE FOR GROUP BY") }.count <= 1, "\(plan)")
        // The mark workers: the key range of each labelled goroutine, never a scan of the run's intervals.
        // goroutine_intervals is a virtual table (migration 0014): its plan line is "SCAN i VIRTUAL TABLE INDEX
        // N:", N the constraints it was given (IntervalsModule.Plan: 1 run_id, 2 goid).
        let intervalPlans = plan.compactMap(Self.intervalPlan)
        #expect(!intervalPlans.isEmpty, "\(plan)")
        #expect(intervalPlans.allSatisfy { $0 & 3 == 3 }, "\(plan)")
    }

    /// The idxNum of a plan line that reads goroutine_intervals (alias i, or by its name).
    static func intervalPlan(_ line: String) -> Int32? {
        for prefix in ["SCAN i VIRTUAL TABLE INDEX ", "SCAN goroutine_intervals VIRTUAL TABLE INDEX "]
        where line.hasPrefix(prefix) {
            return Int32(line.dropFirst(prefix.count).prefix { $0.isNumber })
        }
        return nil
    }

    /// A warehouse written before migration 0008 gets the indexes when a writer opens it.
    @Test func anOlderWarehouseGainsTheIndexes() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("old.db")
        do {
            let old = try Database(path: path)
            try WarehouseSchema.migrate(old, migrations: WarehouseSchema.migrations.filter { $0.version < 8 })
            #expect(try old.scalarInt64("SELECT count(*) FROM sqlite_schema WHERE name IN ('tasks_by_name', 'regions_by_name')") == 0)
        }
        let upgraded = try WarehouseStore.openForWriting(path)
        // regions_by_name became region_spans_by_name in migration 0010, when regions became a view.
        #expect(try upgraded.scalarInt64("SELECT count(*) FROM sqlite_schema WHERE name IN ('tasks_by_name', 'region_spans_by_name')") == 2)
    }
}
