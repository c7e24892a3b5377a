import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// The labels table (Go's Label events) against the Label lines of `go tool trace -d=parsed`, and the gc report's
/// workers section against scripts/gotools/reportfacts (internal/trace's events: goroutine states and labels).
@Suite struct LabelTests {
    /// Every fixture trace (all formats: the runtime labels its GC mark workers in each).
    static let traces = WarehouseTraces.all().filter { $0.contains("/Tests/Fixtures/traces/") }

    struct GoLabel: Equatable, CustomStringConvertible {
        var time: Int64
        var goid: Int64
        var label: String
        var description: String { "\(time) G\(goid) \(label)" }
    }

    /// `... Label Time=T Label="L" Resource=Goroutine(G)` lines, in order.
    static func goLabels(_ trace: String) throws -> [GoLabel] {
        let (status, text, stderr) = try TestProcess.run(
            goBinary, ["tool", "trace", "-d=parsed", trace],
            environment: ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"])
        guard status == 0 else { throw GoSummary.Failure(description: "go tool trace -d=parsed \(trace): \(stderr)") }
        var labels: [GoLabel] = []
        for line in text.split(separator: "\n") where line.hasPrefix("M=") && line.contains(" Label Time=") {
            guard let time = line.range(of: " Time="), let label = line.range(of: " Label=\""),
                let resource = line.range(of: "\" Resource=Goroutine(", options: .backwards)
            else { continue }
            let t = Int64(line[time.upperBound...].prefix { $0 == "-" || $0.isNumber }) ?? .min
            // Go prints the label with %q: GC labels need no escapes.
            let name = String(line[label.upperBound..<resource.lowerBound])
            let goid = Int64(line[resource.upperBound...].prefix { $0 == "-" || $0.isNumber }) ?? .min
            labels.append(GoLabel(time: t, goid: goid, label: name))
        }
        return labels
    }

    @Test func someTracesHaveLabels() throws {
        let gc = try #require(Self.traces.first { $0.hasSuffix("/go1.27/gc.trace") })
        #expect(try Self.goLabels(gc).count >= 10)
    }

    @Test(arguments: traces)
    func labelsAreGosLabelEvents(_ trace: String) throws {
        let go = try Self.goLabels(trace)
        let h = try ReportHarness(trace)
        let origin = try h.db.scalarInt64("SELECT clock_origin FROM runs WHERE run_id = ?", [.integer(h.runID)]) ?? 0
        let ours = try h.db.rows(
            "SELECT ts_ns, goid, label FROM labels WHERE run_id = ? ORDER BY rowid", [.integer(h.runID)]
        ).map { row -> GoLabel in
            guard case .integer(let ts) = row[0], case .integer(let goid) = row[1], case .text(let label) = row[2]
            else { return GoLabel(time: .min, goid: .min, label: "?") }
            return GoLabel(time: ts + origin, goid: goid, label: label)
        }
        #expect(ours.count == go.count, "\(ours.count) labels, Go \(go.count)")
        // Go's v1 reader may move a time by 1 ns from run to run (same-timestamp events in either order).
        let slack: Int64 = trace.contains("/go1.19/") || trace.contains("/go1.21/") ? 2 : 0
        let differ = zip(ours, go).filter { a, b in a.goid != b.goid || a.label != b.label || abs(a.time - b.time) > slack }
        #expect(differ.isEmpty, "\(differ.count) differ, first: \(differ.prefix(3).map { "\($0.0) vs Go \($0.1)" })")
    }

    struct Workers: Decodable {
        var GCWorkers: [String: ReportFacts.Stats]
    }

    /// gc's workers rows: per mark worker mode, the running intervals' count, total, p50, p99 and max equal Go's.
    @Test(arguments: ReportFacts.fixtures("gc") + [ReportFacts.fixture("1.27", "mutex")])
    func gcWorkersMatchGo(trace: String) throws {
        let rows = try ReportHarness(trace).report("gc")
        var ours: [String: ReportFacts.Stats] = [:]
        for row in rows where row.text("section") == "workers" { ours[row.text("name") ?? "?"] = row.stats(count: "count") }
        let mismatches = try ReportFacts.mismatches(trace) { _ in
            let go = try GoSummary.decode(Workers.self, running: ReportFacts.binary, on: trace).GCWorkers.mapValues {
                var s = $0
                s.P90 = 0
                return s
            }
            return ours == go ? [] : ["workers \(ours) vs Go \(go)"]
        }
        #expect(mismatches.isEmpty, "\(trace): \(mismatches)")
        if trace.hasSuffix("/gc.trace") { #expect(!ours.isEmpty, "\(trace): no GC worker time") }
    }
}
