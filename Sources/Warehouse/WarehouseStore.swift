import CSQLite
import Foundation

/// Opening a warehouse file: read-write (created and migrated as needed) for ingest, read-only for
/// query/runs/reports.
public enum WarehouseStore {
    /// The path used when none is given: $TRACEWARE_DB, else ./traceware.db.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["TRACEWARE_DB"], !path.isEmpty { return path }
        return "traceware.db"
    }

    /// Opens (creating if needed) and migrates the warehouse for writing.
    public static func openForWriting(_ path: String) throws -> Database {
        let db = try Database(path: path, mode: .readWrite)
        try WarehouseSchema.migrate(db)
        return db
    }

    /// Opens (and migrates) a warehouse that must already exist, for writing: what `report save` and `report
    /// delete` use, which must not create a warehouse. `missingHint` ends the error for a missing file.
    public static func openExistingForWriting(
        _ path: String, missingHint: String = "ingest a trace first (traceware ingest TRACE)"
    ) throws -> Database {
        try requireExisting(path, missingHint: missingHint)
        return try openForWriting(path)
    }

    /// Refuses a path that is missing or a directory.
    static func requireExisting(
        _ path: String, missingHint: String = "ingest a trace first (traceware ingest TRACE)"
    ) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SchemaError(description: "no warehouse at \(path): \(missingHint)")
        }
        guard !isDirectory.boolValue else { throw SchemaError(description: "\(path) is a directory, not a warehouse") }
    }

    /// Opens an existing warehouse read-only: what `query`, `runs` and reports use.
    /// Refuses a file that is missing, not a warehouse, or newer than this traceware.
    public static func openForReading(_ path: String) throws -> Database {
        try requireExisting(path)
        let db = try Database(path: path, mode: .readOnly)
        let version = try WarehouseSchema.check(db)
        if version > 0 && version < WarehouseSchema.latestVersion {
            // A warehouse written by an older traceware: the reports read tables its migrations add (0005: the
            // goroutine summaries), so it is upgraded first, as the next ingest would, and read after that.
            do {
                _ = try openForWriting(path)
            } catch {
                throw SchemaError(
                    description:
                        "\(path) has warehouse schema version \(version), older than this traceware's "
                        + "\(WarehouseSchema.latestVersion), and could not be upgraded (\(error)): open it once where it "
                        + "is writable (e.g. traceware runs) to upgrade it")
            }
            return try openForReading(path)
        }
        return db
    }
}

/// Ad-hoc SQL on a read-only connection.
public enum AdHocQuery {
    /// Runs one statement and prints its rows. Writes, ATTACH/DETACH, load_extension() and setting
    /// pragmas are refused before anything runs (Database in .readOnly mode).
    public static func run(_ sql: String, on db: Database, printer: RowPrinter) throws {
        precondition(db.mode == .readOnly, "ad-hoc SQL must run on a read-only connection")
        let statement = try db.prepare(sql)
        printer.begin(columns: statement.columnNames)
        while try statement.step() { printer.row(statement.row()) }
        printer.end()
    }
}

/// The `runs` listing.
public enum RunCatalog {
    public static let listSQL = """
        SELECT r.run_id, r.label, r.build, r.trace_version, r.event_count AS events,
               r.goroutine_count AS goroutines, r.duration_ns, r.truncated, r.source_bytes, r.ingested_at,
               r.source_path,
               (SELECT group_concat(t.key || '=' || t.value, ' ') FROM run_tags t WHERE t.run_id = r.run_id) AS tags
        FROM runs r ORDER BY r.run_id
        """

    public static func list(_ db: Database, printer: RowPrinter) throws {
        let statement = try db.prepare(listSQL)
        printer.begin(columns: statement.columnNames)
        while try statement.step() {
            var row = statement.row()
            if let last = row.indices.last, row[last] == .null { row[last] = .text("") }
            printer.row(row)
        }
        printer.end()
    }
}

/// `traceware schema`: each table and view with its doc, then its columns with their types and docs.
public enum SchemaListing {
    public static let columns = ["table", "column", "type", "doc"]

    /// Rows of the listing, optionally for one table. Types come from SQLite itself (an in-memory
    /// database built from the embedded migrations), docs from the `-- doc:` comments.
    public static func rows(table: String? = nil) throws -> [[DatabaseValue]] {
        let db = try Database(path: ":memory:")
        try WarehouseSchema.migrate(db)
        var rows: [[DatabaseValue]] = []
        for doc in SchemaDocs.all where table == nil || doc.name == table {
            rows.append([.text(doc.name), .text(""), .text(doc.kind.rawValue.uppercased()), .text(doc.doc)])
            let types = try db.rows("SELECT name, type FROM pragma_table_xinfo(?)", [.text(doc.name)])
            var typeByName: [String: String] = [:]
            for row in types { typeByName[row[0].description] = row.count > 1 ? RowPrinter.plain(row[1]) : "" }
            for column in doc.columns {
                rows.append([.text(doc.name), .text(column.name), .text(typeByName[column.name] ?? ""), .text(column.doc)])
            }
        }
        if let table, rows.isEmpty { throw SchemaError(description: "no table or view named \(table)") }
        return rows
    }
}
