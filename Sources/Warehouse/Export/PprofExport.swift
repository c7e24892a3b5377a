import Foundation

public struct ExportError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `traceware export pprof`: a run's blocking or CPU samples as a gzip'd profile.proto that `go tool pprof`
/// reads like `go tool trace -pprof=KIND`'s.
public enum PprofExport {
    public enum Kind: String, CaseIterable, Sendable {
        case sync, net, syscall, sched, cpu
    }

    /// Which part of the run: a time window (run ns, as every *_ns column) and the goroutines of one start
    /// function. nil = no bound.
    public struct Selection: Sendable {
        public var fromNs: Int64?
        public var toNs: Int64?
        public var function: String?
        /// Only the time inside regions of this name, as go tool trace's region profiles (/regionblock,
        /// /regionio, /regionsyscall, /regionsched with ?type=NAME) count it (see `regionWindows`).
        public var region: String?
        /// Only the time inside tasks of this type: inside the regions that belong to such a task (a goroutine
        /// takes part in a task through its regions), counted as Go's region profiles count regions.
        public var taskType: String?
        public init(fromNs: Int64? = nil, toNs: Int64? = nil, function: String? = nil, region: String? = nil,
                    taskType: String? = nil) {
            self.fromNs = fromNs; self.toNs = toNs; self.function = function; self.region = region
            self.taskType = taskType
        }
        var bindings: [String: DatabaseValue] {
            [":from": fromNs.map(DatabaseValue.integer) ?? .null, ":to": toNs.map(DatabaseValue.integer) ?? .null,
             ":function": function.map(DatabaseValue.text) ?? .null]
        }
        var byRegions: Bool { region != nil || taskType != nil }
    }

    /// The runtime's default CPU profiling rate is 100 Hz (runtime/pprof.StartCPUProfile); the trace does not
    /// record the rate, so every CPU sample stands for 10 ms, as a pprof CPU profile at that rate says.
    public static let cpuPeriodNs: Int64 = 10_000_000

    /// The profile of one kind over the selection; throws when it selects nothing.
    public static func profile(run runID: Int64, kind: Kind, selection: Selection = .init(), on db: Database)
        throws -> PprofProfile
    {
        var profile: PprofProfile
        let sql: String
        switch kind {
        case .cpu:
            profile = PprofProfile(
                sampleTypes: [.init("samples", "count"), .init("cpu", "nanoseconds")],
                periodType: .init("cpu", "nanoseconds"), period: cpuPeriodNs)
            sql = cpuSQL
        default:
            // What traceviewer.BuildProfile writes for go tool trace -pprof=KIND.
            profile = PprofProfile(
                sampleTypes: [.init("contentions", "count"), .init("delay", "nanoseconds")],
                periodType: .init("trace", "count"), period: 1)
            sql = blockingSQL(for: kind)
        }
        if kind == .cpu && selection.byRegions {
            throw ExportError("--region and --task-type apply to sync, net, syscall and sched")
        }
        let windows = try regionWindows(run: runID, selection: selection, on: db)
        let statement = try db.prepare(
            windows != nil ? blockingSQL(for: kind, perInterval: true)
                : try fastSQL(run: runID, kind: kind, selection: selection, on: db) ?? sql)
        // Each form of the query uses the parameters it needs.
        var bindings = selection.bindings
        bindings[":run_id"] = .integer(runID)
        bindings[":kind"] = .text(kind.rawValue)
        bindings[":windows"] = windows.map { DatabaseValue.text($0.json) } ?? .null
        for (name, value) in bindings {
            if let index = try? statement.parameterIndex(name) { try statement.bind(value, at: index) }
        }
        if let windows {
            profile.samples = try windowedSamples(statement, windows: windows.byGoid, selection: selection)
        }
        while windows == nil, try statement.step() {
            let stack: Int64? = statement.isNull(at: 0) ? nil : statement.int64(at: 0)
            let category = statement.string(at: 1) ?? ""
            let function = statement.string(at: 2) ?? ""
            var labels: [(key: String, value: String)] = [("start_function", function)]
            if kind != .cpu { labels.append(("category", category)) }
            profile.samples.append(.init(
                stackID: stack, values: [statement.int64(at: 3), statement.int64(at: 4)], labels: labels))
        }
        guard !profile.samples.isEmpty else {
            throw ExportError("the selection holds no \(kind.rawValue) samples in run \(runID)")
        }
        return profile
    }

