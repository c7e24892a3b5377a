import Testing

@testable import Warehouse

/// Index sections across migrations: a later migration may DROP INDEX an earlier one's index and create a
/// replacement; the replaced index must never be built again, and an older warehouse loses it on upgrade.
@Suite struct IndexPlanTests {
    static func migration(_ name: String, _ contents: String) throws -> Migration {
        try #require(Migration(file: EmbeddedSQLFile(directory: "Schema", name: name, contents: contents)))
    }

    static let first = """
        CREATE TABLE t (run_id INTEGER, goid INTEGER, start_ns INTEGER);
        -- section: indexes
        CREATE INDEX IF NOT EXISTS t_by_goid ON t (run_id, goid, start_ns);
        CREATE UNIQUE INDEX IF NOT EXISTS t_unique ON t (run_id, goid, start_ns);
        """
    static let second = """
        -- section: indexes
        -- replaces t_by_goid
        DROP INDEX IF EXISTS t_by_goid;
        CREATE INDEX IF NOT EXISTS t_by_goid_2 ON t (goid, start_ns, run_id);
        """

    static func indexes(_ db: Database) throws -> [String] {
        try db.rows("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 't' ORDER BY name")
            .map { $0[0].description }
    }

    @Test func aDroppedIndexIsNeverBuilt() throws {
        let plan = WarehouseSchema.IndexPlan(migrations: [
            try Self.migration("0001_a.sql", Self.first), try Self.migration("0002_b.sql", Self.second),
        ])
        #expect(plan.creates.map(\.name) == ["t_unique", "t_by_goid_2"])
        #expect(plan.dropped == ["t_by_goid"])

        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (run_id INTEGER, goid INTEGER, start_ns INTEGER)")
        try WarehouseSchema.createIndexes(db, plan: plan)
        #expect(try Self.indexes(db) == ["t_by_goid_2", "t_unique"])
    }

    @Test func anOlderWarehouseLosesTheReplacedIndex() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t (run_id INTEGER, goid INTEGER, start_ns INTEGER)")
        // Built by the first migration alone, as a warehouse of that version would be.
        try WarehouseSchema.createIndexes(db, plan: WarehouseSchema.IndexPlan(migrations: [try Self.migration("0001_a.sql", Self.first)]))
        #expect(try Self.indexes(db) == ["t_by_goid", "t_unique"])
        let both = WarehouseSchema.IndexPlan(migrations: [
            try Self.migration("0001_a.sql", Self.first), try Self.migration("0002_b.sql", Self.second),
        ])
        try WarehouseSchema.createIndexes(db, plan: both)
        #expect(try Self.indexes(db) == ["t_by_goid_2", "t_unique"])
    }

    @Test func theShippedSchemaBuildsEveryIndexItNames() throws {
        let db = try Database(path: ":memory:")
        try WarehouseSchema.migrate(db)
        let built = Set(try db.rows("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL").map { $0[0].description })
        #expect(Set(WarehouseSchema.indexNames).isSubset(of: built))
        #expect(!WarehouseSchema.indexNames.isEmpty)
    }
}
