import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// The report machinery: header parsing, the catalog's sources and precedence, saved reports, run selection
/// and parameter binding (values are data, never SQL).
@Suite struct ReportCatalogTests {
    @Test func parsesTheHeader() throws {
        let sql = """
            -- name: demo
            -- summary: A demo report.
            -- param: top = 5 : how many rows
            -- param: function : optional start function
            -- param: label = 'a b: c' : a quoted default
            -- param: empty = '' : the empty string
            -- doc: First line.
            -- doc: Second line.
            SELECT :run_id AS run, :top AS top
            """
        let report = try ReportCatalog.parse(name: "demo.sql", sql: sql, origin: .canned)
        #expect(report.name == "demo")
        #expect(report.summary == "A demo report.")
        #expect(report.doc == "First line.\nSecond line.")
        #expect(
            report.parameters == [
                ReportParameter(name: "top", defaultValue: "5", doc: "how many rows"),
                ReportParameter(name: "function", defaultValue: nil, doc: "optional start function"),
                ReportParameter(name: "label", defaultValue: "a b: c", doc: "a quoted default"),
                ReportParameter(name: "empty", defaultValue: "", doc: "the empty string"),
            ])
        #expect(report.parameters.map(\.signature) == ["top = 5", "function", "label = a b: c", "empty = ''"])
    }

    @Test func refusesBadHeaders() {
        #expect(throws: ReportError.self) {
            try ReportCatalog.parse(name: "a.sql", sql: "-- name: b\nSELECT 1", origin: .canned)
        }
        #expect(throws: ReportError.self) {
            try ReportCatalog.parse(name: "a.sql", sql: "-- param: run_id : no\nSELECT 1", origin: .canned)
        }
        #expect(throws: ReportError.self) {
            try ReportCatalog.parse(name: "a.sql", sql: "-- param: x\n-- param: x\nSELECT 1", origin: .canned)
        }
        #expect(throws: ReportError.self) {
            try ReportCatalog.parse(name: "a.sql", sql: "-- param: 9x : bad\nSELECT 1", origin: .canned)
        }
        #expect(throws: ReportError.self) {
            try ReportCatalog.parse(name: "-x.sql", sql: "SELECT 1", origin: .canned)
        }
    }

    /// Every canned report parses, has a summary and docs, and prepares on a fresh warehouse using only
    /// :run_id and its declared parameters.
    @Test func everyCannedReportIsWellFormed() throws {
        let db = try Database(path: ":memory:")
        try WarehouseSchema.migrate(db)
        let canned = try ReportCatalog.canned()
        #expect(Set(canned.map(\.name)).isSuperset(of: ["mutex-share", "latency-breakdown", "goroutine-analysis", "blocking-stacks"]))
        for report in canned {
            #expect(!report.summary.isEmpty, "\(report.name) has no summary")
            #expect(!report.doc.isEmpty, "\(report.name) has no doc")
            try ReportCatalog.check(report, on: db)
        }
    }

    @Test func bindsValuesByTheirLook() {
        #expect(ReportRunner.value(of: "42") == .integer(42))
        #expect(ReportRunner.value(of: "-7") == .integer(-7))
        #expect(ReportRunner.value(of: "0.5") == .real(0.5))
        #expect(ReportRunner.value(of: "1e3") == .real(1000))
        #expect(ReportRunner.value(of: "nan") == .text("nan"))
        #expect(ReportRunner.value(of: "inf") == .text("inf"))
        #expect(ReportRunner.value(of: "main.f") == .text("main.f"))
        #expect(ReportRunner.value(of: "") == .text(""))
    }

    /// A warehouse with two labelled runs of real traces.
    static func labelledWarehouse(_ directory: TemporaryDirectory) throws -> (String, [Int64]) {
        let path = directory.path("w.db")
        let db = try WarehouseStore.openForWriting(path)
        var ids: [Int64] = []
        for (scenario, label) in [("sleep", "base"), ("chan", "base"), ("mutex", "head")] {
            let trace = ReportCoreSupport.fixture("1.27", scenario)
            let options = IngestOptions(metadata: RunMetadata(label: label, build: "", tags: []), replace: false)
            ids.append(try TraceIngest.ingest(path: trace, into: db, source: TraceReaderAdapter.source, options: options).runID)
        }
        return (path, ids)
    }

    @Test func selectsRunsByIDLabelOrLatest() throws {
        let directory = try TemporaryDirectory()
        let (path, ids) = try Self.labelledWarehouse(directory)
        let db = try WarehouseStore.openForReading(path)
        #expect(try RunSelector.resolve(nil, in: db) == [ids[2]])
        #expect(try RunSelector.resolve(String(ids[1]), in: db) == [ids[1]])
        #expect(try RunSelector.resolve("base", in: db) == [ids[0], ids[1]])
        #expect(try RunSelector.resolve(["head", "base", String(ids[2])], in: db) == [ids[2], ids[0], ids[1]])
        #expect(throws: ReportError.self) { try RunSelector.resolve("nope", in: db) }
        #expect(throws: ReportError.self) { try RunSelector.resolve("999", in: db) }
    }

    /// Parameters are bound: a value that looks like SQL is compared as text and runs nothing.
    @Test func parametersAreDataNotSQL() throws {
        let directory = try TemporaryDirectory()
        let (path, ids) = try Self.labelledWarehouse(directory)
        let db = try WarehouseStore.openForReading(path)
        let report = try ReportCatalog.find("goroutine-analysis", db: db, queriesDirectory: nil)
        let injection = "x' OR 1=1; DROP TABLE runs; --"
        let rows = try ReportRunner.run(report, runID: ids[2], parameters: ["function": injection], on: db).rows
        #expect(rows.isEmpty)
        #expect(try db.scalarInt64("SELECT count(*) FROM runs") == 3)
        #expect(throws: ReportError.self) {
            try ReportRunner.run(report, runID: ids[2], parameters: ["nope": "1"], on: db)
        }
    }

    @Test func savedReportsRoundTripAndOverrideCanned() throws {
        let directory = try TemporaryDirectory()
        let (path, ids) = try Self.labelledWarehouse(directory)
        let writer = try WarehouseStore.openForWriting(path)
        let sql = """
            -- summary: Goroutines per run.
            -- param: minimum = 0 : smallest count shown
            SELECT count(*) AS goroutines FROM goroutines WHERE run_id = :run_id HAVING count(*) >= :minimum
            """
        let (saved, replaced) = try ReportCatalog.save(name: "goroutine-count", sql: sql, summary: nil, on: writer)
        #expect(!replaced)
        #expect(saved.summary == "Goroutines per run.")
        #expect(try ReportCatalog.save(name: "goroutine-count", sql: sql, summary: "Counted.", on: writer).replaced)

        let db = try WarehouseStore.openForReading(path)
        let report = try ReportCatalog.find("goroutine-count", db: db, queriesDirectory: nil)
        #expect(report.origin == .saved)
        #expect(report.summary == "Counted.")
        let rows = try ReportRunner.run(report, runID: ids[0], parameters: [:], on: db).rows
        #expect(rows.count == 1)
        #expect(try ReportRunner.run(report, runID: ids[0], parameters: ["minimum": "1000000"], on: db).rows.isEmpty)

        // Saved overrides canned; deleting it brings the canned one back.
        try ReportCatalog.save(name: "mutex-share", sql: "SELECT 1 AS one", summary: nil, on: writer)
        #expect(try ReportCatalog.find("mutex-share", db: db, queriesDirectory: nil).origin == .saved)
        try ReportCatalog.delete(name: "mutex-share", on: writer)
        #expect(try ReportCatalog.find("mutex-share", db: db, queriesDirectory: nil).origin == .canned)
        try ReportCatalog.delete(name: "goroutine-count", on: writer)
        #expect(throws: ReportError.self) { try ReportCatalog.find("goroutine-count", db: db, queriesDirectory: nil) }
        #expect(throws: ReportError.self) { try ReportCatalog.delete(name: "goroutine-count", on: writer) }
        #expect(throws: ReportError.self) { try ReportCatalog.delete(name: "mutex-share", on: writer) }
    }

    @Test func saveRefusesWritesBadSQLAndUndeclaredParameters() throws {
        let directory = try TemporaryDirectory()
        let (path, _) = try Self.labelledWarehouse(directory)
        let writer = try WarehouseStore.openForWriting(path)
        for sql in [
            "DELETE FROM runs", "SELECT * FROM no_such_table", "SELECT 1; SELECT 2", "SELECT :undeclared",
            "SELECT ?", "", "CREATE TABLE t(x)",
        ] {
            #expect(throws: ReportError.self, "\(sql)") {
                try ReportCatalog.save(name: "bad", sql: sql, summary: nil, on: writer)
            }
        }
        #expect(try writer.scalarInt64("SELECT count(*) FROM saved_reports") == 0)
        #expect(try writer.scalarInt64("SELECT count(*) FROM runs") == 3)
    }

    /// A --queries-dir file named like a canned report replaces it; other files add reports.
    @Test func queriesDirectoryOverridesAndAdds() throws {
        let directory = try TemporaryDirectory()
        try "-- summary: Edited.\nSELECT 2 AS two".write(toFile: directory.path("mutex-share.sql"), atomically: true, encoding: .utf8)
        try "-- summary: Extra.\nSELECT 3 AS three".write(toFile: directory.path("extra.sql"), atomically: true, encoding: .utf8)
        try "not a report".write(toFile: directory.path("notes.txt"), atomically: true, encoding: .utf8)
        let all = try ReportCatalog.all(db: nil, queriesDirectory: directory.url.path)
        let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
        #expect(byName["mutex-share"]?.summary == "Edited.")
        #expect(byName["mutex-share"]?.origin == .directory(directory.path("mutex-share.sql")))
        #expect(byName["extra"]?.summary == "Extra.")
        #expect(byName["notes"] == nil)
        #expect(byName["goroutine-analysis"]?.origin == .canned)
        #expect(throws: ReportError.self) { try ReportCatalog.all(db: nil, queriesDirectory: directory.path("missing")) }
    }

    /// A warehouse from before migration 0002, opened read-only (not upgraded), has no saved reports but
    /// lists and runs the canned ones.
    @Test func olderWarehouseWithoutSavedReports() throws {
        let directory = try TemporaryDirectory()
        let db = try Database(path: directory.path("old.db"))
        let first = try #require(WarehouseSchema.migrations.first)
        try WarehouseSchema.migrate(db, migrations: [first])
        let reader = try Database(path: directory.path("old.db"), mode: .readOnly)
        #expect(try ReportCatalog.saved(reader).isEmpty)
        #expect(try ReportCatalog.all(db: reader, queriesDirectory: nil).contains { $0.name == "mutex-share" })
    }
}
