import ArgumentParser
import Foundation
import Warehouse

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two builds: their metrics, or one report's rows, side by side (read-only).",
        discussion: """
            BASE and HEAD are run ids or labels. A label naming several runs (repeated runs of one build) \
            stands for the median of each figure over those runs; base_spread/head_spread then show min..max.
            Columns: metric, base, head, delta (head - base), delta_pct (delta / base * 100; 0 when both \
            are 0, empty when only base is 0 or a side has no value), base_spread, head_spread, gated (1: --fail-above applies).
            Metrics: \(RunMetrics.definitions.map(\.name).joined(separator: ", ")), then \
            task_latency_p50_ns:TYPE and task_latency_p99_ns:TYPE for each task type.
            Significance (as benchstat): vs_base, p, significant, test, n_base, n_head. Each metric is tested with a \
            two-sided Mann-Whitney U-test at --alpha (default 0.05); vs_base shows `~` when the difference is not \
            significant. Metrics are tested over the runs' figures, which needs 4 runs per label at alpha 0.05; \
            with fewer, one line on stderr says so, and the metrics that are distributions inside a run \
            (sched_latency_p99_ns, lock_wait_p50_ns, lock_wait_p99_ns, gc_stw_ns, the task latencies) are tested \
            on their samples instead (waits of one start function, pauses of one reason, tasks of one type, pooled \
            over a label's runs; samples of one run are not independent, so read such a p with care).
            --fail-above PCT: exit status 3, naming the metrics on stderr, when a gated metric (higher is worse: \
            \(RunMetrics.definitions.filter(\.gated).map(\.name).joined(separator: ", ")), and the task \
            latencies) grew by more than PCT percent and the difference is significant. A metric whose base is 0 \
            has no percentage and never fails. With too few runs for significance over runs, the gate refuses \
            (exit status 1, saying how many traces per label it needs) rather than fall back to the percent \
            threshold that cannot tell noise from a regression; --no-significance gates on the percentage alone \
            (and leaves the significance columns out).
            --report NAME: that report's rows for both sides, paired on the report's text columns (in order \
            where they repeat; --key COLUMNS to choose them; a report of one row per run simply pairs); \
            every other column becomes COLUMN_base and COLUMN_head (the run column is dropped). --param \
            passes the report's parameters.
            """)

    @Argument(help: "The base build: a run id or a label.") var base: String
    @Argument(help: "The head build: a run id or a label.") var head: String
    @Option(help: "Show this report's rows side by side instead of the metrics.") var report: String?
    @Option(name: .customLong("param"), help: "A parameter of --report as KEY=VALUE (repeatable).")
    var params: [String] = []
    @Option(
        name: .customLong("key"),
        help: "For --report: pair rows on these columns (comma-separated) instead of the report's text columns.")
    var key: String?
    @Option(help: "A directory of extra or edited reports (*.sql with the report header), for --report.")
    var queriesDir: String?
    @Option(
        name: .customLong("fail-above"),
        help: "Exit with status 3 when a gated (latency) metric got significantly worse by more than this many percent.")
    var failAbove: Double?
    @Option(help: "The significance level of the U-tests (default 0.05).") var alpha: Double = 0.05
    @Flag(
        name: .customLong("no-significance"),
        help: "No U-tests: the columns and the --fail-above gate of percentages alone.")
    var noSignificance = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let failAbove, !(failAbove >= 0) { throw ValidationError("--fail-above expects a percentage >= 0") }
        if !(alpha > 0 && alpha < 1) { throw ValidationError("--alpha expects a level between 0 and 1, e.g. 0.05") }
        if report == nil && (!params.isEmpty || key != nil) { throw ValidationError("--param and --key need --report") }
        _ = try parsedParameters()
    }

    func parsedParameters() throws -> [String: String] { try ReportParameters.parse(params) }

    func run() throws {
        let db = try WarehouseStore.openForReading(database.resolvedPath)
        let baseRuns = try RunSelector.resolve(base, in: db)
        let headRuns = try RunSelector.resolve(head, in: db)
        let printer = output.printer()
        var metrics: [RunComparison.MetricRow]?
        var outcomes: [Significance.Outcome]?
        let status = QueryStatus(db, "compare \(base) \(head)")
        do {
            defer {
                status.stop()
                StandardOutput.flush()
            }
            if let report {
                let parameters = try parsedParameters()
                let found = try ReportCatalog.find(report, db: db, queriesDirectory: queriesDir)
                try ReportRunner.checkParameters(parameters, for: found)
                let (columns, rows) = try RunComparison.report(
                    found, base: baseRuns, head: headRuns, parameters: parameters,
                    keyColumns: key.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
                    on: db)
                printer.print(columns: columns, rows: rows)
            } else {
                let rows = try RunComparison.metrics(base: baseRuns, head: headRuns, on: db)
                metrics = rows
                var table = RunComparison.table(rows, baseRuns: baseRuns.count, headRuns: headRuns.count)
                var columns = RunComparison.metricColumns
                if !noSignificance {
                    let tests = try Significance.assess(rows, base: baseRuns, head: headRuns, alpha: alpha, on: db)
                    outcomes = tests
                    columns += Significance.columns
                    for i in table.indices { table[i] += Significance.cells(rows[i], tests[i]) }
                }
                printer.print(columns: columns, rows: table)
            }
        }
        let enoughRuns = Significance.runsSuffice(baseRuns.count, headRuns.count, alpha: alpha)
        if !noSignificance && !enoughRuns && failAbove == nil && report == nil {
            warn(Significance.tooFewRunsMessage(baseRuns.count, headRuns.count, alpha: alpha))
        }
        guard let failAbove else { return }
        let checked = try metrics ?? RunComparison.metrics(base: baseRuns, head: headRuns, on: db)
        if noSignificance {
            let worse = RunComparison.regressions(checked, above: failAbove)
            guard !worse.isEmpty else { return }
            var message = "traceware compare: \(worse.count) latency metric\(worse.count == 1 ? "" : "s") got worse by more than \(failAbove)%:\n"
            for row in worse {
                let pct = (row.deltaPercent ?? 0)
                message += "  \(row.metric): \(describe(row.base)) -> \(describe(row.head)) (+\(String(format: "%.2f", pct))%)\n"
            }
            FileHandle.standardError.write(Data(message.utf8))
            throw ExitCode(3)
        }
        // The documented rule: with too few runs for any significance over runs, refuse to gate rather than fall
        // back to percentages, the gate that cries wolf on noise. A refusal is seen and fixed once (record more
        // runs, or choose --no-significance knowingly); a fallback warning scrolls by in every CI log.
        guard enoughRuns else {
            let need = MannWhitney.samplesNeeded(alpha: alpha).map { ">= \($0)" } ?? "> \(MannWhitney.exactLimit)"
            warn(
                "traceware compare: --fail-above cannot gate \(baseRuns.count) vs \(headRuns.count) runs: no metric compared"
                    + " over runs can be significant at alpha \(alpha); record \(need) traces per label, or pass"
                    + " --no-significance to gate on the percentage alone")
            throw ExitCode(1)
        }
        let tests = try outcomes ?? Significance.assess(checked, base: baseRuns, head: headRuns, alpha: alpha, on: db)
        let worse = Significance.regressions(checked, tests, above: failAbove)
        guard !worse.isEmpty else { return }
        var message = "traceware compare: \(worse.count) latency metric\(worse.count == 1 ? "" : "s") got significantly worse (alpha \(alpha)) by more than \(failAbove)%:\n"
        for (row, outcome) in worse {
            let pct = (row.deltaPercent ?? 0)
            message += "  \(row.metric): \(describe(row.base)) -> \(describe(row.head)) (+\(String(format: "%.2f", pct))%, p=\(String(format: "%.3g", outcome.p)), \(outcome.testName), n=\(outcome.n1)+\(outcome.n2))\n"
        }
        FileHandle.standardError.write(Data(message.utf8))
        throw ExitCode(3)
    }

    private func warn(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private func describe(_ v: Double?) -> String {
        guard let v else { return "-" }
        return v == v.rounded() && abs(v) < 9e15 ? String(Int64(v)) : String(v)
    }
}
