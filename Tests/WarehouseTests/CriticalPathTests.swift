import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// Issue 14: the critical-path report. Its invariant on every task of every fixture (the rows tile the task),
/// and its exact chain on the workload's `chain` scenario, whose shape the program fixes (see chainScenario in
/// Tests/Fixtures/programs/workload/main.go).
@Suite struct CriticalPathTests {
    struct Segment: Equatable {
        var seq: Int64, goid: Int64, function: String, state: String, category: String
        var start: Int64, end: Int64, duration: Int64
    }

    static func path(_ trace: String, _ parameters: [String: String]) throws -> [Segment] {
        try LockHolderTests.report("critical-path", trace, parameters).map { row in
            Segment(
                seq: try #require(LockHolderTests.integer(row["seq"])), goid: try #require(LockHolderTests.integer(row["goid"])),
                function: try #require(LockHolderTests.text(row["start_function"])),
                state: try #require(LockHolderTests.text(row["state"])), category: try #require(LockHolderTests.text(row["category"])),
                start: try #require(LockHolderTests.integer(row["start_ns"])), end: try #require(LockHolderTests.integer(row["end_ns"])),
                duration: try #require(LockHolderTests.integer(row["duration_ns"])))
        }
    }

    /// The tasks of a trace that began and ended in it: (task_id, start_ns, end_ns).
    static func tasks(_ trace: String) throws -> [(Int64, Int64, Int64)] {
        let (path, runs) = try LockHolderTests.warehouse.get()
        let db = try WarehouseStore.openForReading(path)
        let run = try #require(runs[trace])
        return try db.rows(
            "SELECT task_id, start_ns, end_ns FROM tasks WHERE run_id = ? AND start_ns IS NOT NULL AND end_ns IS NOT NULL ORDER BY task_id",
            [.integer(run)]
        ).map { row in
            guard case .integer(let id) = row[0], case .integer(let s) = row[1], case .integer(let e) = row[2] else {
                throw GoSummary.Failure(description: "bad task row \(row)")
            }
            return (id, s, e)
        }
    }

    static func expectTiles(_ rows: [Segment], from: Int64, to: Int64, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(rows.first?.start == from, "\(what): starts at \(rows.first?.start ?? -1), not \(from)", sourceLocation: sourceLocation)
        #expect(rows.last?.end == to, "\(what): ends at \(rows.last?.end ?? -1), not \(to)", sourceLocation: sourceLocation)
        #expect(rows.map(\.duration).reduce(0, +) == to - from, "\(what): durations sum to \(rows.map(\.duration).reduce(0, +))", sourceLocation: sourceLocation)
        #expect(rows.map(\.seq) == (0..<rows.count).map { Int64($0 + 1) }, "\(what): seq", sourceLocation: sourceLocation)
        for (a, b) in zip(rows, rows.dropFirst()) where a.end != b.start {
            Issue.record("\(what): gap or overlap between \(a) and \(b)", sourceLocation: sourceLocation)
        }
        for r in rows where r.duration <= 0 || r.end - r.start != r.duration {
            Issue.record("\(what): bad segment \(r)", sourceLocation: sourceLocation)
        }
    }

    /// Every task of every fixture that has tasks (annotation and chain, every version): the rows tile it.
    @Test(arguments: LockHolderTests.traces)
    func tilesEveryTask(trace: String) throws {
        let tasks = try Self.tasks(trace)
        if trace.hasSuffix("/annotation.trace") || trace.hasSuffix("/chain.trace") {
            #expect(!tasks.isEmpty, "\(trace) has no complete task")
        }
        for (id, start, end) in tasks {
            let rows = try Self.path(trace, ["task_id": String(id)])
            if end == start {
                #expect(rows.isEmpty, "\(trace) task \(id) lasted 0 ns")
            } else {
                Self.expectTiles(rows, from: start, to: end, "\(trace) task \(id)")
            }
        }
    }

    /// goid + from_ns/to_ns walks the same as the task it names; an interval inside it tiles too.
    @Test func goroutineIntervalForm() throws {
        let trace = packageRoot.appendingPathComponent("Tests/Fixtures/traces/go1.27/annotation.trace").path
        let (path, runs) = try LockHolderTests.warehouse.get()
        let db = try WarehouseStore.openForReading(path)
        let run = try #require(runs[trace])
        let row = try #require(try db.rows(
            "SELECT task_id, end_goid, start_ns, end_ns FROM tasks WHERE run_id = ? AND name = 'root'", [.integer(run)]).first)
        guard case .integer(let id) = row[0], case .integer(let goid) = row[1], case .integer(let s) = row[2],
            case .integer(let e) = row[3]
        else { Issue.record("bad row \(row)"); return }
        let byTask = try Self.path(trace, ["task_id": String(id)])
        let byGoroutine = try Self.path(trace, ["goid": String(goid), "from_ns": String(s), "to_ns": String(e)])
        #expect(byTask == byGoroutine)
        let mid = s + (e - s) / 3
        Self.expectTiles(try Self.path(trace, ["goid": String(goid), "from_ns": String(mid), "to_ns": String(e)]),
                         from: mid, to: e, "root from \(mid)")
        // A task that never ended has no path.
        #expect(try Self.path(trace, ["task_id": "999999"]).isEmpty)
    }

    /// The chain scenario: chainWaiter's task waited on chainFeeder's send, chainFeeder on the lock chainHolder
    /// held while it slept (a timer wake-up: no waker goroutine, so the sleep itself is on the path). Runnable
    /// rows dropped and equal neighbours merged, the path is: chainWaiter running (to its channel wait),
    /// optionally chainFeeder running (before its lock wait, when it started after the channel wait began),
    /// chainHolder's sleep, chainHolder running (to its Unlock), chainFeeder running (to its send),
    /// chainWaiter running (to the task's end).
    @Test(arguments: LockHolderTests.versions)
    func chainScenarioPath(version: String) throws {
        let trace = packageRoot.appendingPathComponent("Tests/Fixtures/traces/\(version)/chain.trace").path
        let tasks = try Self.tasks(trace)
        try #require(tasks.count == 1, "\(trace): \(tasks.count) complete tasks")
        let rows = try Self.path(trace, ["task_id": String(tasks[0].0)])
        Self.expectTiles(rows, from: tasks[0].1, to: tasks[0].2, trace)
        var shape: [String] = []
        for r in rows where r.state != "runnable" {
            let item = r.function + " " + (r.state == "waiting" ? "waiting/\(r.category)" : r.state)
            if shape.last != item { shape.append(item) }
        }
        let tail = ["main.chainHolder waiting/sleep", "main.chainHolder running", "main.chainFeeder running", "main.chainWaiter running"]
        let allowed = [["main.chainWaiter running"] + tail, ["main.chainWaiter running", "main.chainFeeder running"] + tail]
        #expect(allowed.contains(shape), "\(trace): \(shape)")
        // The sleep is the bulk of it (20 ms of a task of about 20 ms).
        let sleep = rows.filter { $0.category == "sleep" }.map(\.duration).reduce(0, +)
        #expect(sleep * 10 > (tasks[0].2 - tasks[0].1) * 9, "\(trace): sleep \(sleep)")
    }

    /// critical-path-summary, per task type of every fixture with tasks: the cause rows sum to the type's task
    /// durations (the paths tile every task), each cause is the sum of that cause over the critical-path rows of
    /// the type's tasks (the same walk), and the p50/p99 rows are the tasks report's p50/p99 (nearest rank; the
    /// tasks report is checked against Go's Summarizer).
    @Test(arguments: LockHolderTests.traces.filter { $0.hasSuffix("/annotation.trace") || $0.hasSuffix("/chain.trace") })
    func summaryAddsUpThePaths(trace: String) throws {
        let (path, runs) = try LockHolderTests.warehouse.get()
        let db = try WarehouseStore.openForReading(path)
        let run = try #require(runs[trace])
        let types = try db.rows(
            "SELECT DISTINCT name FROM tasks WHERE run_id = ? AND start_ns IS NOT NULL AND end_ns IS NOT NULL ORDER BY name",
            [.integer(run)]
        ).compactMap { LockHolderTests.text($0[0]) }
        #expect(!types.isEmpty)
        let tasksReport = try LockHolderTests.report("tasks", trace)
        for name in types {
            let rows = try LockHolderTests.report("critical-path-summary", trace, ["name": name, "top": "0"])
            let tasks = try db.rows(
                "SELECT task_id, end_ns - start_ns FROM tasks WHERE run_id = ? AND name = ? AND start_ns IS NOT NULL AND end_ns IS NOT NULL",
                [.integer(run), .text(name)])
            let total = tasks.compactMap { LockHolderTests.integer($0[1]) }.reduce(0, +)
            let causes = rows.filter { LockHolderTests.text($0["kind"]) == "cause" }
            #expect(causes.compactMap { LockHolderTests.integer($0["ns"]) }.reduce(0, +) == total, "\(trace) \(name)")
            func key(_ row: [String: DatabaseValue], _ columns: [String]) -> String {
                columns.map { LockHolderTests.text(row[$0]) ?? "" }.joined(separator: "|")
            }
            var expected: [String: Int64] = [:]
            for task in tasks {
                let id = try #require(LockHolderTests.integer(task[0]))
                for row in try LockHolderTests.report("critical-path", trace, ["task_id": String(id)]) {
                    expected[key(row, ["state", "category", "reason", "start_function", "user_frame"]), default: 0] +=
                        LockHolderTests.integer(row["duration_ns"]) ?? 0
                }
            }
            var got: [String: Int64] = [:]
            for row in causes {
                got[key(row, ["state", "category", "reason", "start_function", "user_frame"])] = LockHolderTests.integer(row["ns"])
            }
            #expect(got == expected, "\(trace) \(name)")
            let type = tasksReport.first { LockHolderTests.text($0["kind"]) == "type" && LockHolderTests.text($0["name"]) == name }
            for p in ["p50", "p99"] {
                let row = rows.first { LockHolderTests.text($0["kind"]) == p }
                #expect(LockHolderTests.integer(row?["duration_ns"]) == LockHolderTests.integer(type?["\(p)_ns"]), "\(trace) \(name) \(p)")
            }
        }
        // Regions: the same, over the instances of a region name.
        if trace.hasSuffix("/annotation.trace") {
            let rows = try LockHolderTests.report("critical-path-summary", trace, ["region": "step", "top": "0"])
            let total = try db.rows(
                "SELECT sum(end_ns - start_ns) FROM regions WHERE run_id = ? AND name = 'step' AND start_ns IS NOT NULL AND end_ns IS NOT NULL",
                [.integer(run)]
            ).first.flatMap { LockHolderTests.integer($0[0]) }
            let causes = rows.filter { LockHolderTests.text($0["kind"]) == "cause" }
            #expect(causes.compactMap { LockHolderTests.integer($0["ns"]) }.reduce(0, +) == total, "\(trace) regions")
        }
    }

    /// compare --report critical-path-summary across two builds: the cause rows pair on their text columns, the
    /// p50/p99 rows on their kind.
    @Test func summaryCompares() throws {
        let (path, runs) = try LockHolderTests.warehouse.get()
        let db = try WarehouseStore.openForReading(path)
        let trace = { (v: String) in packageRoot.appendingPathComponent("Tests/Fixtures/traces/\(v)/annotation.trace").path }
        let base = try #require(runs[trace("go1.26")]), head = try #require(runs[trace("go1.27")])
        let report = try ReportCatalog.find("critical-path-summary", db: db, queriesDirectory: nil)
        let (columns, rows) = try RunComparison.report(report, base: [base], head: [head], parameters: ["name": "worker-0"], on: db)
        let table = rows.map { Dictionary(uniqueKeysWithValues: zip(columns, $0)) }
        for p in ["p50", "p99"] {
            let row = try #require(table.first { LockHolderTests.text($0["kind"]) == p })
            #expect(LockHolderTests.integer(row["duration_ns_base"]) != nil && LockHolderTests.integer(row["duration_ns_head"]) != nil, "\(row)")
        }
        // The sleep in the worker's region is the largest cause on both sides, in one row.
        let sleep = table.filter { LockHolderTests.text($0["kind"]) == "cause" && LockHolderTests.text($0["category"]) == "sleep" }
        #expect(sleep.count == 1 && LockHolderTests.integer(sleep[0]["ns_base"]) != nil && LockHolderTests.integer(sleep[0]["ns_head"]) != nil, "\(sleep)")
    }
}

