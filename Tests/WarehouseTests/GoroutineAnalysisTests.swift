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

/// Each trace ingested once per test process (the tests below share it), in its own warehouse under one
/// directory that is removed when the test process exits.
enum IngestedTraces {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var done: [String: (path: String, runID: Int64)] = [:]
    private static let directory: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("traceware-ingested-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: IngestedTraces.directory) }
        return dir
    }()

    /// A read-only connection to a warehouse holding `trace` as its one run, and that run's id.
    nonisolated(unsafe) private static var locks: [String: NSLock] = [:]

    static func open(_ trace: String) throws -> (Database, Int64) {
        // One lock per trace: different traces ingest in parallel, the same one once.
        lock.lock()
        let traceLock = locks[trace] ?? NSLock()
        locks[trace] = traceLock
        let path = (directory as NSString).appendingPathComponent("\(locks.count).db")
        lock.unlock()
        traceLock.lock()
        defer { traceLock.unlock() }
        lock.lock()
        let existing = done[trace]
        lock.unlock()
        if let (path, runID) = existing { return (try WarehouseStore.openForReading(path), runID) }
        let runID = try TraceIngest.ingest(
            path: trace, into: WarehouseStore.openForWriting(path), source: TraceReaderAdapter.source
        ).runID
        lock.lock()
        done[trace] = (path, runID)
        lock.unlock()
        return (try WarehouseStore.openForReading(path), runID)
    }
}

@Suite struct GoroutineAnalysisTests {
    /// 105 fixture traces (7 Go versions x 15 scenarios) and Go 1.27's 12 v1 `_good` testdata traces.
    @Test func thereAreTracesToCheck() {
        let all = WarehouseTraces.all()
        #expect(all.count >= 105 + 12, "only \(all.count) real traces found (fixtures and Go's v1 testdata)")
        #expect(all.filter { $0.contains("/tracev1/testdata/") }.count >= 12, "Go's v1 testdata is missing")
    }

    /// SELECT state, reason, SUM(duration_ns) ... equals Go's Summarizer totals, exactly (on a v1 trace: those
    /// of one of up to 30 runs of Go, see GoSummary.mismatches).
    @Test(arguments: WarehouseTraces.all())
    func stateTotalsEqualGoSummary(trace: String) throws {
        let (db, runID) = try IngestedTraces.open(trace)
        var ours: [String: Int64] = [:]
        for row in try db.rows(
            "SELECT state, reason, sum(duration_ns) FROM goroutine_states WHERE run_id = ? GROUP BY state, reason",
            [.integer(runID)])
        {
            let state = try #require(row[0].textValue), reason = try #require(row[1].textValue)
            let total = try #require(row[2].integerValue)
            // Go's totals: waiting per reason; runnable (sched wait) over every reason.
            let key = state == "waiting" ? "waiting/" + reason : state
            ours[key, default: 0] += total
        }
        let mismatches = try GoSummary.mismatches(trace, oracle: GoSummary.summarize) { go in
            Set(go.totals.keys).union(ours.keys).sorted().compactMap { key in
                // No rows of a state is 0 ns of it; Go lists running, runnable and the syscall states even at 0.
                (ours[key] ?? 0) == (go.totals[key] ?? 0) ? nil : "\(key): warehouse \(ours[key] ?? 0) ns, Go \(go.totals[key] ?? 0) ns"
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// The goroutines table has Go's goroutines: the same ids, start_function is Go's goroutine name
    /// (GoroutineSummary.Name) and is_system is internal/trace.IsSystemGoroutine of it, as Go computes it.
    @Test(arguments: WarehouseTraces.all())
    func goroutinesEqualGoSummary(trace: String) throws {
        let (db, runID) = try IngestedTraces.open(trace)
        let go = try GoSummary.summarize(trace)
        var ours: [Int64: (name: String, system: Bool)] = [:]
        for row in try db.rows("SELECT goid, start_function, is_system FROM goroutines WHERE run_id = ?", [.integer(runID)]) {
            let goid = try #require(row[0].integerValue), name = try #require(row[1].textValue)
            let system = try #require(row[2].integerValue)
            ours[goid] = (name, system == 1)
        }
        #expect(ours.count == go.goroutines && go.goroutines == go.goroutineStats.count, "\(ours.count) vs Go \(go.goroutines)")
        var mismatches: [String] = []
        for g in go.goroutineStats {
            guard let mine = ours.removeValue(forKey: g.ID) else {
                mismatches.append("g\(g.ID) (\(g.Name)) missing")
                continue
            }
            if mine.name != g.Name { mismatches.append("g\(g.ID): \(mine.name) vs Go \(g.Name)") }
            if mine.system != g.IsSystem { mismatches.append("g\(g.ID) \(g.Name): is_system \(mine.system) vs Go \(g.IsSystem)") }
        }
        mismatches += ours.keys.sorted().map { "g\($0): not a goroutine of Go's" }
        #expect(mismatches.isEmpty, "\(mismatches.count): \(mismatches.prefix(5))")
        // The checks above compare something: every trace has goroutines, and user ones.
        #expect(go.goroutineStats.contains { !$0.IsSystem }, "Go sees no user goroutine in \(trace)")
    }
}

extension DatabaseValue {
    fileprivate var textValue: String? {
        if case .text(let v) = self { return v }
        return nil
    }
    fileprivate var integerValue: Int64? {
        if case .integer(let v) = self { return v }
        return nil
    }
}
