import CSQLite

/// One Schema/NNNN_name.sql file. Its text before `-- section: indexes` creates tables and views;
/// the text after is index DDL (CREATE INDEX IF NOT EXISTS), kept apart so a bulk load can run without it.
public struct Migration: Sendable {
    public let version: Int
    public let fileName: String
    public let definitions: String
    public let indexes: String

    static let indexSectionMarker = "-- section: indexes"

    public init?(file: EmbeddedSQLFile) {
        let digits = file.name.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, file.name.hasSuffix(".sql"), let version = Int(digits) else { return nil }
        self.version = version
        self.fileName = file.name
        var definitions: [Substring] = []
        var indexes: [Substring] = []
        var inIndexes = false
        for line in file.contents.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: " \t\r") == Self.indexSectionMarker {
                inIndexes = true
                continue
            }
            if inIndexes { indexes.append(line) } else { definitions.append(line) }
        }
        self.definitions = definitions.joined(separator: "\n")
        self.indexes = indexes.joined(separator: "\n")
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return s
    }
}

public struct SchemaError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The warehouse schema: migrations from the embedded Schema/*.sql, applied in order.
///
/// The version is PRAGMA user_version (the number of the last migration applied); PRAGMA application_id
/// marks the file as a traceware warehouse.
public enum WarehouseSchema {
    /// 'TWRH': written into the SQLite header of every warehouse.
    public static let applicationID: Int64 = 0x5457_5248

    /// The migrations in version order (Schema files whose names start with digits).
    public static let migrations: [Migration] = EmbeddedSQL.schema.compactMap(Migration.init(file:))
        .sorted { $0.version < $1.version }

    /// The version this build of traceware writes.
    public static var latestVersion: Int { migrations.last?.version ?? 0 }

    public struct Status: Sendable, Equatable {
        public let versionBefore: Int
        public let versionAfter: Int
        public var upgraded: Bool { versionBefore != versionAfter }
    }

    /// Brings the database at `db` to the latest schema, in one transaction. A fresh file is initialized;
    /// an older warehouse is upgraded in place; a newer one, or a file that is not a warehouse, is refused.
    @discardableResult
    public static func migrate(_ db: Database) throws -> Status {
        try migrate(db, migrations: migrations)
    }

    /// `migrate` over an explicit migration list (tests use it to simulate an older traceware).
    @discardableResult
    static func migrate(_ db: Database, migrations: [Migration]) throws -> Status {
        let latestVersion = migrations.last?.version ?? 0
        // Cheap check without the write lock: most opens find the schema current.
        let current = try check(db, latestVersion: latestVersion)
        if current == latestVersion { return Status(versionBefore: current, versionAfter: current) }

        let status = try db.inTransaction(.immediate) {
            // Re-read under the write lock: another process may have migrated meanwhile.
            let before = try check(db, latestVersion: latestVersion)
            if before == 0 { try db.execute("PRAGMA application_id = \(applicationID)") }
            for migration in migrations where migration.version > before {
                do {
                    try db.execute(migration.definitions)
                } catch let error as DatabaseError {
                    throw SchemaError(description: "\(db.path): migration \(migration.fileName) failed: \(error)")
                }
            }
            try createIndexes(db, plan: IndexPlan(migrations: migrations))
            try db.execute("PRAGMA user_version = \(latestVersion)")
            return Status(versionBefore: before, versionAfter: latestVersion)
        }
        // An upgrade rewrites tables through the WAL (0.9 GB for six 45 MB runs). When a reader opened the file
        // first (WarehouseStore.openForReading), this connection's close is not the last one and SQLite does not
        // checkpoint: every later read-only open would then replay the whole WAL (0.25 s each). Best effort: a
        // busy checkpoint leaves the WAL to the next writer.
        if status.upgraded { try? db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        return status
    }

    /// The schema version of `db`, after refusing a database that is not a warehouse or is newer than
    /// this traceware. 0 means an empty file.
    @discardableResult
    public static func check(_ db: Database) throws -> Int {
        try check(db, latestVersion: latestVersion)
    }

    static func check(_ db: Database, latestVersion: Int) throws -> Int {
        let version = Int(try db.scalarInt64("PRAGMA user_version") ?? 0)
        let application = try db.scalarInt64("PRAGMA application_id") ?? 0
        let objects = try db.scalarInt64("SELECT count(*) FROM sqlite_schema") ?? 0
        if application != applicationID && (application != 0 || objects > 0 || version != 0) {
            throw SchemaError(description: "\(db.path) is not a traceware warehouse (it is another SQLite database)")
        }
        if version > latestVersion {
            throw SchemaError(
                description:
                    "\(db.path) has warehouse schema version \(version), newer than this traceware's \(latestVersion): "
                    + "use a newer traceware to read or write it")
        }
        return version
    }

    /// The indexes of all index sections together: every CREATE INDEX that no later section drops, and
    /// the names that a later section drops (DROP INDEX), so a replaced index is never built again.
    struct IndexPlan {
        /// (name, CREATE INDEX statement), in migration order.
        var creates: [(name: String, sql: String)] = []
        /// Indexes of earlier migrations that a later one replaced: dropped from older warehouses.
        var dropped: [String] = []

        init(migrations: [Migration]) {
            for migration in migrations {
                for statement in Self.statements(migration.indexes) {
                    switch statement {
                    case .create(let name, let sql):
                        creates.removeAll { $0.name == name }
                        dropped.removeAll { $0 == name }
                        creates.append((name, sql))
                    case .drop(let name):
                        creates.removeAll { $0.name == name }
                        if !dropped.contains(name) { dropped.append(name) }
                    case .other(let sql):
                        creates.append(("", sql))
                    }
                }
            }
        }

        enum Statement {
            case create(name: String, sql: String)
            case drop(name: String)
            case other(sql: String)
        }

        /// The statements of an index section: `--` comment lines removed, split at ';'.
        static func statements(_ section: String) -> [Statement] {
            let text = section.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.trimmingCharacters(in: " \t\r").hasPrefix("--") }
                .joined(separator: "\n")
            return text.split(separator: ";").compactMap { raw -> Statement? in
                let sql = raw.trimmingCharacters(in: " \t\r\n")
                guard !sql.isEmpty else { return nil }
                var words = sql.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })[...]
                let verb = words.first?.uppercased()
                words = words.dropFirst()
                if verb == "CREATE" {
                    if words.first?.uppercased() == "UNIQUE" { words = words.dropFirst() }
                    guard words.first?.uppercased() == "INDEX" else { return .other(sql: String(sql)) }
                    words = words.dropFirst()
                    if words.count > 3, words.prefix(3).map({ $0.uppercased() }) == ["IF", "NOT", "EXISTS"] {
                        words = words.dropFirst(3)
                    }
                    guard let name = words.first else { return .other(sql: String(sql)) }
                    return .create(name: String(name), sql: String(sql))
                }
                if verb == "DROP", words.first?.uppercased() == "INDEX" {
                    words = words.dropFirst()
                    if words.count > 2, words.prefix(2).map({ $0.uppercased() }) == ["IF", "EXISTS"] {
                        words = words.dropFirst(2)
                    }
                    guard let name = words.first else { return .other(sql: String(sql)) }
                    return .drop(name: String(name))
                }
                return .other(sql: String(sql))
            }
        }
    }

    static let indexPlan = IndexPlan(migrations: migrations)

    /// Creates the indexes of the index sections (idempotent: CREATE INDEX IF NOT EXISTS), after dropping
    /// the ones a later migration replaced (an upgraded warehouse loses them here; elsewhere a no-op).
    public static func createIndexes(_ db: Database) throws {
        try createIndexes(db, plan: indexPlan)
    }

    static func createIndexes(_ db: Database, plan: IndexPlan) throws {
        for name in plan.dropped {
            try db.execute("DROP INDEX IF EXISTS \(quoteIdentifier(name))")
        }
        for create in plan.creates {
            try db.execute(create.sql)
        }
    }

    /// Drops the indexes that the index sections create, so a bulk load into an empty warehouse
    /// does not maintain them row by row. createIndexes puts them back.
    public static func dropIndexes(_ db: Database) throws {
        for name in indexNames {
            try db.execute("DROP INDEX IF EXISTS \(quoteIdentifier(name))")
        }
    }

    /// Names of the indexes that the index sections leave in a warehouse (created and not dropped later).
    public static var indexNames: [String] {
        indexPlan.creates.map(\.name).filter { !$0.isEmpty }
    }
}

/// "name" quoted as an SQL identifier.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
