import Foundation

/// Whether each metric of a comparison changed beyond the noise, as benchstat decides it for benchmarks: a
/// two-sided Mann-Whitney U-test (MannWhitney) at a level alpha, `~` when not significant.
///
/// Two kinds of samples:
///   - **runs**: the metric's figure of each run of a side (a label's repeated runs of one build), as benchstat
///     compares one figure per benchmark run. It needs enough runs: 4 per side at alpha 0.05 (fewer can never
///     give p <= 0.05, whatever the figures). With enough runs, every metric is tested this way;
///   - **distributions inside a run**, with fewer runs: a trace holds many samples of the same thing, and for a
///     metric that is a percentile of them the samples themselves are compared, pooled over the side's runs,
///     which gives a test from one trace per side. Only like is compared with like (`strata`): the waits of one
///     start function with the waits of that function, the pauses of one reason with that reason, the tasks of
///     one type with that type, so a change in the mix (more goroutines of a kind that always waits long) is not a
///     shift; several strata are combined by van Elteren's test (MannWhitney.stratified). The samples of one run
///     are not independent (one slow run slows all its waits), and with hundreds of thousands of them a tiny
///     shift is significant (two traces of one 45 MB workload: p = 1e-43 on runnable waits): that is why runs
///     decide as soon as there are enough, and why the --fail-above gate refuses too few runs.
///
/// The U-test asks whether one side's values tend to be larger (a shift of the whole distribution), not whether a
/// particular percentile moved: for p99 metrics it is the test of the samples behind the percentile.
public enum Significance {
    /// The sample kind of a distribution metric, for the output's `test` column.
    public enum Samples: String, Sendable {
        case runs = "runs"
        case schedWaits = "runnable waits by start function"
        case lockWaits = "lock waits by start function"
        case gcPauses = "GC pauses by reason"
        case tasks = "tasks of the type"
    }

    /// One metric's test.
    public struct Outcome: Sendable {
        public var samples: Samples
        /// Sample sizes: runs with a value, or samples pooled over the runs.
        public var n1: Int
        public var n2: Int
        public var p: Double
        public var method: MannWhitney.Method
        /// Strata that had values on both sides (1 for runs).
        public var strata: Int
        /// Samples of these sizes can give p <= alpha at all.
        public var possible: Bool
        public var significant: Bool

        /// e.g. "U-test over runs (exact)", "U-test over lock waits by start function (van Elteren, normal)".
        public var testName: String {
            let how: String
            switch method {
            case .exact: how = "exact"
            case .normal: how = strata > 1 ? "van Elteren, normal" : "normal"
            case .none: how = n1 == 0 || n2 == 0 ? "no values on a side" : "all values equal"
            }
            return "U-test over \(samples.rawValue) (\(how))"
        }
    }

    /// The distribution behind a metric, or nil for a metric of one figure per run.
    public static func samples(of metric: String) -> Samples? {
        switch metric {
        case "sched_latency_p99_ns": return .schedWaits
        case "lock_wait_p50_ns", "lock_wait_p99_ns": return .lockWaits
        case "gc_stw_ns": return .gcPauses
        default:
            return metric.hasPrefix(RunMetrics.taskP50Prefix) || metric.hasPrefix(RunMetrics.taskP99Prefix) ? .tasks : nil
        }
    }

    /// Each row's test at `alpha`. With enough runs for a test over runs (4 a side at alpha 0.05), every metric is
    /// tested over its runs' figures (`baseValues`, `headValues`), as benchstat does: samples of one run are not
    /// independent (a slow run slows all its waits), so only runs carry the run-to-run noise, and at that size
    /// the samples test flags noise a test over runs does not. With fewer runs, a distribution metric with samples
    /// on both sides is tested on them, which is what makes one trace per side say something.
    public static func assess(_ rows: [RunComparison.MetricRow], base: [Int64], head: [Int64], alpha: Double, on db: Database)
        throws -> [Outcome]
    {
        var loaded: [String: [Strata]] = [:]  // by query key: base, head
        let overRuns = runsSuffice(base.count, head.count, alpha: alpha)
        return try rows.map { row in
            if !overRuns, let kind = samples(of: row.metric) {
                let key = sampleKey(row.metric, kind)
                if loaded[key] == nil {
                    loaded[key] = try [base, head].map { runs in try load(kind, metric: row.metric, runs: runs, on: db) }
                }
                let sides = loaded[key] ?? []
                let names = Set(sides[0].keys).intersection(sides[1].keys).sorted()
                let strata = names.map { (x: histogram(sides[0][$0] ?? [:]), y: histogram(sides[1][$0] ?? [:])) }
                if !strata.isEmpty {
                    let r = MannWhitney.stratified(strata)
                    let possible = MannWhitney.minimumP(r.n1, r.n2) <= alpha
                    return Outcome(
                        samples: kind, n1: r.n1, n2: r.n2, p: r.p, method: r.method, strata: strata.count,
                        possible: possible, significant: possible && r.p <= alpha)
                }
            }
            let r = MannWhitney.test(row.baseValues, row.headValues)
            let possible = MannWhitney.minimumP(r.n1, r.n2) <= alpha
            return Outcome(
                samples: .runs, n1: r.n1, n2: r.n2, p: r.p, method: r.method, strata: 1, possible: possible,
                significant: possible && r.p <= alpha)
        }
    }

    /// Whether a side of `n1` runs and one of `n2` can show any difference over runs at alpha.
    public static func runsSuffice(_ n1: Int, _ n2: Int, alpha: Double) -> Bool {
        MannWhitney.minimumP(n1, n2) <= alpha
    }

