import Foundation
import TestSupport
import Testing

@testable import Warehouse

@Suite struct SQLiteTests {
    @Test func bindAndReadEveryStorageClass() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(a, b, c, d, e)")
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)")
        try insert.bind(Int64.max, at: 1)
        try insert.bind(1.5, at: 2)
        try insert.bind("héllo\u{0}x", at: 3)
        try insert.bind([0, 1, 255] as [UInt8], at: 4)
        try insert.bindNull(at: 5)
        try insert.executeBound()
        // Empty text stays text (not NULL), empty blob stays blob.
        try insert.execute([.integer(-1), .real(0), .text(""), .blob([]), .null])

        let select = try db.prepare("SELECT a, b, c, d, e FROM t ORDER BY rowid")
        #expect(select.columnNames == ["a", "b", "c", "d", "e"])
        #expect(try select.step())
        #expect(select.row() == [.integer(Int64.max), .real(1.5), .text("héllo\u{0}x"), .blob([0, 1, 255]), .null])
        #expect(try select.step())
        #expect(select.row() == [.integer(-1), .real(0), .text(""), .blob([]), .null])
        #expect(select.columnType(at: 2) == .text)
        #expect(select.columnType(at: 3) == .blob)
        #expect(try !select.step())
        try select.reset()
        #expect(try select.step())
    }

    @Test func namedParameters() throws {
        let db = try Database(path: ":memory:")
        let statement = try db.prepare("SELECT :x + @y")
        try statement.bind(.integer(2), named: ":x")
        try statement.bind(.integer(40), named: "@y")
        #expect(try statement.step())
        #expect(statement.int64(at: 0) == 42)
        #expect(throws: DatabaseError.self) { try statement.bind(.null, named: ":missing") }
    }

    @Test func errorsCarryCodeMessageAndSQL() throws {
        let db = try Database(path: ":memory:")
        let error = try #require(throws: DatabaseError.self) { try db.execute("SELECT * FROM nowhere") }
        #expect(error.code == 1)  // SQLITE_ERROR
        #expect(error.message.contains("no such table: nowhere"))
        #expect(error.sql == "SELECT * FROM nowhere")
        #expect(error.description.contains("while executing `SELECT * FROM nowhere`"))

        try db.execute("CREATE TABLE u(x UNIQUE); INSERT INTO u VALUES (1)")
        let constraint = try #require(throws: DatabaseError.self) { try db.execute("INSERT INTO u VALUES (1)") }
        #expect(constraint.code == 19)  // SQLITE_CONSTRAINT
        #expect(constraint.extendedCode == 2067)  // SQLITE_CONSTRAINT_UNIQUE
    }

    @Test func prepareTakesExactlyOneStatement() throws {
        let db = try Database(path: ":memory:")
        _ = try db.prepare("SELECT 1; -- a trailing comment\n ;  ")
        let error = try #require(throws: DatabaseError.self) { _ = try db.prepare("SELECT 1; SELECT 2") }
        #expect(error.message.contains("one statement expected"))
        #expect(throws: DatabaseError.self) { _ = try db.prepare("  -- nothing\n") }
    }

    @Test func executeRunsStatementsInOrder() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(x); INSERT INTO t VALUES (1); INSERT INTO t SELECT x + 1 FROM t;")
        #expect(try db.scalarInt64("SELECT sum(x) FROM t") == 3)
    }

    @Test func transactionRollsBackOnError() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(x)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.inTransaction {
                try db.execute("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.scalarInt64("SELECT count(*) FROM t") == 0)
        #expect(!db.isInTransaction)
        try db.inTransaction { try db.execute("INSERT INTO t VALUES (1)") }
        #expect(try db.scalarInt64("SELECT count(*) FROM t") == 1)
    }

    @Test func fileDatabaseUsesWAL() throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path("w.db"))
        #expect(try db.scalarText("PRAGMA journal_mode") == "wal")
        #expect(try db.scalarInt64("PRAGMA synchronous") == 1)  // NORMAL
    }

    @Test func openMissingReadOnlyFails() throws {
        let dir = try TemporaryDirectory()
        let error = try #require(throws: DatabaseError.self) {
            _ = try Database(path: dir.path("missing.db"), mode: .readOnly)
        }
        #expect(error.message.contains("missing.db"))
    }
}

@Suite struct ReadOnlyConnectionTests {
    func makeWarehouseFile(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.path("ro.db")
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)")
        return path
    }

    @Test func readsWork() throws {
        let dir = try TemporaryDirectory()
        let path = try makeWarehouseFile(dir)
        let ro = try Database(path: path, mode: .readOnly)
        #expect(try ro.scalarInt64("SELECT sum(x) FROM t") == 3)
        #expect(try ro.scalarInt64("PRAGMA query_only") == 1)
        #expect(try ro.rows("PRAGMA table_info(t)").count == 1)
        #expect(try ro.rows("SELECT * FROM pragma_table_info('t')").count == 1)
    }

    @Test(arguments: [
        "INSERT INTO t VALUES (3)", "UPDATE t SET x = 0", "DELETE FROM t", "DROP TABLE t", "CREATE TABLE u(y)",
        "CREATE TEMP TABLE u(y)", "REPLACE INTO t VALUES (1)", "VACUUM",
    ])
    func writesAreRefused(sql: String) throws {
        let dir = try TemporaryDirectory()
        let path = try makeWarehouseFile(dir)
        let ro = try Database(path: path, mode: .readOnly)
        let error = try #require(throws: ReadOnlyViolation.self) { try ro.execute(sql) }
        #expect(error.description.contains("read-only"), "\(error)")
        #expect(try ro.scalarInt64("SELECT count(*) FROM t") == 2)
    }

    @Test func attachIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = try makeWarehouseFile(dir)
        let ro = try Database(path: path, mode: .readOnly)
        let error = try #require(throws: ReadOnlyViolation.self) {
            try ro.execute("ATTACH DATABASE '\(dir.path("other.db"))' AS other")
        }
        #expect(error.message.contains("ATTACH"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("other.db")))
    }

    @Test func loadExtensionIsRefused() throws {
        let dir = try TemporaryDirectory()
        let ro = try Database(path: try makeWarehouseFile(dir), mode: .readOnly)
        let error = try #require(throws: ReadOnlyViolation.self) { try ro.execute("SELECT load_extension('libm.so.6')") }
        #expect(error.message.contains("load_extension"), "\(error)")
    }

    @Test func settingPragmasIsRefused() throws {
        let dir = try TemporaryDirectory()
        let ro = try Database(path: try makeWarehouseFile(dir), mode: .readOnly)
        for sql in ["PRAGMA query_only = 0", "PRAGMA journal_mode = DELETE", "PRAGMA writable_schema = 1"] {
            let error = try #require(throws: ReadOnlyViolation.self) { try ro.execute(sql) }
            #expect(error.message.contains("PRAGMA"), "\(error)")
        }
        #expect(try ro.scalarInt64("PRAGMA query_only") == 1)
    }

    @Test func readsWhileAWriterHoldsATransaction() throws {
        let dir = try TemporaryDirectory()
        let path = try makeWarehouseFile(dir)
        let writer = try Database(path: path)
        try writer.beginTransaction(.immediate)
        try writer.execute("INSERT INTO t VALUES (100)")
        let ro = try Database(path: path, mode: .readOnly, busyTimeoutMilliseconds: 0)
        #expect(try ro.scalarInt64("SELECT sum(x) FROM t") == 3)  // sees the last commit, no SQLITE_BUSY
        try writer.commit()
        #expect(try ro.scalarInt64("SELECT sum(x) FROM t") == 103)
    }
}
