import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// compare's significance end to end on real traces: the lockhold fixture program
/// (Tests/Fixtures/programs/lockhold) built twice, the second build holding its mutex 2 ms longer, each run
/// `runs` times at test time with runs of the two builds interleaved (so a machine getting busier meanwhile
/// cannot pass for the change), plus a second set of runs of the first build.
///   - changed build: mutex_share and lock_wait_p50_ns are significant, with p equal to the U-test of Go's own
///     per-run figures (scripts/gotools/mutexshare), and --fail-above exits 3 naming them;
///   - identical build: --fail-above passes and nothing is significant;
///   - one run a side: the lock waits are tested on their samples (n = Go's count of lock waits), the stderr line
///     says how many traces per label are needed, and the gate refuses unless --no-significance.
///
/// Chance: under no change a metric is flagged with probability at most alpha. Six runs a side and --alpha 0.01
/// for the identical sets (6 vs 6 separated completely gives p = 0.002, so the changed build is flagged at 0.01
/// too) keep a chance flag among the ~9 noisy metrics under 8%; a second, fresh set of identical runs is recorded
/// before failing, so a real defect (flagging noise) fails and chance alone fails about once in 150 runs.
@Suite(.serialized) struct SignificanceTests {
    static let runs = 6
    static let extraHoldMicroseconds = 2000

    struct Builds {
        let dir: TemporaryDirectory
        let base: String
        let changed: String
    }

    static func build() throws -> Builds {
        let dir = try TemporaryDirectory()
        let program = packageRoot.appendingPathComponent("Tests/Fixtures/programs/lockhold").path
        let env: [String: String?] = ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"]
        let base = dir.path("lockhold-base"), changed = dir.path("lockhold-changed")
        for (binary, flags) in [(base, [String]()), (changed, ["-ldflags", "-X main.extraHold=\(extraHoldMicroseconds)"])] {
            let (status, _, err) = try TestProcess.run(
                goBinary, ["build"] + flags + ["-o", binary, "."], directory: program, environment: env)
            try #require(status == 0, "go build: \(err)")
        }
        return Builds(dir: dir, base: base, changed: changed)
    }

    /// Runs each binary `runs` times, interleaved; the traces of each, in order.
    static func record(_ binaries: [String], runs: Int, in dir: TemporaryDirectory, tag: String) throws -> [[String]] {
        var traces = Array(repeating: [String](), count: binaries.count)
        for run in 0..<runs {
            for (i, binary) in binaries.enumerated() {
                let trace = dir.path("\(tag)-\(i)-\(run).trace")
                let (status, _, err) = try TestProcess.run(binary, ["-o", trace])
                try #require(status == 0, "\(binary): \(err)")
                traces[i].append(trace)
            }
        }
        return traces
    }

    static func ingest(_ db: String, _ label: String, _ traces: [String]) throws {
        let (status, _, stderr) = try ProcessSupport.run(["ingest", "--db", db, "--label", label] + traces)
        try #require(status == 0, "ingest: \(stderr)")
    }

