import Foundation
import Testing

@testable import Warehouse

/// Real `traceware` processes against one warehouse (issue 6): killed mid-ingest, and queries during an
/// ingest. The large trace is written at test time by the fixture workload program (scenario busy) with the
/// oracle Go toolchain: a real trace, big enough for an ingest to take a while.
enum ProcessSupport {
    /// The traceware executable built next to the test bundle.
    static var traceware: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("traceware").path
    }

    static let busyTrace: GoSummary.Result2<String> = {
        do {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("traceware-busy-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let program = packageRoot.appendingPathComponent("Tests/Fixtures/programs/workload").path
            let binary = dir.appendingPathComponent("workload").path
            let env = ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"]
            var (status, _, stderr) = try GoSummary.run(GoSummary.goBinary, ["build", "-o", binary, "."], directory: program, environment: env)
            guard status == 0 else { return .failure("building the workload failed: \(stderr)") }
            let trace = dir.appendingPathComponent("busy.trace").path
            (status, _, stderr) = try GoSummary.run(binary, ["-scenario", "busy", "-duration", "3s", "-o", trace], environment: env)
            guard status == 0 else { return .failure("the busy workload failed: \(stderr)") }
            return .success(trace)
        } catch {
            return .failure("\(error)")
        }
    }()

    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: traceware)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    static func run(_ arguments: [String]) throws -> (Int32, String, String) {
        try GoSummary.run(traceware, arguments)
    }
}

@Suite(.serialized) struct ProcessTests {
    @Test func tracewareBinaryExists() {
        #expect(FileManager.default.isExecutableFile(atPath: ProcessSupport.traceware), "\(ProcessSupport.traceware)")
    }

    /// kill -9 at several moments of a real ingest: the warehouse stays consistent, holds no partial run,
    /// and the next ingest works.
    @Test func killedIngestLeavesNoPartialRun() throws {
        let busy = try ProcessSupport.busyTrace.get()
        let small = try #require(BadInputTests.multiGeneration, "no fixture trace")
        let dir = try TemporaryDirectory()
        let db = dir.path("w.db")
        var (status, _, stderr) = try ProcessSupport.run(["ingest", "--db", db, small])
        #expect(status == 0, "\(stderr)")

        for delay in [0.05, 0.3, 1.0, 2.5] {
            let (process, _, _) = try ProcessSupport.start(["ingest", "--db", db, "--replace", busy])
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            let check = try Database(path: db, mode: .readOnly)
            #expect(try check.scalarText("PRAGMA integrity_check") == "ok", "after kill at \(delay)s")
            #expect(try check.scalarInt64("SELECT count(*) FROM runs") == 1, "after kill at \(delay)s")
            // No rows of any table belong to a run that is not in runs.
            let tables = try check.rows(
                "SELECT m.name FROM sqlite_schema m WHERE m.type = 'table' AND m.name <> 'runs' AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'run_id')")
            for case .text(let table) in tables.map({ $0[0] }) {
                #expect(
                    try check.scalarInt64("SELECT count(*) FROM \(table) WHERE run_id NOT IN (SELECT run_id FROM runs)") == 0,
                    "\(table) holds rows of a partial run after kill at \(delay)s")
            }
        }
        // The next ingest works.
        let copy = dir.path("copy.trace")
        try FileManager.default.copyItem(atPath: small, toPath: copy)
        (status, _, stderr) = try ProcessSupport.run(["ingest", "--db", db, "--replace", copy])
        #expect(status == 0, "\(stderr)")
        let check = try Database(path: db, mode: .readOnly)
        #expect(try check.scalarText("PRAGMA integrity_check") == "ok")
    }

    /// A truncated trace: exit 0, a warning on stderr, the run marked truncated. Bad input: one line naming
    /// the file, a non-zero exit, and no warehouse created.
    @Test func truncatedAndBadInputAtTheCommandLine() throws {
        let source = try #require(BadInputTests.multiGeneration, "no fixture trace")
        let dir = try TemporaryDirectory()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let cut = dir.path("cut.trace")
        try bytes.prefix(bytes.count * 9 / 10).write(to: URL(fileURLWithPath: cut))
        let db = dir.path("w.db")
        var (status, out, err) = try ProcessSupport.run(["ingest", "--db", db, cut])
        #expect(status == 0, "\(err)")
        #expect(err.contains("warning:") && err.contains(cut), "\(err)")
        #expect(out.hasPrefix("run 1: go1."), "\(out)")
        (status, out, _) = try ProcessSupport.run(["query", "--db", db, "--format", "csv", "SELECT truncated FROM runs"])
        #expect(out == "truncated\n1\n")

        let noise = dir.path("noise.trace")
        try Data((0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: URL(fileURLWithPath: noise))
        let fresh = dir.path("fresh.db")
        for path in [noise, dir.path("missing.trace"), dir.url.path] {
            (status, _, err) = try ProcessSupport.run(["ingest", "--db", fresh, path])
            #expect(status != 0)
            let lines = err.split(separator: "\n")
            #expect(lines.count == 1 && err.contains(path), "\(err)")
            #expect(!FileManager.default.fileExists(atPath: fresh), "a failed ingest created the warehouse")
        }
        // A duplicate is refused, naming the run.
        (status, _, err) = try ProcessSupport.run(["ingest", "--db", db, cut])
        #expect(status != 0 && err.contains("run 1") && err.contains("--replace"), "\(err)")
    }

    /// One ingest and several query processes at once: no "database is locked".
    @Test func queriesRunDuringAnIngest() throws {
        let busy = try ProcessSupport.busyTrace.get()
        let small = try #require(BadInputTests.multiGeneration, "no fixture trace")
        let dir = try TemporaryDirectory()
        let db = dir.path("w.db")
        let (status0, _, stderr0) = try ProcessSupport.run(["ingest", "--db", db, small])
        #expect(status0 == 0, "\(stderr0)")

        let (ingest, _, ingestErr) = try ProcessSupport.start(["ingest", "--db", db, busy])
        var queries = 0
        let deadline = Date().addingTimeInterval(60)
        while ingest.isRunning && Date() < deadline {
            var running: [(Process, Pipe, Pipe)] = []
            for sql in ["SELECT count(*) FROM runs", "SELECT state, sum(duration_ns) FROM goroutine_states GROUP BY state"] {
                running.append(try ProcessSupport.start(["query", "--db", db, "--format", "csv", sql]))
            }
            running.append(try ProcessSupport.start(["runs", "--db", db]))
            for (process, out, err) in running {
                let output = out.fileHandleForReading.readDataToEndOfFile()
                let error = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                #expect(process.terminationStatus == 0, "\(error)")
                #expect(!error.contains("locked"), "\(error)")
                #expect(!output.isEmpty)
                queries += 1
            }
        }
        let ingestError = String(decoding: ingestErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ingest.waitUntilExit()
        #expect(ingest.terminationStatus == 0, "\(ingestError)")
        #expect(queries >= 3, "the ingest ended before any query ran")
        let (status, out, _) = try ProcessSupport.run(["query", "--db", db, "--format", "csv", "SELECT count(*) FROM runs"])
        #expect(status == 0 && out == "count(*)\n2\n")
    }
}
