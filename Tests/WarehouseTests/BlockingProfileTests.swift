import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// The blocking_profile table (totalled at ingest) against `go tool trace -pprof=KIND` read by `go tool pprof
/// -raw`, stack by stack, for the four kinds; on fixture traces, on a testing/synctest trace recorded at test time
/// (wake-ups from outside any goroutine that carry a stack), and on a warehouse upgraded to migration 0006.
enum BlockingProfileSupport {
    static let kinds = ["sync", "net", "syscall", "sched"]

    /// Tests needing Go run when it is there, and in CI, where a missing Go fails them.
    static var shouldRun: Bool { goIsAvailable || isCI }

    static let env: [String: String?] = ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"]

    /// Go's profile of one kind: per stack text ("function:line < ...", innermost first; a frame Go knows only by
    /// PC 0 is ":0", as the warehouse prints it), the sample count and the time.
    static func goProfile(_ kind: String, _ trace: String) throws -> [String: (count: Int64, ns: Int64)] {
        parseRaw(try ReportCoreSupport.pprofRaw(kind, trace))
    }

    /// pprof -raw: "Samples:" lines `count ns: loc loc ...`; "Locations" lines `id: 0xPC M=1 function
    /// file:line:col s=0` (cmd/trace makes one location per PC, one line each). A PC-0 frame has neither function
    /// nor file (`id: 0x0 M=1  :0:0 s=0`): ":0".
    static func parseRaw(_ text: String) -> [String: (count: Int64, ns: Int64)] {
        var samples: [(Int64, Int64, [String])] = []
        var locations: [String: String] = [:]
        var section = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Samples:") { section = "samples"; continue }
            if line.hasPrefix("Locations") { section = "locations"; continue }
            if line.hasPrefix("Mappings") { section = ""; continue }
            let fields = line.split(separator: " ").map(String.init)
            if section == "samples", fields.count >= 2, let count = Int64(fields[0]), fields[1].hasSuffix(":"),
                let ns = Int64(fields[1].dropLast())
            {
                samples.append((count, ns, Array(fields.dropFirst(2))))
            } else if section == "locations", fields.count >= 4, fields[0].hasSuffix(":"), fields[1].hasPrefix("0x") {
                var rest = fields.dropFirst(3)  // id, address, mapping
                if rest.last?.hasPrefix("s=") == true { rest = rest.dropLast() }
                guard let place = rest.last else { continue }
                let parts = place.split(separator: ":", omittingEmptySubsequences: false)
                let lineNumber = parts.count >= 3 ? String(parts[parts.count - 2]) : "?"
                locations[String(fields[0].dropLast())] = "\(rest.dropLast().joined(separator: " ")):\(lineNumber)"
            }
        }
        var result: [String: (count: Int64, ns: Int64)] = [:]
        for (count, ns, ids) in samples {
            let stack = ids.map { locations[$0] ?? "?" }.joined(separator: " < ")
            let old = result[stack] ?? (0, 0)
            result[stack] = (old.count + count, old.ns + ns)
        }
        return result
    }

    /// The table's rows of one run and kind, per stack text (Go's profile shows at most 128 frames).
    static func table(_ db: Database, run: Int64, kind: String) throws -> [String: (count: Int64, ns: Int64)] {
        let rows = try db.rows(
            """
            SELECT b.count, b.total_ns, coalesce((SELECT group_concat(function || ':' || line, ' < ') FROM (
                SELECT function, line FROM stack_frames WHERE run_id = b.run_id AND stack_id = b.stack_id
                ORDER BY depth LIMIT 128)), '')
            FROM blocking_profile b WHERE b.run_id = ? AND b.kind = ?
            """, [.integer(run), .text(kind)])
        var result: [String: (count: Int64, ns: Int64)] = [:]
        for row in rows {
            guard case .integer(let count) = row[0], case .integer(let ns) = row[1], case .text(let stack) = row[2]
            else { continue }
            let old = result[stack] ?? (0, 0)
            result[stack] = (old.count + count, old.ns + ns)
        }
        return result
    }

    /// Ours equals Go's, stack by stack, exactly (callers on v1 traces compare with one of several Go runs through
    /// GoSummary.mismatches: Go's v1 reader orders same-time events differently from run to run).
    static func mismatches(
        _ ours: [String: (count: Int64, ns: Int64)], _ go: [String: (count: Int64, ns: Int64)], trace: String
    ) -> [String] {
        var out: [String] = []
        for stack in Set(ours.keys).union(go.keys).sorted() {
            let a = ours[stack] ?? (0, 0)
            let b = go[stack] ?? (0, 0)
            if a.count != b.count || a.ns != b.ns {
                out.append("[\(stack)] ours \(a.count)/\(a.ns) ns, Go \(b.count)/\(b.ns) ns")
            }
        }
        return out
    }

    /// A warehouse of its own for the traces here (separate from the report tests' shared one).
    static func ingest(_ traces: [String], into path: String) throws -> [String: Int64] {
        let db = try WarehouseStore.openForWriting(path)
        var ids: [String: Int64] = [:]
        for trace in traces {
            ids[trace] = try TraceIngest.ingest(path: trace, into: db, source: TraceReaderAdapter.source).runID
        }
        return ids
    }

    /// A `go test -trace` of a package whose test runs goroutines in testing/synctest bubbles (Go 1.25+): when a
    /// bubbled goroutine exits, the runtime wakes the bubble's waiter from outside any goroutine (G=-1), with the
    /// stack runtime.goexit1. Recorded once per test process.
    static let synctestTrace: GoSummary.Outcome<String> = {
        do {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("traceware-synctest-\(getpid())").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            atexit { try? FileManager.default.removeItem(atPath: BlockingProfileSupport.synctestDirectory) }
            try "module synctestwake\n\ngo 1.25\n".write(toFile: directory + "/go.mod", atomically: true, encoding: .utf8)
            try """
            package synctestwake

            import (
            \t"sync"
            \t"testing"
            \t"testing/synctest"
            \t"time"
            )

            // Goroutines in a bubble sleep and exit while the bubble's root waits for them.
            func TestBubble(t *testing.T) {
            \tfor i := 0; i < 20; i++ {
            \t\tsynctest.Test(t, func(t *testing.T) {
            \t\t\tvar wg sync.WaitGroup
            \t\t\tfor j := 0; j < 4; j++ {
            \t\t\t\twg.Add(1)
            \t\t\t\tgo func() {
            \t\t\t\t\tdefer wg.Done()
            \t\t\t\t\ttime.Sleep(time.Duration(j+1) * time.Millisecond)
            \t\t\t\t}()
            \t\t\t}
            \t\t\tsynctest.Wait()
            \t\t\twg.Wait()
            \t\t})
            \t}
            }

            """.write(toFile: directory + "/wake_test.go", atomically: true, encoding: .utf8)
            let trace = directory + "/synctest.trace"
            let (status, out, err) = try TestProcess.run(
                goBinary, ["test", "-trace", trace, "-run", "TestBubble", "."], directory: directory, environment: env)
            guard status == 0 else { return .failure("go test -trace in \(directory): \(out) \(err)") }
            return .success(trace)
        } catch {
            return .failure("recording the synctest trace: \(error)")
        }
    }()

    static var synctestDirectory: String {
        FileManager.default.temporaryDirectory.appendingPathComponent("traceware-synctest-\(getpid())").path
    }

    /// `go tool trace -d=parsed`: each goroutine Waiting->Runnable made from outside any goroutine (G=-1) that
    /// carries a stack: (goid, trace time, stack text).
    static func outsideWakeUps(_ trace: String) throws -> [(goid: Int64, time: Int64, stack: String)] {
        let (status, parsed, stderr) = try TestProcess.run(goBinary, ["tool", "trace", "-d=parsed", trace], environment: env)
        guard status == 0 else { throw GoSummary.Failure(description: "go tool trace -d=parsed: \(stderr)") }
        var result: [(Int64, Int64, String)] = []
        var current: (goid: Int64, time: Int64)?
        var inStack = false
        var frames: [String] = []
        var function = ""
        func flush() {
            if let current, !frames.isEmpty { result.append((current.goid, current.time, frames.joined(separator: " < "))) }
            current = nil
            inStack = false
            frames = []
        }
        for line in parsed.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("M=") {
                flush()
                let fields = line.split(separator: " ")
                if fields.contains("G=-1"), fields.contains("Waiting->Runnable"),
                    let goid = fields.first(where: { $0.hasPrefix("GoID=") }).flatMap({ Int64($0.dropFirst(5)) }),
                    let time = fields.first(where: { $0.hasPrefix("Time=") }).flatMap({ Int64($0.dropFirst(5)) })
                {
                    current = (goid, time)
                }
            } else if line == "Stack=" {
                inStack = current != nil
            } else if inStack, line.hasPrefix("\t\t") {
                let place = line.dropFirst(2)
                frames.append("\(function):\(place.split(separator: ":").last ?? "?")")
            } else if inStack, line.hasPrefix("\t") {
                function = String(line.dropFirst().split(separator: " @ ").first ?? "")
            } else if line.isEmpty || !line.hasPrefix("\t") {
                inStack = false
            }
        }
        flush()
        return result
    }
}

