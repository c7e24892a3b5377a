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

        return try db.inTransaction(.immediate) {
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
            for migration in migrations where !migration.indexes.isEmpty {
                try db.execute(migration.indexes)
            }
            try db.execute("PRAGMA user_version = \(latestVersion)")
            return Status(versionBefore: before, versionAfter: latestVersion)
        }
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

    /// Runs every migration's index section (idempotent: CREATE INDEX IF NOT EXISTS).
    public static func createIndexes(_ db: Database) throws {
        for migration in migrations where !migration.indexes.isEmpty {
            try db.execute(migration.indexes)
        }
    }

    /// Drops the indexes that the index sections create, so a bulk load into an empty warehouse
    /// does not maintain them row by row. createIndexes puts them back.
    public static func dropIndexes(_ db: Database) throws {
        for name in indexNames {
            try db.execute("DROP INDEX IF EXISTS \(quoteIdentifier(name))")
        }
    }

    /// Names of the indexes created by the index sections.
    public static var indexNames: [String] {
        migrations.flatMap { migration in
            migration.indexes.split(separator: "\n").compactMap { line -> String? in
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard words.count > 2, words[0].uppercased() == "CREATE" else { return nil }
                var rest = words.dropFirst()
                if rest.first?.uppercased() == "UNIQUE" { rest = rest.dropFirst() }
                guard rest.first?.uppercased() == "INDEX" else { return nil }
                rest = rest.dropFirst()
                if rest.count > 3, rest.prefix(3).map({ $0.uppercased() }) == ["IF", "NOT", "EXISTS"] {
                    rest = rest.dropFirst(3)
                }
                return rest.first.map(String.init)
            }
        }
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
