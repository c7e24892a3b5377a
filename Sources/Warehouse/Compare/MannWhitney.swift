import Foundation

/// The two-sided Mann-Whitney U-test as benchstat runs it (golang.org/x/perf benchmath.AssumeNothing.Compare,
/// go-moremath stats.MannWhitneyUTest with LocationDiffers): pure arithmetic, no SQLite, so it is checked on its
/// own against scipy (MannWhitneyTests).
///
/// Which distribution, as benchstat decides: the exact null distribution of U when there are no ties and both
/// samples have at most 50 values, or ties and both at most 25; otherwise the normal approximation with the tie
/// correction and the continuity correction. The exact distribution with ties is the one conditional on the tie
/// pattern (Klotz 1966, what benchstat computes); we count it with a dynamic program over the tie groups instead
/// of Cheung-Klotz linked lists, which gives the same numbers.
///
/// One deliberate difference: with ties the exact distribution of U is not symmetric, and benchstat's
/// `2 * CDF(min(U1, U2))` then reads the wrong tail when U1 is the larger (x = [2], y = [1, 1] gives p = 0 there).
/// We take the usual two-sided exact p, `2 * min(P(U <= U1), P(U >= U1))`, which equals benchstat's whenever the
/// distribution is symmetric (no ties, in particular) and is what scipy's exhaustive permutation test gives.
/// p is capped at 1, as scipy caps it.
public enum MannWhitney {
    public enum Method: String, Sendable {
        /// The exact distribution of U.
        case exact
        /// The normal approximation with tie and continuity corrections.
        case normal
        /// Every value is equal (or a sample is empty): nothing to test; benchstat reports p = 1.
        case none
    }

    public struct Result: Sendable, Equatable {
        public var n1: Int
        public var n2: Int
        /// U of the first sample: pairs where its value is larger, ties counting 1/2.
        public var u: Double
        public var p: Double
        public var method: Method
        public var ties: Bool
    }

    /// Largest sample sizes for the exact distribution (benchstat's MannWhitneyExactLimit and
    /// MannWhitneyTiesExactLimit).
    public static let exactLimit = 50
    public static let tiesExactLimit = 25

    /// The test on two samples.
    public static func test(_ x: [Double], _ y: [Double]) -> Result {
        test(histogram: counts(x), counts(y))
    }

    /// The test on two samples given as (value, how many times); values need not be sorted or distinct. This is
    /// how a trace's waits come (sched_wait_histogram): millions of waits, a few thousand distinct lengths.
    public static func test(histogram x: [(value: Double, count: Int)], _ y: [(value: Double, count: Int)]) -> Result {
        let n1 = x.reduce(0) { $0 + $1.count }
        let n2 = y.reduce(0) { $0 + $1.count }
        let groups = tieGroups(x, y)
        guard n1 > 0, n2 > 0, groups.count > 1 else {
            return Result(n1: n1, n2: n2, u: Double(n1 * n2) / 2, p: 1, method: .none, ties: groups.contains { $0.a + $0.b > 1 })
        }
        // R1 with midranks; ranks start at 1.
        var r1 = 0.0
        var before = 0
        var ties = false
        for g in groups {
            let t = g.a + g.b
            if t > 1 { ties = true }
            r1 += Double(g.a) * (Double(2 * before + t + 1) / 2)
            before += t
        }
        let u1 = r1 - Double(n1) * Double(n1 + 1) / 2
        let exact = ties ? (n1 <= tiesExactLimit && n2 <= tiesExactLimit) : (n1 <= exactLimit && n2 <= exactLimit)
        if exact {
            let p = exactP(groups: groups.map { $0.a + $0.b }, n1: n1, twoU: Int((2 * u1).rounded()))
            return Result(n1: n1, n2: n2, u: u1, p: p, method: .exact, ties: ties)
        }
        let n = Double(n1 + n2)
        var tieSum = 0.0
        for g in groups {
            let t = Double(g.a + g.b)
            tieSum += t * t * t - t
        }
        let mean = Double(n1) * Double(n2) / 2
        let sigma = (Double(n1) * Double(n2) * ((n + 1) - tieSum / (n * (n - 1))) / 12).squareRoot()
        guard sigma > 0 else { return Result(n1: n1, n2: n2, u: u1, p: 1, method: .none, ties: ties) }
        // Continuity correction toward the mean, as benchstat (and scipy's use_continuity) do.
        var numerator = u1 - mean
        numerator -= numerator > 0 ? 0.5 : (numerator < 0 ? -0.5 : 0)
        let z = numerator / sigma
        // 2 * min(Φ(z), 1 - Φ(z)) = erfc(|z| / √2), without the cancellation of 1 - Φ.
        let p = min(1, erfc(abs(z) / 2.0.squareRoot()))
        return Result(n1: n1, n2: n2, u: u1, p: p, method: .normal, ties: ties)
    }

