import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// Real traces to check the warehouse against Go: the fixture traces (Tests/Fixtures/traces/**) and the
/// real v1-format traces shipped in Go's own source tree (internal/trace/internal/tracev1/testdata).
enum WarehouseTraces {
    static var goroot: URL {
        URL(fileURLWithPath: goBinary).resolvingSymlinksInPath().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static func all() -> [String] {
        var paths: [String] = []
        let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/traces")
        let skip: Set<String> = ["go", "mod", "sum", "md", "txt", "json", "sh", "py", "swift", "test"]
        if let walker = FileManager.default.enumerator(at: fixtures, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walker
            where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
                && !skip.contains(url.pathExtension) && !url.lastPathComponent.hasPrefix(".")
            {
                paths.append(url.path)
            }
        }
        let goTestdata = goroot.appendingPathComponent("src/internal/trace/internal/tracev1/testdata")
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: goTestdata.path)) ?? []).sorted()
        where name.hasSuffix("_good") {
            paths.append(goTestdata.appendingPathComponent(name).path)
        }
        return paths.sorted()
    }
}

@Suite struct GoroutineAnalysisTests {
    @Test func thereAreTracesToCheck() {
        #expect(!WarehouseTraces.all().isEmpty, "no real traces found (fixtures or Go's testdata)")
    }

    /// SELECT state, reason, SUM(duration_ns) ... equals Go's Summarizer totals (within 0.1% per category).
    @Test(arguments: WarehouseTraces.all())
    func stateTotalsEqualGoSummary(trace: String) throws {
        let go = try GoSummary.summarize(trace)
        let dir = try TemporaryDirectory()
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        let result = try TraceIngest.ingest(path: trace, into: db, source: TraceReaderAdapter.source)
        var ours: [String: Int64] = [:]
        for row in try db.rows(
            "SELECT state, reason, sum(duration_ns) FROM goroutine_states WHERE run_id = ? GROUP BY state, reason",
            [.integer(result.runID)])
        {
            guard case .text(let state) = row[0], case .text(let reason) = row[1], case .integer(let total) = row[2]
            else { continue }
            // Go's totals: waiting per reason; runnable (sched wait) over every reason.
            let key = state == "waiting" ? "waiting/" + reason : state
            ours[key, default: 0] += total
        }
        for key in Set(go.totals.keys).union(ours.keys).sorted() {
            let expected = go.totals[key] ?? 0
            let actual = ours[key] ?? 0
            let tolerance = max(Int64(1), expected / 1000)
            #expect(abs(actual - expected) <= tolerance, "\(key): warehouse \(actual) ns, Go \(expected) ns")
        }
        #expect(
            try db.scalarInt64("SELECT count(*) FROM goroutines WHERE run_id = ?", [.integer(result.runID)])
                == Int64(go.goroutines))
        // start_function is Go's goroutine name, and is_system follows internal/trace.IsSystemGoroutine.
        var mismatches: [String] = []
        for row in try db.rows("SELECT goid, start_function, is_system FROM goroutines WHERE run_id = ?", [.integer(result.runID)]) {
            guard case .integer(let goid) = row[0], case .text(let name) = row[1], case .integer(let system) = row[2] else { continue }
            let goName = go.names[String(goid)]
            if goName != name { mismatches.append("g\(goid): \(name) vs Go \(goName ?? "<none>")") }
            let goSystem = (goName ?? "").isEmpty || (goName != "runtime.main" && (goName ?? "").hasPrefix("runtime."))
            if (system == 1) != goSystem { mismatches.append("g\(goid): is_system \(system)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }
}
