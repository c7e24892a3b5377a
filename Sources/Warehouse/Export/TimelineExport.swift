import Foundation

/// `traceware export timeline`: a run, or a window and a set of its goroutines, as Chrome Trace Event JSON
/// (the format go tool trace's own viewer, Catapult, and ui.perfetto.dev both open).
///
/// Tracks: process 1 "Goroutines", a thread per goroutine with its state slices (running, runnable, waiting
/// with reason and category, syscall, syscall_blocked; the stack in args) and its logs as instant events;
/// process 2 "Procs", a thread per P with its running slices; process 3 "GC", cycles and STW pauses; process 4
/// "Regions", a thread per goroutine with its regions (regions nest among themselves, not with the state
/// slices, so they get their own track); tasks as async slices of process 5; wake-ups as flow arrows from the
/// waker's track to the woken goroutine's. Times: ts/dur in microseconds with ns precision (3 decimals), from
/// the start of the run.
public enum TimelineExport {
    /// Past about a million events the viewers stall or run out of memory (Catapult loads the whole JSON in
    /// the page); above it the export refuses unless forced.
    public static let eventLimit = 1_000_000

    public struct Selection: Sendable {
        public var fromNs: Int64?
        public var toNs: Int64?
        public var function: String?
        /// A read-only query returning a goid column: the goroutines to keep (:run_id bound).
        public var goroutinesSQL: String?
        /// Only the goroutines that took part in tasks of this type (had a region in one).
        public var taskType: String?
        public var force = false
        public var limit = TimelineExport.eventLimit
        public init(fromNs: Int64? = nil, toNs: Int64? = nil, function: String? = nil, goroutinesSQL: String? = nil,
                    force: Bool = false, limit: Int = TimelineExport.eventLimit, taskType: String? = nil) {
            self.fromNs = fromNs; self.toNs = toNs; self.function = function; self.goroutinesSQL = goroutinesSQL
            self.taskType = taskType
            self.force = force; self.limit = limit
        }
    }