    /// The stderr line for sides too small for any difference over runs to be significant.
    public static func tooFewRunsMessage(_ n1: Int, _ n2: Int, alpha: Double) -> String {
        let need = MannWhitney.samplesNeeded(alpha: alpha).map { ">= \($0)" } ?? "> \(MannWhitney.exactLimit)"
        return "traceware compare: \(n1) vs \(n2) runs: no metric compared over runs can be significant at alpha \(alpha);"
            + " record \(need) traces per label (until then distribution metrics are tested on their samples)"
    }

    // MARK: Samples

    /// Per stratum: value → count, summed over a side's runs.
    typealias Strata = [String: [Int64: Int]]

    static func sampleKey(_ metric: String, _ kind: Samples) -> String {
        kind == .tasks ? "tasks:" + taskType(metric) : kind.rawValue
    }

    static func taskType(_ metric: String) -> String {
        for prefix in [RunMetrics.taskP50Prefix, RunMetrics.taskP99Prefix] where metric.hasPrefix(prefix) {
            return String(metric.dropFirst(prefix.count))
        }
        return metric
    }

    /// The samples of a side, read from the tables the ingest wrote for them (a few hundred rows per run for the
    /// waits, which repeat: trace clocks tick coarsely).
    static func load(_ kind: Samples, metric: String, runs: [Int64], on db: Database) throws -> Strata {
        let sql: String
        switch kind {
        case .runs: return [:]
        case .schedWaits:
            // All goroutines, as sched_latency_p99_ns (report sched-latency, scope 'all') counts them.
            sql = "SELECT start_function, duration_ns, waits FROM sched_wait_histogram WHERE run_id = ?"
        case .lockWaits:
            // User goroutines, as mutex-share and lock_wait_p50_ns/p99_ns count them.
            sql = """
                SELECT start_function, duration_ns, waits FROM lock_wait_histogram
                WHERE run_id = ? AND is_system = 0 AND start_function NOT LIKE 'runtime/trace.%'
                """
        case .gcPauses:
            // The pauses gc_stw_ns sums, by reason (sweep termination and mark termination pause differently).
            // gc_stw_ns is a total (pauses x length): the test asks whether pauses got longer, not more frequent.
            sql = """
                SELECT reason, duration_ns, count(*) FROM stw_pauses WHERE run_id = ? AND reason LIKE 'GC %'
                GROUP BY reason, duration_ns
                """
        case .tasks:
            // Complete tasks of the type, as the tasks report's percentiles count them, straight from the covering
            // index task_spans_by_name (the type's code, then its durations) and counted here: a GROUP BY on the
            // duration sorted them again (0.64 s for the 470K tasks of one type in a 45 MB service run, against
            // 0.1 s).
            let type = taskType(metric)
            var counts: [Int64: Int] = [:]
            let statement = try db.prepare(
                """
                SELECT s.duration_ns FROM task_names n CROSS JOIN task_spans s ON s.run_id = n.run_id AND s.name_id = n.name_id
                WHERE n.run_id = ? AND n.name = ? AND s.duration_ns IS NOT NULL
                """)
            for run in runs {
                try statement.reset()
                try statement.bind([.integer(run), .text(type)])
                while try statement.step() { counts[statement.int64(at: 0), default: 0] += 1 }
            }
            return counts.isEmpty ? [:] : [type: counts]
        }
        var strata: Strata = [:]
        for run in runs {
            for row in try db.rows(sql, [.integer(run)]) where row.count == 3 {
                guard case .integer(let value) = row[1], case .integer(let count) = row[2] else { continue }
                let name: String
                if case .text(let t) = row[0] { name = t } else { name = "" }
                strata[name, default: [:]][value, default: 0] += Int(count)
            }
        }
        return strata
    }

    static func histogram(_ counts: [Int64: Int]) -> [(value: Double, count: Int)] {
        counts.map { (value: Double($0.key), count: $0.value) }
    }
}

// MARK: Output and gate

extension Significance {
    /// The columns after RunComparison.metricColumns: `vs_base` as benchstat prints it (`+12.34% (p=0.008 n=5+5)`,
    /// `~ (p=0.310 n=5+5)` when not significant), then p, significant (0/1), the test, and the sample sizes.
    public static let columns = ["vs_base", "p", "significant", "test", "n_base", "n_head"]

    public static func cells(_ row: RunComparison.MetricRow, _ outcome: Outcome) -> [DatabaseValue] {
        let p = String(format: "%.3f", outcome.p)
        let n = "n=\(outcome.n1)+\(outcome.n2)"
        let vs: String
        if outcome.significant {
            let change = row.deltaPercent.map { String(format: "%+.2f%%", $0) } ?? (row.delta.map { $0 > 0 ? "+inf" : "-inf" } ?? "?")
            vs = "\(change) (p=\(p) \(n))"
        } else {
            vs = "~ (p=\(p) \(n))"
        }
        return [
            .text(vs), .real(outcome.p), .integer(outcome.significant ? 1 : 0), .text(outcome.testName),
            .integer(Int64(outcome.n1)), .integer(Int64(outcome.n2)),
        ]
    }

    /// Gated metrics worse by more than `percent` and significantly so.
    public static func regressions(_ rows: [RunComparison.MetricRow], _ outcomes: [Outcome], above percent: Double)
        -> [(row: RunComparison.MetricRow, outcome: Outcome)]
    {
        zip(rows, outcomes).filter { row, outcome in
            row.gated && (row.deltaPercent ?? 0) > percent && outcome.significant
        }.map { (row: $0.0, outcome: $0.1) }
    }
}
