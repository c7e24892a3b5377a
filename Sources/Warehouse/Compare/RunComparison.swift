/// `traceware compare BASE HEAD`: the metrics of two builds side by side, a canned or saved report's rows side by
/// side, and the --fail-above gate. A side is one or more runs (a label given to repeated runs of one build);
/// with several runs each figure is the median over them, and the spread (min..max) is shown.
public enum RunComparison {
    /// One metric of the comparison.
    public struct MetricRow: Sendable, Equatable {
        public var metric: String
        public var base: Double?
        public var head: Double?
        /// head - base; nil unless both are known.
        public var delta: Double? { base.flatMap { b in head.map { $0 - b } } }
        /// delta / base * 100; 0 when both are 0; nil when a side is unknown or only base is 0 (no percentage
        /// of nothing: such a change never trips --fail-above).
        public var deltaPercent: Double? {
            guard let base, let delta else { return nil }
            if base == 0 { return delta == 0 ? 0 : nil }
            return delta / abs(base) * 100
        }
        /// min and max over the side's runs (equal to the value for one run).
        public var baseSpread: (min: Double, max: Double)?
        public var headSpread: (min: Double, max: Double)?
        public var gated: Bool
        /// Each run's figure (runs without one left out): the samples of the significance test over runs.
        public var baseValues: [Double] = []
        public var headValues: [Double] = []

        public static func == (a: MetricRow, b: MetricRow) -> Bool {
            a.metric == b.metric && a.base == b.base && a.head == b.head && a.gated == b.gated
                && a.baseSpread?.min == b.baseSpread?.min && a.baseSpread?.max == b.baseSpread?.max
                && a.headSpread?.min == b.headSpread?.min && a.headSpread?.max == b.headSpread?.max
        }
    }

    public static let metricColumns = ["metric", "base", "head", "delta", "delta_pct", "base_spread", "head_spread", "gated"]

    /// The metrics of both sides (RunMetrics), in RunMetrics order; a task type present on one side only is
    /// listed with the other side nil.
    public static func metrics(base: [Int64], head: [Int64], on db: Database) throws -> [MetricRow] {
        var cache: [Int64: [(name: String, value: Double?)]] = [:]  // a run on both sides is computed once
        let baseValues = try sideMetrics(base, on: db, cache: &cache)
        let headValues = try sideMetrics(head, on: db, cache: &cache)
        var names: [String] = []
        var seen = Set<String>()
        for name in baseValues.order + headValues.order where seen.insert(name).inserted { names.append(name) }
        // Task metrics after the fixed ones, by type, p50 before p99 (as RunMetrics lists them).
        let fixed = names.filter { !isTaskMetric($0) }
        let tasks = names.filter(isTaskMetric).sorted { taskSortKey($0) < taskSortKey($1) }
        return (fixed + tasks).map { name in
            let b = baseValues.values[name] ?? []
            let h = headValues.values[name] ?? []
            return MetricRow(
                metric: name, base: median(b), head: median(h), baseSpread: spread(b), headSpread: spread(h),
                gated: RunMetrics.isGated(name), baseValues: b, headValues: h)
        }
    }

    /// Gated metrics that got worse (went up) by more than `percent`.
    public static func regressions(_ rows: [MetricRow], above percent: Double) -> [MetricRow] {
        rows.filter { row in row.gated && (row.deltaPercent ?? 0) > percent }
    }

    /// The output rows of `metrics`: values as integers where they are whole (else rounded to 1e-6), delta_pct
    /// rounded to 0.01, the
    /// spreads as "min..max" ('' for a side of one run), gated 0/1.
    public static func table(_ rows: [MetricRow], baseRuns: Int, headRuns: Int) -> [[DatabaseValue]] {
        rows.map { row in
            [
                .text(row.metric), value(row.base), value(row.head), value(row.delta),
                row.deltaPercent.map { .real(($0 * 100).rounded() / 100) } ?? .null,
                spreadText(row.baseSpread, runs: baseRuns), spreadText(row.headSpread, runs: headRuns),
                .integer(row.gated ? 1 : 0),
            ]
        }
    }

    // MARK: --report

