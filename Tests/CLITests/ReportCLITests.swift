import Foundation
import TestSupport
import Testing

/// `traceware reports` and `traceware report` as a user runs them: the built binary, a warehouse made by
/// `traceware ingest` from fixture traces.
enum CLI {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the built traceware, without any $TRACEWARE_DB of the test environment.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        var env: [String: String?] = ["TRACEWARE_DB": nil]
        for (k, v) in environment { env[k] = v }
        let (status, stdout, stderr) = try TestProcess.run(tracewareExecutable, arguments, environment: env)
        return Output(status: status, stdout: stdout, stderr: stderr)
    }

    static func fixture(_ version: String, _ scenario: String) -> String {
        packageRoot.appendingPathComponent("Tests/Fixtures/traces/go\(version)/\(scenario).trace").path
    }

    /// A warehouse with runs 1, 2 labelled "base" (go1.27 sleep and chan) and run 3 labelled "head" (go1.27 mutex).
    static func warehouse(_ directory: TemporaryDirectory) throws -> String {
        let db = directory.path("w.db")
        for (scenario, label) in [("sleep", "base"), ("chan", "base"), ("mutex", "head")] {
            let result = try run(["ingest", "--db", db, "--label", label, fixture("1.27", scenario)])
            guard result.status == 0 else { throw CLIFailure(description: "ingest failed: \(result.stderr)") }
        }
        return db
    }

    struct CLIFailure: Error, CustomStringConvertible { var description: String }

    /// The rows of `--format json`.
    static func json(_ output: Output) throws -> [[String: Any]] {
        let value = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
        return (value as? [[String: Any]]) ?? []
    }
}

