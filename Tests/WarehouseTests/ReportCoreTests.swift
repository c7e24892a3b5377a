import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// The canned reports mutex-share, latency-breakdown, goroutine-analysis and blocking-stacks, run through
/// ReportRunner on fixture traces (current and v1 format), against Go's own reading of the same traces:
/// scripts/gotools/mutexshare (walks internal/trace's events itself), scripts/gotools/summary (Go's Summarizer)
/// and `go tool trace -pprof=KIND` read by `go tool pprof -raw`. Never against the warehouse's own tables.
enum ReportCoreSupport {
    static let versions = ["1.19", "1.21", "1.22", "1.27"]

    static func fixture(_ version: String, _ scenario: String) -> String {
        packageRoot.appendingPathComponent("Tests/Fixtures/traces/go\(version)/\(scenario).trace").path
    }

    static func fixtures(_ scenario: String, versions: [String] = versions) -> [String] {
        versions.map { fixture($0, scenario) }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Where the shared warehouse lives; removed when the test process exits.
    static let sharedDirectory = FileManager.default.temporaryDirectory
        .appendingPathComponent("traceware-report-core-\(getpid())").path

    /// One warehouse holding every trace these tests use, ingested once per test process; each test opens its
    /// own read-only connection.
    final class Shared: Sendable {
        let path: String
        let runIDs: [String: Int64]

        init(_ traces: [String]) throws {
            try FileManager.default.createDirectory(atPath: sharedDirectory, withIntermediateDirectories: true)
            atexit { try? FileManager.default.removeItem(atPath: ReportCoreSupport.sharedDirectory) }
            path = (sharedDirectory as NSString).appendingPathComponent("reports.db")
            let db = try WarehouseStore.openForWriting(path)
            var ids: [String: Int64] = [:]
            for trace in traces {
                ids[trace] = try TraceIngest.ingest(path: trace, into: db, source: TraceReaderAdapter.source).runID
            }
            runIDs = ids
        }

        func run(_ name: String, trace: String, _ parameters: [String: String] = [:]) throws -> [[String: DatabaseValue]] {
            let db = try WarehouseStore.openForReading(path)
            let report = try ReportCatalog.find(name, db: db, queriesDirectory: nil)
            let runID = try #require(runIDs[trace], "\(trace) was not ingested")
            let (columns, rows) = try ReportRunner.run(report, runID: runID, parameters: parameters, on: db)
            return rows.map { Dictionary(uniqueKeysWithValues: zip(columns, $0)) }
        }
    }

    static let scenarios = ["mutex", "rwmutex", "waitgroup", "many", "tcp", "file", "gc", "chan", "select", "sleep"]

    static let shared: GoSummary.Outcome<Shared> = {
        do {
            let traces = scenarios.flatMap { ReportCoreSupport.fixtures($0, versions: versions) }
            return .success(try Shared(traces))
        } catch {
            return .failure("ingesting the report fixtures failed: \(error)")
        }
    }()

    // MARK: Go oracles

    struct MutexShare: Decodable {
        var Goroutines: Int
        var LatencyNs: Int64
        var MutexNs: Int64
        var RWMutexNs: Int64
        var Share: Double
        var Frames: [String: Int64]
        var ByState: [String: Int64]
    }

    static let mutexShareBinary = GoSummary.tool("mutexshare")

    static func mutexShare(_ trace: String) throws -> MutexShare {
        try GoSummary.decode(MutexShare.self, running: mutexShareBinary, on: trace)
    }

    /// `go tool trace -pprof=KIND TRACE | go tool pprof -raw`: per stack ("function:line < ...", innermost
    /// first, as blocking-stacks prints it), the sample count and the time in ns.
    static func pprof(_ kind: String, _ trace: String) throws -> [String: (count: Int64, ns: Int64)] {
        let directory = try TemporaryDirectory()
        let profile = directory.path("\(kind).pb")
        let env = ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"]
        let (status, _, stderr) = try TestProcess.run(
            "/bin/sh", ["-c", "exec \"$0\" tool trace -pprof=\"$1\" \"$2\" > \"$3\"", goBinary, kind, trace, profile],
            environment: env)
        guard status == 0 else { throw GoSummary.Failure(description: "go tool trace -pprof=\(kind) \(trace): \(stderr)") }
        let (rawStatus, raw, rawError) = try TestProcess.run(goBinary, ["tool", "pprof", "-raw", profile], environment: env)
        guard rawStatus == 0 else { throw GoSummary.Failure(description: "go tool pprof -raw: \(rawError)") }
        return parseRaw(raw)
    }

    /// Parses pprof -raw: "Samples:" lines `count ns: loc loc ...`, "Locations" lines
    /// `id: 0xPC M=1 function file:line:col s=0`. A location without a function (Go's record for an event
    /// without a stack) is dropped, so such a sample has the empty stack.
    static func parseRaw(_ text: String) -> [String: (count: Int64, ns: Int64)] {
        var samples: [(Int64, Int64, [String])] = []
        var locations: [String: String] = [:]
        var section = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Samples:") { section = "samples"; continue }
            if line.hasPrefix("Locations") { section = "locations"; continue }
            if line.hasPrefix("Mappings") { section = ""; continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if section == "samples", fields.count >= 2, let count = Int64(fields[0]), fields[1].hasSuffix(":"),
                let ns = Int64(fields[1].dropLast())
            {
                samples.append((count, ns, fields.dropFirst(2).map(String.init)))
            } else if section == "locations", fields.count >= 3, fields[0].hasSuffix(":") {
                let id = String(fields[0].dropLast())
                // id: 0xPC M=1 [function file:line:col] s=0
                var frame = ""
                if fields.count >= 6, let colon = fields[4].firstIndex(of: ":") {
                    let lineNumber = fields[4][fields[4].index(after: colon)...].prefix { $0 != ":" }
                    frame = "\(fields[3]):\(lineNumber)"
                }
                locations[id] = frame
            }
        }
        var result: [String: (count: Int64, ns: Int64)] = [:]
        for (count, ns, ids) in samples {
            let stack = ids.compactMap { locations[$0] }.filter { !$0.isEmpty }.joined(separator: " < ")
            let old = result[stack] ?? (0, 0)
            result[stack] = (old.count + count, old.ns + ns)
        }
        return result
    }

    /// A v1-format trace: Go's reader may order same-timestamp events differently from run to run (1 ns).
    static func isV1(_ trace: String) -> Bool { trace.contains("/go1.19/") || trace.contains("/go1.21/") }

    static func close(_ a: Int64, _ b: Int64, _ trace: String) -> Bool {
        abs(a - b) <= (isV1(trace) ? max(2, b / 1000) : 0)
    }
}

extension Dictionary where Key == String, Value == DatabaseValue {
    fileprivate func integer(_ key: String) -> Int64? {
        switch self[key] {
        case .integer(let v): return v
        case .real(let v): return Int64(v)
        default: return nil
        }
    }
    fileprivate func double(_ key: String) -> Double? {
        switch self[key] {
        case .integer(let v): return Double(v)
        case .real(let v): return v
        default: return nil
        }
    }
    fileprivate func string(_ key: String) -> String? {
        if case .text(let v) = self[key] { return v }
        return nil
    }
}

@Suite struct ReportCoreTests {
    static let mutexTraces = ["mutex", "rwmutex", "waitgroup", "many"].flatMap {
        ReportCoreSupport.fixtures($0, versions: ReportCoreSupport.versions)
    }

