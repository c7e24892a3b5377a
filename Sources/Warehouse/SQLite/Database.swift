import CSQLite

/// An owning SQLite connection. Closed in deinit (after every Statement that keeps it alive is gone).
///
/// Not thread-safe: one connection belongs to one thread/task, like a GRDB `Database` inside its queue.
public final class Database {
    public enum Mode: Sendable {
        /// Read and write; the file is created if missing and put in WAL mode.
        case readWrite
        /// SQLITE_OPEN_READONLY plus `PRAGMA query_only`, and an authorizer that refuses ATTACH/DETACH,
        /// load_extension() and pragmas that change settings. For ad-hoc user SQL.
        case readOnly
        /// Read and write a new file that no other connection opens until its owner publishes it (see
        /// WarehouseDraft): the rollback journal is kept in memory and nothing is synced, so a bulk load
        /// writes each page once, instead of to the WAL and then again at the checkpoint. Call `enableWAL`
        /// before handing the file to anyone else.
        case privateNewFile
    }

    public let path: String
    public let mode: Mode
    let handle: OpaquePointer
    private var guardState: ReadOnlyGuard?
    /// The busy handler's state (LockWait): it says when a wait for another process's lock begins.
    private var lockWait: LockWait.Context?

    /// Opens `path` (":memory:" for a private in-memory database).
    /// - busyTimeout: how long a statement waits for another connection's lock before SQLITE_BUSY;
    ///   with WAL this matters only for writers and the checkpoint, so readers never see "database is locked"
    ///   while an ingest runs.
    public init(path: String, mode: Mode = .readWrite, busyTimeoutMilliseconds: Int32 = LockWait.timeoutMilliseconds) throws {
        self.path = path
        self.mode = mode
        _ = Self.globalConfiguration
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readWrite, .privateNewFile: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let error = DatabaseError(handle: db, code: code, sql: nil)
            sqlite3_close_v2(db)
            throw DatabaseError(code: error.extendedCode, message: "cannot open \(path): \(error.message)")
        }
        self.handle = db
        sqlite3_extended_result_codes(db, 1)
        lockWait = LockWait.install(on: db, path: path, timeoutMilliseconds: busyTimeoutMilliseconds)
        // Hardening for both modes: no extension loading, no writable_schema tricks, no schema-borne
        // functions with side effects.
        _ = traceware_sqlite3_db_config_int(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nil)
        _ = traceware_sqlite3_db_config_int(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nil)
        _ = traceware_sqlite3_db_config_int(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nil)
        // percentile() and median(), on every connection: reports, ad-hoc SQL and saved reports may all use them.
        var registered = SQLFunctions.register(on: db)
        // goroutine_intervals is a virtual table over goroutine_interval_chunks (migration 0014).
        if registered == SQLITE_OK { registered = IntervalsModule.register(on: db) }
        guard registered == SQLITE_OK else {
            let error = DatabaseError(handle: db, code: registered, sql: nil)
            sqlite3_close_v2(db)
            throw DatabaseError(code: error.extendedCode, message: "cannot register SQL functions: \(error.message)")
        }

