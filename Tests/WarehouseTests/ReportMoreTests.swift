import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// The canned reports sched-latency, gc, tasks, regions, procs and syscalls, run through ReportRunner on fixture
/// traces, against Go's own reading of the same traces: scripts/gotools/reportfacts (internal/trace's reader and
/// Summarizer) and `go tool trace -pprof=syscall` read by `go tool pprof -raw`.
enum ReportFacts {
    struct Stats: Decodable, Equatable {
        var Count: Int
        var Total: Int64
        var P50: Int64
        var P90: Int64
        var P99: Int64
        var Max: Int64
    }
    struct Metric: Decodable {
        var Count: Int
        var Min: Int64
        var Max: Int64
        var Last: Int64
    }
    struct UserType: Decodable {
        var Count: Int
        var Complete: Stats
    }
    struct Output: Decodable {
        var DurationNs: Int64
        var Sched: Stats
        var SchedByGroup: [String: Stats]
        var GCCycles: Stats
        var STW: [String: Stats]
        var STWAll: Stats
        var MarkAssist: Stats
        var Metrics: [String: Metric]
        var Tasks: [String: UserType]
        var Regions: [String: UserType]
        var ProcRunning: [String: Int64]
    }

    static let binary = GoSummary.tool("reportfacts")

    static func read(_ trace: String) throws -> Output {
        try GoSummary.decode(Output.self, running: binary, on: trace)
    }

    /// Go's reader on a v1-format trace (Go 1.11-1.21) is not deterministic: events of one timestamp can come out
    /// in either order, which moves a duration by a nanosecond. So a disagreement on such a trace is checked
    /// against up to 30 runs of Go (GoSummary.mismatches); the mismatches of the last run are returned.
    static func mismatches(_ trace: String, _ compare: (Output) throws -> [String]) throws -> [String] {
        try GoSummary.mismatches(trace, oracle: read, compare)
    }

    static func fixture(_ version: String, _ scenario: String) -> String {
        packageRoot.appendingPathComponent("Tests/Fixtures/traces/go\(version)/\(scenario).trace").path
    }

    /// Real v1-format traces from Go's own source tree (internal/trace/internal/tracev1/testdata). Not filtered:
    /// a missing one fails its test case instead of shrinking the list unnoticed.
    static func goTestdata(_ names: [String]) -> [String] {
        let dir = WarehouseTraces.goroot.appendingPathComponent("src/internal/trace/internal/tracev1/testdata")
        return names.map { dir.appendingPathComponent($0).path }
    }

    /// The scenario's fixture of each version. Not filtered: a missing one fails its test case.
    static func fixtures(_ scenario: String, versions: [String] = ["1.19", "1.21", "1.22", "1.23", "1.25", "1.26", "1.27"])
        -> [String]
    {
        versions.map { fixture($0, scenario) }
    }
}

/// A warehouse with one ingested trace, and a canned report's rows as dictionaries.
struct ReportHarness {
    let directory: TemporaryDirectory
    let db: Database
    let runID: Int64

    init(_ trace: String) throws {
        directory = try TemporaryDirectory()
        let path = directory.path("w.db")
        let writer = try WarehouseStore.openForWriting(path)
        runID = try TraceIngest.ingest(path: trace, into: writer, source: TraceReaderAdapter.source).runID
        db = try WarehouseStore.openForReading(path)
    }

    func report(_ name: String, _ parameters: [String: String] = [:]) throws -> [[String: DatabaseValue]] {
        let report = try ReportCatalog.find(name, db: db, queriesDirectory: nil)
        let (columns, rows) = try ReportRunner.run(report, runID: runID, parameters: parameters, on: db)
        return rows.map { Dictionary(uniqueKeysWithValues: zip(columns, $0)) }
    }
}