    /// mutex-share agrees with an independent computation from Go's reader within 1 percentage point (and its
    /// parts, including the top stacks, within 0.1%).
    @Test(arguments: mutexTraces)
    func mutexShareAgreesWithGo(trace: String) throws {
        let shared = try ReportCoreSupport.shared.get()
        let go = try ReportCoreSupport.mutexShare(trace)
        let rows = try shared.run("mutex-share", trace: trace, ["top": "10"])
        try #require(rows.count == 1)
        let row = rows[0]
        let share = try #require(row.double("share"))
        #expect(abs(share - go.Share) <= 0.01, "share \(share) vs Go \(go.Share)")
        #expect(row.integer("goroutines") == Int64(go.Goroutines))
        let tolerance = { (x: Int64) in max(2, x / 1000) }
        #expect(abs((row.integer("mutex_ns") ?? -1) - go.MutexNs) <= tolerance(go.MutexNs), "mutex_ns \(row) vs Go \(go.MutexNs)")
        #expect(abs((row.integer("rwmutex_ns") ?? -1) - go.RWMutexNs) <= tolerance(go.RWMutexNs))
        #expect(abs((row.integer("latency_ns") ?? -1) - go.LatencyNs) <= tolerance(go.LatencyNs))
        // top_stacks: 'function:line ns; ...' — the same user frames as Go's, with the same time.
        var frames: [String: Int64] = [:]
        for item in (row.string("top_stacks") ?? "").split(separator: ";") {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: " ")
            if parts.count == 2, let ns = Int64(parts[1]) { frames[String(parts[0])] = ns }
        }
        #expect(Set(frames.keys) == Set(go.Frames.keys), "\(frames) vs Go \(go.Frames)")
        for (frame, ns) in go.Frames { #expect(abs((frames[frame] ?? -1) - ns) <= tolerance(ns), "\(frame)") }
    }