        switch mode {
        case .readWrite:
            // 64 KiB pages for a new file (a no-op on an existing one): the warehouse is written in bulk and
            // read in scans, and bigger pages cut the per-page work of the load, the WAL and the checkpoint
            // (about a quarter of SQLite's CPU time for an ingest, measured with scripts/bench/bench-ingest.sh).
            // It must come before journal_mode=WAL, which writes the header.
            try execute("PRAGMA page_size = \(Self.pageSize)")
            try enableWAL()
        case .privateNewFile:
            try execute("PRAGMA page_size = \(Self.pageSize)")
            // The owner deletes the file on any failure, so neither a journal file nor syncs are needed
            // (WarehouseDraft syncs the finished file once, before it appears under its real name).
            try execute("PRAGMA journal_mode = MEMORY")
            try execute("PRAGMA synchronous = OFF")
        case .readOnly:
            try execute("PRAGMA query_only = 1")
            // No attached databases at all, even if the authorizer were bypassed.
            sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0)
            let state = ReadOnlyGuard()
            guardState = state
            sqlite3_set_authorizer(db, readOnlyAuthorizer, Unmanaged.passUnretained(state).toOpaque())
        }
    }

    /// Page size of a new warehouse file.
    static let pageSize = 65536

    /// Puts the database in WAL mode, the warehouse's journal mode: `query` can read while an ingest writes.
    /// synchronous=NORMAL is durable against a killed process in WAL mode (a power cut may lose the last
    /// commit, never corrupt).
    public func enableWAL() throws {
        let journal = try scalarText("PRAGMA journal_mode = WAL")
        if path != ":memory:" && path != "" && journal?.lowercased() != "wal" {
            throw DatabaseError(
                code: SQLITE_ERROR, message: "cannot put \(path) in WAL mode (journal_mode is \(journal ?? "?"))")
        }
        try execute("PRAGMA synchronous = NORMAL")
    }

    /// Process-wide SQLite settings, applied once before the first connection opens (sqlite3_config is
    /// refused after SQLite initializes). Memory statistics off: traceware never reads them, and keeping
    /// them costs a global mutex on every allocation (about 1% of an ingest's CPU).
    private static let globalConfiguration: Int32 = traceware_sqlite3_config_memstatus_off()

    deinit {
        if guardState != nil { sqlite3_set_authorizer(handle, nil, nil) }
        sqlite3_close_v2(handle)
    }

    // MARK: Statements

    /// Prepares exactly one statement; anything but whitespace and comments after it is an error.
    /// - persistent: SQLITE_PREPARE_PERSISTENT, for statements reused many times (the ingest inserts).
    public func prepare(_ sql: String, persistent: Bool = false) throws -> Statement {
        var statements = try prepareAll(sql, persistent: persistent, limit: 2)
        guard statements.count == 1 else {
            if statements.isEmpty {
                throw DatabaseError(code: SQLITE_MISUSE, message: "no SQL statement given", sql: sql)
            }
            throw DatabaseError(
                code: SQLITE_MISUSE,
                message: "one statement expected, found another: `\(statements[1].sql)`", sql: sql)
        }
        guardState?.denial = nil
        return statements.removeFirst()
    }

    /// Runs every statement in `sql`, in order, discarding rows.
    public func execute(_ sql: String) throws {
        try forEachStatement(sql, persistent: false) { statement in
            while try statement.step() {}
            return true
        }
    }

    /// Runs one statement with bound values, discarding rows.
    public func execute(_ sql: String, _ values: [DatabaseValue]) throws {
        try prepare(sql).execute(values)
    }

    private func prepareAll(_ sql: String, persistent: Bool, limit: Int) throws -> [Statement] {
        var result: [Statement] = []
        try forEachStatement(sql, persistent: persistent) { statement in
            result.append(statement)
            return result.count < limit
        }
        return result
    }

    /// Prepares the statements of `sql` one at a time (each is prepared only after the previous one ran,
    /// so a CREATE TABLE can be followed by an INSERT into it) and hands them to `body` until it returns false.
    private func forEachStatement(_ sql: String, persistent: Bool, _ body: (Statement) throws -> Bool) throws {
        var utf8 = Array(sql.utf8)
        utf8.append(0)
        let count = utf8.count - 1
        try utf8.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            try base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { start in
                var offset = 0
                while offset < count {
                    var stmt: OpaquePointer?
                    var tail: UnsafePointer<CChar>?
                    guardState?.denial = nil
                    let flags: UInt32 = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
                    let code = sqlite3_prepare_v3(handle, start + offset, Int32(count - offset), flags, &stmt, &tail)
                    let end = tail.map { $0 - start } ?? count
                    let text = String(decoding: buffer[offset..<max(offset, min(end, count))], as: UTF8.self)
                        .trimmingWhitespace()
                    guard code == SQLITE_OK else {
                        if let denial = guardState?.denial {
                            guardState?.denial = nil
                            throw ReadOnlyViolation(message: denial, sql: text)
                        }
                        throw DatabaseError(handle: handle, code: code, sql: text)
                    }
                    offset = max(end, offset + 1)
                    guard let stmt else { continue }  // whitespace or a comment
                    let statement = Statement(database: self, handle: stmt, sql: text)
                    if mode == .readOnly && !statement.isReadOnly {
                        throw ReadOnlyViolation(message: "the statement would write the warehouse", sql: text)
                    }
                    if try !body(statement) { return }
                }
            }
        }
    }

    // MARK: Convenience

    /// The first column of the first row, or nil when there is no row or it is NULL.
    public func scalarInt64(_ sql: String, _ values: [DatabaseValue] = []) throws -> Int64? {
        let statement = try prepare(sql)
        if !values.isEmpty { try statement.bind(values) }
        guard try statement.step(), !statement.isNull(at: 0) else { return nil }
        return statement.int64(at: 0)
    }

    public func scalarText(_ sql: String, _ values: [DatabaseValue] = []) throws -> String? {
        let statement = try prepare(sql)
        if !values.isEmpty { try statement.bind(values) }
        guard try statement.step() else { return nil }
        return statement.string(at: 0)
    }

    /// All rows of a query, materialized. For small catalog queries; reports stream with `Statement.step`.
    public func rows(_ sql: String, _ values: [DatabaseValue] = []) throws -> [[DatabaseValue]] {
        let statement = try prepare(sql)
        if !values.isEmpty { try statement.bind(values) }
        var rows: [[DatabaseValue]] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes64(handle)) }
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    // MARK: Transactions

    public enum TransactionKind: String, Sendable {
        case deferred = "DEFERRED"
        /// Takes the write lock at BEGIN, so a second writer waits (busy timeout) instead of failing later.
        case immediate = "IMMEDIATE"
        case exclusive = "EXCLUSIVE"
    }

    public func beginTransaction(_ kind: TransactionKind = .immediate) throws {
        try execute("BEGIN \(kind.rawValue) TRANSACTION")
    }

    public func commit() throws { try execute("COMMIT") }

    /// Rolls back if a transaction is open; never throws (used on error paths).
    public func rollback() {
        if isInTransaction { sqlite3_exec(handle, "ROLLBACK", nil, nil, nil) }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    public func inTransaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        try beginTransaction(kind)
        do {
            let result = try body()
            try commit()
            return result
        } catch {
            rollback()
            throw error
        }
    }
}