    /// The smallest p-value samples of these sizes can give (all of one below all of the other, no ties):
    /// 2 / C(n1 + n2, n1), capped at 1. When it exceeds alpha, no difference can be significant.
    public static func minimumP(_ n1: Int, _ n2: Int) -> Double {
        guard n1 > 0, n2 > 0 else { return 1 }
        return min(1, 2 / choose(n1 + n2, min(n1, n2)))
    }

    /// The fewest values per side (the same on both) that can give p <= alpha: benchstat's uTestSamples
    /// (`need >= N samples to detect a difference at alpha level A`). nil above 50 (alpha too small to ask).
    public static func samplesNeeded(alpha: Double) -> Int? {
        (1...exactLimit).first { minimumP($0, $0) <= alpha }
    }

    // MARK: Stratified

    /// van Elteren's stratified U-test: the samples come in strata (waits of one start function, pauses of one
    /// kind) and only values of one stratum are compared with each other, so a change in the mix of strata (more
    /// goroutines of a kind that always waits long) is not taken for a shift. Each stratum's U is centred and
    /// weighted by 1 / (N_s + 1), van Elteren's locally most powerful weights (a stratum's rank scale grows with
    /// its size); the sum is tested with the normal approximation, tie-corrected per stratum, without continuity
    /// correction. Strata with values on one side only say nothing and are left out; with one stratum left this
    /// is the plain test (exact where that is).
    public static func stratified(_ strata: [(x: [(value: Double, count: Int)], y: [(value: Double, count: Int)])]) -> Result {
        let used = strata.filter { s in s.x.contains { $0.count > 0 } && s.y.contains { $0.count > 0 } }
        if used.count == 1 { return test(histogram: used[0].x, used[0].y) }
        var t = 0.0, variance = 0.0, n1 = 0, n2 = 0, u = 0.0, ties = false
        for s in used {
            let a = s.x.reduce(0) { $0 + $1.count }, b = s.y.reduce(0) { $0 + $1.count }
            n1 += a
            n2 += b
            var r1 = 0.0, before = 0, tieSum = 0.0
            for g in tieGroups(s.x, s.y) {
                let size = g.a + g.b
                if size > 1 { ties = true }
                r1 += Double(g.a) * (Double(2 * before + size + 1) / 2)
                before += size
                tieSum += Double(size) * Double(size) * Double(size) - Double(size)
            }
            let us = r1 - Double(a) * Double(a + 1) / 2
            u += us
            let n = Double(a + b)
            let v = Double(a) * Double(b) * ((n + 1) - tieSum / (n * (n - 1))) / 12
            let w = 1 / (n + 1)
            t += w * (us - Double(a) * Double(b) / 2)
            variance += w * w * v
        }
        guard variance > 0 else { return Result(n1: n1, n2: n2, u: u, p: 1, method: .none, ties: ties) }
        let p = min(1, erfc(abs(t / variance.squareRoot()) / 2.0.squareRoot()))
        return Result(n1: n1, n2: n2, u: u, p: p, method: .normal, ties: ties)
    }