    /// The headline: contended locks come out large; 10,000 goroutines each taking an uncontended lock once
    /// (whose main goroutine waits on a WaitGroup, also 'sync') come out near 0.
    @Test func mutexShareIsLargeForMutexAndNearZeroForMany() throws {
        let shared = try ReportCoreSupport.shared.get()
        for trace in ReportCoreSupport.fixtures("mutex", versions: ReportCoreSupport.versions) {
            let share = try #require(try shared.run("mutex-share", trace: trace).first?.double("share"))
            #expect(share > 0.3, "\(trace): \(share)")
        }
        for trace in ReportCoreSupport.fixtures("many", versions: ReportCoreSupport.versions) {
            let share = try #require(try shared.run("mutex-share", trace: trace).first?.double("share"))
            #expect(share < 0.01, "\(trace): \(share)")
        }
    }

    static let breakdownTraces = ["mutex", "rwmutex", "tcp", "chan", "select", "sleep", "file"].flatMap {
        ReportCoreSupport.fixtures($0, versions: ReportCoreSupport.versions)
    }

    /// latency-breakdown: the shares add up to 1; total latency, sched wait, syscall, mutex and rwmutex, and the
    /// categories that are one block reason each, equal Go's reading (scripts/gotools/mutexshare).
    @Test(arguments: breakdownTraces)
    func latencyBreakdownAgreesWithGo(trace: String) throws {
        let shared = try ReportCoreSupport.shared.get()
        let go = try ReportCoreSupport.mutexShare(trace)
        let rows = try shared.run("latency-breakdown", trace: trace)
        var ns: [String: Int64] = [:]
        var shareSum = 0.0
        for row in rows {
            ns[row.string("category") ?? "?"] = row.integer("ns")
            shareSum += row.double("share") ?? 0
        }
        #expect(abs(shareSum - 1) < 1e-9, "shares add up to \(shareSum)")
        let expected: [(String, Int64)] = [
            ("total", go.LatencyNs),
            ("sched_wait", go.ByState["runnable"] ?? 0),
            ("syscall", go.ByState["syscall"] ?? 0),
            ("mutex", go.MutexNs - go.RWMutexNs),
            ("rwmutex", go.RWMutexNs),
            ("network", go.ByState["waiting/network"] ?? 0),
            ("sleep", go.ByState["waiting/sleep"] ?? 0),
            ("chan_send", go.ByState["waiting/chan send"] ?? 0),
            ("chan_recv", go.ByState["waiting/chan receive"] ?? 0),
            ("select", (go.ByState["waiting/select"] ?? 0) + (go.ByState["waiting/select (no cases)"] ?? 0)),
        ]
        for (category, goNs) in expected {
            let ours = category == "total" ? ns.values.reduce(0, +) : ns[category] ?? 0
            #expect(abs(ours - goNs) <= max(2, goNs / 1000), "\(category): ours \(ours), Go \(goNs)")
        }
    }

