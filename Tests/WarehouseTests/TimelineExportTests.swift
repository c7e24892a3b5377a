import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// `traceware export timeline` (TimelineExport): the JSON parses, every goroutine's running and runnable slices
/// add up to Go's Summarizer's ExecTime and SchedWaitTime for that goroutine (scripts/gotools/summary), the
/// counts per track equal the warehouse's rows, slices nest on every track, every wake-up arrow has both ends,
/// a window and a goroutine selection keep only what they select, and the size guard refuses.
enum TimelineSupport {
    static let traces = ["1.27", "1.22"].flatMap { v in
        ["mutex", "annotation", "gc", "tcp"].map { ReportCoreSupport.fixture(v, $0) }
    }.filter { FileManager.default.fileExists(atPath: $0) }

    static let shared: GoSummary.Outcome<ReportCoreSupport.Shared> = {
        do {
            return .success(try ReportCoreSupport.Shared(traces, name: "timeline.db"))
        } catch {
            return .failure("ingesting failed: \(error)")
        }
    }()

    struct Event {
        var ph: String, pid: Int, tid: Int64, name: String, ts: Int64, dur: Int64, id: Int64?, args: [String: Any]
    }

    /// The JSON's events, times in ns (ts and dur are µs with three decimals).
    static func events(_ bytes: [UInt8]) throws -> [Event] {
        let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        let list = try #require(object?["traceEvents"] as? [[String: Any]])
        func ns(_ v: Any?) -> Int64 { ((v as? NSNumber)?.doubleValue).map { Int64(($0 * 1000).rounded()) } ?? 0 }
        return list.map { e in
            Event(ph: e["ph"] as? String ?? "", pid: (e["pid"] as? NSNumber)?.intValue ?? 0,
                  tid: (e["tid"] as? NSNumber)?.int64Value ?? 0, name: e["name"] as? String ?? "",
                  ts: ns(e["ts"]), dur: ns(e["dur"]), id: (e["id"] as? NSNumber)?.int64Value,
                  args: e["args"] as? [String: Any] ?? [:])
        }
    }

    /// Tracks whose complete slices overlap without nesting.
    static func nestingErrors(_ events: [Event]) -> [String] {
        var errors: [String] = []
        let tracks = Dictionary(grouping: events.filter { $0.ph == "X" }) { "\($0.pid)/\($0.tid)" }
        for (track, slices) in tracks {
            var open: [Int64] = []  // ends of the enclosing slices
            for s in slices.sorted(by: { ($0.ts, -$0.dur) < ($1.ts, -$1.dur) }) {
                while let end = open.last, end <= s.ts { open.removeLast() }
                if let end = open.last, s.ts + s.dur > end {
                    errors.append("track \(track): \(s.name) [\(s.ts), \(s.ts + s.dur)] crosses the end \(end) of its enclosing slice")
                }
                open.append(s.ts + s.dur)
            }
        }
        return errors
    }
}

