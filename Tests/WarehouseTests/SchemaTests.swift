import Foundation
import TestSupport
import Testing

@testable import Warehouse

@Suite struct EmbeddedSQLTests {
    @Test func embeddedFilesEqualTheFilesOnDisk() throws {
        var onDisk: [EmbeddedSQLFile] = []
        for directory in ["Schema", "Queries"] {
            let url = packageRoot.appendingPathComponent(directory)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            for name in names.filter({ $0.hasSuffix(".sql") }).sorted() {
                let data = try Data(contentsOf: url.appendingPathComponent(name))
                let contents = try #require(String(data: data, encoding: .utf8))
                onDisk.append(EmbeddedSQLFile(directory: directory, name: name, contents: contents))
            }
        }
        #expect(EmbeddedSQL.all.map { "\($0.directory)/\($0.name)" } == onDisk.map { "\($0.directory)/\($0.name)" })
        for (embedded, disk) in zip(EmbeddedSQL.all, onDisk) {
            #expect(embedded.contents == disk.contents, "\(disk.directory)/\(disk.name) differs from the embedded copy")
        }
        #expect(!EmbeddedSQL.schema.isEmpty)
    }
}

@Suite struct MigrationTests {
    @Test func freshDatabaseGetsLatestSchema() throws {
        let dir = try TemporaryDirectory()
        let db = try Database(path: dir.path("w.db"))
        let status = try WarehouseSchema.migrate(db)
        #expect(status == .init(versionBefore: 0, versionAfter: WarehouseSchema.latestVersion))
        #expect(try db.scalarInt64("PRAGMA user_version") == Int64(WarehouseSchema.latestVersion))
        #expect(try db.scalarInt64("PRAGMA application_id") == WarehouseSchema.applicationID)
        let tables = Set(try db.rows("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view')").map { $0[0] })
        for name in [
            "runs", "run_tags", "goroutines", "goroutine_states", "stack_frames", "stacks", "procs", "proc_states",
            "threads", "gc_cycles", "stw_pauses", "ranges", "metrics", "tasks", "regions", "logs", "cpu_samples",
            "ingest_issues",
        ] {
            #expect(tables.contains(.text(name)), "missing \(name)")
        }
        for index in WarehouseSchema.indexNames {
            #expect(try db.scalarInt64("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?", [.text(index)]) == 1)
        }
        // Opening again is a no-op.
        #expect(try WarehouseSchema.migrate(db).upgraded == false)
    }

