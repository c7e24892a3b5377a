/// The headline figures of one run that `traceware compare` puts side by side: every metric is defined here,
/// once. Figures that a canned report already defines (mutex-share, sched-latency, tasks) are read from that
/// report through ReportRunner, so a metric and its report cannot disagree.
public enum RunMetrics {
    /// One metric's definition, for `traceware compare --help`, the README and the gate.
    public struct Definition: Sendable {
        public let name: String
        /// Higher is worse and it is a time or a share: --fail-above applies to it.
        public let gated: Bool
        public let doc: String
    }

    /// The fixed metrics, in output order; task metrics (`task_latency_p50_ns:<type>`, `task_latency_p99_ns:<type>`,
    /// gated) follow, by task type.
    public static let definitions: [Definition] = [
        Definition(name: "duration_ns", gated: false, doc: "run length (runs.duration_ns)"),
        Definition(name: "goroutines", gated: false, doc: "goroutines seen (rows in goroutines)"),
        Definition(name: "exec_ns", gated: false, doc: "time goroutines ran (state running), Go's ExecTime summed"),
        Definition(
            name: "sched_wait_ns", gated: true,
            doc: "time goroutines waited runnable (state runnable), Go's SchedWaitTime summed"),
        Definition(
            name: "mutex_share", gated: true,
            doc: "share of user goroutines' latency that was sync.Mutex/RWMutex blocking (report mutex-share)"),
        Definition(
            name: "lock_wait_p50_ns", gated: true,
            doc: "p50 (nearest rank) of user goroutines' lock waits, each wait mutex-share counts (lock_wait_histogram)"),
        Definition(
            name: "lock_wait_p99_ns", gated: true,
            doc: "p99 (nearest rank) of user goroutines' lock waits (lock_wait_histogram)"),
        Definition(
            name: "sched_latency_p99_ns", gated: true,
            doc: "p99 of runnable waits over all goroutines (report sched-latency, scope all)"),
        Definition(name: "gc_cycles", gated: false, doc: "GC cycles (gc_cycles rows)"),
        Definition(
            name: "gc_stw_ns", gated: true,
            doc: "stop-the-world time of the GC: pauses whose reason begins with 'GC ' (sweep and mark termination)"),
        Definition(
            name: "gc_assist_ns", gated: true, doc: "time goroutines spent in GC mark assist ('GC mark assist' ranges)"),
        Definition(
            name: "syscall_ns", gated: true,
            doc: "time goroutines spent in syscalls (states syscall + syscall_blocked), Go's SyscallTime + SyscallBlockTime"),
        Definition(
            name: "network_wait_ns", gated: true,
            doc: "time goroutines waited on the network (waiting, reason 'network'), Go's network block time"),
        Definition(name: "heap_peak_bytes", gated: false, doc: "largest /memory/classes/heap/objects:bytes sample"),
    ]

    public static let taskP50Prefix = "task_latency_p50_ns:"
    public static let taskP99Prefix = "task_latency_p99_ns:"

    /// Whether --fail-above applies to a metric.
    public static func isGated(_ metric: String) -> Bool {
        if metric.hasPrefix(taskP50Prefix) || metric.hasPrefix(taskP99Prefix) { return true }
        return definitions.first { $0.name == metric }?.gated ?? false
    }

    /// The metrics of one run, in output order. A metric without a value (e.g. mutex_share of a run whose user
    /// goroutines never waited) is nil.
    public static func compute(runID: Int64, on db: Database) throws -> [(name: String, value: Double?)] {
        let id: [DatabaseValue] = [.integer(runID)]
        guard let row = try db.rows(totalsSQL, id).first, row.count == 9 else {
            throw ReportError("no run \(runID)")
        }
        var values: [String: Double?] = [
            "duration_ns": number(row[0]), "goroutines": number(row[1]), "exec_ns": number(row[2]),
            "sched_wait_ns": number(row[3]), "syscall_ns": number(row[4]), "network_wait_ns": number(row[5]),
            "gc_cycles": number(row[6]), "gc_stw_ns": number(row[7]), "gc_assist_ns": number(row[8]),
        ]
        // The rollup the ingest keeps per metric (metric_rollups, migration 0016), not a scan of every sample
        // (5.1M heap samples in a 231 MB busy run).
        values["heap_peak_bytes"] = try number(
            db.rows(
                """
                SELECT m.max_value FROM metric_names n
                JOIN metric_rollups m ON m.run_id = n.run_id AND m.name_id = n.name_id
                WHERE n.run_id = ? AND n.name = '/memory/classes/heap/objects:bytes'
                """, id
            ).first?.first ?? .null)

        let mutex = try canned("mutex-share", runID: runID, on: db)
        values["mutex_share"] = mutex.first.flatMap { number($0["share"] ?? .null) }
        let lockWaits = try lockWaitPercentiles(runID: runID, on: db)
        values["lock_wait_p50_ns"] = lockWaits?.p50
        values["lock_wait_p99_ns"] = lockWaits?.p99
        let sched = try canned("sched-latency", runID: runID, on: db)
        values["sched_latency_p99_ns"] = sched.first { $0["scope"] == .text("all") }.flatMap { number($0["p99_ns"] ?? .null) }

        var result = definitions.map { (name: $0.name, value: values[$0.name] ?? nil) }
        let tasks = try canned("tasks", runID: runID, on: db, parameters: ["top": "0"])
        for row in tasks where row["kind"] == .text("type") {
            guard case .text(let type) = row["name"] ?? .null else { continue }
            result.append((taskP50Prefix + type, number(row["p50_ns"] ?? .null)))
            result.append((taskP99Prefix + type, number(row["p99_ns"] ?? .null)))
        }
        return result
    }