/// Issue 14's independent oracle for critical-path: scripts/gotools/criticalpath builds the goroutines'
/// intervals from Go's own events (internal/trace) and walks every complete task by the same rules; each task's
/// path must equal ours, segment by segment.
@Suite(.enabled(if: goIsAvailable || TestSupport.isCI, "Go not found at \(goBinary); skipped locally, fails in CI (CI=true)"))
struct CriticalPathOracleTests {
    static let oracle = GoSummary.tool("criticalpath")

    struct GoSegment: Decodable, Equatable, CustomStringConvertible {
        var Goid: Int64
        var State: String
        var Reason: String
        var Start: Int64
        var End: Int64
        var description: String { "g\(Goid) \(State)(\(Reason)) \(Start)-\(End)" }
    }
    struct GoTask: Decodable { var ID: Int64; var Start: Int64; var End: Int64; var Segments: [GoSegment] }
    struct GoOutput: Decodable { var Tasks: [GoTask] }

    /// The oracle keeps a syscall whose P was taken as one interval; the warehouse splits it (syscall,
    /// syscall_blocked). Equal neighbours are merged on both sides.
    static func normalized(_ segments: [GoSegment]) -> [GoSegment] {
        var out: [GoSegment] = []
        for var s in segments {
            if s.State == "syscall_blocked" { s.State = "syscall" }
            if let last = out.last, last.Goid == s.Goid, last.State == s.State, last.Reason == s.Reason, last.End == s.Start {
                out[out.count - 1].End = s.End
            } else {
                out.append(s)
            }
        }
        return out
    }

