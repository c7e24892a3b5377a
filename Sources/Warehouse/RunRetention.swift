import Foundation

/// Removing runs from a warehouse: `traceware runs delete`.
///
/// Every table with a run_id column loses the runs' rows, found from the schema when the command runs (not a
/// list kept here): a table a later migration adds is covered without anyone remembering to add it. Tables
/// without run_id (saved_reports) are never touched. All of one command's runs go in one transaction, so a
/// delete that fails or is killed leaves every run whole, and readers (WAL) see the runs until it commits.
public enum RunRetention {
    /// A run about to go, as `runs delete` lists it.
    public struct Run: Sendable, Equatable {
        public let id: Int64
        public let label: String
        public let sourcePath: String
        public let sourceBytes: Int64
        public let ingestedAt: String
    }

    public enum Selection: Sendable {
        /// Run ids or labels (a label stands for all its runs), as RunSelector resolves them.
        case runs([String])
        /// Keep the newest `keep` runs (highest run_id: runs are numbered in ingest order) of each label, or
        /// only of `label`, and select the rest. Unlabelled runs count as one more label, "".
        case keepLast(Int, label: String?)
    }

    /// The runs that `selection` names, oldest first.
    public static func select(_ selection: Selection, in db: Database) throws -> [Run] {
        let ids: [Int64]
        switch selection {
        case .runs(let specs):
            ids = try RunSelector.resolve(specs, in: db)
        case .keepLast(let keep, let label):
            precondition(keep >= 0)
            let sql = """
                SELECT run_id FROM (
                    SELECT run_id, row_number() OVER (PARTITION BY label ORDER BY run_id DESC) AS newest
                    FROM runs\(label == nil ? "" : " WHERE label = ?")
                ) WHERE newest > ? ORDER BY run_id
                """
            var values: [DatabaseValue] = []
            if let label {
                values.append(.text(label))
                guard try db.scalarInt64("SELECT count(*) FROM runs WHERE label = ?", values) ?? 0 > 0 else {
                    throw ReportError("no run with label \(label); see traceware runs")
                }
            }
            values.append(.integer(Int64(keep)))
            ids = try db.rows(sql, values).compactMap { if case .integer(let id) = $0[0] { id } else { nil } }
        }
        guard !ids.isEmpty else { return [] }
        let statement = try db.prepare(
            "SELECT run_id, label, source_path, source_bytes, ingested_at FROM runs WHERE run_id = ?")
        var runs: [Run] = []
        for id in ids.sorted() {
            try statement.reset()
            try statement.bind([.integer(id)])
            guard try statement.step() else { continue }
            runs.append(
                Run(
                    id: statement.int64(at: 0), label: statement.string(at: 1) ?? "",
                    sourcePath: statement.string(at: 2) ?? "", sourceBytes: statement.int64(at: 3),
                    ingestedAt: statement.string(at: 4) ?? ""))
        }
        return runs
    }

    /// The tables that have a run_id column, `runs` last (its row goes once the run's other rows are gone).
    /// Virtual tables are not among them: goroutine_intervals reads goroutine_interval_chunks, which is.
    public static func tablesWithRunID(in db: Database) throws -> [String] {
        try db.rows(
            """
            SELECT m.name FROM sqlite_schema m
            WHERE m.type = 'table' AND m.sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'run_id')
            ORDER BY m.name = 'runs', m.name
            """
        ).compactMap { if case .text(let name) = $0[0] { name } else { nil } }
    }

    /// Progress of a delete: the table being emptied of the runs' rows, its position and the table count.
    public typealias Progress = (_ table: String, _ index: Int, _ count: Int) -> Void

    public struct Outcome: Sendable {
        public let runs: [Run]
        /// Rows deleted, over all tables.
        public let rows: Int64
        /// Tables that lost rows.
        public let tables: Int
    }