    static let analysisTraces = ["mutex", "many", "gc", "tcp", "file", "chan"].flatMap {
        ReportCoreSupport.fixtures($0, versions: ReportCoreSupport.versions)
    }

    /// goroutine-analysis groups equal Go's Summarizer summed per GoroutineSummary.Name, and p50/p99 are the
    /// nearest-rank percentiles of Go's per-goroutine TotalTime; a drill-down lists that group's goroutines
    /// with Go's per-goroutine figures.
    @Test(arguments: analysisTraces)
    func goroutineAnalysisEqualsGoSummarizer(trace: String) throws {
        let shared = try ReportCoreSupport.shared.get()
        let go = try GoSummary.summarize(trace)
        struct Figures: Equatable {
            var count: Int64 = 0, total: Int64 = 0, exec: Int64 = 0, sched: Int64 = 0, block: Int64 = 0
            var syscall: Int64 = 0, syscallBlock: Int64 = 0, unknown: Int64 = 0, range: Int64 = 0
            var values: [Int64] {
                [count, total, exec, sched, block, syscall, syscallBlock, unknown, range]
            }
        }
        func figures(_ g: GoSummary.Goroutine) -> Figures {
            Figures(
                count: 1, total: g.TotalTime, exec: g.ExecTime, sched: g.SchedWaitTime,
                block: g.BlockTimeByReason.values.reduce(0, +), syscall: g.SyscallTime,
                syscallBlock: g.SyscallBlockTime, unknown: g.UnknownTime, range: g.RangeTime.values.reduce(0, +))
        }
        func figures(_ row: [String: DatabaseValue]) -> Figures {
            Figures(
                count: row.integer("goroutines") ?? -1, total: row.integer("total_ns") ?? -1, exec: row.integer("exec_ns") ?? -1,
                sched: row.integer("sched_wait_ns") ?? -1, block: row.integer("block_ns") ?? -1,
                syscall: row.integer("syscall_ns") ?? -1, syscallBlock: row.integer("syscall_block_ns") ?? -1,
                unknown: row.integer("unknown_ns") ?? -1, range: row.integer("range_ns") ?? -1)
        }
        func agree(_ a: Figures, _ b: Figures) -> Bool {
            zip(a.values, b.values).allSatisfy { ReportCoreSupport.close($0, $1, trace) }
        }
        var groups: [String: Figures] = [:]
        var totals: [String: [Int64]] = [:]
        for g in go.goroutineStats {
            let f = figures(g)
            var sum = groups[g.Name] ?? Figures()
            for (keyPath, value) in zip(
                [\Figures.count, \.total, \.exec, \.sched, \.block, \.syscall, \.syscallBlock, \.unknown, \.range], f.values)
            {
                sum[keyPath: keyPath] += value
            }
            groups[g.Name] = sum
            totals[g.Name, default: []].append(g.TotalTime)
        }
        let rows = try shared.run("goroutine-analysis", trace: trace)
        #expect(Set(rows.compactMap { $0.string("start_function") }) == Set(groups.keys))
        for row in rows {
            let name = row.string("start_function") ?? "?"
            guard let expected = groups[name] else { continue }
            #expect(agree(figures(row), expected), "\(name): ours \(figures(row)), Go \(expected)")
            let sorted = (totals[name] ?? []).sorted()
            func nearestRank(_ p: Int) -> Int64 { sorted[max(1, (p * sorted.count + 99) / 100) - 1] }
            #expect(ReportCoreSupport.close(row.integer("total_p50_ns") ?? -1, nearestRank(50), trace), "\(name) p50")
            #expect(ReportCoreSupport.close(row.integer("total_p99_ns") ?? -1, nearestRank(99), trace), "\(name) p99")
        }

        // Drill down into the group with the most goroutines (ties: the name).
        let group = try #require(groups.max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }?.key)
        let drill = try shared.run("goroutine-analysis", trace: trace, ["function": group])
        let byID = Dictionary(uniqueKeysWithValues: go.goroutineStats.filter { $0.Name == group }.map { ($0.ID, $0) })
        #expect(drill.count == byID.count)
        for row in drill {
            let goid = try #require(row.integer("goid"))
            let g = try #require(byID[goid], "goroutine \(goid) is not in Go's group \(group)")
            #expect(agree(figures(row), figures(g)), "g\(goid): ours \(figures(row)), Go \(figures(g))")
            #expect(row.string("start_function") == group)
        }
    }