    /// The ingest-time split of blocking_profile (migration 0012) answers a whole-run profile, or one start
    /// function's, from a few hundred rows; nil when the selection needs the intervals (a window, a region) or
    /// the run was ingested before 0012 (blocking_profile rows of the kind, no split ones).
    static func fastSQL(run runID: Int64, kind: Kind, selection: Selection, on db: Database) throws -> String? {
        guard kind != .cpu, selection.fromNs == nil, selection.toNs == nil, !selection.byRegions else { return nil }
        func exists(_ table: String) throws -> Bool {
            try db.scalarInt64(
                "SELECT EXISTS (SELECT 1 FROM \(table) WHERE run_id = ? AND kind = ?)",
                [.integer(runID), .text(kind.rawValue)]) == 1
        }
        guard try exists("blocking_profile_functions") || !exists("blocking_profile") else { return nil }
        return """
            SELECT stack_id, category, start_function, count, total_ns
            FROM blocking_profile_functions
            WHERE run_id = :run_id AND kind = :kind AND (:function IS NULL OR start_function = :function)
            ORDER BY stack_id, category, start_function
            """
    }

    /// With --region or --task-type, the time windows per goroutine, as cmd/trace's pprofMatchingRegions builds
    /// them for its region profiles: the goroutine's matching regions (one open at either end of the trace
    /// runs to it), sorted by (start, end), keeping only those that start at or after the end of the last kept
    /// one (Go's "outermost" regions; Go quirk, kept: of two regions with the same start, the shorter is kept
    /// and the enclosing one dropped). An interval then counts its overlap with each window. As JSON
    /// [[goid, start, end], ...] (for the SQL's goroutine filter) and by goroutine, in time order (for
    /// `windowedSamples`); nil without such a selection.
    static func regionWindows(run runID: Int64, selection: Selection, on db: Database) throws
        -> (json: String, byGoid: [Int64: [(start: Int64, end: Int64)]])?
    {
        guard selection.byRegions else { return nil }
        let runEnd = try db.scalarInt64("SELECT end_ns FROM runs WHERE run_id = ?", [.integer(runID)]) ?? 0
        let statement = try db.prepare("""
            SELECT r.goid, coalesce(r.start_ns, 0) AS s, coalesce(r.end_ns, ?4) AS e FROM regions r
            WHERE r.run_id = ?1 AND r.goid IS NOT NULL AND (?2 IS NULL OR r.name = ?2)
                AND (?3 IS NULL OR r.task_id IN (
                    SELECT s.task_id FROM task_names n CROSS JOIN task_spans s ON s.run_id = n.run_id AND s.name_id = n.name_id
                    WHERE n.run_id = ?1 AND n.name = ?3))
            ORDER BY r.goid, s, e
            """)
        try statement.bind([.integer(runID), selection.region.map(DatabaseValue.text) ?? .null,
                            selection.taskType.map(DatabaseValue.text) ?? .null, .integer(runEnd)])
        var out = "["
        var byGoid: [Int64: [(start: Int64, end: Int64)]] = [:]
        var goid: Int64?
        var last = Int64.min
        while try statement.step() {
            let g = statement.int64(at: 0), start = statement.int64(at: 1), end = statement.int64(at: 2)
            if g != goid { goid = g; last = Int64.min }
            guard last <= start else { continue }
            last = end
            if out.utf8.count > 1 { out += "," }
            out += "[\(g),\(start),\(end)]"
            byGoid[g, default: []].append((start, end))
        }
        return (out + "]", byGoid)
    }

