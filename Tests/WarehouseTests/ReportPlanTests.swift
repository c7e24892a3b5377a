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
        // Both read the stored rows behind their views (migrations 0010 and 0015): region_spans_by_type and
        // task_spans_by_name, keyed by name_id (the slowest regions look their start up).
        for (report, table, all, byType) in [
            ("tasks", "task_spans", "SEARCH s USING COVERING INDEX task_spans_by_name (run_id=? AND name_id=?)",
             "SEARCH s USING COVERING INDEX task_spans_by_name (run_id=? AND name_id=?"),
            ("regions", "region_spans", "SEARCH s USING COVERING INDEX region_spans_by_type (run_id=? AND name_id=?)",
             "SEARCH s USING INDEX region_spans_by_type (run_id=? AND name_id=?"),
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

    @Test func gcReadsTheRollupsNotTheSamplesOrIntervals() throws {
        let db = try Database(path: ":memory:")
        try WarehouseSchema.migrate(db)
        let plan = try Self.plan("gc", in: db)
        // The mark workers from their histogram, the heap rows from the per-metric rollups (migration 0016): each
        // by its primary key, a few rows per run.
        #expect(plan.contains { $0.hasPrefix("SEARCH h USING PRIMARY KEY (run_id=?)") }, "\(plan)")
        #expect(plan.contains { $0.hasPrefix("SEARCH m USING PRIMARY KEY (run_id=? AND name_id=?)") }, "\(plan)")
        // Never the samples nor the intervals (millions of rows on a 200 MB run).
        #expect(!plan.contains { $0.contains("metric_samples") || $0.contains("SEARCH l ") }, "\(plan)")
        #expect(!plan.contains { $0.contains("goroutine_intervals") || $0.hasPrefix("SCAN i") }, "\(plan)")
        // One sort for the spans' GROUP BY (a few thousand GC ranges), one for the workers' GROUP BY (histogram rows)
        // and the final ORDER BY: the running sums follow the histogram's key, unsorted.
        #expect(plan.filter { $0.contains("TEMP B-TREE") }.count <= 3, "\(plan)")
        #expect(plan.filter { $0.contains("TEMP B-TREE FOR ORDER BY") }.count <= 1, "\(plan)")
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
        // regions_by_name became region_spans_by_name in migration 0010, when regions became a view, then
        // region_spans_by_type in 0015, which turned tasks_by_name into task_spans_by_name.
        #expect(try upgraded.scalarInt64("SELECT count(*) FROM sqlite_schema WHERE name IN ('task_spans_by_name', 'region_spans_by_type')") == 2)
    }
}
