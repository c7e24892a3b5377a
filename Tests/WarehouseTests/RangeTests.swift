import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// gc_cycles, stw_pauses and ranges hold one row per range instance that Go's reader shows: counted from
/// `go tool trace -d=parsed` (RangeBegin, a RangeActive for a range not already open, or an unmatched
/// RangeEnd), per range name, on every fixture trace.
@Suite struct RangeTests {
    static func fixtures() -> [String] {
        WarehouseTraces.all().filter { $0.contains("/Tests/Fixtures/traces/") }
    }

    /// Range instances per name in Go's parsed event stream.
    static func goRangeCounts(_ trace: String) throws -> [String: Int] {
        let (status, stdout, stderr) = try TestProcess.run(
            goBinary, ["tool", "trace", "-d=parsed", trace],
            environment: ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"])
        guard status == 0 else { throw GoSummary.Failure(description: "go tool trace -d=parsed \(trace): \(stderr)") }
        var open = Set<String>()
        var counts: [String: Int] = [:]
        for line in stdout.split(separator: "\n") {
            let kind: Substring
            if line.contains(" RangeBegin ") { kind = "begin" } else if line.contains(" RangeActive ") {
                kind = "active"
            } else if line.contains(" RangeEnd ") { kind = "end" } else { continue }
            guard let nameStart = line.range(of: "Name=\""), let scopeStart = line.range(of: " Scope=") else { continue }
            let rest = line[nameStart.upperBound...]
            guard let nameEnd = rest.firstIndex(of: "\"") else { continue }
            let name = String(rest[..<nameEnd])
            let scope = line[scopeStart.upperBound...].prefix { $0 != " " }
            let key = name + "|" + scope
            switch kind {
            case "begin":
                counts[name, default: 0] += 1
                open.insert(key)
            case "active":
                if open.insert(key).inserted { counts[name, default: 0] += 1 }
            default:
                if open.remove(key) == nil { counts[name, default: 0] += 1 }
            }
        }
        return counts
    }

    @Test(arguments: fixtures())
    func rangeRowsMatchGo(trace: String) throws {
        let expected = try Self.goRangeCounts(trace)
        let dir = try TemporaryDirectory()
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        let run = try TraceIngest.ingest(path: trace, into: db, source: TraceReaderAdapter.source)
        var ours: [String: Int] = [:]
        let id: [DatabaseValue] = [.integer(run.runID)]
        ours["GC concurrent mark phase"] = Int(try db.scalarInt64("SELECT count(*) FROM gc_cycles WHERE run_id = ?", id) ?? 0)
        for row in try db.rows("SELECT 'stop-the-world (' || reason || ')', count(*) FROM stw_pauses WHERE run_id = ? GROUP BY 1", id)
            + db.rows("SELECT name, count(*) FROM ranges WHERE run_id = ? GROUP BY 1", id)
        {
            if case .text(let name) = row[0], case .integer(let n) = row[1] { ours[name, default: 0] += Int(n) }
        }
        if ours["GC concurrent mark phase"] == 0 { ours["GC concurrent mark phase"] = nil }
        #expect(ours == expected)
    }
}
