import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// Where scripts/test.sh installs scipy (pip --target), unless TRACEWARE_SCIPY_DIR says otherwise; a scipy the
/// python3 on PATH already imports works too.
enum Scipy {
    static let directory: String = {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["TRACEWARE_SCIPY_DIR"], !dir.isEmpty { return dir }
        return (env["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/traceware/python/scipy"
    }()

    static var environment: [String: String?] {
        let old = ProcessInfo.processInfo.environment["PYTHONPATH"]
        return ["PYTHONPATH": [directory, old].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ":")]
    }

    static let isAvailable: Bool = {
        guard let result = try? TestProcess.run("/usr/bin/env", ["python3", "-c", "import scipy.stats"], environment: environment)
        else { return false }
        return result.0 == 0
    }()

    /// Runs scripts/scipy/mannwhitney.py on the cases: scipy's (U, p) for each.
    static func mannWhitney(_ cases: [(x: [Double], y: [Double], method: String)]) throws -> [(u: Double, p: Double)] {
        let dir = try TemporaryDirectory()
        let input = dir.path("cases.json")
        let json = cases.map { ["x": $0.x, "y": $0.y, "method": $0.method] as [String: Any] }
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: input))
        let script = packageRoot.appendingPathComponent("scripts/scipy/mannwhitney.py").path
        let (status, out, err) = try TestProcess.run(
            "/bin/sh", ["-c", "exec python3 \"$0\" < \"$1\"", script, input], environment: environment)
        guard status == 0 else { throw ReportError("scipy failed: \(err)") }
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Double]])
        return rows.map { (u: $0["u"] ?? .nan, p: $0["p"] ?? .nan) }
    }
}

/// A fixed-seed generator, so every run checks the same cases.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The U-test against scipy (an independent implementation) on generated samples: every branch benchstat's rule
/// takes (exact without ties up to 50 a side, exact with ties up to 25, the normal approximation beyond), ties,
/// unequal sizes, shifted and unshifted samples; p-values to 1e-9. Needs scipy (scripts/test.sh installs it):
/// skipped locally without it, fails in CI.
@Suite struct MannWhitneyTests {
    static let skip: Comment = "scipy not found (scripts/test.sh installs it into \(Scipy.directory)); skipped locally, fails in CI"

    static func cases() -> [(x: [Double], y: [Double])] {
        var rng = SplitMix64(state: 16)
        var cases: [(x: [Double], y: [Double])] = []
        func sample(_ n: Int, shift: Double, ties: Bool, levels: Int = 6) -> [Double] {
            (0..<n).map { _ in
                ties ? Double(Int.random(in: 0..<levels, using: &rng)) + shift.rounded()
                    : Double.random(in: 0..<1000, using: &rng) + shift
            }
        }
        // Exact, no ties: all small sizes, equal and not, then large ones up to the limit.
        for _ in 0..<80 {
            let n1 = Int.random(in: 1...12, using: &rng), n2 = Int.random(in: 1...12, using: &rng)
            let shift = [0.0, 150, 400, 1000][Int.random(in: 0..<4, using: &rng)]
            cases.append((sample(n1, shift: 0, ties: false), sample(n2, shift: shift, ties: false)))
        }
        for (n1, n2) in [(50, 50), (50, 3), (31, 47), (20, 50), (4, 4), (3, 5)] {
            cases.append((sample(n1, shift: 0, ties: false), sample(n2, shift: 60, ties: false)))
        }
        // Exact with ties (every partition enumerated on scipy's side: at most 18 values).
        for _ in 0..<60 {
            let n1 = Int.random(in: 2...9, using: &rng), n2 = Int.random(in: 2...9, using: &rng)
            let shift = Double(Int.random(in: 0...2, using: &rng))
            cases.append((sample(n1, shift: 0, ties: true), sample(n2, shift: shift, ties: true)))
        }
        // Normal approximation: ties beyond 25, no ties beyond 50, and large samples with heavy ties (as a trace's
        // waits are).
        for _ in 0..<40 {
            let n1 = Int.random(in: 26...200, using: &rng), n2 = Int.random(in: 5...200, using: &rng)
            cases.append((sample(n1, shift: 0, ties: true, levels: 20), sample(n2, shift: Double(Int.random(in: 0...1, using: &rng)), ties: true, levels: 20)))
        }
        for _ in 0..<20 {
            let n1 = Int.random(in: 51...300, using: &rng), n2 = Int.random(in: 2...300, using: &rng)
            cases.append((sample(n1, shift: 0, ties: false), sample(n2, shift: Double.random(in: 0...120, using: &rng), ties: false)))
        }
        for _ in 0..<6 {
            cases.append((sample(3000, shift: 0, ties: true, levels: 40), sample(2500, shift: Double(Int.random(in: 0...1, using: &rng)), ties: true, levels: 41)))
        }
        return cases
    }