    /// The JSON bytes. Throws on an empty selection, or above eventLimit unless forced.
    public static func json(run runID: Int64, selection: Selection, on db: Database) throws -> [UInt8] {
        let runEnd = try db.scalarInt64("SELECT end_ns FROM runs WHERE run_id = ?", [.integer(runID)]) ?? 0
        let from = selection.fromNs ?? 0
        let to = selection.toNs ?? runEnd
        let allowed = try allowedGoroutines(run: runID, selection: selection, on: db)
        // goid → start function of the goroutines that have something in the selection (their tracks).
        var keep: [Int64: String] = [:]
        var events: [String] = []
        // Each stack's text, JSON-quoted, read once on first use; each (state, reason, category)'s name, cat and
        // args prefix, built once: a dense window holds hundreds of thousands of slices over a few of each.
        var stackJSON: [Int64: String] = [:]
        let frames = try db.prepare("""
            SELECT f.function, f.line FROM stack_frame_refs r JOIN frames f ON f.run_id = r.run_id AND f.frame_id = r.frame_id
            WHERE r.run_id = ? AND r.stack_id = ? ORDER BY r.depth
            """)
        func stack(_ id: Int64) throws -> String {
            if let known = stackJSON[id] { return known }
            try frames.reset()
            try frames.bind([.integer(runID), .integer(id)])
            var parts: [String] = []
            while try frames.step() { parts.append("\(frames.string(at: 0) ?? ""):\(frames.int64(at: 1))") }
            let text = quote(parts.joined(separator: " < "))
            stackJSON[id] = text
            return text
        }
        var kinds: [String: String] = [:]
        func clip(_ start: Int64, _ end: Int64) -> (Int64, Int64)? {
            let s = max(start, from), e = min(end, to)
            return e > s || (e == s && start == end && s >= from && s <= to) ? (s, e) : nil
        }
        // Goroutine states and wake-up flows.
        var flowID = 0
        var tracks: [Int64: String] = [:]
        // Driven from the goroutines alive in the window (created by its end, not ended before its start: no
        // interval outlives its goroutine's ended_ns, a 'forever' block included), each one's key range of
        // goroutine_intervals (primary key (run_id, goid, start_ns)) from its last interval starting before the
        // window (the one that may cross into it) to the window's end: a window reads its own part of the run.
        let states = try db.prepare("""
            SELECT s.goid, s.state, s.reason, s.category, s.start_ns, s.end_ns, s.stack_id, s.waker_goid,
                s.waker_stack_id, g.start_function
            FROM goroutines g CROSS JOIN goroutine_states s ON s.run_id = g.run_id AND s.goid = g.goid
            WHERE g.run_id = ?1 AND g.created_ns <= ?3 AND (g.ended_ns IS NULL OR g.ended_ns >= ?2)
                AND (?4 IS NULL OR g.start_function = ?4)
                AND s.start_ns >= coalesce((
                    SELECT i.start_ns FROM goroutine_intervals i
                    WHERE i.run_id = g.run_id AND i.goid = g.goid AND i.start_ns < ?2
                    ORDER BY i.start_ns DESC LIMIT 1), ?2)
                AND s.start_ns <= ?3 AND s.end_ns >= ?2
            """)
        try states.bind([.integer(runID), .integer(from), .integer(to), selection.function.map(DatabaseValue.text) ?? .null])
        while try states.step() {
            let goid = states.int64(at: 0)
            if let allowed, !allowed.contains(goid) { continue }
            guard let (s, e) = clip(states.int64(at: 4), states.int64(at: 5)) else { continue }
            if keep[goid] == nil {
                keep[goid] = states.string(at: 9) ?? ""
                tracks[goid] = keep[goid]
            }
            let state = states.string(at: 1) ?? "", reason = states.string(at: 2) ?? "", category = states.string(at: 3) ?? ""
            let kindKey = state + "\u{1}" + reason + "\u{1}" + category
            let kind: String
            if let known = kinds[kindKey] {
                kind = known
            } else {
                let name = state == "waiting" && !reason.isEmpty ? "waiting: \(reason)" : state
                kind = "\"name\":\(quote(name)),\"cat\":\(quote(category.isEmpty ? state : category)),\"args\":{\"reason\":\(quote(reason)),\"category\":\(quote(category))"
                kinds[kindKey] = kind
            }
            let stackArg = states.isNull(at: 6) ? "" : ",\"stack\":" + (try stack(states.int64(at: 6)))
            events.append(
                "{\"ph\":\"X\",\"pid\":1,\"tid\":\(goid),\"ts\":\(us(s)),\"dur\":\(us(e - s)),\(kind)\(stackArg)}}")
            // The waiting interval ends when the waker makes it runnable: an arrow from the waker's track.
            if state == "waiting", !states.isNull(at: 7), states.int64(at: 5) <= to, states.int64(at: 5) >= from {
                let waker = states.int64(at: 7), at = us(states.int64(at: 5))
                flowID += 1
                events.append("{\"ph\":\"s\",\"pid\":1,\"tid\":\(waker),\"name\":\"wake-up\",\"cat\":\"wakeup\",\"id\":\(flowID),\"ts\":\(at)}")
                events.append("{\"ph\":\"f\",\"bp\":\"e\",\"pid\":1,\"tid\":\(goid),\"name\":\"wake-up\",\"cat\":\"wakeup\",\"id\":\(flowID),\"ts\":\(at)}")
                if tracks[waker] == nil { tracks[waker] = "" }
            }
        }
        // Logs as instant events on their goroutine's track.
        // (A goroutine with a log or a region in the window has a state slice there too.)
        let logs = try db.prepare("SELECT goid, ts_ns, category, message, stack_id FROM logs WHERE run_id = ? AND ts_ns BETWEEN ? AND ? ORDER BY ts_ns")
        try logs.bind([.integer(runID), .integer(from), .integer(to)])
        while try logs.step() {
            guard !logs.isNull(at: 0), keep[logs.int64(at: 0)] != nil else { continue }
            events.append(
                "{\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":\(logs.int64(at: 0)),\"name\":\(quote("log: " + (logs.string(at: 2) ?? ""))),\"cat\":\"log\",\"ts\":\(us(logs.int64(at: 1))),\"args\":{\"message\":\(quote(logs.string(at: 3) ?? ""))}}")
        }
        // Regions, on a track per goroutine of their own.
        let regions = try db.prepare("""
            SELECT goid, name, coalesce(start_ns, 0), coalesce(end_ns, ?), task_id FROM regions
            WHERE run_id = ? AND goid IN (SELECT value FROM json_each(?))
                AND coalesce(end_ns, ?) >= ? AND coalesce(start_ns, 0) <= ? ORDER BY goid, coalesce(start_ns, 0), depth
            """)
        // Only the kept goroutines' regions, through regions_by_goid (run_id, goid, start_ns).
        let keptList = "[" + keep.keys.sorted().map(String.init).joined(separator: ",") + "]"
        try regions.bind([.integer(runEnd), .integer(runID), .text(keptList), .integer(runEnd), .integer(from), .integer(to)])
        var regionTracks = Set<Int64>()
        while try regions.step() {
            let goid = regions.int64(at: 0)
            guard keep[goid] != nil, let (s, e) = clip(regions.int64(at: 2), regions.int64(at: 3)) else { continue }
            regionTracks.insert(goid)
            let task = regions.isNull(at: 4) ? "null" : String(regions.int64(at: 4))
            events.append(
                "{\"ph\":\"X\",\"pid\":4,\"tid\":\(goid),\"name\":\(quote(regions.string(at: 1) ?? "")),\"cat\":\"region\",\"ts\":\(us(s)),\"dur\":\(us(e - s)),\"args\":{\"task\":\(task)}}")
        }
        // Procs, GC cycles, STW pauses, tasks: run-wide, within the window.
        var procTracks = Set<Int64>()
        // Per P, its key range of proc_states_by_proc (run_id, proc_id, start_ns), from the last state that began
        // before the window.
        let procs = try db.prepare("""
            SELECT s.proc_id, s.start_ns, s.end_ns
            FROM procs p CROSS JOIN proc_states s ON s.run_id = p.run_id AND s.proc_id = p.proc_id
            WHERE p.run_id = ?1 AND s.state = 'running' AND s.start_ns <= ?3 AND s.end_ns >= ?2
                AND s.start_ns >= coalesce((
                    SELECT max(x.start_ns) FROM proc_states x WHERE x.run_id = p.run_id AND x.proc_id = p.proc_id AND x.start_ns < ?2), ?2)
            ORDER BY s.proc_id, s.start_ns
            """)
        try procs.bind([.integer(runID), .integer(from), .integer(to)])
        while try procs.step() {
            guard let (s, e) = clip(procs.int64(at: 1), procs.int64(at: 2)) else { continue }
            procTracks.insert(procs.int64(at: 0))
            events.append("{\"ph\":\"X\",\"pid\":2,\"tid\":\(procs.int64(at: 0)),\"name\":\"running\",\"cat\":\"proc\",\"ts\":\(us(s)),\"dur\":\(us(e - s))}")
        }
        for row in try db.rows("SELECT seq, start_ns, end_ns FROM gc_cycles WHERE run_id = ? ORDER BY start_ns", [.integer(runID)]) {
            guard case .integer(let seq) = row[0], case .integer(let a) = row[1], case .integer(let b) = row[2], let (s, e) = clip(a, b) else { continue }
            events.append("{\"ph\":\"X\",\"pid\":3,\"tid\":1,\"name\":\"GC \(seq)\",\"cat\":\"gc\",\"ts\":\(us(s)),\"dur\":\(us(e - s))}")
        }
        for row in try db.rows("SELECT reason, start_ns, end_ns FROM stw_pauses WHERE run_id = ? ORDER BY start_ns", [.integer(runID)]) {
            guard case .text(let reason) = row[0], case .integer(let a) = row[1], case .integer(let b) = row[2], let (s, e) = clip(a, b) else { continue }
            events.append("{\"ph\":\"X\",\"pid\":3,\"tid\":2,\"name\":\(quote("STW: " + reason)),\"cat\":\"stw\",\"ts\":\(us(s)),\"dur\":\(us(e - s))}")
        }
        // The window in SQL: a run of 590K tasks need not come back as rows to be clipped away.
        for row in try db.rows("""
            SELECT task_id, name, coalesce(start_ns, 0), coalesce(end_ns, ?1) FROM tasks
            WHERE run_id = ?2 AND coalesce(start_ns, 0) <= ?4 AND coalesce(end_ns, ?1) >= ?3 ORDER BY task_id
            """, [.integer(runEnd), .integer(runID), .integer(from), .integer(to)]) {
            guard case .integer(let id) = row[0], case .integer(let a) = row[2], case .integer(let b) = row[3], let (s, e) = clip(a, b) else { continue }
            let name = quote({ if case .text(let t) = row[1] { return t } else { return "" } }())
            events.append("{\"ph\":\"b\",\"pid\":5,\"tid\":1,\"name\":\(name),\"cat\":\"task\",\"id\":\(id),\"ts\":\(us(s))}")
            events.append("{\"ph\":\"e\",\"pid\":5,\"tid\":1,\"name\":\(name),\"cat\":\"task\",\"id\":\(id),\"ts\":\(us(e))}")
        }
        guard events.contains(where: { $0.hasPrefix("{\"ph\":\"X\",\"pid\":1,") }) else {
            throw ExportError("the selection holds no goroutine slices in run \(runID)")
        }
        guard selection.force || events.count <= selection.limit else {
            throw ExportError("the selection holds \(events.count) events, above the viewers' limit of \(selection.limit): narrow it with --from/--to, --function or --goroutines, or give --force")
        }
        // Track names, and the stacks as text.
        let names = tracks.keys.sorted().map { g in
            let label = keep[g].map { $0.isEmpty ? "G\(g)" : "G\(g) \($0)" } ?? "G\(g)"
            return "{\"ph\":\"M\",\"pid\":1,\"tid\":\(g),\"name\":\"thread_name\",\"args\":{\"name\":\(quote(label))}}"
        } + regionTracks.sorted().map { g in
            "{\"ph\":\"M\",\"pid\":4,\"tid\":\(g),\"name\":\"thread_name\",\"args\":{\"name\":\"G\(g) regions\"}}"
        } + procTracks.sorted().map { p in
            "{\"ph\":\"M\",\"pid\":2,\"tid\":\(p),\"name\":\"thread_name\",\"args\":{\"name\":\"P\(p)\"}}"
        } + [(1, "Goroutines"), (2, "Procs"), (3, "GC"), (4, "Regions"), (5, "Tasks")].map { pid, name in
            "{\"ph\":\"M\",\"pid\":\(pid),\"name\":\"process_name\",\"args\":{\"name\":\"\(name)\"}}"
        } + ["{\"ph\":\"M\",\"pid\":3,\"tid\":1,\"name\":\"thread_name\",\"args\":{\"name\":\"GC cycles\"}}",
             "{\"ph\":\"M\",\"pid\":3,\"tid\":2,\"name\":\"thread_name\",\"args\":{\"name\":\"STW pauses\"}}"]
        var out: [UInt8] = []
        out.reserveCapacity(events.count * 200)
        out.append(contentsOf: "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n".utf8)
        var first = true
        for event in names + events {
            if !first { out.append(contentsOf: ",\n".utf8) }
            first = false
            out.append(contentsOf: event.utf8)
        }
        out.append(contentsOf: "\n]}\n".utf8)
        return out
    }

