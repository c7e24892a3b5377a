/// One row of an ingest table, declared once: the type names its table (`table`) and, in `encode`, gives each
/// column's value under the column's name. The INSERT statements (RowPipeline) take their column lists from
/// it, and IngestRowTests checks every row type against the warehouse's `pragma_table_info` (names, INTEGER
/// or TEXT, NOT NULL), so a new table is its migration, a row type and an `IngestTable` case.
///
/// `encode` must give the same columns, in the same order, whatever the values (no column behind an `if`):
/// the column list is read once, from `example`.
protocol IngestRow {
    static var table: IngestTable { get }
    /// Any row of this type: its columns are those `encode` gives for it.
    static var example: Self { get }
    func encode<Row: RowEncoding>(into row: inout Row)
}

extension IngestRow {
    /// The columns after run_id, in the order `encode` gives them.
    static var columns: [IngestColumn] {
        var recorder = ColumnRecorder()
        example.encode(into: &recorder)
        return recorder.columns
    }
}

/// How a text column finds its bound copy (RunWriter): which costs least depends on how often a value repeats.
enum TextBinding {
    /// Repeated often, among many values (function and file names): interned in a hash table, bound without
    /// a copy.
    case interned
    /// A handful of distinct values (states, reasons, categories, range names): a linear scan of the recent
    /// ones, then interned.
    case frequent
    /// Rarely repeated (log messages, task and region names): bound as a copy.
    case unique
}

/// What `IngestRow.encode` writes into: the column names are for ColumnRecorder (tests and the INSERT column
/// lists); the writer's encoder ignores them (StaticString: nothing is built at run time).
protocol RowEncoding {
    mutating func int(_ column: StaticString, _ value: Int64)
    /// A nullable integer column.
    mutating func int(_ column: StaticString, _ value: Int64?)
    mutating func bool(_ column: StaticString, _ value: Bool)
    mutating func text(_ column: StaticString, _ value: String, _ binding: TextBinding)
    /// A column of no fixed type (metric values), NOT NULL.
    mutating func value(_ column: StaticString, _ value: DatabaseValue)
}

/// One column as a row type declares it.
struct IngestColumn: Equatable, CustomStringConvertible {
    enum Kind: Equatable { case integer, text, any }
    var name: String
    var kind: Kind
    var nullable: Bool

    var description: String { "\(name) \(kind)\(nullable ? "" : " NOT NULL")" }
}

/// Records the columns `encode` gives, with their kinds and nullability.
struct ColumnRecorder: RowEncoding {
    private(set) var columns: [IngestColumn] = []

    private mutating func add(_ column: StaticString, _ kind: IngestColumn.Kind, nullable: Bool) {
        columns.append(IngestColumn(name: column.description, kind: kind, nullable: nullable))
    }

    mutating func int(_ column: StaticString, _ value: Int64) { add(column, .integer, nullable: false) }
    mutating func int(_ column: StaticString, _ value: Int64?) { add(column, .integer, nullable: true) }
    mutating func bool(_ column: StaticString, _ value: Bool) { add(column, .integer, nullable: false) }
    mutating func text(_ column: StaticString, _ value: String, _ binding: TextBinding) {
        add(column, .text, nullable: false)
    }
    mutating func value(_ column: StaticString, _ value: DatabaseValue) { add(column, .any, nullable: false) }
}

/// The writer's encoder: values into a RowValues, texts through the run's interned strings.
struct RowEncoder: RowEncoding {
    var values = RowValues()
    /// unowned(unsafe): an encoder lives inside one `RunWriter.write` call, and a plain unowned reference would
    /// cost a reference-count pair per row (8.9M on a 45 MB trace).
    unowned(unsafe) let writer: RunWriter

    @inline(__always) mutating func int(_ column: StaticString, _ value: Int64) { values.int(value) }
    @inline(__always) mutating func int(_ column: StaticString, _ value: Int64?) { values.int(value) }
    @inline(__always) mutating func bool(_ column: StaticString, _ value: Bool) { values.bool(value) }
    @inline(__always) mutating func text(_ column: StaticString, _ value: String, _ binding: TextBinding) {
        switch binding {
        case .interned: writer.text(value, into: &values)
        case .frequent: writer.frequentText(value, into: &values)
        case .unique: values.value(.text(value))
        }
    }
    @inline(__always) mutating func value(_ column: StaticString, _ value: DatabaseValue) { values.value(value) }
}
