import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Living with a warehouse, through the binary: `runs delete`, `vacuum`, progress, and one-line errors.
enum Lifecycle {
    /// Rows per table (every table with a run_id column, found from the schema by SQL of this test) and run:
    /// "table run_id" -> count, read with `traceware query`.
    static func rowsPerRun(_ db: String) throws -> [String: Int] {
        let tables = try CLI.json(
            try CLI.run([
                "query", "--db", db, "--format", "json",
                // Stored tables: the virtual goroutine_intervals reads goroutine_interval_chunks' rows (0014).
                "SELECT m.name AS name FROM sqlite_schema m WHERE m.type = 'table' "
                    + "AND m.sql NOT LIKE 'CREATE VIRTUAL TABLE%' "
                    + "AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'run_id')",
            ])
        ).compactMap { $0["name"] as? String }
        var result: [String: Int] = [:]
        for table in tables {
            let rows = try CLI.json(
                try CLI.run([
                    "query", "--db", db, "--format", "json",
                    "SELECT run_id, count(*) AS n FROM \"\(table)\" GROUP BY run_id",
                ]))
            for row in rows {
                result["\(table) \((row["run_id"] as? Int) ?? -1)"] = row["n"] as? Int
            }
        }
        return result
    }

    /// The run ids listed by `traceware runs`.
    static func runIDs(_ db: String) throws -> [Int] {
        try CLI.json(try CLI.run(["runs", "--db", db, "--format", "json"])).compactMap { $0["run_id"] as? Int }
    }

    static func runsOf(_ counts: [String: Int], _ id: Int) -> [String: Int] {
        counts.filter { $0.key.hasSuffix(" \(id)") }
    }

    static func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// The lines of an error output (trailing newline dropped).
    static func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: true) }

    /// Starts `traceware runs delete ARGS` that pauses inside its transaction, after the first table lost rows,
    /// until the hold file goes ($TRACEWARE_TEST_HOLD_DELETE); returns once it holds.
    static func heldDelete(_ arguments: [String], hold: String) throws -> (Process, Pipe, Pipe) {
        let started = try TestProcess.start(
            tracewareExecutable, ["runs", "delete"] + arguments,
            environment: ["TRACEWARE_DB": nil, "TRACEWARE_TEST_HOLD_DELETE": hold])
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: hold) {
            guard started.0.isRunning, Date() < deadline else {
                throw CLI.CLIFailure(description: "the delete did not reach its hold point")
            }
            usleep(20_000)
        }
        return started
    }

    /// Runs `command` under a pseudo-terminal (script(1)), so that stderr is a terminal; returns what the
    /// terminal received (stdout and stderr together).
    static func onTerminal(_ arguments: [String]) throws -> (Int32, String)? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return nil }
        let command = ([tracewareExecutable] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
        let (status, stdout, _) = try TestProcess.run(
            "/usr/bin/script", ["-qfec", command, "/dev/null"], environment: ["TRACEWARE_DB": nil])
        return (status, stdout)
    }

    /// CI set (TestSupport.isCI): the tmpfs test must run there.
    static let isCI = TestSupport.isCI
}

