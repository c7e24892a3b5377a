/// What report gc needs beyond the GC's own ranges, computed while the ingest streams (migration 0016), so the
/// report reads a few hundred rows instead of millions:
/// - gc_worker_histogram: the running intervals of labelled goroutines (the GC's mark workers) by length, per
///   label. Each interval counts under the goroutine's latest Label event when the interval ends, as go tool
///   trace names a goroutine and as scripts/gotools/reportfacts counts it, event by event in Go's order;
/// - metric_rollups: per metric, count, min, max and the latest value.
///
/// Memory: one entry per labelled goroutine (a handful of mark workers), one per distinct (label, length) and
/// one per metric name: bounded by distinct values, not by the trace's length.
final class GCRollups {
    private let writer: RunWriter

    /// The labels seen, in order of first use (a handful), and each labelled goroutine's latest as an index.
    private var labelNames: [String] = []
    private var latestLabel: [Int64: Int] = [:]
    /// Goroutines that ever had a label: a bit test per running interval, so the unlabelled ones (nearly all)
    /// cost no hashing.
    private var labelled = DenseIDSet()
    /// Per label (same index as labelNames): running intervals by length.
    private var histograms: [[Int64: Int64]] = []

    private struct Metric {
        var samples: Int64 = 0
        var min: Int64 = .max
        var max: Int64 = .min
        var last: Int64 = 0
        var lastTs: Int64 = 0
    }
    /// By metric_names.name_id (1, 2, ...: EventRows numbers a run's names from 1).
    private var metrics: [Metric] = []

    init(writer: RunWriter) {
        self.writer = writer
    }

    /// A Label event on goroutine `goid`. An empty label is recorded too: the goroutine's intervals after it are
    /// not counted (Go's reportfacts counts a goroutine whose latest label is non-empty).
    func label(goid: Int64, _ label: String) {
        let index: Int
        if let known = labelNames.firstIndex(of: label) {
            index = known
        } else {
            index = labelNames.count
            labelNames.append(label)
            histograms.append([:])
        }
        latestLabel[goid] = index
        labelled.insert(goid)
    }

    /// A running interval of `goid` that ended, `ns` long (GoroutineIntervals: every goroutine_states row in
    /// state 'running' goes through here).
    @inline(__always)
    func running(goid: Int64, ns: Int64) {
        guard labelled.contains(goid), let index = latestLabel[goid] else { return }
        histograms[index][ns, default: 0] &+= 1
    }

    /// A metric sample (metric_samples row) of metric `nameID` at `t`.
    @inline(__always)
    func metric(nameID: Int64, value: Int64, at t: Int64) {
        let i = Int(nameID)
        if i >= metrics.count { metrics.append(contentsOf: repeatElement(Metric(), count: i + 1 - metrics.count)) }
        metrics[i].samples &+= 1
        if value < metrics[i].min { metrics[i].min = value }
        if value > metrics[i].max { metrics[i].max = value }
        // Samples come in trace order: the latest is the last one seen.
        metrics[i].last = value
        metrics[i].lastTs = t
    }

    /// After the last interval was written (GoroutineIntervals.finish): the rows, in key order.
    func finish() throws {
        for (index, label) in labelNames.enumerated() where !label.isEmpty {
            for (ns, count) in histograms[index].sorted(by: { $0.key < $1.key }) {
                try writer.write(GCWorkerHistogramRow(label: label, durationNs: ns, intervals: count))
            }
        }
        for (nameID, m) in metrics.enumerated() where m.samples > 0 {
            try writer.write(
                MetricRollupRow(
                    nameID: Int64(nameID), samples: m.samples, minValue: m.min, maxValue: m.max, lastValue: m.last,
                    lastTsNs: m.lastTs))
        }
        labelNames = []
        latestLabel = [:]
        histograms = []
        metrics = []
    }
}

/// gc_worker_histogram (migration 0016).
struct GCWorkerHistogramRow: IngestRow {
    static let table = IngestTable.gcWorkerHistogram
    static let example = GCWorkerHistogramRow(label: "", durationNs: 0, intervals: 0)
    var label: String
    var durationNs: Int64
    var intervals: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.text("label", label, .frequent)
        row.int("duration_ns", durationNs)
        row.int("intervals", intervals)
    }
}

/// metric_rollups (migration 0016).
struct MetricRollupRow: IngestRow {
    static let table = IngestTable.metricRollups
    static let example = MetricRollupRow(
        nameID: 0, samples: 0, minValue: 0, maxValue: 0, lastValue: 0, lastTsNs: 0)
    var nameID: Int64
    var samples: Int64
    var minValue: Int64
    var maxValue: Int64
    var lastValue: Int64
    var lastTsNs: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("name_id", nameID)
        row.int("samples", samples)
        row.int("min_value", minValue)
        row.int("max_value", maxValue)
        row.int("last_value", lastValue)
        row.int("last_ts_ns", lastTsNs)
    }
}