extension Dictionary where Key == String, Value == DatabaseValue {
    func int(_ key: String) -> Int64? {
        switch self[key] {
        case .integer(let v): return v
        case .real(let v): return Int64(v)
        default: return nil
        }
    }
    func real(_ key: String) -> Double? {
        switch self[key] {
        case .integer(let v): return Double(v)
        case .real(let v): return v
        default: return nil
        }
    }
    func text(_ key: String) -> String? {
        if case .text(let v) = self[key] { return v }
        return nil
    }
    /// count/total/percentiles of a report row in the oracle's shape (p90 only where the report has it).
    func stats(count: String) -> ReportFacts.Stats {
        ReportFacts.Stats(
            Count: Int(int(count) ?? -1), Total: int("total_ns") ?? 0, P50: int("p50_ns") ?? 0,
            P90: int("p90_ns") ?? 0, P99: int("p99_ns") ?? 0, Max: int("max_ns") ?? 0)
    }
}

@Suite struct ReportMoreTests {
    static let schedTraces =
        ReportFacts.fixtures("mutex") + ReportFacts.fixtures("annotation", versions: ["1.19", "1.21", "1.27"])
        + ReportFacts.fixtures("tcp", versions: ["1.22", "1.26"]) + ReportFacts.fixtures("gomaxprocs", versions: ["1.19", "1.25"])
        + ReportFacts.goTestdata(["http_1_19_good", "stress_1_11_good", "stress_start_stop_1_21_good"])

