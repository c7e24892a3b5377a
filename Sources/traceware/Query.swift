import ArgumentParser
import Foundation
import Warehouse

struct Query: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one SQL statement on the warehouse, read-only.",
        discussion: """
            The warehouse is opened read-only (SQLITE_OPEN_READONLY and PRAGMA query_only): statements that \
            would write, ATTACH/DETACH, load_extension() and setting pragmas are refused. It can run while \
            an ingest is writing. `traceware schema` lists the tables. Give '-' to read the SQL from stdin.
            """)

    @Argument(help: "The SQL statement, or '-' for stdin.") var sql: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        var text = sql
        if sql == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        let db = try WarehouseStore.openForReading(database.resolvedPath)
        let status = QueryStatus(db, "query")
        defer {
            status.stop()
            StandardOutput.flush()
        }
        try AdHocQuery.run(text, on: db, printer: output.printer())
    }
}
