import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// Every ingest table is declared once, by its row type (IngestRow): these check each declaration against the
/// warehouse a fresh migration builds, so a row type that names a column the table lacks, leaves out one it
/// has, binds text into an INTEGER column (or the reverse), or can bind NULL into a NOT NULL column fails here
/// rather than at ingest time (or never, for two columns of one type given in each other's place: each value
/// is given under its column's name, and the INSERT lists the columns by those names).
@Suite struct IngestRowTests {
    struct TableColumn: Equatable {
        var name: String
        var type: String
        var notNull: Bool
    }

    /// The table's columns as SQLite has them, run_id and generated columns left out (table_info omits them).
    static func tableColumns(_ table: String, in db: Database) throws -> [TableColumn] {
        try db.rows("SELECT name, type, \"notnull\" FROM pragma_table_info(?) ORDER BY cid", [.text(table)]).compactMap {
            guard case .text(let name) = $0[0], name != "run_id", case .text(let type) = $0[1],
                case .integer(let notNull) = $0[2]
            else { return nil }
            return TableColumn(name: name, type: type.uppercased(), notNull: notNull != 0)
        }
    }

    @Test(arguments: IngestTable.allCases)
    func rowTypeMatchesItsTable(table: IngestTable) throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path("w.db"))
        try WarehouseSchema.migrate(db)
        #expect(table.rowType.table == table, "\(table.rowType) says it is \(table.rowType.table), not \(table)")
        let declared = IngestTable.columnLists[table.rawValue]
        let actual = try Self.tableColumns(table.name, in: db)
        #expect(!actual.isEmpty, "no table \(table.name)")
        // Every column the table has is written (none left to a default by oversight), and no other.
        #expect(
            Set(declared.map(\.name)) == Set(actual.map(\.name)),
            "\(table.name): row type \(declared.map(\.name)), table \(actual.map(\.name))")
        #expect(Set(declared.map(\.name)).count == declared.count, "\(table.name): a column given twice")
        for column in declared {
            guard let real = actual.first(where: { $0.name == column.name }) else { continue }
            switch column.kind {
            case .integer: #expect(real.type == "INTEGER", "\(table.name).\(column.name) is \(real.type), given an integer")
            case .text: #expect(real.type == "TEXT", "\(table.name).\(column.name) is \(real.type), given a text")
            case .any: #expect(real.type != "INTEGER" && real.type != "TEXT", "\(table.name).\(column.name) is \(real.type), given any value")
            }
            if real.notNull {
                #expect(!column.nullable, "\(table.name).\(column.name) is NOT NULL, and the row type may give NULL")
            }
        }
    }

    /// The INSERT of each table names the row type's columns in its order, so each value goes to its column.
    @Test func insertsListTheRowTypesColumns() throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path("w.db"))
        try WarehouseSchema.migrate(db)
        for table in IngestTable.allCases {
            let names = IngestTable.columnLists[table.rawValue].map(\.name)
            #expect(table.columns == names)
            #expect(IngestTable.columnCounts[table.rawValue] == names.count)
            #expect(names.count <= RowValues.maxColumns, "\(table.name): more columns than a row holds")
        }
        // Every table that has a run_id and is written by the ingest has a row type; the others are named here.
        let ingestTables = Set(IngestTable.allCases.map(\.name))
        let notIngestRows: Set<String> = ["runs", "run_tags", "saved_reports", "schema_migrations"]
        let withRunID = try db.rows(
            """
            SELECT m.name FROM sqlite_schema m
            WHERE m.type = 'table' AND m.sql NOT LIKE 'CREATE VIRTUAL TABLE%'
              AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'run_id')
            """
        ).compactMap { row -> String? in if case .text(let name) = row[0] { name } else { nil } }
        for name in withRunID where !notIngestRows.contains(name) {
            #expect(ingestTables.contains(name), "table \(name) has a run_id and no IngestTable row type")
        }
    }
}