    /// The plain totals, one row: duration, goroutines, exec, sched wait, syscall, network wait, GC cycles, GC STW,
    /// mark assist. The goroutine times come from goroutine_group_totals (goroutine_states summed per group at
    /// ingest: a few rows per run instead of millions).
    static let totalsSQL = """
        SELECT r.duration_ns,
               (SELECT count(*) FROM goroutines WHERE run_id = r.run_id),
               coalesce(s.exec_ns, 0), coalesce(s.sched_wait_ns, 0), coalesce(s.syscall_ns, 0), coalesce(s.network_ns, 0),
               (SELECT count(*) FROM gc_cycles WHERE run_id = r.run_id),
               (SELECT coalesce(sum(duration_ns), 0) FROM stw_pauses WHERE run_id = r.run_id AND reason LIKE 'GC %'),
               (SELECT coalesce(sum(duration_ns), 0) FROM ranges WHERE run_id = r.run_id AND name = 'GC mark assist')
        FROM runs r,
             (SELECT sum(CASE WHEN state = 'running' THEN total_ns END) AS exec_ns,
                     sum(CASE WHEN state = 'runnable' THEN total_ns END) AS sched_wait_ns,
                     sum(CASE WHEN state IN ('syscall', 'syscall_blocked') THEN total_ns END) AS syscall_ns,
                     sum(CASE WHEN state = 'waiting' AND reason = 'network' THEN total_ns END) AS network_ns
              FROM goroutine_group_totals WHERE run_id = ?1) s
        WHERE r.run_id = ?1
        """

    /// Nearest rank, as every percentile of traceware: the smallest length whose cumulative waits reach
    /// ceil(p * n / 100). nil without lock waits.
    static func lockWaitPercentiles(runID: Int64, on db: Database) throws -> (p50: Double, p99: Double)? {
        let rows = try db.rows(
            """
            SELECT duration_ns, sum(waits) FROM lock_wait_histogram
            WHERE run_id = ? AND is_system = 0 AND start_function NOT LIKE 'runtime/trace.%'
            GROUP BY duration_ns ORDER BY duration_ns
            """, [.integer(runID)])
        let counts = rows.compactMap { row -> (Double, Int64)? in
            guard row.count == 2, let v = number(row[0]), case .integer(let c) = row[1] else { return nil }
            return (v, c)
        }
        let n = counts.reduce(0) { $0 + $1.1 }
        guard n > 0, let last = counts.last?.0 else { return nil }
        func rank(_ p: Int64) -> Double {
            let k = (p * n + 99) / 100
            var cumulative: Int64 = 0
            for (v, c) in counts {
                cumulative += c
                if cumulative >= k { return v }
            }
            return last
        }
        return (rank(50), rank(99))
    }

    /// A canned report's rows as dictionaries (canned only: a saved report of the same name does not change what
    /// a metric means).
    static func canned(_ name: String, runID: Int64, on db: Database, parameters: [String: String] = [:]) throws
        -> [[String: DatabaseValue]]
    {
        guard let report = try ReportCatalog.canned().first(where: { $0.name == name }) else {
            throw ReportError("the canned report \(name) is missing from this build")
        }
        let (columns, rows) = try ReportRunner.run(report, runID: runID, parameters: parameters, on: db)
        return rows.map { Dictionary(zip(columns, $0), uniquingKeysWith: { first, _ in first }) }
    }

    static func number(_ value: DatabaseValue) -> Double? {
        switch value {
        case .integer(let v): return Double(v)
        case .real(let v): return v
        default: return nil
        }
    }
}