    /// (trace, kind) pairs where the kind has samples: sync and sched on lock-heavy traces, net on tcp,
    /// syscall on file, sync on chan and select.
    static let pprofCases: [(String, String)] = ReportCoreSupport.versions.flatMap { version -> [(String, String)] in
        [("mutex", "sync"), ("mutex", "sched"), ("rwmutex", "sync"), ("tcp", "net"), ("tcp", "sched"),
         ("file", "syscall"), ("chan", "sync"), ("select", "sync")]
            .map { (ReportCoreSupport.fixture(version, $0.0), $0.1) }
            .filter { FileManager.default.fileExists(atPath: $0.0) }
    }

    /// blocking-stacks per kind equals go tool trace -pprof=KIND stack by stack (count and time).
    @Test(arguments: pprofCases)
    func blockingStacksEqualGoPprof(trace: String, kind: String) throws {
        let shared = try ReportCoreSupport.shared.get()
        let go = try ReportCoreSupport.pprof(kind, trace)
        #expect(!go.isEmpty, "Go's \(kind) profile of \(trace) is empty: pick another case")
        let rows = try shared.run("blocking-stacks", trace: trace, ["kind": kind, "top": "0"])
        var ours: [String: (count: Int64, ns: Int64)] = [:]
        for row in rows {
            #expect(row.string("kind") == kind)
            // Go keys stacks by their PCs, so a stack whose only frame is unknown (PC 0, no function: ':0' here)
            // merges with "no stack"; parseRaw drops frames without a function, and so does this.
            let stack = (row.string("stack") ?? "?").split(separator: " < ").filter { $0 != ":0" }.joined(separator: " < ")
            let old = ours[stack] ?? (0, 0)
            ours[stack] = (old.count + (row.integer("count") ?? 0), old.ns + (row.integer("total_ns") ?? 0))
        }
        #expect(Set(ours.keys) == Set(go.keys), "stacks differ: ours \(ours.keys.sorted()), Go \(go.keys.sorted())")
        for (stack, expected) in go {
            let actual = ours[stack] ?? (0, 0)
            #expect(actual.count == expected.count, "\(stack): \(actual.count) intervals, Go \(expected.count)")
            #expect(ReportCoreSupport.close(actual.ns, expected.ns, trace), "\(stack): \(actual.ns) ns, Go \(expected.ns)")
        }
        // The kind's total, the number a user reads first.
        let total = ours.values.map(\.ns).reduce(0, +)
        let goTotal = go.values.map(\.ns).reduce(0, +)
        #expect(ReportCoreSupport.close(total, goTotal, trace), "total \(total) vs Go \(goTotal)")
    }

    /// kind=all is the union of the four kinds.
    @Test func blockingStacksAllIsTheUnionOfTheKinds() throws {
        let shared = try ReportCoreSupport.shared.get()
        let trace = ReportCoreSupport.fixture("1.27", "tcp")
        let all = try shared.run("blocking-stacks", trace: trace, ["top": "0"])
        var sum: Int64 = 0
        for kind in ["sync", "net", "syscall", "sched"] {
            sum += try shared.run("blocking-stacks", trace: trace, ["kind": kind, "top": "0"])
                .compactMap { $0.integer("total_ns") }.reduce(0, +)
        }
        #expect(all.compactMap { $0.integer("total_ns") }.reduce(0, +) == sum)
        #expect(Set(all.compactMap { $0.string("kind") }) == ["sync", "net", "syscall", "sched"])
    }
}