    static func compare(_ db: String, _ arguments: [String]) throws -> (Int32, [String: [String: Any]], String) {
        let (status, out, err) = try ProcessSupport.run(["compare", "--db", db] + arguments + ["--format", "json"])
        guard let rows = try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]] else {
            return (status, [:], err)
        }
        var byMetric: [String: [String: Any]] = [:]
        for row in rows { if let m = row["metric"] as? String { byMetric[m] = row } }
        return (status, byMetric, err)
    }

    static func number(_ any: Any?) -> Double? { (any as? NSNumber)?.doubleValue }

    static func significant(_ rows: [String: [String: Any]]) -> [String] {
        rows.filter { (CompareTests.number($0.value["significant"]) ?? 0) == 1 }.keys.sorted()
    }

    @Test(.enabled(if: goIsAvailable || isCI, "Go not found at \(goBinary) (set TRACEWARE_GO); skipped locally, fails in CI"))
    func changedBuildIsSignificantAndIdenticalIsNot() throws {
        guard goIsAvailable else {
            Issue.record("Go toolchain missing at \(goBinary): install it with scripts/install-go.sh or set TRACEWARE_GO")
            return
        }
        let clock = ContinuousClock.now
        let builds = try Self.build()
        let traces = try Self.record([builds.base, builds.changed, builds.base], runs: Self.runs, in: builds.dir, tag: "a")
        let db = builds.dir.path("w.db")
        try Self.ingest(db, "base", traces[0])
        try Self.ingest(db, "changed", traces[1])
        try Self.ingest(db, "same", traces[2])

        // The changed build, at the default alpha 0.05 and at 0.01.
        var (status, rows, err) = try Self.compare(db, ["base", "changed"])
        try #require(status == 0, "\(err)")
        #expect(err.isEmpty, "6 vs 6 runs need no warning: \(err)")
        let goBase = try traces[0].map { try ReportCoreSupport.mutexShare($0) }
        let goChanged = try traces[1].map { try ReportCoreSupport.mutexShare($0) }
        for (metric, pick) in [
            ("mutex_share", { (m: ReportCoreSupport.MutexShare) in m.Share }),
            ("lock_wait_p50_ns", { Double($0.LockWaitP50Ns) }),
        ] {
            let row = try #require(rows[metric], "\(metric) missing")
            #expect(CompareTests.number(row["significant"]) == 1, "\(metric) not significant: \(row)")
            #expect((row["test"] as? String)?.contains("over runs") == true, "\(row)")
            // p is the U-test of Go's own figures of each run (MannWhitneyTests checks the test against scipy).
            let expected = MannWhitney.test(goBase.map(pick), goChanged.map(pick)).p
            let p = try #require(CompareTests.number(row["p"]))
            #expect(abs(p - expected) <= 1e-12, "\(metric): p \(p) vs \(expected) from Go's figures")
            #expect((row["vs_base"] as? String)?.hasPrefix("+") == true, "\(row)")
        }
        (status, rows, err) = try Self.compare(db, ["base", "changed", "--alpha", "0.01"])
        #expect(status == 0)
        for metric in ["mutex_share", "lock_wait_p50_ns"] {
            #expect(CompareTests.number(rows[metric]?["significant"]) == 1, "\(metric) at alpha 0.01: \(rows[metric] ?? [:])")
        }
        // The gate: exit 3 naming them, with their p-values.
        (status, _, err) = try Self.compare(db, ["base", "changed", "--fail-above", "10"])
        #expect(status == 3, "\(err)")
        for metric in ["mutex_share:", "lock_wait_p50_ns:"] { #expect(err.contains(metric), "\(metric) not named: \(err)") }
        #expect(err.contains("p=") && err.contains("U-test over runs"), "\(err)")
        // Table and markdown show benchstat's `~` and p.
        let (_, markdown, _) = try ProcessSupport.run(["compare", "--db", db, "base", "changed", "--format", "markdown"])
        #expect(markdown.contains("| vs_base | p | significant | test |"), "\(markdown.prefix(300))")
        #expect(markdown.contains("~ (p="), "no `~` for the unchanged goroutine count: \(markdown)")

        // The identical build: the gate passes, nothing is significant (a second fresh set first, see above).
        var identical = try Self.compare(db, ["base", "same", "--fail-above", "10", "--alpha", "0.01"])
        if identical.0 != 0 || !Self.significant(identical.1).isEmpty {
            let again = try Self.record([builds.base, builds.base], runs: Self.runs, in: builds.dir, tag: "b")
            try Self.ingest(db, "base2", again[0])
            try Self.ingest(db, "same2", again[1])
            identical = try Self.compare(db, ["base2", "same2", "--fail-above", "10", "--alpha", "0.01"])
        }
        #expect(identical.0 == 0, "the identical build failed the gate: \(identical.2)")
        #expect(Self.significant(identical.1).isEmpty, "significant for the identical build: \(Self.significant(identical.1))")
        #expect(identical.1.values.allSatisfy { ($0["vs_base"] as? String)?.hasPrefix("~") == true })

        // One run a side: lock waits tested on their samples, all of them Go's lock waits (one start function).
        let first = try #require(try db1(db, label: "base")), firstChanged = try #require(try db1(db, label: "changed"))
        (status, rows, err) = try Self.compare(db, [String(first), String(firstChanged)])
        #expect(status == 0)
        #expect(err.components(separatedBy: "\n").filter { !$0.isEmpty }.count == 1, "one line: \(err)")
        #expect(err.contains("1 vs 1 runs") && err.contains(">= 4 traces per label"), "\(err)")
        let lock = try #require(rows["lock_wait_p50_ns"])
        #expect((lock["test"] as? String)?.contains("lock waits by start function") == true, "\(lock)")
        #expect(CompareTests.number(lock["n_base"]) == Double(goBase[0].LockWaits), "\(lock) vs Go \(goBase[0].LockWaits)")
        #expect(CompareTests.number(lock["n_head"]) == Double(goChanged[0].LockWaits), "\(lock) vs Go \(goChanged[0].LockWaits)")
        #expect(CompareTests.number(lock["significant"]) == 1, "2 ms more per hold, over \(goBase[0].LockWaits) waits: \(lock)")
        #expect((rows["mutex_share"]?["vs_base"] as? String)?.hasPrefix("~") == true, "one figure a side is never significant")
        // The gate refuses one run a side, and --no-significance is today's percent gate.
        (status, _, err) = try Self.compare(db, [String(first), String(firstChanged), "--fail-above", "10"])
        #expect(status == 1 && err.contains("--no-significance"), "\(err)")
        (status, rows, err) = try Self.compare(
            db, [String(first), String(firstChanged), "--fail-above", "10", "--no-significance"])
        #expect(status == 3 && err.contains("mutex_share:"), "\(err)")
        #expect(rows["mutex_share"]?["p"] == nil, "no significance columns with --no-significance")

        let seconds = Double((ContinuousClock.now - clock).components.seconds)
        #expect(seconds < 90, "took \(seconds) s")
    }

    /// The run id of a label's first run.
    func db1(_ path: String, label: String) throws -> Int64? {
        let db = try WarehouseStore.openForReading(path)
        return try db.scalarInt64("SELECT min(run_id) FROM runs WHERE label = ?", [.text(label)])
    }
}