    /// The samples of a region-windowed profile from the per-interval rows of `blockingSQL(perInterval: true)`
    /// (stack_id, category, start_function, goid, start_ns, end_ns): each interval counts its overlap with each
    /// of its goroutine's windows, clipped to the selection's [from, to], and an interval with no overlap is not
    /// counted, as Go's region profiles do. Done here rather than in SQL: a correlated subquery over the
    /// windows costs a scan of all of them per interval (a whole service run's 1M regions: minutes); a
    /// goroutine's windows are sorted and disjoint, so a binary search finds the first that can overlap.
    /// Ordered as the SQL form orders its groups (stack_id with NULL first, category, start_function, bytewise).
    static func windowedSamples(
        _ statement: Statement, windows: [Int64: [(start: Int64, end: Int64)]], selection: Selection
    ) throws -> [PprofProfile.Sample] {
        struct Key: Hashable { var stack: Int64?; var category: String; var function: String? }
        var totals: [Key: (count: Int64, ns: Int64)] = [:]
        while try statement.step() {
            guard let list = windows[statement.int64(at: 3)] else { continue }
            let start = statement.int64(at: 4), end = statement.int64(at: 5)
            let lo = max(start, selection.fromNs ?? start), hi = min(end, selection.toNs ?? end)
            // The first window that ends after lo: earlier ones cannot overlap [lo, hi].
            var first = 0, upper = list.count
            while first < upper {
                let mid = (first + upper) / 2
                if list[mid].end <= lo { first = mid + 1 } else { upper = mid }
            }
            var ns: Int64 = 0
            var i = first
            while i < list.count, list[i].start < hi {
                ns += max(0, min(hi, list[i].end) - max(lo, list[i].start))
                i += 1
            }
            guard ns > 0 else { continue }
            let key = Key(
                stack: statement.isNull(at: 0) ? nil : statement.int64(at: 0), category: statement.string(at: 1) ?? "",
                function: statement.string(at: 2))
            totals[key, default: (0, 0)].count += 1
            totals[key, default: (0, 0)].ns += ns
        }
        func before(_ a: String?, _ b: String?) -> Bool? {
            if a == b { return nil }
            guard let a else { return true }
            guard let b else { return false }
            return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        }
        return totals.sorted { x, y in
            if x.key.stack != y.key.stack {
                guard let a = x.key.stack else { return true }
                guard let b = y.key.stack else { return false }
                return a < b
            }
            return before(x.key.category, y.key.category) ?? before(x.key.function, y.key.function) ?? false
        }.map { key, value in
            var labels: [(key: String, value: String)] = [("start_function", key.function ?? "")]
            labels.append(("category", key.category))
            return .init(stackID: key.stack, values: [value.count, value.ns], labels: labels)
        }
    }

    /// Frames of the given stacks, innermost first.
    public static func stacks(run runID: Int64, ids: Set<Int64>, on db: Database) throws -> [Int64: [PprofProfile.Frame]] {
        var result: [Int64: [PprofProfile.Frame]] = [:]
        guard !ids.isEmpty else { return result }
        let statement = try db.prepare("""
            SELECT r.stack_id, f.pc, f.function, f.file, f.line
            FROM stack_frame_refs r JOIN frames f ON f.run_id = r.run_id AND f.frame_id = r.frame_id
            WHERE r.run_id = ? AND r.stack_id IN (SELECT value FROM json_each(?))
            ORDER BY r.stack_id, r.depth
            """)
        let list = "[" + ids.map(String.init).joined(separator: ",") + "]"
        try statement.bind([.integer(runID), .text(list)])
        while try statement.step() {
            result[statement.int64(at: 0), default: []].append(.init(
                pc: UInt64(bitPattern: statement.int64(at: 1)), function: statement.string(at: 2) ?? "",
                file: statement.string(at: 3) ?? "", line: statement.int64(at: 4)))
        }
        return result
    }

    /// The gzip'd profile.proto bytes of a profile whose stacks are the run's.
    public static func gzipped(_ profile: PprofProfile, run runID: Int64, on db: Database) throws -> [UInt8] {
        let ids = Set(profile.samples.compactMap(\.stackID))
        return try Gzip.compress(profile.encoded(stacks: try stacks(run: runID, ids: ids, on: db)))
    }