    /// A report's rows for both sides, paired on key columns: `keyColumns` when given, else the columns whose
    /// values are all text (other than `run`), except for a report of one row per run (mutex-share), whose rows
    /// simply pair. Rows with equal keys pair in order (the first with the first, ...), so a report without key
    /// columns pairs by position. Every other column becomes two, `<column>_base` and `<column>_head`. With several
    /// runs on a side, each cell is the median over the runs that have that row (non-numbers: the first run's).
    /// Rows present on one side only have NULLs on the other. Column kinds are decided by the values: when neither
    /// side has a row, every column is shown as a pair.
    public static func report(
        _ report: Report, base: [Int64], head: [Int64], parameters: [String: String], keyColumns: [String]? = nil,
        on db: Database
    ) throws -> (columns: [String], rows: [[DatabaseValue]]) {
        var columns: [String]?
        var sides: [[[DatabaseValue]]] = [[], []]  // rows of every run: side 0 base, 1 head
        var runOf: [[Int]] = [[], []]  // the run index of each row
        for (side, runs) in [base, head].enumerated() {
            for (index, runID) in runs.enumerated() {
                let result = try ReportRunner.run(report, runID: runID, parameters: parameters, on: db)
                if let columns, columns != result.columns {
                    throw ReportError("report \(report.name) gave different columns for run \(runID)")
                }
                columns = result.columns
                sides[side] += result.rows
                runOf[side] += Array(repeating: index, count: result.rows.count)
            }
        }
        guard let columns else { return ([], []) }
        let all = sides[0] + sides[1]
        let oneRowPerRun = (0..<2).allSatisfy { side in
            Set(runOf[side]).count == runOf[side].count
        }
        let keyIndexes: [Int]
        if let keyColumns {
            keyIndexes = try keyColumns.map { name in
                guard let index = columns.firstIndex(of: name) else {
                    throw ReportError(
                        "report \(report.name) has no column \(name); its columns: \(columns.joined(separator: ", "))")
                }
                return index
            }
        } else if oneRowPerRun {
            keyIndexes = []
        } else {
            keyIndexes = columns.indices.filter { index in
                columns[index] != "run"
                    && all.contains { if case .text = $0[index] { return true } else { return false } }
                    && all.allSatisfy { if case .text = $0[index] { return true } else { return $0[index] == .null } }
            }
        }
        let valueIndexes = columns.indices.filter { !keyIndexes.contains($0) && columns[$0] != "run" }

        struct Key: Hashable {
            var values: [DatabaseValue]
            var occurrence: Int
        }
        // Per side: key → the row of each run having it (in order of first appearance).
        var order: [Key] = []
        var known = Set<Key>()
        var cells: [[Key: [[DatabaseValue]]]] = [[:], [:]]
        for side in 0..<2 {
            var seenPerRun: [Int: [[DatabaseValue]: Int]] = [:]
            for (rowIndex, row) in sides[side].enumerated() {
                let run = runOf[side][rowIndex]
                let keyValues = keyIndexes.map { row[$0] }
                let occurrence = seenPerRun[run, default: [:]][keyValues, default: 0]
                seenPerRun[run, default: [:]][keyValues] = occurrence + 1
                let key = Key(values: keyValues, occurrence: occurrence)
                if known.insert(key).inserted { order.append(key) }
                cells[side][key, default: []].append(valueIndexes.map { row[$0] })
            }
        }
        var outColumns = keyIndexes.map { columns[$0] }
        for index in valueIndexes { outColumns += [columns[index] + "_base", columns[index] + "_head"] }
        var outRows: [[DatabaseValue]] = []
        for key in order {
            var row = key.values
            for (position, _) in valueIndexes.enumerated() {
                for side in 0..<2 {
                    let values = (cells[side][key] ?? []).map { $0[position] }
                    row.append(combine(values))
                }
            }
            outRows.append(row)
        }
        return (outColumns, outRows)
    }

    // MARK: Helpers

    struct SideMetrics {
        var order: [String] = []
        var values: [String: [Double]] = [:]
    }

    static func sideMetrics(_ runs: [Int64], on db: Database, cache: inout [Int64: [(name: String, value: Double?)]])
        throws -> SideMetrics
    {
        var result = SideMetrics()
        for runID in runs {
            let metrics = try cache[runID] ?? RunMetrics.compute(runID: runID, on: db)
            cache[runID] = metrics
            for (name, value) in metrics {
                if result.values[name] == nil {
                    result.order.append(name)
                    result.values[name] = []
                }
                if let value { result.values[name, default: []].append(value) }
            }
        }
        return result
    }

    /// The median (the mean of the two middle values for an even count); nil for none.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func spread(_ values: [Double]) -> (min: Double, max: Double)? {
        guard let low = values.min(), let high = values.max() else { return nil }
        return (low, high)
    }

    /// One cell over a side's runs: the median of the numbers (NULLs left out), else the first run's value.
    static func combine(_ values: [DatabaseValue]) -> DatabaseValue {
        let present = values.filter { $0 != .null }
        let numbers = present.compactMap(RunMetrics.number)
        if numbers.count == present.count, let m = median(numbers) {
            // Keep integers integer (a median of integers can be a half).
            if present.allSatisfy({ if case .integer = $0 { return true } else { return false } }), m == m.rounded() {
                return .integer(Int64(m))
            }
            return .real(m)
        }
        return values.first ?? .null
    }

    static func value(_ v: Double?) -> DatabaseValue {
        guard let v else { return .null }
        if v == v.rounded(), abs(v) < 9e15 { return .integer(Int64(v)) }
        return .real((v * 1e6).rounded() / 1e6)
    }

    static func spreadText(_ s: (min: Double, max: Double)?, runs: Int) -> DatabaseValue {
        guard runs > 1, let s else { return .text("") }
        return .text("\(value(s.min))..\(value(s.max))")
    }

    static func isTaskMetric(_ name: String) -> Bool {
        name.hasPrefix(RunMetrics.taskP50Prefix) || name.hasPrefix(RunMetrics.taskP99Prefix)
    }

    /// (type, 0 for p50 / 1 for p99).
    static func taskSortKey(_ name: String) -> (String, Int) {
        if name.hasPrefix(RunMetrics.taskP50Prefix) { return (String(name.dropFirst(RunMetrics.taskP50Prefix.count)), 0) }
        return (String(name.dropFirst(RunMetrics.taskP99Prefix.count)), 1)
    }
}