    /// Selects and deletes runs in one transaction (BEGIN IMMEDIATE: the selection and the delete see the
    /// same warehouse, and a concurrent ingest waits). With `dryRun`, selects only and writes nothing.
    /// `hold`, for tests only, pauses the delete midway (see `TestHold`).
    public static func delete(
        _ selection: Selection, in db: Database, dryRun: Bool = false, progress: Progress = { _, _, _ in },
        hold: TestHold? = nil
    ) throws -> Outcome {
        if dryRun {
            return Outcome(runs: try db.inTransaction(.deferred) { try select(selection, in: db) }, rows: 0, tables: 0)
        }
        return try db.inTransaction(.immediate) {
            let runs = try select(selection, in: db)
            guard !runs.isEmpty else { return Outcome(runs: [], rows: 0, tables: 0) }
            let tables = try tablesWithRunID(in: db)
            // One statement per table for all the runs: each table's run_id index is walked once.
            let placeholders = Array(repeating: "?", count: runs.count).joined(separator: ", ")
            let values = runs.map { DatabaseValue.integer($0.id) }
            var rows: Int64 = 0
            var touched = 0
            for (index, table) in tables.enumerated() {
                progress(table, index, tables.count)
                try db.execute("DELETE FROM \(quoteIdentifier(table)) WHERE run_id IN (\(placeholders))", values)
                rows += Int64(db.changes)
                if db.changes > 0 {
                    touched += 1
                    if touched == 1 { hold?.pause() }
                }
            }
            progress("", tables.count, tables.count)
            return Outcome(runs: runs, rows: rows, tables: touched)
        }
    }

    /// A pause for tests of a delete killed midway and of readers during a delete: after the first table
    /// has lost rows (inside the transaction), the file `path` is created and the delete waits until it is
    /// removed. The command line sets it from $TRACEWARE_TEST_HOLD_DELETE only.
    public struct TestHold: Sendable {
        public let path: String
        public init(path: String) { self.path = path }

        func pause() {
            FileManager.default.createFile(atPath: path, contents: Data("holding\n".utf8))
            while FileManager.default.fileExists(atPath: path) { usleep(20_000) }
        }
    }
}

/// Giving the space of deleted runs back to the filesystem: `traceware vacuum`.
///
/// A delete leaves its pages on SQLite's freelist: the file keeps its size and later ingests fill those pages
/// first, so a warehouse pruned as it is fed stops growing. VACUUM rewrites the file without them. It was
/// chosen over auto_vacuum=INCREMENTAL because that mode must be set before the first table exists (or by a
/// VACUUM anyway), keeps pointer-map pages up to date on every insert of every ingest, and moving pages to the
/// end of the file fragments the tables that reports scan; a VACUUM costs only when asked for.
public enum WarehouseVacuum {
    public struct Space: Sendable, Equatable {
        public let pageSize: Int64
        public let pages: Int64
        public let freePages: Int64
        public var fileBytes: Int64 { pageSize * pages }
        public var freeBytes: Int64 { pageSize * freePages }
    }

    public static func space(of db: Database) throws -> Space {
        Space(
            pageSize: try db.scalarInt64("PRAGMA page_size") ?? 0, pages: try db.scalarInt64("PRAGMA page_count") ?? 0,
            freePages: try db.scalarInt64("PRAGMA freelist_count") ?? 0)
    }

    /// Runs VACUUM, then a TRUNCATE checkpoint so that the WAL, which received a copy of every page, is
    /// emptied and the file shrinks at once. `progress` is called every few milliseconds of SQLite work with
    /// the nanoseconds spent so far. Returns the space before and after.
    public static func vacuum(_ db: Database, progress: ((UInt64) -> Void)? = nil) throws -> (before: Space, after: Space) {
        let before = try space(of: db)
        let started = DispatchTime.now().uptimeNanoseconds
        let handler = progress.map { progress in
            ProgressHandler(on: db) { progress(DispatchTime.now().uptimeNanoseconds - started) }
        }
        try db.execute("VACUUM")
        handler?.cancel()
        try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return (before, try space(of: db))
    }
}
