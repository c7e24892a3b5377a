import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// goroutine_states.category on fixture programs whose blocking is known (Tests/Fixtures/programs/workload):
/// the trace says only 'sync'; the block stack must tell a Mutex from an RWMutex, a WaitGroup or a Cond,
/// in every Go version's format.
@Suite struct CategoryTests {
    static let scenarios = ["mutex": "mutex", "rwmutex": "rwmutex", "waitgroup": "waitgroup", "cond": "cond"]

    static func traces(_ scenario: String) -> [String] {
        let root = packageRoot.appendingPathComponent("Tests/Fixtures/traces")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
        return versions.map { root.appendingPathComponent($0).appendingPathComponent("\(scenario).trace").path }
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Waits of user goroutines with a 'sync' reason, counted per category.
    static func syncWaitCategories(_ trace: String) throws -> [String: Int64] {
        let dir = try TemporaryDirectory()
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        let run = try TraceIngest.ingest(path: trace, into: db, source: TraceReaderAdapter.source)
        var counts: [String: Int64] = [:]
        for row in try db.rows(
            """
            SELECT s.category, count(*) FROM goroutine_states s
            JOIN goroutines g ON g.run_id = s.run_id AND g.goid = s.goid
            WHERE s.run_id = ? AND s.state = 'waiting' AND s.reason IN ('sync', 'sync.(*Cond).Wait') AND g.is_system = 0
            GROUP BY s.category
            """, [.integer(run.runID)])
        {
            if case .text(let category) = row[0], case .integer(let n) = row[1] { counts[category] = n }
        }
        return counts
    }

    @Test(arguments: scenarios.keys.sorted())
    func syncBlocksAreToldApart(scenario: String) throws {
        let expected = Self.scenarios[scenario] ?? scenario
        let traces = Self.traces(scenario)
        try #require(!traces.isEmpty, "no \(scenario).trace fixtures")
        var seen = 0
        for trace in traces {
            let counts = try Self.syncWaitCategories(trace)
            // Every program's main also waits once on a WaitGroup; nothing may fall back to semaphore/other.
            #expect(Set(counts.keys).isSubset(of: [expected, "waitgroup"]), "\(trace): \(counts)")
            if (counts[expected] ?? 0) > 0 { seen += 1 }
            // Where the lock was contended, the primitive is the one the program used.
            if scenario != "rwmutex" { #expect((counts[expected] ?? 0) > 0, "\(trace): \(counts)") }
        }
        // Some rwmutex fixtures happen to have no contended RLock/Lock; the category must show up in the others.
        #expect(seen > 0, "\(scenario): no trace shows \(expected)")
    }
}
