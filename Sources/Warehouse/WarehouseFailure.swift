import CSQLite
import Foundation

/// A failure to read or write a warehouse, said in one line that names the warehouse and what the user can
/// do: what the command line prints instead of SQLite's message and statement.
public struct WarehouseFailure: Error, CustomStringConvertible, Sendable {
    public let path: String
    /// What went wrong, in words (no path).
    public let reason: String
    /// The underlying error's own line, kept at the end for whoever needs SQLite's words.
    public let detail: String?
    /// SQLite's primary result code, when the failure came from SQLite.
    public let code: Int32?

    public init(path: String, reason: String, detail: String? = nil, code: Int32? = nil) {
        self.path = path
        self.reason = reason
        self.detail = detail
        self.code = code
    }

    public var description: String {
        "\(path): \(reason)" + (detail.map { " (\($0))" } ?? "")
    }

    public var isDiskFull: Bool { code == SQLITE_FULL }

    /// `error` explained for the warehouse at `path`; nil when it is not a failure of the warehouse file
    /// itself (a bad trace, an unknown report, ...), which then keeps its own message.
    public static func explain(_ error: any Error, path: String) -> WarehouseFailure? {
        if let failure = error as? WarehouseFailure { return failure }
        if let error = error as? DatabaseError { return explain(error, path: path) }
        if let error = error as? SchemaError, error.description.contains(String(cString: strerror(ENOSPC))) {
            return WarehouseFailure(path: path, reason: "the disk is full", detail: error.description, code: SQLITE_FULL)
        }
        return nil
    }

    static func explain(_ error: DatabaseError, path: String) -> WarehouseFailure? {
        let detail = "SQLite: \(error.message)"
        switch error.code {
        case SQLITE_FULL:
            return WarehouseFailure(path: path, reason: "the disk is full", detail: detail, code: error.code)
        case SQLITE_READONLY:
            return WarehouseFailure(
                path: path,
                reason: "cannot write the warehouse: "
                    + (readOnlyCause(path) ?? "it is read-only"), detail: detail, code: error.code)
        case SQLITE_CANTOPEN:
            return WarehouseFailure(
                path: path,
                reason: "cannot open the warehouse"
                    + (readOnlyCause(path).map { ": \($0)" } ?? ""), detail: detail, code: error.code)
        case SQLITE_BUSY, SQLITE_LOCKED:
            return WarehouseFailure(
                path: path,
                reason: "another process holds the warehouse's write lock (an ingest, a delete or a vacuum); "
                    + "gave up after waiting \(formatWait(LockWait.timeoutMilliseconds)) (--lock-timeout)",
                detail: detail, code: error.code)
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return WarehouseFailure(
                path: path,
                reason: "the warehouse file is damaged; nothing was written. "
                    + "`traceware query --db \(path) 'PRAGMA integrity_check'` shows where; restore it from a copy",
                detail: detail, code: error.code)
        case SQLITE_IOERR:
            return WarehouseFailure(path: path, reason: "I/O error on the warehouse", detail: detail, code: error.code)
        default:
            return nil
        }
    }

    /// Why a write to `path` is refused, from the file's and directory's permissions (nil: no such cause found).
    public static func readOnlyCause(_ path: String) -> String? {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if access(path, F_OK) == 0 && access(path, W_OK) != 0 {
            return errno == EROFS ? "it is on a read-only filesystem" : "the file is read-only (\(String(cString: strerror(errno))))"
        }
        if access(directory, W_OK) != 0 {
            return errno == EROFS
                ? "it is on a read-only filesystem"
                : "its directory \(directory) is read-only, and SQLite must create \(URL(fileURLWithPath: path).lastPathComponent)-wal and -shm there"
        }
        return nil
    }

    static func formatWait(_ milliseconds: Int32) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : String(format: "%.1f s", Double(milliseconds) / 1000)
    }
}