// MARK: - The read-only guard

/// A statement refused by a read-only connection before it ran.
public struct ReadOnlyViolation: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let sql: String
    public var description: String { "refused (the warehouse is opened read-only): \(message): `\(sql)`" }
}

/// Where the authorizer leaves its reason, so the error says why instead of SQLite's "not authorized".
final class ReadOnlyGuard {
    var denial: String?
}

/// Pragmas that take an argument yet only read. Any other pragma with an argument changes a setting
/// (e.g. `query_only = 0`, `journal_mode = delete`) and is refused.
private let readOnlyPragmasWithArgument: Set<String> = [
    "table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
]

private let readOnlyAuthorizer:
    @convention(c) (
        UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
        UnsafePointer<CChar>?
    ) -> Int32 = { context, action, first, second, _, _ in
        func deny(_ reason: String) -> Int32 {
            if let context {
                let state = Unmanaged<ReadOnlyGuard>.fromOpaque(context).takeUnretainedValue()
                if state.denial == nil { state.denial = reason }
            }
            return SQLITE_DENY
        }
        switch action {
        case SQLITE_ATTACH, SQLITE_DETACH:
            return deny("ATTACH and DETACH are not allowed on the read-only query connection")
        case SQLITE_FUNCTION:
            // For SQLITE_FUNCTION the third argument is NULL and the fourth is the function name.
            let name = second.map { String(cString: $0).lowercased() } ?? ""
            if name == "load_extension" {
                return deny("load_extension() is not allowed on the read-only query connection")
            }
            return SQLITE_OK
        case SQLITE_PRAGMA:
            let name = first.map { String(cString: $0).lowercased() } ?? ""
            if second != nil && !readOnlyPragmasWithArgument.contains(name) {
                return deny("PRAGMA \(name) with a value is not allowed on the read-only query connection")
            }
            return SQLITE_OK
        default:
            return SQLITE_OK
        }
    }

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) ?? first
        return String(scalars[first...last])
    }
}