    /// A profile from any read-only query's rows: column `stack_id` (required) is the sample's stack; every other
    /// numeric column is a sample value (unit nanoseconds when its name ends in _ns, else count), every text
    /// column a label. `:run_id` is bound to the run.
    public static func profile(run runID: Int64, sql: String, on db: Database) throws -> PprofProfile {
        let statement: Statement
        do { statement = try db.prepare(sql) } catch { throw ExportError("--sql does not prepare: \(error)") }
        guard statement.isReadOnly else { throw ExportError("--sql must only read (one SELECT)") }
        let columns = statement.columnNames
        guard let stackColumn = columns.firstIndex(of: "stack_id") else {
            throw ExportError("--sql must return a stack_id column (it returns \(columns.joined(separator: ", ")))")
        }
        if let index = try? statement.parameterIndex(":run_id"), index > 0 {
            try statement.bind(.integer(runID), at: index)
        }
        var rows: [[DatabaseValue]] = []
        while try statement.step() { rows.append(statement.row()) }
        guard !rows.isEmpty else { throw ExportError("--sql selected no rows") }
        var valueColumns: [Int] = []
        var labelColumns: [Int] = []
        for (i, name) in columns.enumerated() where i != stackColumn {
            let numeric = rows.allSatisfy { row in
                switch row[i] { case .integer, .real, .null: return true; default: return false }
            }
            if numeric { valueColumns.append(i) } else { labelColumns.append(i) }
        }
        guard !valueColumns.isEmpty else { throw ExportError("--sql must return at least one numeric column (a sample value)") }
        var profile = PprofProfile(
            sampleTypes: valueColumns.map { i in
                .init(columns[i], columns[i].hasSuffix("_ns") ? "nanoseconds" : "count")
            },
            periodType: .init("trace", "count"), period: 1)
        for row in rows {
            let stack: Int64?
            switch row[stackColumn] {
            case .integer(let v): stack = v
            case .null: stack = nil
            default: throw ExportError("--sql: stack_id must be an integer or NULL, got \(row[stackColumn])")
            }
            let values = valueColumns.map { i -> Int64 in
                switch row[i] { case .integer(let v): return v; case .real(let v): return Int64(v); default: return 0 }
            }
            let labels = labelColumns.compactMap { i -> (key: String, value: String)? in
                if case .text(let v) = row[i] { return (columns[i], v) }
                return nil
            }
            profile.samples.append(.init(stackID: stack, values: values, labels: labels))
        }
        return profile
    }

