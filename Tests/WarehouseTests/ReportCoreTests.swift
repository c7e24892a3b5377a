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

    /// One warehouse holding every trace a suite uses, ingested once per test process (file `name` in
    /// sharedDirectory; the export suites have their own); each test opens its own read-only connection.
    final class Shared: Sendable {
        let path: String
        let runIDs: [String: Int64]

        init(_ traces: [String], name: String = "reports.db") throws {
            try FileManager.default.createDirectory(atPath: sharedDirectory, withIntermediateDirectories: true)
            atexit { try? FileManager.default.removeItem(atPath: ReportCoreSupport.sharedDirectory) }
            path = (sharedDirectory as NSString).appendingPathComponent(name)
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

    static let scenarios = ["mutex", "rwmutex", "waitgroup", "many", "tcp", "file", "gc", "chan", "select", "sleep", "chain"]

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
        /// Every lock wait of the user goroutines: count and nearest-rank p50/p99 (compare's lock_wait_p50_ns/p99_ns).
        var LockWaits: Int
        var LockWaitP50Ns: Int64
        var LockWaitP99Ns: Int64
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
        parseRaw(try pprofRaw(kind, trace))
    }

    /// `go tool trace -pprof=KIND TRACE | go tool pprof -raw`, the text.
    static func pprofRaw(_ kind: String, _ trace: String) throws -> String {
        let directory = try TemporaryDirectory()
        let profile = directory.path("\(kind).pb")
        let env = ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"]
        let (status, _, stderr) = try TestProcess.run(
            "/bin/sh", ["-c", "exec \"$0\" tool trace -pprof=\"$1\" \"$2\" > \"$3\"", goBinary, kind, trace, profile],
            environment: env)
        guard status == 0 else { throw GoSummary.Failure(description: "go tool trace -pprof=\(kind) \(trace): \(stderr)") }
        let (rawStatus, raw, rawError) = try TestProcess.run(goBinary, ["tool", "pprof", "-raw", profile], environment: env)
        guard rawStatus == 0 else { throw GoSummary.Failure(description: "go tool pprof -raw: \(rawError)") }
        return raw
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

    /// How many of each scenario's fixtures must be there: one per Go version of `versions`.
    static func expectComplete(_ traces: [String], scenarios: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(traces.count == scenarios * versions.count, "only \(traces.count) of \(scenarios * versions.count) fixtures found",
                sourceLocation: sourceLocation)
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

    @Test func fixtureListsAreComplete() {
        ReportCoreSupport.expectComplete(Self.mutexTraces, scenarios: 4)
        ReportCoreSupport.expectComplete(Self.breakdownTraces, scenarios: 7)
        ReportCoreSupport.expectComplete(Self.analysisTraces, scenarios: 6)
        ReportCoreSupport.expectComplete(
            ReportCoreSupport.scenarios.flatMap { ReportCoreSupport.fixtures($0) }, scenarios: ReportCoreSupport.scenarios.count)
        #expect(Self.pprofCases.count == 8 * ReportCoreSupport.versions.count, "only \(Self.pprofCases.count) (trace, kind) cases")
    }

    /// mutex-share equals an independent computation from Go's reader (scripts/gotools/mutexshare): goroutines,
    /// mutex, rwmutex and latency ns exactly, the share to 1e-9 (both are mutex / latency in doubles), the top
    /// stacks' user frames and times exactly. On a v1 trace, equal to one of up to 30 runs of Go
    /// (GoSummary.mismatches: Go's v1 reader orders tied events differently from run to run).
    @Test(arguments: mutexTraces)
    func mutexShareAgreesWithGo(trace: String) throws {
        let shared = try ReportCoreSupport.shared.get()
        let rows = try shared.run("mutex-share", trace: trace, ["top": "10"])
        try #require(rows.count == 1)
        let row = rows[0]
        let share = try #require(row.double("share"))
        let goroutines = try #require(row.integer("goroutines"))
        let mutex = try #require(row.integer("mutex_ns")), rwmutex = try #require(row.integer("rwmutex_ns"))
        let latency = try #require(row.integer("latency_ns"))
        // top_stacks: 'function:line ns; ...' — the same user frames as Go's, with the same time.
        var frames: [String: Int64] = [:]
        for item in try #require(row.string("top_stacks")).split(separator: ";") {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: " ")
            let ns = try #require(parts.count == 2 ? Int64(parts[1]) : nil, "top_stacks item '\(item)'")
            frames[String(parts[0])] = ns
        }
        let mismatches = try GoSummary.mismatches(trace, oracle: ReportCoreSupport.mutexShare) { go in
            var m: [String] = []
            if abs(share - go.Share) > 1e-9 * max(1, abs(go.Share)) { m.append("share \(share) vs Go \(go.Share)") }
            if goroutines != Int64(go.Goroutines) { m.append("goroutines \(goroutines) vs Go \(go.Goroutines)") }
            if mutex != go.MutexNs { m.append("mutex_ns \(mutex) vs Go \(go.MutexNs)") }
            if rwmutex != go.RWMutexNs { m.append("rwmutex_ns \(rwmutex) vs Go \(go.RWMutexNs)") }
            if latency != go.LatencyNs { m.append("latency_ns \(latency) vs Go \(go.LatencyNs)") }
            if frames != go.Frames { m.append("top_stacks \(frames) vs Go \(go.Frames)") }
            return m
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
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
    /// categories that are one block reason each, equal Go's reading (scripts/gotools/mutexshare), exactly (on a
    /// v1 trace, one of up to 30 runs of Go: GoSummary.mismatches).
    @Test(arguments: breakdownTraces)
    func latencyBreakdownAgreesWithGo(trace: String) throws {
        let shared = try ReportCoreSupport.shared.get()
        let rows = try shared.run("latency-breakdown", trace: trace)
        var ns: [String: Int64] = [:]
        var shareSum = 0.0
        for row in rows {
            ns[try #require(row.string("category"))] = try #require(row.integer("ns"))
            shareSum += try #require(row.double("share"))
        }
        #expect(abs(shareSum - 1) < 1e-9, "shares add up to \(shareSum)")
        let mismatches = try GoSummary.mismatches(trace, oracle: ReportCoreSupport.mutexShare) { go in
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
        return expected.compactMap { category, goNs in
            // A category without a row is 0 ns of it.
            let ours = category == "total" ? ns.values.reduce(0, +) : ns[category] ?? 0
            return ours == goNs ? nil : "\(category): ours \(ours), Go \(goNs)"
        }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(!ns.isEmpty, "no latency at all")
    }

    static let analysisTraces = ["mutex", "many", "gc", "tcp", "file", "chan"].flatMap {
        ReportCoreSupport.fixtures($0, versions: ReportCoreSupport.versions)
    }

    /// goroutine-analysis groups equal Go's Summarizer summed per GoroutineSummary.Name, and p50/p99 are the
    /// nearest-rank percentiles of Go's per-goroutine TotalTime; a drill-down lists that group's goroutines
    /// with Go's per-goroutine figures. Exactly; on a v1 trace, those of one of up to 30 runs of Go
    /// (GoSummary.mismatches).
    @Test(arguments: analysisTraces)
    func goroutineAnalysisEqualsGoSummarizer(trace: String) throws {
        let shared = try ReportCoreSupport.shared.get()
        let rows = try shared.run("goroutine-analysis", trace: trace)
        // Drill into the group with the most goroutines (ties: the name), by our rows; Go's must agree.
        let group = try #require(
            rows.max { (($0.integer("goroutines") ?? 0), $1.string("start_function") ?? "") < (($1.integer("goroutines") ?? 0), $0.string("start_function") ?? "") }?
                .string("start_function"))
        let drill = try shared.run("goroutine-analysis", trace: trace, ["function": group])
        let mismatches = try GoSummary.mismatches(trace, oracle: GoSummary.summarize) { go in
            try Self.goroutineAnalysisMismatches(go, rows: rows, group: group, drill: drill)
        }
        #expect(mismatches.isEmpty, "\(mismatches.count): \(mismatches.prefix(8))")
    }

    static func goroutineAnalysisMismatches(
        _ go: GoSummary.Result, rows: [[String: DatabaseValue]], group: String, drill: [[String: DatabaseValue]]
    ) throws -> [String] {
        var m: [String] = []
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
        // A missing column (NULL) fails: no stand-in value that Go's could equal.
        func figures(_ row: [String: DatabaseValue]) throws -> Figures {
            func value(_ column: String) throws -> Int64 { try #require(row.integer(column), "\(column) is missing in \(row)") }
            return Figures(
                count: try value("goroutines"), total: try value("total_ns"), exec: try value("exec_ns"),
                sched: try value("sched_wait_ns"), block: try value("block_ns"), syscall: try value("syscall_ns"),
                syscallBlock: try value("syscall_block_ns"), unknown: try value("unknown_ns"), range: try value("range_ns"))
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
        let names = rows.compactMap { $0.string("start_function") }
        if Set(names) != Set(groups.keys) || names.count != rows.count { m.append("groups \(names.sorted()) vs Go \(groups.keys.sorted())") }
        for row in rows {
            let name = try #require(row.string("start_function"))
            guard let expected = groups[name] else { continue }
            if try figures(row) != expected { m.append("\(name): ours \(try figures(row)), Go \(expected)") }
            let sorted = (totals[name] ?? []).sorted()
            func nearestRank(_ p: Int) -> Int64 { sorted[max(1, (p * sorted.count + 99) / 100) - 1] }
            let p50 = try #require(row.integer("total_p50_ns")), p99 = try #require(row.integer("total_p99_ns"))
            if p50 != nearestRank(50) || p99 != nearestRank(99) {
                m.append("\(name): p50 \(p50) p99 \(p99) vs Go \(nearestRank(50)) \(nearestRank(99))")
            }
        }
        // The drill-down: that group's goroutines, each with Go's figures.
        if groups[group] == nil || groups.contains(where: { $0.value.count > groups[group]!.count }) {
            m.append("\(group) is not Go's largest group")
        }
        let byID = Dictionary(uniqueKeysWithValues: go.goroutineStats.filter { $0.Name == group }.map { ($0.ID, $0) })
        if drill.count != byID.count { m.append("drill-down \(drill.count) rows vs Go \(byID.count) goroutines") }
        for row in drill {
            let goid = try #require(row.integer("goid"))
            guard let g = byID[goid] else {
                m.append("goroutine \(goid) is not in Go's group \(group)")
                continue
            }
            if try figures(row) != figures(g) { m.append("g\(goid): ours \(try figures(row)), Go \(figures(g))") }
            if row.string("start_function") != group { m.append("g\(goid): start_function \(row.string("start_function") as Any)") }
        }
        return m
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
    /// Our blocking-stacks rows per (kind, stack): interval count and ns, keyed like parseRaw's stacks.
    static func blockingStacks(_ rows: [[String: DatabaseValue]]) throws -> [String: [String: (count: Int64, ns: Int64)]] {
        var ours: [String: [String: (count: Int64, ns: Int64)]] = [:]
        for row in rows {
            let kind = try #require(row.string("kind"))
            // Go keys stacks by their PCs, so a stack whose only frame is unknown (PC 0, no function: ':0' here)
            // merges with "no stack"; parseRaw drops frames without a function, and so does this.
            let stack = try #require(row.string("stack")).split(separator: " < ").filter { $0 != ":0" }.joined(separator: " < ")
            let old = ours[kind, default: [:]][stack] ?? (0, 0)
            ours[kind, default: [:]][stack] = (old.count + (try #require(row.integer("count"))), old.ns + (try #require(row.integer("total_ns"))))
        }
        return ours
    }

    /// Differences between our stacks and Go's profile of one kind, stack by stack (count and ns), both ways.
    static func profileMismatches(
        _ ours: [String: (count: Int64, ns: Int64)], _ go: [String: (count: Int64, ns: Int64)], kind: String
    ) -> [String] {
        var m: [String] = []
        if go.isEmpty { m.append("Go's \(kind) profile is empty: pick another case") }
        for stack in Set(ours.keys).union(go.keys).sorted() {
            let a = ours[stack], b = go[stack]
            if a?.count != b?.count || a?.ns != b?.ns {
                m.append("\(kind) \(stack): ours \(a.map { "\($0.count) intervals \($0.ns) ns" } ?? "none"), Go \(b.map { "\($0.count) intervals \($0.ns) ns" } ?? "none")")
            }
        }
        return m
    }

    /// blocking-stacks per kind equals go tool trace -pprof=KIND stack by stack (count and time), exactly; on a
    /// v1 trace, one of up to 30 runs of Go (GoSummary.mismatches).
    @Test(arguments: pprofCases)
    func blockingStacksEqualGoPprof(trace: String, kind: String) throws {
        let shared = try ReportCoreSupport.shared.get()
        let rows = try shared.run("blocking-stacks", trace: trace, ["kind": kind, "top": "0"])
        let ours = try Self.blockingStacks(rows)
        #expect(Set(ours.keys).isSubset(of: [kind]), "kind=\(kind) gave rows of \(ours.keys.sorted())")
        let mismatches = try GoSummary.mismatches(trace, oracle: { try ReportCoreSupport.pprof(kind, $0) }) { go in
            Self.profileMismatches(ours[kind] ?? [:], go, kind: kind)
        }
        #expect(mismatches.isEmpty, "\(mismatches.count): \(mismatches.prefix(8))")
    }

    /// kind=all is Go's four profiles together (go tool trace -pprof=sync, net, syscall and sched), each kind's
    /// rows stack by stack equal to that profile's.
    @Test(arguments: ["1.27", "1.22", "1.21"])
    func blockingStacksAllEqualsGoFourProfiles(version: String) throws {
        let shared = try ReportCoreSupport.shared.get()
        let trace = ReportCoreSupport.fixture(version, "tcp")
        let ours = try Self.blockingStacks(try shared.run("blocking-stacks", trace: trace, ["top": "0"]))
        let kinds = ["sync", "net", "syscall", "sched"]
        #expect(Set(ours.keys).isSubset(of: Set(kinds)), "kinds \(ours.keys.sorted())")
        let mismatches = try GoSummary.mismatches(trace, oracle: { t in try kinds.map { try ReportCoreSupport.pprof($0, t) } }) { go in
            var m: [String] = []
            for (kind, profile) in zip(kinds, go) where !(profile.isEmpty && ours[kind] == nil) {
                m += Self.profileMismatches(ours[kind] ?? [:], profile, kind: kind)
            }
            if go.allSatisfy(\.isEmpty) { m.append("all of Go's profiles are empty") }
            return m
        }
        #expect(mismatches.isEmpty, "\(mismatches.count): \(mismatches.prefix(8))")
    }
}