    @Test(arguments: LockHolderTests.traces.filter { $0.hasSuffix("/annotation.trace") || $0.hasSuffix("/chain.trace") })
    func agreesWithGo(trace: String) throws {
        let ourTasks = try CriticalPathTests.tasks(trace).filter { $0.2 > $0.1 }
        var ours: [Int64: [GoSegment]] = [:]
        for (id, _, _) in ourTasks {
            ours[id] = Self.normalized(try LockHolderTests.report("critical-path", trace, ["task_id": String(id)]).map { row in
                GoSegment(
                    Goid: LockHolderTests.integer(row["goid"]) ?? -1, State: LockHolderTests.text(row["state"]) ?? "",
                    Reason: LockHolderTests.text(row["reason"]) ?? "", Start: LockHolderTests.integer(row["start_ns"]) ?? -1,
                    End: LockHolderTests.integer(row["end_ns"]) ?? -1)
            })
        }
        #expect(!ours.isEmpty, "\(trace): no tasks")
        let mismatches = try GoSummary.mismatches(trace, oracle: { try GoSummary.decode(GoOutput.self, running: Self.oracle, on: $0) }) { go in
            var m: [String] = []
            if Set(go.Tasks.map(\.ID)) != Set(ours.keys) { m.append("tasks \(go.Tasks.map(\.ID)) vs ours \(ours.keys.sorted())") }
            for task in go.Tasks {
                let theirs = Self.normalized(task.Segments)
                if ours[task.ID] != theirs { m.append("task \(task.ID): \(ours[task.ID] ?? []) vs Go \(theirs)") }
            }
            return m
        }
        #expect(mismatches.isEmpty, "\(trace): \(mismatches)")
    }
}