    /// The goroutines --goroutines and --task-type keep (nil: all).
    static func allowedGoroutines(run runID: Int64, selection: Selection, on db: Database) throws -> Set<Int64>? {
        var allowed: Set<Int64>?
        if let sql = selection.goroutinesSQL {
            let statement: Statement
            do { statement = try db.prepare(sql) } catch { throw ExportError("--goroutines does not prepare: \(error)") }
            guard statement.isReadOnly else { throw ExportError("--goroutines must only read (one SELECT)") }
            guard let column = statement.columnNames.firstIndex(of: "goid") else {
                throw ExportError("--goroutines must return a goid column")
            }
            if let index = try? statement.parameterIndex(":run_id") { try statement.bind(.integer(runID), at: index) }
            var set = Set<Int64>()
            while try statement.step() { if !statement.isNull(at: Int32(column)) { set.insert(statement.int64(at: Int32(column))) } }
            allowed = set
        }
        if let taskType = selection.taskType {
            var set = Set<Int64>()
            for row in try db.rows("""
                SELECT DISTINCT goid FROM regions WHERE run_id = ?1 AND goid IS NOT NULL
                    AND task_id IN (SELECT task_id FROM tasks WHERE run_id = ?1 AND name = ?2)
                """, [.integer(runID), .text(taskType)]) {
                if case .integer(let goid) = row[0], allowed?.contains(goid) ?? true { set.insert(goid) }
            }
            allowed = set
        }
        return allowed
    }

    /// ns → µs with three decimals, exactly (no floating point).
    static func us(_ ns: Int64) -> String {
        let sign = ns < 0 ? "-" : ""
        let m = ns.magnitude
        let frac = m % 1000
        return "\(sign)\(m / 1000)." + String(repeating: "0", count: frac < 10 ? 2 : frac < 100 ? 1 : 0) + "\(frac)"
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