    @Test(.enabled(if: Scipy.isAvailable || isCI, skip))
    func pValuesEqualScipy() throws {
        guard Scipy.isAvailable else {
            Issue.record("scipy is missing: run scripts/test.sh, which installs it into \(Scipy.directory)")
            return
        }
        let cases = Self.cases()
        var ours: [MannWhitney.Result] = []
        var methods: [String: Int] = [:]
        for (x, y) in cases {
            let r = MannWhitney.test(x, y)
            ours.append(r)
            // benchstat's rule for the method.
            let ties = Set(x + y).count < x.count + y.count
            let exact = ties ? max(x.count, y.count) <= 25 : max(x.count, y.count) <= 50
            #expect(r.method == (exact ? .exact : .normal), "\(x.count) vs \(y.count), ties \(ties)")
            #expect(r.ties == ties)
            methods["\(r.method.rawValue)\(ties ? "+ties" : "")", default: 0] += 1
        }
        let scipy = try Scipy.mannWhitney(zip(cases, ours).map { ($0.0.x, $0.0.y, $0.1.method.rawValue) })
        try #require(scipy.count == cases.count)
        for (i, (r, s)) in zip(ours, scipy).enumerated() {
            #expect(r.u == s.u, "case \(i): U \(r.u) vs scipy \(s.u)")
            #expect(abs(r.p - s.p) <= 1e-9, "case \(i) (\(cases[i].x.count) vs \(cases[i].y.count), \(r.method)): p \(r.p) vs scipy \(s.p)")
        }
        // Every branch was exercised, and some cases are significant, some not.
        #expect(methods["exact"] ?? 0 >= 50 && methods["exact+ties"] ?? 0 >= 30, "\(methods)")
        #expect(methods["normal"] ?? 0 >= 10 && methods["normal+ties"] ?? 0 >= 30, "\(methods)")
        #expect(ours.filter { $0.p <= 0.05 }.count >= 40 && ours.filter { $0.p > 0.05 }.count >= 40)
    }

    /// A histogram (value, count) gives the test of the samples it stands for.
    @Test func histogramEqualsSamples() {
        var rng = SplitMix64(state: 7)
        for _ in 0..<20 {
            let x = (0..<Int.random(in: 2...400, using: &rng)).map { _ in Double(Int.random(in: 0..<15, using: &rng)) }
            let y = (0..<Int.random(in: 2...400, using: &rng)).map { _ in Double(Int.random(in: 1..<16, using: &rng)) }
            let hx = Dictionary(grouping: x, by: { $0 }).map { (value: $0.key, count: $0.value.count) }
            let hy = Dictionary(grouping: y, by: { $0 }).map { (value: $0.key, count: $0.value.count) }
            #expect(MannWhitney.test(histogram: hx, hy) == MannWhitney.test(x, y))
        }
    }