extension CriticalPathOracleTests {
    /// critical-path-summary against Go's own walk: per task type, the cause rows summed by state and reason
    /// equal scripts/gotools/criticalpath's segments of that type's tasks summed the same way (syscall_blocked
    /// counted as syscall, as the oracle keeps one syscall interval). Checked as the ingest stores the paths
    /// (critical_path_causes), and on a copy where every task is left to the report's own walk
    /// (critical_path_tasks.walked = 0) and one with no rows at all (a run ingested before migration 0011).
    @Test(arguments: LockHolderTests.traces.filter { $0.hasSuffix("/annotation.trace") || $0.hasSuffix("/chain.trace") })
    func summaryAgreesWithGo(trace: String) throws {
        let (path, runs) = try LockHolderTests.warehouse.get()
        let run = try #require(runs[trace])
        let directory = try TemporaryDirectory()
        let leftToReport = directory.path("left.db"), unwalked = directory.path("none.db")
        for (copy, sql) in [
            (leftToReport, "UPDATE critical_path_tasks SET walked = 0, top_ns = NULL; DELETE FROM critical_path_causes"),
            (unwalked, "DELETE FROM critical_path_tasks; DELETE FROM critical_path_causes"),
        ] {
            let source = try Database(path: path)
            try source.execute("VACUUM INTO ?", [.text(copy)])
            let db = try WarehouseStore.openForWriting(copy)
            try db.execute(sql)
        }
        let db = try WarehouseStore.openForReading(path)
        #expect(try db.scalarInt64("SELECT count(*) FROM critical_path_tasks WHERE run_id = ? AND walked = 1", [.integer(run)]) ?? 0 > 0,
                "\(trace): no task walked at ingest")
        var names: [Int64: String] = [:]
        for row in try db.rows("SELECT task_id, name FROM tasks WHERE run_id = ?", [.integer(run)]) {
            if let id = LockHolderTests.integer(row[0]), let name = LockHolderTests.text(row[1]) { names[id] = name }
        }
        let types = Set(names.values).sorted()
        func key(_ state: String, _ reason: String) -> String { (state == "syscall_blocked" ? "syscall" : state) + "|" + reason }
        var ours: [String: [String: [String: Int64]]] = [:]  // db -> type -> state|reason -> ns
        for file in [path, leftToReport, unwalked] {
            for name in types {
                var sums: [String: Int64] = [:]
                for row in try LockHolderTests.report("critical-path-summary", trace, ["name": name, "top": "0"], in: file)
                where LockHolderTests.text(row["kind"]) == "cause" {
                    sums[key(LockHolderTests.text(row["state"]) ?? "", LockHolderTests.text(row["reason"]) ?? ""), default: 0] +=
                        LockHolderTests.integer(row["ns"]) ?? 0
                }
                ours[file, default: [:]][name] = sums
            }
        }
        let mismatches = try GoSummary.mismatches(trace, oracle: { try GoSummary.decode(GoOutput.self, running: Self.oracle, on: $0) }) { go in
            var theirs: [String: [String: Int64]] = [:]
            for name in types { theirs[name] = [:] }
            for task in go.Tasks {
                guard let name = names[task.ID] else { return ["Go's task \(task.ID) is not in tasks"] }
                for s in task.Segments where s.End > s.Start {
                    theirs[name, default: [:]][key(s.State, s.Reason), default: 0] += s.End - s.Start
                }
            }
            return [path, leftToReport, unwalked].compactMap { file in
                ours[file] == theirs ? nil : "\((file as NSString).lastPathComponent): \(ours[file] ?? [:]) vs Go \(theirs)"
            }
        }
        #expect(mismatches.isEmpty, "\(trace): \(mismatches)")
    }
}