    /// sched-latency: count, total and nearest-rank percentiles of runnable waits, overall and per start
    /// function, equal those of a runnable-interval walk over Go's reader.
    /// Every trace the tests below take is there (the lists are not filtered; this says so in one place).
    @Test func reportTracesExist() {
        let all = Self.schedTraces + Self.syscallTraces + ReportFacts.fixtures("gc") + ReportFacts.fixtures("annotation")
        #expect(all.count >= 30)
        for trace in all { #expect(FileManager.default.fileExists(atPath: trace), "\(trace) is missing") }
    }

    @Test(arguments: schedTraces)
    func schedLatencyMatchesGo(trace: String) throws {
        let rows = try ReportHarness(trace).report("sched-latency")
        let all = try #require(rows.first { $0.text("scope") == "all" })
        var groups: [String: ReportFacts.Stats] = [:]
        for row in rows where row.text("scope") == "group" { groups[row.text("start_function") ?? "?"] = row.stats(count: "waits") }
        let mismatches = try ReportFacts.mismatches(trace) { go in
            var m: [String] = []
            if all.stats(count: "waits") != go.Sched { m.append("overall \(all.stats(count: "waits")) vs Go \(go.Sched)") }
            for name in Set(groups.keys).union(go.SchedByGroup.keys) where groups[name] != go.SchedByGroup[name] {
                m.append("\(name): \(groups[name] as Any) vs Go \(go.SchedByGroup[name] as Any)")
            }
            if go.Sched.Count == 0 { m.append("Go saw no runnable waits") }
            return m
        }
        #expect(mismatches.isEmpty, "\(trace): \(mismatches)")
    }

    @Test func schedLatencyDrillsDownToOneFunction() throws {
        let trace = ReportFacts.fixture("1.27", "mutex")
        let go = try ReportFacts.read(trace)
        let (name, stats) = try #require(go.SchedByGroup.filter { $0.key.hasPrefix("main.") }.max { $0.value.Count < $1.value.Count })
        let rows = try ReportHarness(trace).report("sched-latency", ["function": name])
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0.stats(count: "waits") == stats })
    }

    /// gc: cycles, STW pauses by reason and in all, mark assist, heap and heap goal, on the gc scenario of every
    /// Go version (v1 format included).
    @Test(arguments: ReportFacts.fixtures("gc") + [ReportFacts.fixture("1.27", "mutex")]
        + ReportFacts.goTestdata(["stress_1_21_good", "stress_start_stop_1_11_good"]))
    func gcMatchesGo(trace: String) throws {
        let rows = try ReportHarness(trace).report("gc")
        func noP90(_ s: ReportFacts.Stats) -> ReportFacts.Stats { var s = s; s.P90 = 0; return s }
        func stats(_ section: String, _ name: String?) -> ReportFacts.Stats? {
            rows.first { $0.text("section") == section && (name == nil || $0.text("name") == name) }?.stats(count: "count")
        }
        var stw: [String: ReportFacts.Stats] = [:]
        for row in rows where row.text("section") == "stw" && row.text("name") != "(all)" {
            stw[row.text("name") ?? "?"] = row.stats(count: "count")
        }
        let mismatches = try ReportFacts.mismatches(trace) { go in
            var m: [String] = []
            func check(_ what: String, _ ours: ReportFacts.Stats?, _ theirs: ReportFacts.Stats) {
                let expected = theirs.Count == 0 ? nil : noP90(theirs)
                if ours != expected { m.append("\(what): \(ours as Any) vs Go \(expected as Any)") }
            }
            check("cycles", stats("cycles", nil), go.GCCycles)
            if stw != go.STW.mapValues(noP90) { m.append("stw \(stw) vs Go \(go.STW.mapValues(noP90))") }
            check("stw (all)", stats("stw", "(all)"), go.STWAll)
            check("assist", stats("assist", nil), go.MarkAssist)
            for name in ["/memory/classes/heap/objects:bytes", "/gc/heap/goal:bytes"] {
                let row = rows.first { $0.text("section") == "heap" && $0.text("name") == name }
                guard let metric = go.Metrics[name] else {
                    if row != nil { m.append("\(name): a row, Go has no samples") }
                    continue
                }
                if row?.int("count") != Int64(metric.Count) || row?.int("min_value") != metric.Min
                    || row?.int("max_value") != metric.Max || row?.int("last_value") != metric.Last
                {
                    m.append("\(name): \(row as Any) vs Go \(metric)")
                }
            }
            if trace.hasSuffix("/gc.trace") && (go.GCCycles.Count == 0 || go.MarkAssist.Count == 0) {
                m.append("the gc scenario shows no GC cycles or mark assists")
            }
            return m
        }
        #expect(mismatches.isEmpty, "\(trace): \(mismatches)")
    }

    /// tasks and regions: per type count, complete count and latency percentiles equal Go's Summarizer; the
    /// slowest instances are the longest complete ones.
    @Test(arguments: ReportFacts.fixtures("annotation")
        + ReportFacts.goTestdata(["user_task_region_1_11_good", "user_task_region_1_19_good", "user_task_region_1_21_good"]))
    func tasksAndRegionsMatchGo(trace: String) throws {
        let harness = try ReportHarness(trace)
        let reports = try ["tasks", "regions"].map { try harness.report($0, ["top": "2"]) }
        let mismatches = try ReportFacts.mismatches(trace) { go in
            var m: [String] = []
            for (report, (rows, expected)) in zip(["tasks", "regions"], zip(reports, [go.Tasks, go.Regions])) {
                var types: [String: ReportFacts.UserType] = [:]
                for row in rows where row.text("kind") == "type" {
                    var stats = row.stats(count: "complete")
                    if stats.Count == 0 { stats = ReportFacts.Stats(Count: 0, Total: 0, P50: 0, P90: 0, P99: 0, Max: 0) }
                    types[row.text("name") ?? "?"] = ReportFacts.UserType(Count: Int(row.int("instances") ?? -1), Complete: stats)
                }
                if types.keys.sorted() != expected.keys.sorted() { m.append("\(report) types \(types.keys.sorted()) vs Go \(expected.keys.sorted())") }
                for (name, want) in expected {
                    if types[name]?.Count != want.Count { m.append("\(report) \(name): instances \(types[name]?.Count as Any) vs Go \(want.Count)") }
                    if types[name]?.Complete != want.Complete { m.append("\(report) \(name): \(types[name]?.Complete as Any) vs Go \(want.Complete)") }
                    // Slowest: at most `top` per type, longest first, the first one being the type's max.
                    let slowest = rows.filter { $0.text("kind") == "slowest" && $0.text("name") == name }.compactMap { $0.int("duration_ns") }
                    if slowest.count != min(2, want.Complete.Count) || slowest != slowest.sorted(by: >)
                        || (slowest.first.map { $0 != want.Complete.Max } ?? false)
                    {
                        m.append("\(report) \(name): slowest \(slowest) vs Go max \(want.Complete.Max)")
                    }
                }
                if expected.isEmpty { m.append("Go saw no \(report)") }
            }
            return m
        }
        #expect(mismatches.isEmpty, "\(trace): \(mismatches)")
    }

    /// procs: running time per P equals the P state transitions of Go's reader; the share is over the run.
    @Test(arguments: ReportFacts.fixtures("gomaxprocs", versions: ["1.19", "1.21", "1.23", "1.27"])
        + ReportFacts.fixtures("gc", versions: ["1.19", "1.26"]) + ReportFacts.goTestdata(["stress_1_19_good"]))
    func procsMatchGo(trace: String) throws {
        let rows = try ReportHarness(trace).report("procs")
        var running: [String: Int64] = [:]
        for row in rows {
            running[String(row.int("proc_id") ?? -1)] = row.int("running_ns")
            let share = try #require(row.real("running_share"))
            let duration = try #require(row.int("duration_ns"))
            #expect(abs(share - Double(row.int("running_ns") ?? 0) / Double(duration)) < 1e-6 && share >= 0 && share <= 1, "\(trace)")
        }
        let mismatches = try ReportFacts.mismatches(trace) { go in
            var m: [String] = []
            if running != go.ProcRunning { m.append("running \(running.sorted { $0.key < $1.key }) vs Go \(go.ProcRunning.sorted { $0.key < $1.key })") }
            if let duration = rows.first?.int("duration_ns"), duration != go.DurationNs { m.append("duration \(duration) vs Go \(go.DurationNs)") }
            return m
        }
        #expect(mismatches.isEmpty, "\(trace): \(mismatches)")
    }

    /// Go's syscall profile of a trace: total delay (ns) and count per stack, the stack as
    /// "function:line < function:line ..." (innermost first), from `go tool trace -pprof=syscall` | `pprof -raw`.
    static func goSyscallProfile(_ trace: String, directory: TemporaryDirectory) throws -> [String: (count: Int64, ns: Int64)] {
        let env = ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"]
        // The profile is binary: written to a file by the shell, then read by pprof.
        let file = directory.path("syscall.pb")
        let shell = "\(goBinary) tool trace -pprof=syscall '\(trace)' > '\(file)'"
        let (status, _, stderr) = try TestProcess.run("/bin/sh", ["-c", shell], environment: env)
        guard status == 0 else { throw GoSummary.Failure(description: "\(shell): \(stderr)") }
        let (status2, raw, stderr2) = try TestProcess.run(goBinary, ["tool", "pprof", "-raw", file], environment: env)
        guard status2 == 0 else { throw GoSummary.Failure(description: "pprof -raw \(file): \(stderr2)") }
        var samples: [(Int64, Int64, [Int])] = []
        var locations: [Int: [String]] = [:]
        var section = ""
        var lastLocation: Int?
        for line in raw.split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "Samples:" || trimmed == "Locations" || trimmed == "Mappings" {
                section = trimmed
                continue
            }
            switch section {
            case "Samples:":
                // "     24       7872: 1 2 3 4"
                let parts = trimmed.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let values = parts[0].split(separator: " ").compactMap { Int64($0) }
                guard values.count == 2 else { continue }
                samples.append((values[0], values[1], parts[1].split(separator: " ").compactMap { Int($0) }))
            case "Locations":
                // "     1: 0x498f64 M=1 syscall.fcntl /path/file.go:432:0 s=0", inlined frames on following lines
                // as "             func /path:line:0 s=0".
                var fields = trimmed.split(separator: " ").map(String.init)
                if let first = fields.first, first.hasSuffix(":"), let id = Int(first.dropLast()) {
                    lastLocation = id
                    fields.removeFirst(3)  // id, pc, mapping
                }
                guard let id = lastLocation, fields.count >= 2 else { continue }
                let place = fields[fields.count - 2].split(separator: ":")
                let lineNumber = place.count >= 3 ? String(place[place.count - 2]) : "?"
                let function = fields[0..<(fields.count - 2)].joined(separator: " ")
                locations[id, default: []].append("\(function):\(lineNumber)")
            default:
                continue
            }
        }
        var byStack: [String: (count: Int64, ns: Int64)] = [:]
        for (count, ns, ids) in samples {
            let key = ids.flatMap { locations[$0] ?? ["?"] }.joined(separator: " < ")
            byStack[key, default: (0, 0)].count += count
            byStack[key, default: (0, 0)].ns += ns
        }
        return byStack
    }

    /// Go's syscall intervals (scripts/gotools/syscalls): per stack, those `go tool trace -pprof=syscall` counts
    /// (Closed), and those it leaves out because no event ends them (Open: still in progress at the trace's end).
    struct GoSyscalls: Decodable {
        struct Total: Decodable, Equatable {
            var Count: Int64
            var Ns: Int64
        }
        struct Open: Decodable {
            var Goroutine: Int64
            var Stack: String
            var StartNs: Int64
            var Ns: Int64
        }
        var LastEventNs: Int64
        var Closed: [String: Total]
        var Open: [Open]
        var BeforeStatus: [String: Int64]
    }

    static let syscallsBinary = GoSummary.tool("syscalls")

    static let syscallTraces = ReportFacts.fixtures("file", versions: ["1.19", "1.21", "1.23", "1.27"])
        + ReportFacts.fixtures("tcp", versions: ["1.22", "1.27"]) + ReportFacts.goTestdata(["http_1_21_good"])

    /// The Go-side walk really is Go's profile: its closed syscalls equal `go tool trace -pprof=syscall` stack by
    /// stack (count and ns), so its open ones are exactly what that profile leaves out.
    @Test(arguments: syscallTraces)
    func goSyscallWalkEqualsGoProfile(trace: String) throws {
        let directory = try TemporaryDirectory()
        let mismatches = try GoSummary.mismatches(trace, oracle: { t in
            (try Self.goSyscallProfile(t, directory: directory), try GoSummary.decode(GoSyscalls.self, running: Self.syscallsBinary, on: t))
        }) { profile, walk in
            var m: [String] = []
            for stack in Set(profile.keys).union(walk.Closed.keys).sorted() {
                let a = profile[stack].map { GoSyscalls.Total(Count: $0.count, Ns: $0.ns) }, b = walk.Closed[stack]
                if a != b { m.append("\(stack): profile \(a as Any), walk \(b as Any)") }
            }
            if profile.isEmpty { m.append("Go's profile is empty") }
            return m
        }
        #expect(mismatches.isEmpty, "\(trace): \(mismatches)")
    }

    /// syscalls: per stack, in both directions, the syscalls count and total_ns equal Go's syscall profile
    /// (go tool trace -pprof=syscall), exactly: the report reads blocking_profile, which counts what that profile
    /// counts (a syscall still open at the end of the trace, or made before the goroutine first ran, is left out
    /// there as in Go; goroutine_states keeps it).
    @Test(arguments: syscallTraces)
    func syscallsMatchGoProfile(trace: String) throws {
        let harness = try ReportHarness(trace)
        let rows = try harness.report("syscalls", ["top": "100000"])
        var ours: [String: GoSyscalls.Total] = [:]
        for row in rows {
            let key = try #require(row.text("stack"))
            let syscalls = try #require(row.int("syscalls")), total = try #require(row.int("total_ns"))
            ours[key, default: GoSyscalls.Total(Count: 0, Ns: 0)].Count += syscalls
            ours[key, default: GoSyscalls.Total(Count: 0, Ns: 0)].Ns += total
            #expect(try #require(row.int("syscall_ns")) + (try #require(row.int("blocked_ns"))) == total)
        }
        let mismatches = try GoSummary.mismatches(trace, oracle: { t in
            try Self.goSyscallProfile(t, directory: harness.directory)
        }) { profile in
            let expected = profile.mapValues { GoSyscalls.Total(Count: $0.count, Ns: $0.ns) }
            var m: [String] = []
            for stack in Set(expected.keys).union(ours.keys).sorted() where expected[stack] != ours[stack] {
                m.append("\(stack): ours \(ours[stack] as Any), Go \(expected[stack] as Any)")
            }
            if profile.isEmpty { m.append("Go's profile is empty") }
            return m
        }
        #expect(mismatches.isEmpty, "\(trace): \(mismatches)")
        // Shares add up to 1.
        let shares = rows.compactMap { $0.real("share") }.reduce(0, +)
        #expect(abs(shares - 1) < 1e-4, "\(trace)")
    }
}