    /// benchstat's table of the smallest p of n vs n values (benchmath uTestMinP, made by its mktables.go) and its
    /// "need >= 4 samples" at alpha 0.05; all-equal samples give p = 1 (benchstat: no difference).
    @Test func minimumPAndSamplesNeeded() {
        let table = [1, 0.3333333333333333, 0.1, 0.02857142857142857, 0.007936507936507936, 0.0021645021645021645,
                     0.0005827505827505828, 0.0001554001554001554, 4.113533525298231e-05]
        for (i, p) in table.enumerated() {
            let n = i + 1
            #expect(abs(MannWhitney.minimumP(n, n) - p) <= 1e-15 * max(1, p), "n = \(n)")
            let apart = MannWhitney.test((0..<n).map { Double(-1 - $0) }, (0..<n).map { Double(1 + $0) })
            #expect(abs(apart.p - p) <= 1e-12, "n = \(n): \(apart.p)")
        }
        #expect(MannWhitney.samplesNeeded(alpha: 0.05) == 4)
        #expect(MannWhitney.samplesNeeded(alpha: 0.01) == 5)
        #expect(MannWhitney.minimumP(3, 4) > 0.05 && MannWhitney.minimumP(2, 8) <= 0.05)
        let same = MannWhitney.test([5, 5, 5], [5, 5])
        #expect(same.p == 1 && same.method == .none)
    }
}

/// van Elteren's stratified test (several start functions' waits at once) against the same statistic built from
/// scipy's per-stratum U and its normal distribution: 40 generated cases of 2 to 6 strata with ties, unequal
/// sizes, shifted or not; p to 1e-9.
@Suite struct StratifiedUTests {
    @Test(.enabled(if: Scipy.isAvailable || isCI, MannWhitneyTests.skip))
    func pValuesEqualScipy() throws {
        guard Scipy.isAvailable else {
            Issue.record("scipy is missing: run scripts/test.sh, which installs it into \(Scipy.directory)")
            return
        }
        var rng = SplitMix64(state: 13)
        var cases: [[(x: [Double], y: [Double])]] = []
        for _ in 0..<40 {
            let shift = Int.random(in: 0...1, using: &rng)
            cases.append((0..<Int.random(in: 2...6, using: &rng)).map { stratum in
                let level = stratum * 50  // strata of different scales, as different start functions wait
                let x = (0..<Int.random(in: 2...150, using: &rng)).map { _ in Double(level + Int.random(in: 0..<20, using: &rng)) }
                let y = (0..<Int.random(in: 2...150, using: &rng)).map { _ in Double(level + shift + Int.random(in: 0..<20, using: &rng)) }
                return (x, y)
            })
        }
        let ours = cases.map { strata in
            MannWhitney.stratified(strata.map { (x: MannWhitney.counts($0.x), y: MannWhitney.counts($0.y)) })
        }
        let dir = try TemporaryDirectory()
        let input = dir.path("strata.json")
        let json = cases.map { ["strata": $0.map { ["x": $0.x, "y": $0.y] }] }
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: input))
        let script = packageRoot.appendingPathComponent("scripts/scipy/mannwhitney.py").path
        let (status, out, err) = try TestProcess.run(
            "/bin/sh", ["-c", "exec python3 \"$0\" < \"$1\"", script, input], environment: Scipy.environment)
        try #require(status == 0, "\(err)")
        let scipy = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Double]])
        try #require(scipy.count == cases.count)
        for (i, (r, s)) in zip(ours, scipy).enumerated() {
            #expect(r.method == .normal)
            #expect(r.u == s["u"], "case \(i): U \(r.u) vs \(s["u"] ?? .nan)")
            #expect(abs(r.p - (s["p"] ?? .nan)) <= 1e-9, "case \(i): p \(r.p) vs scipy \(s["p"] ?? .nan)")
        }
        #expect(ours.filter { $0.p <= 0.05 }.count >= 5 && ours.filter { $0.p > 0.05 }.count >= 5)
        // One stratum is the plain test.
        let x: [Double] = [1, 2, 2, 3, 9], y: [Double] = [2, 4, 4, 5, 6, 7]
        #expect(MannWhitney.stratified([(MannWhitney.counts(x), MannWhitney.counts(y))]) == MannWhitney.test(x, y))
    }
}
