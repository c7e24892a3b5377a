import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// `traceware runs delete` finds the per-run tables from the schema when it runs: a table that a later
/// migration (or another traceware) adds loses the deleted runs' rows too, without being named anywhere.
@Suite struct RunRetentionTests {
    @Test func aTableUnknownToThisCodeLosesTheDeletedRunsRows() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("w.db")
        let root = packageRoot.appendingPathComponent("Tests/Fixtures/traces/go1.27").path
        let ingest = WarehouseIngest(path: path)
        for scenario in ["mutex", "chan"] {
            _ = try ingest.ingest(trace: "\(root)/\(scenario).trace", source: TraceReaderAdapter.source)
        }
        do {
            let db = try WarehouseStore.openForWriting(path)
            try db.execute("CREATE TABLE later_per_run (run_id INTEGER NOT NULL, note TEXT)")
            try db.execute("CREATE TABLE no_runs (id INTEGER, note TEXT)")
            try db.execute("INSERT INTO later_per_run VALUES (1, 'a'), (1, 'b'), (2, 'c')")
            try db.execute("INSERT INTO no_runs VALUES (1, 'kept')")
        }
        let (status, stdout, stderr) = try TestProcess.run(
            tracewareExecutable, ["runs", "delete", "--db", path, "1"], environment: ["TRACEWARE_DB": nil])
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("deleted 1 run: "))

        let db = try Database(path: path, mode: .readOnly)
        #expect(try db.rows("SELECT run_id, note FROM later_per_run") == [[.integer(2), .text("c")]])
        #expect(try db.rows("SELECT id, note FROM no_runs") == [[.integer(1), .text("kept")]])
        let tables = try RunRetention.tablesWithRunID(in: db)
        // goroutine_intervals is a read-only virtual table (0014): its chunks are what is deleted.
        #expect(tables.contains("later_per_run") && tables.contains("goroutine_interval_chunks") && tables.last == "runs")
        #expect(!tables.contains("goroutine_intervals"))
        #expect(try db.scalarInt64("SELECT count(*) FROM goroutine_intervals WHERE run_id = 1") == 0)
        #expect(!tables.contains("no_runs") && !tables.contains("saved_reports"))
        for table in tables {
            #expect(try db.scalarInt64("SELECT count(*) FROM \(quoteIdentifier(table)) WHERE run_id = 1") == 0, "\(table)")
        }
        #expect(try db.scalarInt64("SELECT count(*) FROM goroutine_states WHERE run_id = 2") ?? 0 > 0)
    }

    @Test func databaseErrorsKeepTheSQLToItsFirstLine() {
        let insert = "INSERT OR FAIL INTO goroutine_states (run_id, goid) VALUES "
            + Array(repeating: "(?, ?)", count: 64).joined(separator: ", ")
        let full = DatabaseError(code: 13, message: "database or disk is full", sql: insert)
        #expect(full.description == "SQLite error 13: database or disk is full - while executing `"
            + String(insert.prefix(80)) + "...`")
        let multi = DatabaseError(code: 1, message: "no such table: x", sql: "\n  SELECT a\n  FROM x\n")
        #expect(multi.description == "SQLite error 1: no such table: x - while executing `SELECT a...`")
        let short = DatabaseError(code: 1, message: "m", sql: "SELECT 1")
        #expect(short.description == "SQLite error 1: m - while executing `SELECT 1`")
    }
}
