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
            --fail-above PCT: exit status 3, naming the metrics on stderr, when a gated metric (higher is worse: \
            \(RunMetrics.definitions.filter(\.gated).map(\.name).joined(separator: ", ")), and the task \
            latencies) grew by more than PCT percent. A metric whose base is 0 has no percentage and never fails.
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
        help: "Exit with status 3 when a gated (latency) metric got worse by more than this many percent.")
    var failAbove: Double?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let failAbove, !(failAbove >= 0) { throw ValidationError("--fail-above expects a percentage >= 0") }
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
                printer.print(
                    columns: RunComparison.metricColumns,
                    rows: RunComparison.table(rows, baseRuns: baseRuns.count, headRuns: headRuns.count))
            }
        }
        guard let failAbove else { return }
        let checked = try metrics ?? RunComparison.metrics(base: baseRuns, head: headRuns, on: db)
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

    private func describe(_ v: Double?) -> String {
        guard let v else { return "-" }
        return v == v.rounded() && abs(v) < 9e15 ? String(Int64(v)) : String(v)
    }
}