@Suite struct RunsDeleteCLITests {
    @Test func deletesOnlyTheNamedRunsAndKeepsSavedReports() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)  // runs 1, 2 "base", 3 "head"
        let tagged = try CLI.run(["ingest", "--db", db, "--tag", "k=v", CLI.fixture("1.27", "gc")])  // run 4
        #expect(tagged.status == 0, "\(tagged.stderr)")
        let saved = try CLI.run(["report", "save", "few", "--db", db, "--sql", "SELECT count(*) AS n FROM runs WHERE run_id = :run_id"])
        #expect(saved.status == 0, "\(saved.stderr)")
        let before = try Lifecycle.rowsPerRun(db)
        #expect(before.keys.contains("run_tags 4"))
        #expect(Lifecycle.runsOf(before, 3).count >= 10, "run 3 should have rows in most tables: \(before)")

        // By label (two runs) and by id, in one command.
        let deleted = try CLI.run(["runs", "delete", "--db", db, "base", "4"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(deleted.stderr.isEmpty, "no progress off a terminal: \(deleted.stderr)")
        #expect(deleted.stdout.contains("deleted run 1 (base)"))
        #expect(deleted.stdout.contains("deleted run 2 (base)"))
        #expect(deleted.stdout.contains("deleted run 4:"))
        #expect(deleted.stdout.contains("deleted 3 runs:"))

        let after = try Lifecycle.rowsPerRun(db)
        #expect(try Lifecycle.runIDs(db) == [3])
        for id in [1, 2, 4] { #expect(Lifecycle.runsOf(after, id).isEmpty, "rows of run \(id) left: \(Lifecycle.runsOf(after, id))") }
        #expect(Lifecycle.runsOf(after, 3) == Lifecycle.runsOf(before, 3), "run 3's rows must be untouched")
        // Deleted rows add up to what the command says it deleted.
        let gone = before.filter { !$0.key.hasSuffix(" 3") }.values.reduce(0, +)
        #expect(deleted.stdout.contains("deleted 3 runs: \(gone) rows"), "\(deleted.stdout)")

        let reports = try CLI.json(try CLI.run(["reports", "--db", db, "--format", "json"]))
        #expect(reports.contains { $0["name"] as? String == "few" && $0["origin"] as? String == "saved" })
        let few = try CLI.json(try CLI.run(["report", "few", "--db", db, "--run", "3", "--format", "json"]))
        #expect(few.first?["n"] as? Int == 1)

        let missing = try CLI.run(["runs", "delete", "--db", db, "7"])
        #expect(missing.status != 0)
        #expect(Lifecycle.lines(missing.stderr).count == 1, "\(missing.stderr)")
        #expect(try Lifecycle.runIDs(db) == [3])
    }

    @Test func keepLastPerLabelOrForOneLabelAndDryRun() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)  // 1, 2 "base"; 3 "head"
        for (scenario, label) in [("gc", "head"), ("tcp", ""), ("file", "")] {  // 4 head, 5 and 6 unlabelled
            let result = try CLI.run(["ingest", "--db", db, "--label", label, CLI.fixture("1.27", scenario)])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let file = Lifecycle.contents(db)
        let dry = try CLI.run(["runs", "delete", "--db", db, "--keep-last", "1", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let wouldGo = dry.stdout.split(separator: "\n").filter { $0.hasPrefix("would delete run ") }
            .map { $0.dropFirst("would delete run ".count).prefix { $0.isNumber } }
        #expect(wouldGo == ["1", "3", "5"], "\(dry.stdout)")
        #expect(Lifecycle.contents(db) == file, "--dry-run must not change the warehouse")
        #expect(try Lifecycle.runIDs(db) == [1, 2, 3, 4, 5, 6])

        let one = try CLI.run(["runs", "delete", "--db", db, "--keep-last", "0", "--label", "head"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(try Lifecycle.runIDs(db) == [1, 2, 5, 6])
        let rest = try CLI.run(["runs", "delete", "--db", db, "--keep-last", "1"])
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(try Lifecycle.runIDs(db) == [2, 6])
        let none = try CLI.run(["runs", "delete", "--db", db, "--keep-last", "1"])
        #expect(none.stdout == "no runs to delete\n")
        let unknown = try CLI.run(["runs", "delete", "--db", db, "--keep-last", "1", "--label", "nope"])
        #expect(unknown.status != 0 && Lifecycle.lines(unknown.stderr).count == 1, "\(unknown.stderr)")
        let both = try CLI.run(["runs", "delete", "--db", db, "--keep-last", "1", "2"])
        #expect(both.status != 0)
        #expect(try Lifecycle.runIDs(db) == [2, 6])
    }

    @Test func aDeleteKilledMidwayLeavesEveryRunWhole() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        let before = try Lifecycle.rowsPerRun(db)
        let hold = directory.path("hold")
        let (process, _, _) = try Lifecycle.heldDelete(["--db", db, "head", "base"], hold: hold)
        // The first table has lost the runs' rows inside the transaction: kill the process there.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(try Lifecycle.rowsPerRun(db) == before)
        #expect(try Lifecycle.runIDs(db) == [1, 2, 3])
        let check = try CLI.run(["query", "--db", db, "--format", "csv", "PRAGMA integrity_check"])
        #expect(check.stdout == "integrity_check\nok\n", "\(check.stdout)\(check.stderr)")
        // And the warehouse takes writes again (the dead process's lock is gone).
        let again = try CLI.run(["runs", "delete", "--db", db, "head", "--lock-timeout", "5"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Lifecycle.runIDs(db) == [1, 2])
    }

    @Test func readersKeepAConsistentViewDuringADelete() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        let before = try Lifecycle.rowsPerRun(db)
        let report = try CLI.run(["report", "mutex-share", "--db", db, "--run", "head", "--format", "csv"])
        let hold = directory.path("hold")
        let (process, out, err) = try Lifecycle.heldDelete(["--db", db, "head"], hold: hold)
        // Mid-delete: every table still shows all of run 3, and reports read it as before.
        #expect(try Lifecycle.rowsPerRun(db) == before)
        #expect(try Lifecycle.runIDs(db) == [1, 2, 3])
        let during = try CLI.run(["report", "mutex-share", "--db", db, "--run", "head", "--format", "csv"])
        #expect(during.status == 0 && during.stdout == report.stdout, "\(during.stderr)")
        try FileManager.default.removeItem(atPath: hold)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(String(decoding: stderr, as: UTF8.self))")
        #expect(String(decoding: stdout, as: UTF8.self).contains("deleted run 3 (head)"))
        let after = try Lifecycle.rowsPerRun(db)
        #expect(Lifecycle.runsOf(after, 3).isEmpty)
        #expect(after == before.filter { !$0.key.hasSuffix(" 3") })
    }

    @Test func vacuumGivesTheSpaceBackAndKeepsTheRuns() throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("w.db")
        for scenario in ["gc", "many", "mutex"] {
            let result = try CLI.run(["ingest", "--db", db, CLI.fixture("1.27", scenario)])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let report = try CLI.run(["report", "goroutine-analysis", "--db", db, "--run", "3", "--format", "csv"])
        let deleted = try CLI.run(["runs", "delete", "--db", db, "1", "2"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        let size = { ((try? FileManager.default.attributesOfItem(atPath: db)[.size] as? NSNumber)?.int64Value) ?? 0 }
        let before = size()
        // The deleted runs' pages are free (with 64 KiB pages, a warehouse of three small runs is mostly the
        // first page of each of its ~50 tables and indexes: the file shrinks by its free pages, not by half).
        let pages = { (pragma: String) -> Int64 in
            let out = try CLI.run(["query", "--db", db, "--format", "csv", "PRAGMA \(pragma)"]).stdout
            return Int64(Lifecycle.lines(out).last ?? "") ?? 0
        }
        let free = try pages("freelist_count") * pages("page_size")
        #expect(free > before / 4, "\(free) of \(before) bytes free after the delete")
        let vacuum = try CLI.run(["vacuum", "--db", db])
        #expect(vacuum.status == 0, "\(vacuum.stderr)")
        #expect(vacuum.stderr.isEmpty, "no progress off a terminal: \(vacuum.stderr)")
        #expect(vacuum.stdout.hasPrefix("vacuumed \(db): "))
        let after = size()
        #expect(after <= before - free, "vacuum: \(before) -> \(after) bytes, \(free) of them free")
        #expect(try Lifecycle.runIDs(db) == [3])
        let again = try CLI.run(["report", "goroutine-analysis", "--db", db, "--run", "3", "--format", "csv"])
        #expect(again.stdout == report.stdout)
        let check = try CLI.run(["query", "--db", db, "--format", "csv", "PRAGMA integrity_check"])
        #expect(check.stdout == "integrity_check\nok\n")
    }
}

@Suite struct ProgressCLITests {
    @Test func ingestShowsEventsOnATerminalAndNothingOtherwise() throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("w.db")
        let trace = CLI.fixture("1.27", "gc")
        let plain = try CLI.run(["ingest", "--db", db, trace])
        #expect(plain.status == 0 && plain.stderr.isEmpty, "\(plain.stderr)")
        guard let (status, screen) = try Lifecycle.onTerminal(["ingest", "--db", directory.path("t.db"), trace]) else {
            Issue.record("script(1) is needed to give traceware a terminal")
            return
        }
        #expect(status == 0, "\(screen)")
        // "[####...] 100% 350 KB/350 KB, 71.7k events  PATH", then the bar is erased before the run line.
        #expect(screen.contains("% "), "\(screen)")
        #expect(screen.contains("k events"), "\(screen)")
        #expect(screen.contains("\u{1B}[K"), "\(screen)")
        #expect(screen.contains("run 1: "))
        guard let (_, quiet) = try Lifecycle.onTerminal(["ingest", "--quiet", "--db", directory.path("q.db"), trace]) else { return }
        #expect(!quiet.contains("events  "), "\(quiet)")
        #expect(!quiet.contains("\u{1B}[K"), "\(quiet)")
        #expect(quiet.contains("run 1: "))
    }

    @Test func deleteShowsItsTableOnATerminal() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        guard let (status, screen) = try Lifecycle.onTerminal(["runs", "delete", "--db", db, "1"]) else {
            Issue.record("script(1) is needed to give traceware a terminal")
            return
        }
        #expect(status == 0, "\(screen)")
        #expect(screen.contains("deleting runs: table 1 of "), "\(screen)")
        #expect(screen.contains("\u{1B}[Kdeleted run 1 (base)"), "the status line is erased first: \(screen)")
        guard let (_, quiet) = try Lifecycle.onTerminal(["runs", "delete", "--quiet", "--db", db, "2"]) else { return }
        #expect(!quiet.contains("deleting runs"), "\(quiet)")
        #expect(quiet.contains("deleted run 2 (base)"))
    }

    @Test func aSlowQuerySaysWhatItRunsOnATerminalUntilItsOutput() throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("w.db")
        #expect(try CLI.run(["ingest", "--db", db, CLI.fixture("1.27", "chan")]).status == 0)
        // A few seconds of SQLite work (12M steps of a recursive CTE), then one row.
        let slow = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 12000000) "
            + "SELECT count(*) AS n FROM c"
        let plain = try CLI.run(["query", "--db", db, "--format", "csv", slow])
        #expect(plain.status == 0 && plain.stdout == "n\n12000000\n" && plain.stderr.isEmpty, "\(plain.stderr)")
        guard let (status, screen) = try Lifecycle.onTerminal(["query", "--db", db, "--format", "csv", slow]) else {
            Issue.record("script(1) is needed to give traceware a terminal")
            return
        }
        #expect(status == 0, "\(screen)")
        #expect(screen.contains("\u{1B}[Kquery: "), "\(screen)")
        #expect(screen.hasSuffix("\r\u{1B}[Kn\r\n12000000\r\n"), "erased before the output: \(screen)")
    }

    @Test func anIngestWaitingForTheWriteLockSaysSoAtOnce() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        let hold = directory.path("hold")
        let (deleter, _, _) = try Lifecycle.heldDelete(["--db", db, "1"], hold: hold)
        let (ingest, out, err) = try TestProcess.start(
            tracewareExecutable, ["ingest", "--db", db, "--lock-timeout", "60", CLI.fixture("1.27", "gc")],
            environment: ["TRACEWARE_DB": nil])
        // The notice comes while the lock is still held (the delete waits for the hold file).
        let notice = String(decoding: err.fileHandleForReading.availableData, as: UTF8.self)
        #expect(notice == "traceware ingest: waiting for another process's write lock on \(db) (an ingest, a delete or a vacuum; up to 60 s)\n")
        #expect(ingest.isRunning && deleter.isRunning)
        try FileManager.default.removeItem(atPath: hold)
        deleter.waitUntilExit()
        _ = out.fileHandleForReading.readDataToEndOfFile()
        let rest = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ingest.waitUntilExit()
        #expect(deleter.terminationStatus == 0)
        #expect(ingest.terminationStatus == 0, "\(rest)")
        #expect(try Lifecycle.runIDs(db) == [2, 3, 4])
    }
}