    @Test func olderWarehouseIsUpgradedInPlace() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("w.db")
        let current = WarehouseSchema.migrations
        do {
            let db = try Database(path: path)
            try WarehouseSchema.migrate(db, migrations: current)
            try db.execute(
                "INSERT INTO runs (trace_version, source_path, source_sha256, source_bytes, ingested_at) VALUES ('go1.26', 'a.trace', 'abc', 1, 'now')"
            )
        }
        // A later traceware appends a migration.
        let next = (current.last?.version ?? 0) + 1
        let appended = try #require(
            Migration(
                file: EmbeddedSQLFile(
                    directory: "Schema", name: String(format: "%04d_more.sql", next),
                    contents: """
                        ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''; -- doc: A note.
                        CREATE TABLE extra (x INTEGER); -- doc: Extra.
                        -- section: indexes
                        CREATE INDEX IF NOT EXISTS extra_by_x ON extra (x);
                        """)))
        let db = try Database(path: path)
        let status = try WarehouseSchema.migrate(db, migrations: current + [appended])
        #expect(status == .init(versionBefore: current.last?.version ?? 0, versionAfter: next))
        #expect(try db.scalarText("SELECT source_path || '|' || note FROM runs") == "a.trace|")
        #expect(try db.scalarInt64("SELECT count(*) FROM sqlite_schema WHERE name = 'extra_by_x'") == 1)
        #expect(try db.scalarInt64("PRAGMA user_version") == Int64(next))
        let docs = SchemaDocs.parse((current + [appended]).map(\.definitions))
        #expect(docs.first { $0.name == "runs" }?.columns.last?.name == "note")
        // The older traceware now refuses this warehouse.
        #expect(throws: SchemaError.self) { try WarehouseSchema.migrate(db, migrations: current) }
    }

    /// 0003 turned the metrics table into a view over interned names: a warehouse written before it keeps
    /// its samples, in order, through the upgrade; a report over metrics (gc) reads the same rows.
    @Test func metricSamplesSurviveTheUpgradeTo0003() throws {
        let dir = try TemporaryDirectory()
        let trace = packageRoot.appendingPathComponent("Tests/Fixtures/traces/go1.27/gc.trace").path
        // The samples of a real trace, as the current warehouse holds them.
        let current = try WarehouseStore.openForWriting(dir.path("current.db"))
        _ = try TraceIngest.ingest(path: trace, into: current, source: TraceReaderAdapter.source)
        let samples = try current.rows("SELECT run_id, ts_ns, name, value FROM metrics ORDER BY sample_id")
        #expect(samples.count > 100)
        #expect(Set(samples.map { $0[2] }).count >= 3, "heap, heap goal and GOMAXPROCS samples expected")

        // The same samples in a warehouse at version 2, where metrics was a table.
        let path = dir.path("old.db")
        let before = WarehouseSchema.migrations.filter { $0.version <= 2 }
        do {
            let old = try Database(path: path)
            try WarehouseSchema.migrate(old, migrations: before)
            try old.execute(
                "INSERT INTO runs (run_id, trace_version, source_path, source_sha256, source_bytes, ingested_at) VALUES (1, 'go1.27', 'gc.trace', 'x', 1, 'now')"
            )
            let insert = try old.prepare("INSERT INTO metrics (run_id, ts_ns, name, value) VALUES (?, ?, ?, ?)")
            for row in samples {
                for (i, value) in row.enumerated() { try insert.bind(value, at: Int32(i + 1)) }
                try insert.executeBound()
            }
        }
        let upgraded = try WarehouseStore.openForWriting(path)
        #expect(try upgraded.scalarInt64("PRAGMA user_version") == Int64(WarehouseSchema.latestVersion))
        #expect(try upgraded.rows("SELECT run_id, ts_ns, name, value FROM metrics ORDER BY sample_id") == samples)
        #expect(try upgraded.scalarInt64("SELECT count(*) FROM sqlite_schema WHERE name = 'metrics_by_name'") == 0)
        #expect(SchemaDocs.all.filter { $0.name == "metrics" }.count == 1, "metrics documented twice")
    }

    @Test func newerWarehouseIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("w.db")
        do {
            let db = try Database(path: path)
            try WarehouseSchema.migrate(db)
            try db.execute("PRAGMA user_version = \(WarehouseSchema.latestVersion + 1)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let db = try Database(path: path)
        let error = try #require(throws: SchemaError.self) { try WarehouseSchema.migrate(db) }
        #expect(error.description.contains("newer than this traceware"), "\(error)")
        #expect(error.description.contains(path))
        let ro = try Database(path: path, mode: .readOnly)
        #expect(throws: SchemaError.self) { try WarehouseSchema.check(ro) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func otherSQLiteDatabaseIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("other.db")
        let db = try Database(path: path)
        try db.execute("CREATE TABLE mine (x)")
        let error = try #require(throws: SchemaError.self) { try WarehouseSchema.migrate(db) }
        #expect(error.description.contains("not a traceware warehouse"))
    }

    @Test func indexesCanBeDroppedAndRecreated() throws {
        let db = try Database(path: ":memory:")
        try WarehouseSchema.migrate(db)
        #expect(!WarehouseSchema.indexNames.isEmpty)
        try WarehouseSchema.dropIndexes(db)
        #expect(try db.scalarInt64("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL") == 0)
        try WarehouseSchema.createIndexes(db)
        #expect(
            try db.scalarInt64("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL")
                == Int64(WarehouseSchema.indexNames.count))
    }
}

@Suite struct SchemaDocTests {
    /// Every table and view column that SQLite knows has a non-empty doc, and every doc names a real column.
    @Test func everyTableAndColumnIsDocumented() throws {
        let db = try Database(path: ":memory:")
        try WarehouseSchema.migrate(db)
        let objects = try db.rows(
            "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name")
        let docs = Dictionary(uniqueKeysWithValues: SchemaDocs.all.map { ($0.name, $0) })
        #expect(docs.count == objects.count)
        for case .text(let name) in objects.map({ $0[0] }) {
            let doc = try #require(docs[name], "no doc for \(name)")
            #expect(!doc.doc.isEmpty, "\(name) has no doc")
            let columns = try db.rows("SELECT name FROM pragma_table_xinfo(?)", [.text(name)]).map {
                $0[0].description
            }
            #expect(doc.columns.map(\.name) == columns, "\(name): documented columns differ from the table's")
            for column in doc.columns { #expect(!column.doc.isEmpty, "\(name).\(column.name) has no doc") }
        }
    }

    @Test func parsesTheDocForm() {
        let docs = SchemaDocs.parse([
            """
            CREATE TABLE IF NOT EXISTS "t" ( -- doc: Things.
                a INTEGER PRIMARY KEY, -- doc: The a.
                b TEXT -- doc: The b, with -- dashes.
            );
            CREATE VIEW v AS -- doc: A view.
            SELECT t.a AS first, -- doc: First.
                   t.b -- doc: Second.
            FROM t;
            """
        ])
        #expect(docs.count == 2)
        #expect(docs[0].name == "t" && docs[0].kind == .table && docs[0].doc == "Things.")
        #expect(docs[0].columns.map(\.name) == ["a", "b"])
        #expect(docs[0].columns[1].doc == "The b, with -- dashes.")
        #expect(docs[1].columns.map(\.name) == ["first", "b"])
    }
}
