import Foundation
import TestSupport
import Testing

/// `traceware export pprof` as a user runs it: bad input gets one line and a non-zero exit and never leaves a
/// file at the target path; what it writes, go tool pprof reads (also as -diff_base).
@Suite struct ExportCLITests {
    static let env: [String: String?] = ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"]

    static func fixture(_ version: String, _ scenario: String) -> String {
        packageRoot.appendingPathComponent("Tests/Fixtures/traces/go\(version)/\(scenario).trace").path
    }

    /// A warehouse with the mutex trace of Go 1.22 (label base) and of Go 1.27 (label head).
    static func warehouse(_ dir: TemporaryDirectory) throws -> String {
        let db = dir.path("w.db")
        for (label, version) in [("base", "1.22"), ("head", "1.27")] {
            let (status, _, stderr) = try TestProcess.run(
                tracewareExecutable, ["ingest", "--db", db, "--label", label, fixture(version, "mutex")])
            try #require(status == 0, "ingest: \(stderr)")
        }
        return db
    }

    static func export(_ args: [String], db: String) throws -> (Int32, String, String) {
        try TestProcess.run(tracewareExecutable, ["export", "pprof", "--db", db] + args)
    }

    @Test func badInputIsOneLineAndLeavesNoFile() throws {
        let dir = try TemporaryDirectory()
        let db = try Self.warehouse(dir)
        let target = dir.path("out.pb.gz")
        let cases: [([String], String)] = [
            (["--run", "nosuchrun", "--kind", "sync"], "no run with id or label nosuchrun"),
            (["--run", "head", "--kind", "net"], "holds no net samples"),
            (["--run", "head", "--kind", "sync", "--function", "main.nosuch"], "holds no sync samples"),
            (["--run", "head", "--kind", "sync", "--from", "0", "--to", "1"], "holds no sync samples"),
            (["--run", "head", "--sql", "DELETE FROM runs"], "would write"),
            (["--run", "head", "--sql", "SELECT 1 AS n"], "stack_id"),
            (["--run", "head", "--sql", "SELECT stack_id FROM cpu_samples WHERE 0"], "no rows"),
            (["--run", "head", "--sql", "SELEC nonsense"], "does not prepare"),
        ]
        for (args, message) in cases {
            let (status, stdout, stderr) = try Self.export(args + ["-o", target], db: db)
            #expect(status != 0, "\(args) exited 0")
            #expect(stdout.isEmpty, "\(args) printed \(stdout)")
            let lines = stderr.split(separator: "\n")
            #expect(lines.count == 1 && stderr.contains(message), "\(args): \(stderr)")
            #expect(!FileManager.default.fileExists(atPath: target), "\(args) left \(target)")
        }
        // An unwritable path: one line, nothing there, no temporary file left beside it.
        let unwritable = dir.path("missing-dir/out.pb.gz")
        let (status, _, stderr) = try Self.export(["--run", "head", "--kind", "sync", "-o", unwritable], db: db)
        #expect(status != 0 && stderr.split(separator: "\n").count == 1 && stderr.contains("cannot write"), "\(stderr)")
        // A failing export over an existing file leaves that file as it was.
        try Data("keep".utf8).write(to: URL(fileURLWithPath: target))
        _ = try Self.export(["--run", "head", "--kind", "net", "-o", target], db: db)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    /// Two runs' profiles: go tool pprof reads each, and reads head with -diff_base base (the CI recipe), where
    /// the mutex line's delay is head's minus base's.
    @Test func diffBaseWorksInGoPprof() throws {
        let dir = try TemporaryDirectory()
        let db = try Self.warehouse(dir)
        var totals: [String: Int64] = [:]
        for label in ["base", "head"] {
            let file = dir.path("\(label).pb.gz")
            let (status, _, stderr) = try Self.export(["--run", label, "--kind", "sync", "-o", file], db: db)
            try #require(status == 0, "\(stderr)")
            let (s2, top, e2) = try TestProcess.run(
                goBinary, ["tool", "pprof", "-top", "-sample_index=delay", "-unit=ns", "-focus=main.mutexScenario.func1", file], environment: Self.env)
            try #require(s2 == 0, "pprof -top \(label): \(e2)")
            totals[label] = try #require(Self.shown(top), "no total in \(top)")
        }
        let (status, top, stderr) = try TestProcess.run(
            goBinary, ["tool", "pprof", "-top", "-sample_index=delay", "-unit=ns", "-focus=main.mutexScenario.func1",
                       "-diff_base", dir.path("base.pb.gz"), dir.path("head.pb.gz")], environment: Self.env)
        try #require(status == 0, "pprof -diff_base: \(stderr)")
        let base = try #require(totals["base"]), head = try #require(totals["head"])
        #expect(base > 0 && head > 0)
        #expect(Self.shown(top) == head - base, "diff total \(String(describing: Self.shown(top))), head \(head) - base \(base)\n\(top)")
    }

    /// "Showing nodes accounting for X ns, ..." of pprof -top -unit=ns: X (negative in a diff).
    static func shown(_ top: String) -> Int64? {
        guard let line = top.split(separator: "\n").first(where: { $0.contains("Showing nodes accounting for") }),
            let range = line.range(of: "accounting for ")
        else { return nil }
        let number = line[range.upperBound...].prefix { $0 == "-" || $0.isNumber }
        return Int64(number)
    }

    /// export timeline: a gzip'd file when -o ends in .gz that gunzips to JSON with goroutine slices; bad input
    /// gets one line, a non-zero exit and no file.
    @Test func timelineWritesGzipAndRefusesBadInput() throws {
        let dir = try TemporaryDirectory()
        let db = try Self.warehouse(dir)
        let file = dir.path("t.json.gz")
        let (status, _, stderr) = try TestProcess.run(tracewareExecutable, ["export", "timeline", "--db", db, "--run", "head", "-o", file])
        try #require(status == 0, "\(stderr)")
        let (zs, json, _) = try TestProcess.run("/bin/sh", ["-c", "gzip -dc \"$0\"", file])
        #expect(zs == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let events = try #require(object?["traceEvents"] as? [[String: Any]])
        #expect(events.contains { $0["ph"] as? String == "X" && $0["pid"] as? Int == 1 })
        let target = dir.path("bad.json")
        for (args, message) in [
            (["--run", "nosuchrun"], "no run with id or label"),
            (["--run", "head", "--function", "main.nosuch"], "holds no goroutine slices"),
            (["--run", "head", "--goroutines", "SELECT 1 AS x"], "goid"),
        ] {
            let (s, _, e) = try TestProcess.run(tracewareExecutable, ["export", "timeline", "--db", db] + args + ["-o", target])
            #expect(s != 0 && e.split(separator: "\n").count == 1 && e.contains(message), "\(args): \(e)")
            #expect(!FileManager.default.fileExists(atPath: target))
        }
    }
}