@Suite struct WarehouseErrorCLITests {
    /// The warehouse and whatever files SQLite keeps beside it.
    static func snapshot(_ db: String) -> [String: Data] {
        var files: [String: Data] = [:]
        // Not -shm: it is shared memory, where every reader writes its marks.
        for suffix in ["", "-wal", "-journal"] {
            // An empty -wal holds nothing (a read-only connection leaves one behind; the next writer removes it).
            if let data = Lifecycle.contents(db + suffix), !(suffix == "-wal" && data.isEmpty) { files[suffix] = data }
        }
        return files
    }

    /// One line on stderr, a non-zero status, and the warehouse as it was.
    static func expectOneLineFailure(
        _ result: CLI.Output, _ db: String, unchanged before: [String: Data], containing words: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.status != 0, sourceLocation: sourceLocation)
        #expect(Lifecycle.lines(result.stderr).count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.count < 400, "\(result.stderr)", sourceLocation: sourceLocation)
        for word in words { #expect(result.stderr.contains(word), "\(result.stderr)", sourceLocation: sourceLocation) }
        #expect(snapshot(db) == before, "the warehouse changed", sourceLocation: sourceLocation)
    }

    /// Runs traceware as an unprivileged user: root may write read-only files. nil when that is impossible.
    /// As root, the binary runs from a copy in `tools` (a directory anyone can read: the build directory may be
    /// under a private home, as in CI), through setpriv(1) as nobody.
    static func runUnprivileged(_ arguments: [String], tools: TemporaryDirectory) throws -> CLI.Output? {
        if geteuid() != 0 { return try CLI.run(arguments) }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return nil }
        let copy = tools.path("traceware")
        if !FileManager.default.fileExists(atPath: copy) {
            try FileManager.default.copyItem(atPath: tracewareExecutable, toPath: copy)
            chmod(tools.url.path, 0o755)
        }
        let (status, stdout, stderr) = try TestProcess.run(
            "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", copy] + arguments,
            environment: ["TRACEWARE_DB": nil])
        return CLI.Output(status: status, stdout: stdout, stderr: stderr)
    }

    @Test func aReadOnlyFileOrDirectory() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        let tools = try TemporaryDirectory()
        let trace = tools.path("gc.trace")  // readable by anyone
        try FileManager.default.copyItem(atPath: CLI.fixture("1.27", "gc"), toPath: trace)
        // The directory open to all, the file read-only.
        chmod(directory.url.path, 0o777)
        chmod(db, 0o444)
        var before = Self.snapshot(db)
        for arguments in [["ingest", "--db", db, trace], ["runs", "delete", "--db", db, "1"], ["vacuum", "--db", db]] {
            guard let result = try Self.runUnprivileged(arguments, tools: tools) else {
                Issue.record("cannot run traceware unprivileged (setpriv missing)")
                return
            }
            Self.expectOneLineFailure(result, db, unchanged: before, containing: [db, "the file is read-only"])
        }
        // The file writable, the directory (where the WAL's files go) read-only.
        chmod(db, 0o666)
        chmod(directory.url.path, 0o555)
        defer { chmod(directory.url.path, 0o755) }
        before = Self.snapshot(db)
        for arguments in [["ingest", "--db", db, trace], ["runs", "delete", "--db", db, "1"]] {
            guard let result = try Self.runUnprivileged(arguments, tools: tools) else { return }
            Self.expectOneLineFailure(result, db, unchanged: before, containing: [db, "directory", "read-only"])
        }
        #expect(try Lifecycle.runIDs(db) == [1, 2, 3])
    }

    @Test func aWarehouseLockedPastTheTimeout() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        let hold = directory.path("hold")
        let (deleter, _, _) = try Lifecycle.heldDelete(["--db", db, "1"], hold: hold)
        defer {
            try? FileManager.default.removeItem(atPath: hold)
            deleter.waitUntilExit()
        }
        let before = Self.snapshot(db)
        for arguments in [
            ["ingest", "--db", db, CLI.fixture("1.27", "gc")], ["runs", "delete", "--db", db, "2"], ["vacuum", "--db", db],
        ] {
            let start = Date()
            let result = try CLI.run(arguments + ["--quiet", "--lock-timeout", "0.5"])
            #expect(Date().timeIntervalSince(start) >= 0.5)
            Self.expectOneLineFailure(
                result, db, unchanged: before, containing: [db, "another process holds the warehouse's write lock", "0.5 s"])
        }
    }

    @Test func aDamagedWarehouse() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        // Overwrite the start of the runs table's root page (its b-tree page header) with garbage.
        let root = try CLI.json(
            try CLI.run(["query", "--db", db, "--format", "json", "SELECT rootpage FROM sqlite_schema WHERE name = 'runs'"])
        ).first?["rootpage"] as? Int ?? 0
        let pageSize = try CLI.json(try CLI.run(["query", "--db", db, "--format", "json", "PRAGMA page_size"]))
            .first?["page_size"] as? Int ?? 0
        #expect(root > 1 && pageSize > 0)
        let handle = try #require(FileHandle(forUpdatingAtPath: db))
        try handle.seek(toOffset: UInt64((root - 1) * pageSize))
        handle.write(Data(repeating: 0xFF, count: 64))
        try handle.close()
        let check = try CLI.run(["query", "--db", db, "--format", "csv", "PRAGMA integrity_check"])
        #expect(check.stdout != "integrity_check\nok\n", "the damage must show: \(check.stdout)")

        let before = Self.snapshot(db)
        for arguments in [["ingest", "--db", db, CLI.fixture("1.27", "gc")], ["runs", "delete", "--db", db, "1"]] {
            let result = try CLI.run(arguments)
            Self.expectOneLineFailure(result, db, unchanged: before, containing: [db, "damaged", "integrity_check"])
        }
    }

    @Test func aWarehouseOfANewerTraceware() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        // PRAGMA user_version is the schema version: bytes 60-63 of the file header, big-endian.
        let handle = try #require(FileHandle(forUpdatingAtPath: db))
        try handle.seek(toOffset: 60)
        handle.write(Data([0, 0, 0x03, 0xE7]))  // 999
        try handle.close()
        let before = Self.snapshot(db)
        for arguments in [
            ["ingest", "--db", db, CLI.fixture("1.27", "gc")], ["runs", "delete", "--db", db, "1"], ["vacuum", "--db", db],
        ] {
            let result = try CLI.run(arguments)
            Self.expectOneLineFailure(result, db, unchanged: before, containing: [db, "version 999", "newer traceware"])
        }
    }

    /// An 8 MB tmpfs: an ingest into a new warehouse, then into an existing one, each filling the disk.
    /// Needs root (mount); skipped elsewhere, except in CI (CI=true), where it must run.
    @Test func theDiskFillsDuringAnIngest() throws {
        let directory = try TemporaryDirectory()
        let mountPoint = directory.path("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mount = try TestProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint])
        guard mount.0 == 0 else {
            if Lifecycle.isCI { Issue.record("cannot mount a tmpfs (needs root): \(mount.2)") }
            return
        }
        defer { _ = try? TestProcess.run("/bin/umount", [mountPoint]) }
        let db = mountPoint + "/w.db"
        let trace = CLI.fixture("1.27", "gc")  // 350 KB: about 4.5 MB of warehouse

        // A new warehouse: 5 MB of the 8 taken by another file.
        let filler = mountPoint + "/filler"
        #expect(FileManager.default.createFile(atPath: filler, contents: Data(count: 5_000_000)))
        let new = try CLI.run(["ingest", "--db", db, trace])
        #expect(new.status != 0)
        #expect(Lifecycle.lines(new.stderr).count == 1, "\(new.stderr)")
        for words in [db, "the disk is full", "needs roughly 4.5 MB", "nothing of the run was kept"] {
            #expect(new.stderr.contains(words), "\(new.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint) == ["filler"], "no warehouse, no draft left")

        // An existing warehouse holding a small run.
        try FileManager.default.removeItem(atPath: filler)
        let first = try CLI.run(["ingest", "--db", db, CLI.fixture("1.27", "mutex")])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileManager.default.createFile(atPath: filler, contents: Data(count: 4_500_000)))
        let before = Self.snapshot(db)
        let existing = try CLI.run(["ingest", "--db", db, trace])
        Self.expectOneLineFailure(
            existing, db, unchanged: before, containing: [db, "the disk is full", "nothing of the run was kept"])
        #expect(try Lifecycle.runIDs(db) == [1])
    }
}