    // MARK: Exact distribution

    /// Two-sided exact p of an observed 2*U1: the number of ways to pick n1 of the ranked values for the first
    /// sample, by the U1 they give, conditional on the tie groups (sizes `groups` in value order).
    static func exactP(groups: [Int], n1: Int, twoU: Int) -> Double {
        // s = sum over the first sample of 2 * midrank; 2*U1 = s - n1 * (n1 + 1). Counts as Doubles: C(100, 50)
        // is about 1e29, far past Int64, and a p-value needs relative, not integer, precision.
        let total = groups.reduce(0, +)
        let width = 2 * total * n1 + 1
        var dp = [Double](repeating: 0, count: (n1 + 1) * width)
        dp[0] = 1
        var before = 0
        dp.withUnsafeMutableBufferPointer { dp in
            for t in groups {
                let twoMid = 2 * before + t + 1
                let jHigh = min(n1, before + t)
                var j = jHigh
                while j >= 1 {
                    let rHigh = min(t, j)
                    var r = 1
                    while r <= rHigh {
                        let from = j - r
                        // The first sample's values so far came from the first `before` ranks.
                        if from <= before {
                            let ways = choose(t, r)
                            let add = r * twoMid
                            let sLow = from * (from + 1)
                            let sHigh = from * 2 * before
                            if sLow <= sHigh || from == 0 {
                                let src = from * width, dst = j * width
                                var s = from == 0 ? 0 : sLow
                                let end = from == 0 ? 0 : sHigh
                                while s <= end {
                                    let c = dp[src + s]
                                    if c != 0 { dp[dst + s + add] += c * ways }
                                    s += 1
                                }
                            }
                        }
                        r += 1
                    }
                    j -= 1
                }
                before += t
            }
        }
        let offset = n1 * (n1 + 1)
        let row = n1 * width
        var all = 0.0, atMost = 0.0, atLeast = 0.0
        for s in 0..<width {
            let c = dp[row + s]
            guard c != 0 else { continue }
            all += c
            if s - offset <= twoU { atMost += c }
            if s - offset >= twoU { atLeast += c }
        }
        return min(1, 2 * min(atMost, atLeast) / all)
    }

    /// The tie groups of both samples in value order: how many values of each sample are equal to each distinct
    /// value. A sort and one pass (hashing every value cost more on the 100K-row histograms of a big trace).
    static func tieGroups(_ x: [(value: Double, count: Int)], _ y: [(value: Double, count: Int)]) -> [(a: Int, b: Int)] {
        var all: [(value: Double, a: Int, b: Int)] = []
        all.reserveCapacity(x.count + y.count)
        for (v, c) in x where c > 0 { all.append((v, c, 0)) }
        for (v, c) in y where c > 0 { all.append((v, 0, c)) }
        all.sort { $0.value < $1.value }
        var groups: [(a: Int, b: Int)] = []
        var last = -Double.infinity
        for e in all {
            if !groups.isEmpty && e.value == last {
                groups[groups.count - 1].a += e.a
                groups[groups.count - 1].b += e.b
            } else {
                groups.append((e.a, e.b))
                last = e.value
            }
        }
        return groups
    }

    static func choose(_ n: Int, _ k: Int) -> Double {
        guard k >= 0, k <= n else { return 0 }
        let k = min(k, n - k)
        var c = 1.0
        var i = 0
        while i < k {
            c = c * Double(n - i) / Double(i + 1)
            i += 1
        }
        return c.rounded()
    }

    static func counts(_ values: [Double]) -> [(value: Double, count: Int)] {
        var c: [Double: Int] = [:]
        for v in values { c[v, default: 0] += 1 }
        return c.map { (value: $0.key, count: $0.value) }
    }
}