@Suite struct TimelineExportTests {
    @Test(arguments: TimelineSupport.traces)
    func wholeRunMatchesGoAndTheWarehouse(trace: String) throws {
        let shared = try TimelineSupport.shared.get()
        let runID = try #require(shared.runIDs[trace])
        let db = try WarehouseStore.openForReading(shared.path)
        let events = try TimelineSupport.events(try TimelineExport.json(run: runID, selection: .init(), on: db))
        let goroutineSlices = events.filter { $0.ph == "X" && $0.pid == 1 }
        // Go's Summarizer per goroutine: running = ExecTime, runnable = SchedWaitTime.
        let go = try GoSummary.summarize(trace)
        var exec: [Int64: Int64] = [:], wait: [Int64: Int64] = [:], count: [Int64: Int64] = [:]
        for s in goroutineSlices {
            count[s.tid, default: 0] += 1
            if s.name == "running" { exec[s.tid, default: 0] += s.dur }
            if s.name == "runnable" { wait[s.tid, default: 0] += s.dur }
        }
        for g in go.goroutineStats {
            #expect(exec[g.ID, default: 0] == g.ExecTime, "\(trace) g\(g.ID): running \(exec[g.ID, default: 0]), Go ExecTime \(g.ExecTime)")
            #expect(wait[g.ID, default: 0] == g.SchedWaitTime, "\(trace) g\(g.ID): runnable \(wait[g.ID, default: 0]), Go SchedWaitTime \(g.SchedWaitTime)")
        }
        // Counts per track equal the warehouse's rows.
        for row in try db.rows("SELECT goid, count(*) FROM goroutine_states WHERE run_id = ? GROUP BY goid", [.integer(runID)]) {
            guard case .integer(let goid) = row[0], case .integer(let n) = row[1] else { continue }
            #expect(count[goid] == n, "g\(goid): \(count[goid] ?? 0) slices, \(n) rows")
        }
        let logs = try db.scalarInt64("SELECT count(*) FROM logs WHERE run_id = ?", [.integer(runID)]) ?? 0
        #expect(Int64(events.filter { $0.ph == "i" }.count) == logs)
        let regions = try db.scalarInt64("SELECT count(*) FROM regions WHERE run_id = ?", [.integer(runID)]) ?? 0
        #expect(Int64(events.filter { $0.ph == "X" && $0.pid == 4 }.count) == regions)
        let gc = try db.scalarInt64("SELECT count(*) FROM gc_cycles WHERE run_id = ?", [.integer(runID)]) ?? 0
        #expect(Int64(events.filter { $0.ph == "X" && $0.pid == 3 && $0.tid == 1 }.count) == gc)
        if trace.hasSuffix("/gc.trace") { #expect(gc > 0) }
        if trace.hasSuffix("/annotation.trace") { #expect(logs > 0 && regions > 0) }
        let errors = TimelineSupport.nestingErrors(events)
        #expect(errors.isEmpty, "\(errors.prefix(5))")
        // Every wake-up arrow has a start and a finish at the same time; arrows exist where goroutines were woken.
        let starts = Dictionary(uniqueKeysWithValues: events.filter { $0.ph == "s" }.map { ($0.id ?? -1, $0.ts) })
        let finishes = Dictionary(uniqueKeysWithValues: events.filter { $0.ph == "f" }.map { ($0.id ?? -1, $0.ts) })
        #expect(starts == finishes)
        let woken = try db.scalarInt64("SELECT count(*) FROM goroutine_states WHERE run_id = ? AND state = 'waiting' AND waker_goid IS NOT NULL", [.integer(runID)]) ?? 0
        #expect(Int64(starts.count) == woken)
        if trace.hasSuffix("/mutex.trace") { #expect(woken > 0) }
    }

    @Test func windowAndSelectionKeepWhatTheySelect() throws {
        let shared = try TimelineSupport.shared.get()
        let trace = ReportCoreSupport.fixture("1.27", "mutex")
        let runID = try #require(shared.runIDs[trace])
        let db = try WarehouseStore.openForReading(shared.path)
        let end = try #require(try db.scalarInt64("SELECT end_ns FROM runs WHERE run_id = ?", [.integer(runID)]))
        let (from, to) = (end / 3, end / 2)
        let function = "main.mutexScenario.func1"
        let events = try TimelineSupport.events(try TimelineExport.json(
            run: runID, selection: .init(fromNs: from, toNs: to, function: function), on: db))
        let slices = events.filter { $0.ph == "X" && $0.pid == 1 }
        #expect(!slices.isEmpty)
        #expect(slices.allSatisfy { $0.ts >= from && $0.ts + $0.dur <= to })
        let goids = Set(try db.rows("""
            SELECT DISTINCT goid FROM goroutine_states JOIN goroutines g USING (run_id, goid)
            WHERE run_id = ? AND g.start_function = ? AND end_ns > ? AND start_ns < ?
            """, [.integer(runID), .text(function), .integer(from), .integer(to)])
            .compactMap { row -> Int64? in if case .integer(let g) = row[0] { return g } else { return nil } })
        #expect(goids.count >= 2)
        #expect(Set(slices.map(\.tid)) == goids)
        // The clipped slices cover, per goroutine, exactly the window's part of its states.
        let expected = try db.scalarInt64("""
            SELECT sum(min(end_ns, ?) - max(start_ns, ?)) FROM goroutine_states s JOIN goroutines g USING (run_id, goid)
            WHERE s.run_id = ? AND g.start_function = ? AND end_ns > ? AND start_ns < ?
            """, [.integer(to), .integer(from), .integer(runID), .text(function), .integer(from), .integer(to)])
        #expect(slices.reduce(0) { $0 + $1.dur } == expected)
        // --goroutines: a query's goids.
        let one = try TimelineSupport.events(try TimelineExport.json(
            run: runID, selection: .init(goroutinesSQL: "SELECT min(goid) AS goid FROM goroutines WHERE run_id = :run_id AND start_function = '\(function)'"), on: db))
        #expect(Set(one.filter { $0.ph == "X" && $0.pid == 1 }.map(\.tid)) == [goids.min()!])
        #expect(TimelineSupport.nestingErrors(events).isEmpty)
    }

    /// --task-type keeps the goroutines that go tool trace's task page (/usertask?type=NAME) shows with region
    /// events of that type's tasks, for every task type of the annotation fixtures.
    @Test(arguments: ["1.27", "1.22"].map { ReportCoreSupport.fixture($0, "annotation") })
    func taskTypeKeepsTheGoroutinesOfGoTaskPage(trace: String) throws {
        let shared = try TimelineSupport.shared.get()
        let runID = try #require(shared.runIDs[trace])
        let db = try WarehouseStore.openForReading(shared.path)
        let server = try PprofExportTests.GoTraceServer(trace)
        let dir = try TemporaryDirectory()
        let types = try db.rows("SELECT DISTINCT name FROM tasks WHERE run_id = ? ORDER BY name", [.integer(runID)])
            .compactMap { row -> String? in if case .text(let t) = row[0] { return t } else { return nil } }
        #expect(!types.isEmpty)
        var compared = 0
        for type in types {
            var query = URLComponents(string: "http://\(server.address)/usertask")!
            query.queryItems = [.init(name: "type", value: type)]
            let file = dir.path("usertask.html")
            let (status, _, stderr) = try TestProcess.run("/usr/bin/env", ["curl", "-sSf", "-o", file, query.url!.absoluteString])
            try #require(status == 0, "curl /usertask?type=\(type): \(stderr)")
            // Rows: <td class="goid">G</td> then <td>region &#34;NAME&#34; begin</td> (or end, a log, the task).
            let html = try String(contentsOfFile: file, encoding: .utf8)
            var go = Set<Int64>()
            var goid: Int64?
            for line in html.split(separator: "\n") {
                let text = line.trimmingCharacters(in: .whitespaces)
                if text.hasPrefix("<td class=\"goid\">") {
                    goid = Int64(text.dropFirst("<td class=\"goid\">".count).prefix { $0.isNumber })
                } else if text.hasPrefix("<td>region "), let g = goid {
                    go.insert(g)
                }
            }
            let ours: Set<Int64>
            do {
                let events = try TimelineSupport.events(try TimelineExport.json(run: runID, selection: .init(taskType: type), on: db))
                ours = Set(events.filter { $0.ph == "X" && $0.pid == 1 }.map(\.tid))
            } catch let error as ExportError where error.description.contains("holds no") {
                ours = []
            }
            #expect(ours == go, "\(trace) task type \(type): ours \(ours.sorted()), Go \(go.sorted())")
            if !go.isEmpty { compared += 1 }
        }
        #expect(compared >= 1)
    }

    @Test func sizeGuardAndEmptySelectionRefuse() throws {
        let shared = try TimelineSupport.shared.get()
        let runID = try #require(shared.runIDs[ReportCoreSupport.fixture("1.27", "mutex")])
        let db = try WarehouseStore.openForReading(shared.path)
        #expect(throws: ExportError.self) { try TimelineExport.json(run: runID, selection: .init(limit: 100), on: db) }
        do {
            _ = try TimelineExport.json(run: runID, selection: .init(limit: 100), on: db)
        } catch let error as ExportError {
            #expect(error.description.contains("holds") && error.description.contains("--force"), "\(error)")
        }
        #expect(try TimelineExport.json(run: runID, selection: .init(force: true, limit: 100), on: db).count > 1000)
        #expect(throws: ExportError.self) { try TimelineExport.json(run: runID, selection: .init(function: "main.nosuch"), on: db) }
        #expect(throws: ExportError.self) { try TimelineExport.json(run: runID, selection: .init(goroutinesSQL: "SELECT 1 AS x"), on: db) }
        #expect(throws: ExportError.self) { try TimelineExport.json(run: runID, selection: .init(goroutinesSQL: "DELETE FROM runs"), on: db) }
    }
}