    /// Writes bytes to `path` through a temporary file in the same directory renamed into place: the target is
    /// the whole file or untouched. "-" writes to standard output.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        if path == "-" {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = (directory as NSString).appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
            throw ExportError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            throw ExportError("cannot write \(path): \(message)")
        }
    }

    // The kinds and rules of Queries/blocking-stacks.sql (see its doc header; checked against go tool trace
    // -pprof=KIND), per (stack, category, start function), with a window [:from, :to] that clips every interval
    // and :function keeping one start function's goroutines. Kept in step with that report by the tests, which
    // compare both with Go.
    /// The query of one kind: only that kind's branch, so SQLite neither materializes nor scans the others'
    /// intervals (the all-kinds form took most of its time building the temporary tables of kinds not asked).
    /// perInterval: the counted intervals one by one (stack_id, category, start_function, goid, start_ns,
    /// end_ns) for `windowedSamples`, instead of the totals.
    static func blockingSQL(for kind: Kind?, perInterval: Bool = false) -> String {
        let sched = """
            sched AS (
                SELECT * FROM (
                    SELECT s.goid, s.state, s.reason, s.start_ns, s.end_ns, s.stack_id,
                        lag(s.state) OVER w = 'waiting' AND lag(s.end_ns) OVER w = s.start_ns AS woken,
                        lag(s.waker_stack_id) OVER w AS waker_stack_id
                    FROM states s
                    WHERE :kind = 'sched'
                    WINDOW w AS (PARTITION BY s.goid ORDER BY s.start_ns, s.interval_id)
                ) WHERE state = 'runnable'
            ),
            """
        let raw = """
            raw AS (
                SELECT
                    CASE
                        WHEN state = 'waiting' AND reason = 'network' THEN 'net'
                        WHEN state = 'waiting' AND (instr(reason, 'chan') > 0 OR instr(reason, 'sync') > 0
                                                    OR instr(reason, 'select') > 0) THEN 'sync'
                        WHEN state IN ('syscall', 'syscall_blocked') THEN 'syscall'
                    END AS kind,
                    goid, state, reason, category, start_ns, end_ns, stack_id
                FROM states
                WHERE state IN ('waiting', 'syscall', 'syscall_blocked') AND :kind <> 'sched'
            ),
            """
        let syncNet = """
            SELECT goid, start_ns, end_ns, stack_id, category FROM raw
            WHERE kind IN ('sync', 'net') AND :kind = kind
            """
        let schedBranch = """
            SELECT goid, start_ns, end_ns,
                CASE WHEN woken THEN waker_stack_id ELSE stack_id END,
                CASE WHEN woken THEN 'woken' WHEN reason <> '' THEN reason ELSE 'runnable' END
            FROM sched
            """
        // A syscall split into syscall + syscall_blocked is one interval for Go.
        let syscallBranch = """
            SELECT goid, min(start_ns), max(end_ns), stack_id, 'syscall' FROM (
                SELECT r.*, sum(CASE WHEN r.state = 'syscall' THEN 1 ELSE 0 END)
                                OVER (PARTITION BY r.goid ORDER BY r.start_ns, r.state) AS n
                FROM raw r WHERE r.kind = 'syscall' AND :kind = 'syscall'
            ) GROUP BY goid, n
            """
        let (ctes, merged): (String, String)
        switch kind {
        case .sync?, .net?: (ctes, merged) = (raw, syncNet)
        case .sched?: (ctes, merged) = (sched, schedBranch)
        case .syscall?: (ctes, merged) = (raw, syscallBranch)
        default: (ctes, merged) = (sched + raw, [syncNet, schedBranch, syscallBranch].joined(separator: "UNION ALL\n"))
        }
        // The intervals driven from goroutines, each one's key range (primary key (run_id, goid, start_ns)), so a
        // window reads only its own part of the run: from each goroutine's second-to-last interval starting
        // before :from (an interval that began before the window and crosses into it is the last one; the one
        // before it is what sched's lag and the syscall + syscall_blocked merge look back to) to :to. A goroutine
        // created after :to, or ended before :from (no interval outlives its ended_ns, a 'forever' block
        // included), has nothing to count; with region windows (--region, --task-type), only the goroutines that
        // have some.
        let states = """
            states AS (
                SELECT s.* FROM goroutines g CROSS JOIN goroutine_states s ON s.run_id = g.run_id AND s.goid = g.goid
                WHERE g.run_id = :run_id
                    AND (:function IS NULL OR g.start_function = :function)
                    AND (:to IS NULL OR g.created_ns <= :to)
                    AND (:from IS NULL OR g.ended_ns IS NULL OR g.ended_ns >= :from)
                    AND (:windows IS NULL OR g.goid IN (SELECT goid FROM windows))
                    AND s.start_ns >= coalesce((
                        SELECT i.start_ns FROM goroutine_intervals i
                        WHERE i.run_id = g.run_id AND i.goid = g.goid AND i.start_ns < :from
                        ORDER BY i.start_ns DESC LIMIT 1 OFFSET 1), -9223372036854775807)
                    AND s.start_ns <= coalesce(:to, 9223372036854775807)
            ),
            """
        return """
            WITH
            run AS (SELECT end_ns FROM runs WHERE run_id = :run_id),
            windows AS MATERIALIZED (
                SELECT value ->> 0 AS goid, value ->> 1 AS start_ns, value ->> 2 AS end_ns FROM json_each(:windows)
            ),
            \(states)
            \(ctes)
            merged(goid, start_ns, end_ns, stack_id, category) AS (
            \(merged)
            ),
            attributed AS (
                SELECT m.goid, m.start_ns, m.end_ns, m.stack_id, m.category, g.start_function,
                    g.started_ns, coalesce(g.ended_ns, (SELECT end_ns FROM run)) AS g_end, g.ended_ns
                FROM merged m JOIN goroutines g ON g.run_id = :run_id AND g.goid = m.goid
                WHERE (:function IS NULL OR g.start_function = :function)
                    -- Open at the end of the trace (Go counts an interval only when it ends): the goroutine did not
                    -- end then.
                    AND NOT (m.end_ns >= (SELECT end_ns FROM run) AND (g.ended_ns IS NULL OR g.ended_ns > m.end_ns))
            ),
            -- Without region windows: each interval clipped to its goroutine's [first run, end] and the selection.
            -- (With them, `windowedSamples` counts the overlaps: Go's region profiles clip by the windows only.)
            counted AS (
                SELECT category, stack_id, start_function,
                    min(end_ns, g_end, coalesce(:to, end_ns))
                        - max(start_ns, coalesce(started_ns, start_ns), coalesce(:from, start_ns)) AS ns
                FROM attributed
            )
            \(perInterval ? """
                SELECT stack_id, category, start_function, goid, start_ns, end_ns FROM attributed
                """ : """
                SELECT stack_id, category, start_function, count(*), sum(ns)
                FROM counted WHERE ns > 0 GROUP BY stack_id, category, start_function
                ORDER BY stack_id, category, start_function
                """)
            """
    }

    static let cpuSQL = """
        SELECT c.stack_id, '', coalesce(g.start_function, ''), count(*), count(*) * \(cpuPeriodNs)
        FROM cpu_samples c LEFT JOIN goroutines g ON g.run_id = c.run_id AND g.goid = c.goid
        WHERE c.run_id = :run_id
            AND (:from IS NULL OR c.ts_ns >= :from) AND (:to IS NULL OR c.ts_ns <= :to)
            AND (:function IS NULL OR g.start_function = :function)
        GROUP BY c.stack_id, g.start_function
        ORDER BY c.stack_id, g.start_function
        """
}
