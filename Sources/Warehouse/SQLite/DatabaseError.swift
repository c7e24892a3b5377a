import CSQLite

/// An SQLite failure: the result code, SQLite's (or traceware's) message, and the SQL that failed.
public struct DatabaseError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The primary result code (SQLITE_ERROR, SQLITE_CONSTRAINT, ...).
    public var code: Int32 { extendedCode & 0xFF }
    /// The extended result code, as returned by sqlite3_extended_errcode.
    public let extendedCode: Int32
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.extendedCode = code
        self.message = message
        self.sql = sql
    }

    /// The error currently recorded on `handle` (sqlite3_errmsg is only meaningful right after a failing call).
    init(handle: OpaquePointer?, code: Int32, sql: String?) {
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? code
        // sqlite3_errmsg can lag behind when the failing call was not on the connection (e.g. open);
        // prefer the connection's message and fall back to the generic text of the code.
        var text = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? ""
        if text.isEmpty || text == "not an error" { text = String(cString: sqlite3_errstr(code)) }
        self.init(code: (extended & 0xFF) == (code & 0xFF) ? extended : code, message: text, sql: sql)
    }

    /// One line: the code, the message and the start of the statement. The ingest's INSERTs are one line of
    /// 64 VALUES tuples (5 KB), so the SQL is cut to its first line and to `sqlExcerptLength` characters:
    /// enough to name the statement and the table; `sql` keeps the whole text.
    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql, !sql.isEmpty { text += " - while executing `\(Self.excerpt(sql))`" }
        return text
    }

    static let sqlExcerptLength = 80

    /// The first non-empty line of `sql`, at most `sqlExcerptLength` characters, "..." marking a cut.
    static func excerpt(_ sql: String) -> String {
        let lines = sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: " \t") }
        let first = lines.first { !$0.isEmpty } ?? ""
        let cut = first.count > sqlExcerptLength || lines.filter({ !$0.isEmpty }).count > 1
        return (first.count > sqlExcerptLength ? String(first.prefix(sqlExcerptLength)) : String(first)) + (cut ? "..." : "")
    }
}