@Suite struct ReportCLITests {
    @Test func reportsListsTheCannedReportsWithoutAWarehouse() throws {
        let directory = try TemporaryDirectory()
        let result = try CLI.run(["reports", "--db", directory.path("none.db"), "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try CLI.json(result)
        let names = Set(rows.compactMap { $0["name"] as? String })
        #expect(names.isSuperset(of: ["mutex-share", "latency-breakdown", "goroutine-analysis", "blocking-stacks"]))
        for row in rows {
            #expect(row["origin"] as? String == "canned")
            #expect(!((row["summary"] as? String) ?? "").isEmpty)
        }
        let mutex = rows.first { $0["name"] as? String == "mutex-share" }
        #expect(mutex?["parameters"] as? String == "top = 5")
        #expect(!FileManager.default.fileExists(atPath: directory.path("none.db")), "listing must not create a warehouse")
    }

    @Test func reportRunsByIDLabelOrLatest() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        // Default: the latest run (3, "head").
        var rows = try CLI.json(try CLI.run(["report", "mutex-share", "--db", db, "--format", "json"]))
        #expect(rows.map { $0["run"] as? String } == ["head"])
        #expect(((rows.first?["share"] as? Double) ?? 0) > 0.3)
        // A label with two runs: both, oldest first, with the same columns.
        rows = try CLI.json(try CLI.run(["report", "mutex-share", "--db", db, "--run", "base", "--format", "json"]))
        #expect(rows.map { $0["run"] as? String } == ["base", "base"])
        // By id, through $TRACEWARE_DB, and `report run NAME` spelled out.
        let byID = try CLI.run(["report", "run", "latency-breakdown", "--run", "1", "--format", "csv"], environment: ["TRACEWARE_DB": db])
        #expect(byID.status == 0, "\(byID.stderr)")
        #expect(byID.stdout.hasPrefix("run,category,ns,intervals,share\n"))
        #expect(byID.stdout.contains("base,sleep,"))
        // Several --run options.
        rows = try CLI.json(try CLI.run(["report", "mutex-share", "--db", db, "--run", "head", "--run", "2", "--format", "json"]))
        #expect(rows.count == 2)
        // No such run.
        let missing = try CLI.run(["report", "mutex-share", "--db", db, "--run", "nope"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no run with id or label nope"))
    }

    @Test func parametersAreBoundAndChecked() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        // An injection attempt is a value: no goroutine has that start function, and nothing else happens.
        let injection = try CLI.run([
            "report", "goroutine-analysis", "--db", db, "--param", "function=x' OR 1=1; DROP TABLE runs; --", "--format", "json",
        ])
        #expect(injection.status == 0, "\(injection.stderr)")
        #expect(try CLI.json(injection).isEmpty)
        let runs = try CLI.json(try CLI.run(["runs", "--db", db, "--format", "json"]))
        #expect(runs.count == 3)
        // A drill-down by a real start function.
        let drill = try CLI.json(try CLI.run([
            "report", "goroutine-analysis", "--db", db, "--param", "function=main.mutexScenario.func1", "--format", "json",
        ]))
        #expect(drill.count == 8)
        #expect(drill.allSatisfy { $0["start_function"] as? String == "main.mutexScenario.func1" && $0["goid"] is Int })
        // top=1 keeps one stack.
        let top = try CLI.json(try CLI.run(["report", "blocking-stacks", "--db", db, "--param", "kind=sync", "--param", "top=1", "--format", "json"]))
        #expect(top.count == 1)
        // Unknown parameter: the error names the declared ones.
        let unknown = try CLI.run(["report", "mutex-share", "--db", db, "--param", "bogus=1"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("has no parameter bogus"))
        #expect(unknown.stderr.contains("top = 5"))
        // Not KEY=VALUE: a usage error.
        let malformed = try CLI.run(["report", "mutex-share", "--db", db, "--param", "top"])
        #expect(malformed.status == 64, "\(malformed.stderr)")
        #expect(malformed.stderr.contains("KEY=VALUE"))
    }

    @Test func unknownReportListsTheNames() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        let result = try CLI.run(["report", "no-such-report", "--db", db])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no report named no-such-report"))
        #expect(result.stderr.contains("mutex-share"))
    }

    @Test func saveRunAndDeleteAReport() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        let sql = "SELECT count(*) AS goroutines FROM goroutines WHERE run_id = :run_id AND is_system = :system"
        let file = directory.path("count.sql")
        try "-- summary: Goroutines of a run.\n-- param: system = 0 : 1 for runtime goroutines\n\(sql)\n"
            .write(toFile: file, atomically: true, encoding: .utf8)

        var result = try CLI.run(["report", "save", "goroutine-count", "--file", file, "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
        var listed = try CLI.json(try CLI.run(["reports", "--db", db, "--format", "json"]))
        let saved = listed.first { $0["name"] as? String == "goroutine-count" }
        #expect(saved?["origin"] as? String == "saved")
        #expect(saved?["summary"] as? String == "Goroutines of a run.")
        #expect(saved?["parameters"] as? String == "system = 0")

        let rows = try CLI.json(try CLI.run(["report", "goroutine-count", "--db", db, "--run", "head", "--format", "json"]))
        #expect(rows.first?["goroutines"] as? Int == 10)  // 8 workers, main, the tracer's goroutine
        let system = try CLI.json(try CLI.run([
            "report", "goroutine-count", "--db", db, "--run", "head", "--param", "system=1", "--format", "json",
        ]))
        #expect(((system.first?["goroutines"] as? Int) ?? 0) > 0)

        // --sql with --summary replaces it.
        result = try CLI.run(["report", "save", "goroutine-count", "--sql", "SELECT 1 AS one", "--summary", "One.", "--db", db])
        #expect(result.status == 0)
        #expect(result.stdout.contains("replaced"))
        listed = try CLI.json(try CLI.run(["reports", "--db", db, "--format", "json"]))
        #expect(listed.first { $0["name"] as? String == "goroutine-count" }?["summary"] as? String == "One.")

        result = try CLI.run(["report", "delete", "goroutine-count", "--db", db])
        #expect(result.status == 0, "\(result.stderr)")
        result = try CLI.run(["report", "goroutine-count", "--db", db])
        #expect(result.status != 0)
        result = try CLI.run(["report", "delete", "goroutine-count", "--db", db])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no saved report named goroutine-count"))
        // Deleting from a missing warehouse does not create one.
        result = try CLI.run(["report", "delete", "goroutine-count", "--db", directory.path("missing.db")])
        #expect(result.status != 0)
        #expect(!FileManager.default.fileExists(atPath: directory.path("missing.db")))
    }

    @Test func saveRefusesWritesAndBadFlags() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        var result = try CLI.run(["report", "save", "evil", "--sql", "DELETE FROM runs", "--db", db])
        #expect(result.status != 0)
        #expect(result.stderr.contains("must only read"))
        result = try CLI.run(["report", "save", "broken", "--sql", "SELECT * FROM nowhere", "--db", db])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no such table"))
        // Exactly one of --sql and --file; a valid name.
        result = try CLI.run(["report", "save", "x", "--db", db])
        #expect(result.status == 64)
        result = try CLI.run(["report", "save", "x", "--sql", "SELECT 1", "--file", "f.sql", "--db", db])
        #expect(result.status == 64)
        result = try CLI.run(["report", "save", "bad name", "--sql", "SELECT 1", "--db", db])
        #expect(result.status == 64)
        let runs = try CLI.json(try CLI.run(["runs", "--db", db, "--format", "json"]))
        #expect(runs.count == 3)
        // Deleting a canned report is refused.
        result = try CLI.run(["report", "delete", "mutex-share", "--db", db])
        #expect(result.status != 0)
        #expect(result.stderr.contains("canned"))
    }

    @Test func queriesDirectoryReplacesACannedReport() throws {
        let directory = try TemporaryDirectory()
        let db = try CLI.warehouse(directory)
        let queries = directory.path("queries")
        try FileManager.default.createDirectory(atPath: queries, withIntermediateDirectories: true)
        try "-- summary: Edited.\nSELECT 'edited' AS what, :run_id AS run_id\n"
            .write(toFile: queries + "/mutex-share.sql", atomically: true, encoding: .utf8)
        let rows = try CLI.json(try CLI.run([
            "report", "mutex-share", "--db", db, "--queries-dir", queries, "--run", "2", "--format", "json",
        ]))
        #expect(rows.count == 1)
        #expect(rows.first?["what"] as? String == "edited")
        #expect(rows.first?["run_id"] as? Int == 2)
        let listed = try CLI.json(try CLI.run(["reports", "--db", db, "--queries-dir", queries, "--format", "json"]))
        #expect(listed.first { $0["name"] as? String == "mutex-share" }?["origin"] as? String == queries + "/mutex-share.sql")
        // Without the option, the canned one.
        let canned = try CLI.json(try CLI.run(["report", "mutex-share", "--db", db, "--format", "json"]))
        #expect(canned.first?["share"] != nil)
    }
}
