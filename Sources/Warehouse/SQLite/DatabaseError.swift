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

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql, !sql.isEmpty { text += " - while executing `\(sql)`" }
        return text
    }
}