@Suite struct BlockingProfileTests {
    static let scenarios = ["mutex", "tcp", "file", "sleep", "gc", "many"]
    static let versions = ["1.19", "1.22", "1.23", "1.27"]
    static let traces = scenarios.flatMap { ReportCoreSupport.fixtures($0, versions: versions) }

    final class Warehouse: Sendable {
        let path: String
        let runs: [String: Int64]
        init(path: String, runs: [String: Int64]) {
            self.path = path
            self.runs = runs
        }
    }

    static var directory: String {
        FileManager.default.temporaryDirectory.appendingPathComponent("traceware-blocking-profile-\(getpid())").path
    }

    /// The fixtures, ingested once per test process into a warehouse removed when the process exits.
    static let warehouse: GoSummary.Outcome<Warehouse> = {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            atexit { try? FileManager.default.removeItem(atPath: BlockingProfileTests.directory) }
            let path = directory + "/profile.db"
            return .success(Warehouse(path: path, runs: try BlockingProfileSupport.ingest(traces, into: path)))
        } catch {
            return .failure("ingesting the fixtures failed: \(error)")
        }
    }()

    /// Every kind of every fixture, stack by stack: count and time equal Go's profile, and so does the stack
    /// shown, including Go's label for stacks it merges (the go1.22 mutex fixture has 'preempted' transitions
    /// whose stack is one PC-0 frame, merged by Go with a wake-up without a stack under ':0').
    @Test(.enabled(if: BlockingProfileSupport.shouldRun), arguments: traces)
    func tableEqualsGoPprof(trace: String) throws {
        let warehouse = try Self.warehouse.get()
        let (path, runs) = (warehouse.path, warehouse.runs)
        let db = try WarehouseStore.openForReading(path)
        let run = try #require(runs[trace])
        var samples: Int64 = 0
        for kind in BlockingProfileSupport.kinds {
            let ours = try BlockingProfileSupport.table(db, run: run, kind: kind)
            var go: [String: (count: Int64, ns: Int64)] = [:]
            let mismatches = try GoSummary.mismatches(trace, oracle: { try BlockingProfileSupport.goProfile(kind, $0) }) {
                go = $0
                return BlockingProfileSupport.mismatches(ours, $0, trace: trace)
            }
            #expect(mismatches.isEmpty, "\(trace) \(kind): \(mismatches)")
            samples += go.values.map(\.count).reduce(0, +)
        }
        #expect(samples > 0, "\(trace): Go's profiles are all empty")
    }

    /// The PC-0 case is really in the fixture the test above relies on for it.
    @Test(.enabled(if: BlockingProfileSupport.shouldRun)) func pcZeroStackIsInTheFixture() throws {
        let trace = ReportCoreSupport.fixture("1.22", "mutex")
        let go = try BlockingProfileSupport.goProfile("sched", trace)
        #expect(go[":0"] != nil, "Go's sched profile of \(trace) has no PC-0 record: \(go.keys.sorted())")
    }

    /// blocking-stacks with kind=all: per kind and stack, the union of Go's four profiles.
    @Test(.enabled(if: BlockingProfileSupport.shouldRun), arguments: ["1.27", "1.22", "1.19"])
    func allKindsAreTheUnionOfGoProfiles(version: String) throws {
        let warehouse = try Self.warehouse.get()
        let (path, runs) = (warehouse.path, warehouse.runs)
        let db = try WarehouseStore.openForReading(path)
        for scenario in ["tcp", "file"] {
            let trace = ReportCoreSupport.fixture(version, scenario)
            let run = try #require(runs[trace])
            let report = try ReportCatalog.find("blocking-stacks", db: db, queriesDirectory: nil)
            let (columns, rows) = try ReportRunner.run(report, runID: run, parameters: ["top": "0"], on: db)
            var ours: [String: [String: (count: Int64, ns: Int64)]] = [:]
            for row in rows {
                let r = Dictionary(uniqueKeysWithValues: zip(columns, row))
                guard case .text(let kind) = r["kind"], case .text(let stack) = r["stack"],
                    case .integer(let count) = r["count"], case .integer(let ns) = r["total_ns"]
                else { continue }
                let old = ours[kind, default: [:]][stack] ?? (0, 0)
                ours[kind, default: [:]][stack] = (old.count + count, old.ns + ns)
            }
            for kind in BlockingProfileSupport.kinds {
                let mismatches = try GoSummary.mismatches(trace, oracle: { try BlockingProfileSupport.goProfile(kind, $0) }) {
                    BlockingProfileSupport.mismatches(ours[kind] ?? [:], $0, trace: trace)
                }
                #expect(mismatches.isEmpty, "\(trace) all/\(kind): \(mismatches)")
            }
            #expect(Set(ours.keys).isSubset(of: BlockingProfileSupport.kinds))
        }
    }

    /// Wake-ups from outside any goroutine (G=-1) that carry a stack (runtime.goexit1 in testing/synctest
    /// bubbles): Go's sched profile counts them under that stack, and goroutine_states keeps it, as the waiting
    /// interval's waker_stack_id (no waker_goid) and the runnable interval's stack_id.
    @Test(.enabled(if: BlockingProfileSupport.shouldRun)) func wakeUpsFromOutsideAGoroutineKeepTheirStack() throws {
        let trace = try BlockingProfileSupport.synctestTrace.get()
        let directory = try TemporaryDirectory()
        let run = try #require(try BlockingProfileSupport.ingest([trace], into: directory.path("w.db"))[trace])
        let db = try WarehouseStore.openForReading(directory.path("w.db"))
        for kind in BlockingProfileSupport.kinds {
            let go = try BlockingProfileSupport.goProfile(kind, trace)
            let ours = try BlockingProfileSupport.table(db, run: run, kind: kind)
            let mismatches = BlockingProfileSupport.mismatches(ours, go, trace: trace)
            #expect(mismatches.isEmpty, "\(kind): \(mismatches)")
            if kind == "sched" {
                #expect(go.keys.contains { $0.hasPrefix("runtime.goexit1:") }, "no goexit1 wake-up in \(go.keys.sorted())")
            }
        }

        let wakeUps = try BlockingProfileSupport.outsideWakeUps(trace)
        #expect(!wakeUps.isEmpty, "Go shows no wake-up from outside a goroutine with a stack")
        let origin = try #require(try db.scalarInt64("SELECT clock_origin FROM runs WHERE run_id = ?", [.integer(run)]))
        let text = "(SELECT group_concat(function || ':' || line, ' < ') FROM (SELECT function, line FROM stack_frames WHERE run_id = ?1 AND stack_id = %@ ORDER BY depth))"
        for wake in wakeUps {
            let t = wake.time - origin
            let waiting = try db.rows(
                "SELECT s.waker_goid, \(text.replacingOccurrences(of: "%@", with: "s.waker_stack_id")) FROM goroutine_states s WHERE s.run_id = ?1 AND s.goid = ?2 AND s.state = 'waiting' AND s.end_ns = ?3",
                [.integer(run), .integer(wake.goid), .integer(t)])
            #expect(waiting.count == 1 && waiting.first?[0] == .null && waiting.first?[1] == .text(wake.stack),
                    "g\(wake.goid) at \(t): waiting rows \(waiting), Go's waker stack \(wake.stack)")
            let runnable = try db.rows(
                "SELECT \(text.replacingOccurrences(of: "%@", with: "s.stack_id")) FROM goroutine_states s WHERE s.run_id = ?1 AND s.goid = ?2 AND s.state = 'runnable' AND s.start_ns = ?3",
                [.integer(run), .integer(wake.goid), .integer(t)])
            #expect(runnable.count == 1 && runnable.first?[0] == .text(wake.stack),
                    "g\(wake.goid) at \(t): runnable rows \(runnable), Go's stack \(wake.stack)")
        }
    }

    /// A warehouse written before migration 0006 gets its blocking_profile from the rows it has: equal to Go's
    /// profiles, except the two things only the trace had (see the migration): a PC-0 stack shows as the empty
    /// stack, and a wake-up from outside a goroutine has no stack.
    @Test(.enabled(if: BlockingProfileSupport.shouldRun)) func upgradeFillsTheTableForExistingRuns() throws {
        let traces = ["mutex", "tcp", "file", "sleep"].map { ReportCoreSupport.fixture("1.27", $0) }
            + [ReportCoreSupport.fixture("1.22", "mutex"), ReportCoreSupport.fixture("1.19", "tcp")]
        let directory = try TemporaryDirectory()
        let current = directory.path("current.db")
        let runs = try BlockingProfileSupport.ingest(traces, into: current)

        // The same runs in a warehouse at the schema before 0006: every table it has, copied row by row.
        let path = directory.path("old.db")
        do {
            let old = try Database(path: path)
            try WarehouseSchema.migrate(old, migrations: WarehouseSchema.migrations.filter { $0.version < 6 })
            try old.execute("ATTACH DATABASE ? AS src", [.text(current)])
            let tables = try old.rows(
                "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            for case .text(let table) in tables.map({ $0[0] }) {
                let columns = try old.rows(
                    "SELECT name FROM pragma_table_xinfo(?, 'main') WHERE hidden = 0", [.text(table)]
                ).map { $0[0].description }.map(quoteIdentifier).joined(separator: ", ")
                try old.execute(
                    "INSERT INTO main.\(quoteIdentifier(table)) (\(columns)) SELECT \(columns) FROM src.\(quoteIdentifier(table))")
            }
            try old.execute("DETACH DATABASE src")
            #expect(try old.scalarInt64("SELECT count(*) FROM goroutine_states") ?? 0 > 1000)
            #expect(try old.scalarInt64("SELECT count(*) FROM sqlite_schema WHERE name = 'blocking_profile'") == 0)
        }

        let upgraded = try WarehouseStore.openForWriting(path)
        #expect(try upgraded.scalarInt64("PRAGMA user_version") == Int64(WarehouseSchema.latestVersion))
        for trace in traces {
            let run = try #require(runs[trace])
            for kind in BlockingProfileSupport.kinds {
                let ours = try BlockingProfileSupport.table(upgraded, run: run, kind: kind)
                let mismatches = try GoSummary.mismatches(trace, oracle: { try BlockingProfileSupport.goProfile(kind, $0) }) {
                    var go = $0
                    // Only PC-0 frames: the upgrade cannot tell which of the merged stacks Go saw last.
                    if let zero = go.removeValue(forKey: ":0") {
                        let old = go[""] ?? (0, 0)
                        go[""] = (old.count + zero.count, old.ns + zero.ns)
                    }
                    return BlockingProfileSupport.mismatches(ours, go, trace: trace)
                }
                #expect(mismatches.isEmpty, "\(trace) \(kind) after the upgrade: \(mismatches)")
            }
        }
    }
}
