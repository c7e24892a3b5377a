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
    @Test(arguments: ["go1.21", "go1.22", "go1.27"])
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
}
