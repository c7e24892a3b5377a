import Foundation
import TestSupport
import Testing

@testable import Warehouse

@Suite struct OutputFormatTests {
    let columns = ["id", "name", "ratio", "blob", "none"]
    let rows: [[DatabaseValue]] = [
        [.integer(1), .text("plain"), .real(0.5), .blob([0xAB, 0x01]), .null],
        [.integer(-20), .text("with, comma \"quoted\"\nand | pipe"), .real(2), .blob([]), .null],
    ]

    func render(_ format: RowFormat, columns: [String]? = nil, rows: [[DatabaseValue]]? = nil) -> String {
        var out = ""
        RowPrinter(format: format) { out += $0 }.print(columns: columns ?? self.columns, rows: rows ?? self.rows)
        return out
    }

    @Test func csvHasHeaderAndQuotes() {
        #expect(
            render(.csv) == """
                id,name,ratio,blob,none
                1,plain,0.5,ab01,
                -20,"with, comma ""quoted""
                and | pipe",2.0,,

                """)
    }

    @Test func jsonIsAnArrayOfObjects() throws {
        let text = render(.json)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(parsed.count == 2)
        #expect(parsed[0]["id"] as? Int == 1)
        #expect(parsed[0]["ratio"] as? Double == 0.5)
        #expect(parsed[0]["blob"] as? String == "ab01")
        #expect(parsed[0]["none"] is NSNull)
        #expect(parsed[1]["name"] as? String == "with, comma \"quoted\"\nand | pipe")
        #expect(render(.json, rows: []) == "[]\n")
        // Duplicate column names get distinct keys.
        let dup = try #require(
            try JSONSerialization.jsonObject(with: Data(render(.json, columns: ["a", "a"], rows: [[1, 2]]).utf8))
                as? [[String: Int]])
        #expect(dup == [["a": 1, "a_2": 2]])
        // Non-finite reals are not JSON numbers.
        #expect(render(.json, columns: ["x"], rows: [[.real(.infinity)]]).contains("null"))
    }

    @Test func markdownEscapesPipesAndNewlines() {
        #expect(
            render(.markdown) == """
                | id | name | ratio | blob | none |
                | --- | --- | --- | --- | --- |
                | 1 | plain | 0.5 | ab01 |  |
                | -20 | with, comma "quoted"<br>and \\| pipe | 2.0 |  |  |

                """)
    }

    @Test func tableAlignsColumns() {
        let text = render(.table, columns: ["n", "word"], rows: [[1, "a"], [100, "bcd\ne"]])
        #expect(
            text == """
                  n  word
                ---  ------
                  1  a
                100  bcd\\ne

                """)
        #expect(render(.table, columns: ["x"], rows: []) == "x\n-\n")
    }
}

@Suite struct CatalogTests {
    @Test func schemaListingCoversEveryDocumentedColumn() throws {
        let rows = try SchemaListing.rows()
        let expected = SchemaDocs.all.reduce(0) { $0 + 1 + $1.columns.count } + SQLFunctions.docs.count
        #expect(rows.count == expected)
        #expect(rows.first == [.text("runs"), .text(""), .text("TABLE"), .text("One row per ingested trace file.")])
        #expect(try SchemaListing.rows(table: "goroutine_states").contains { $0[1] == .text("waker_goid") })
        #expect(throws: SchemaError.self) { try SchemaListing.rows(table: "nope") }
    }

    @Test func readingAMissingWarehouseIsAClearError() throws {
        let dir = try TemporaryDirectory()
        let error = try #require(throws: SchemaError.self) { try WarehouseStore.openForReading(dir.path("none.db")) }
        #expect(error.description.contains("no warehouse at"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("none.db")))
        #expect(throws: SchemaError.self) { try WarehouseStore.openForReading(dir.url.path) }
    }

    @Test func adHocQueryPrintsAndRefusesWrites() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("w.db")
        do {
            let db = try WarehouseStore.openForWriting(path)
            try db.execute(
                "INSERT INTO runs (trace_version, source_path, source_sha256, source_bytes, ingested_at) VALUES ('go1.26', 'a.trace', 'abc', 1, 'now')"
            )
        }
        let db = try WarehouseStore.openForReading(path)
        var out = ""
        try AdHocQuery.run("SELECT run_id, trace_version FROM runs", on: db, printer: RowPrinter(format: .csv) { out += $0 })
        #expect(out == "run_id,trace_version\n1,go1.26\n")
        #expect(throws: ReadOnlyViolation.self) {
            try AdHocQuery.run("DELETE FROM runs", on: db, printer: RowPrinter(format: .csv) { _ in })
        }
        out = ""
        try RunCatalog.list(db, printer: RowPrinter(format: .csv) { out += $0 })
        #expect(out.hasPrefix("run_id,label,build,trace_version,events"))
        #expect(out.contains("a.trace"))
    }
}
