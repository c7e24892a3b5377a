import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// The clock of runs from pre-1.22 (v1) traces, against the timestamps of `go tool trace -d=parsed`: Go's reader
/// opens a converted v1 trace with a Sync at Time=-1 that is not a time of the trace, so the run's origin is
/// the next event's time; every *_ns + clock_origin is then a Time of Go's listing (the Sync's -1 included:
/// goroutines that existed before tracing started are created there, as Go's Summarizer has them).
@Suite struct V1ClockTests {
    static let traces: [String] = {
        let root = packageRoot.appendingPathComponent("Tests/Fixtures/traces").path
        return ["go1.19", "go1.21"].flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + dir)) ?? []).sorted()
                .filter { $0.hasSuffix(".trace") }.map { "\(root)/\(dir)/\($0)" }
        }
    }()

    @Test func thereAreV1Traces() { #expect(Self.traces.count >= 20, "\(Self.traces.count) v1 fixtures") }

    /// The Time= of each event line of Go's listing, in order.
    static func goTimes(_ trace: String) throws -> [Int64] {
        let (status, text, stderr) = try TestProcess.run(
            goBinary, ["tool", "trace", "-d=parsed", trace],
            environment: ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"])
        guard status == 0 else { throw GoSummary.Failure(description: "go tool trace -d=parsed \(trace): \(stderr)") }
        var times: [Int64] = []
        for line in text.split(separator: "\n") where line.hasPrefix("M=") {
            guard let at = line.range(of: " Time=") else { continue }
            if let t = Int64(line[at.upperBound...].prefix { $0 == "-" || $0.isNumber }) { times.append(t) }
        }
        return times
    }

    @Test(arguments: traces)
    func timesAreGoTimesMinusTheOrigin(_ trace: String) throws {
        let go = try Self.goTimes(trace)
        try #require(go.count >= 3 && go[0] == -1, "Go's listing of a v1 trace starts with Sync Time=-1")
        let dir = try TemporaryDirectory()
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        let run = try TraceIngest.ingest(path: trace, into: db, source: TraceReaderAdapter.source).runID
        let facts = try db.rows("SELECT clock_origin, end_ns, event_count FROM runs WHERE run_id = ?", [.integer(run)])
        guard case .integer(let origin) = facts[0][0], case .integer(let end) = facts[0][1],
            case .integer(let events) = facts[0][2]
        else { Issue.record("no runs row"); return }
        #expect(origin == go[1], "clock_origin \(origin), Go's first event after the Sync at \(go[1])")
        #expect(end + origin == go.last, "end_ns \(end) + \(origin), Go's last event at \(go.last ?? 0)")
        #expect(events == Int64(go.count))

        // Every interval boundary and creation time is one of Go's times. Go's v1 reader may order
        // same-timestamp events differently from run to run, moving a time by 1 ns (see V1ConformanceTests):
        // a boundary within 2 ns of one of Go's times counts, but most must be exact.
        let goSet = Set(go)
        var exact = 0
        var near = 0
        var off: [Int64] = []
        let boundaries = try db.rows(
            """
            SELECT start_ns FROM goroutine_states WHERE run_id = ?1 UNION ALL
            SELECT end_ns FROM goroutine_states WHERE run_id = ?1 UNION ALL
            SELECT created_ns FROM goroutines WHERE run_id = ?1
            """, [.integer(run)])
        for row in boundaries {
            guard case .integer(let ns) = row[0] else { continue }
            let t = ns + origin
            if goSet.contains(t) { exact += 1 } else if (-2...2).contains(where: { goSet.contains(t + $0) }) { near += 1 } else { off.append(ns) }
        }
        #expect(off.isEmpty, "\(off.count) times (+ origin) that are no time of Go's: \(off.prefix(5))")
        #expect(exact >= 10 && near * 20 <= exact, "\(exact) exact, \(near) within 2 ns")
        // Pre-existing goroutines are created at the Sync, -(origin + 1) ns before the origin.
        let preexisting = try db.scalarInt64(
            "SELECT count(*) FROM goroutines WHERE run_id = ? AND created_ns = ?", [.integer(run), .integer(-1 - origin)])
        #expect((preexisting ?? 0) > 0, "no goroutine created at the Sync")
    }
}
