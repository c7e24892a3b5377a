import Foundation
import GoTrace

/// An ingest failure that names the file (and the byte offset, when known). The warehouse is left as it was.
public struct IngestError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let byteOffset: Int64?
    public let message: String

    public init(path: String, byteOffset: Int64? = nil, message: String) {
        self.path = path
        self.byteOffset = byteOffset
        self.message = message
    }

    public var description: String {
        if let byteOffset { return "\(path): at byte \(byteOffset): \(message)" }
        return "\(path): \(message)"
    }
}

/// Ingesting a file whose sha256 is already in the warehouse, without --replace.
public struct DuplicateRunError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let existingRunID: Int64
    public let existingSourcePath: String

    public var description: String {
        "\(path) is already in the warehouse as run \(existingRunID) (ingested from \(existingSourcePath), same sha256); "
            + "give --replace to ingest it again"
    }
}

/// What the user says about a run at ingest time.
public struct RunMetadata: Sendable {
    public var label: String
    public var build: String
    public var tags: [(key: String, value: String)]

    public init(label: String = "", build: String = "", tags: [(key: String, value: String)] = []) {
        self.label = label
        self.build = build
        self.tags = tags
    }
}

/// What the reader learned about the trace as a whole, written into the runs row at the end.
public struct TraceFacts: Sendable {
    public var traceVersion: String = ""
    public var eventCount: Int64 = 0
    public var generationCount: Int64 = 0
    /// Trace clock at the run's origin (the first event's timestamp).
    public var clockOrigin: Int64 = 0
    /// Last event, ns since the origin.
    public var endNs: Int64 = 0
    public var wallClockStartNs: Int64? = nil
    public var truncated = false
    public var lostBytes: Int64 = 0
    public var lostStartNs: Int64? = nil
    public var lostEndNs: Int64? = nil

    public init() {}
}

public enum IssueSeverity: String, Sendable { case info, warning, error }

/// The goroutine states of goroutine_states.state.
public enum GoroutineStateName: String, Sendable {
    case running, runnable, waiting, syscall
    case syscallBlocked = "syscall_blocked"
}

/// Writes one run into the warehouse inside one transaction: a failed or interrupted ingest leaves
/// nothing of itself behind. Inserts use persistent prepared statements bound with typed values; stacks
/// and frames are interned per run.
///
/// The event-to-row logic (the interval builders) calls the `insert...` methods with timestamps already
/// relative to the run's origin, then `finish` with the trace facts.
public final class RunWriter {
    public let db: Database
    public let runID: Int64
    public let sourcePath: String
    private let startedAt = DispatchTime.now().uptimeNanoseconds
    private var finished = false

    public private(set) var goroutineCount: Int64 = 0
    public private(set) var rowCount: Int64 = 0

    // Interning: equal frames get one frame_id, equal frame lists one stack_id.
    private var frameIDs: [StackFrame: Int64] = [:]
    private var stackIDs: [[Int64]: Int64] = [:]
    /// Per-generation cache from the trace's own stack id to the warehouse stack id (cleared on a new
    /// generation, where the trace's ids start over).
    private var generationStackIDs: [UInt64: Int64?] = [:]

    private let inserts: Inserts

    /// One persistent INSERT per table; parameter 1 (run_id) stays bound.
    private struct Inserts {
        let insertFrame: Statement
        let insertStack: Statement
        let insertStackFrameRef: Statement
        let insertGoroutineStatement: Statement
        let insertGoroutineStateStatement: Statement
        let insertProcStatement: Statement
        let insertProcStateStatement: Statement
        let insertThreadStatement: Statement
        let insertGCCycleStatement: Statement
        let insertSTWStatement: Statement
        let insertRangeStatement: Statement
        let insertMetricStatement: Statement
        let insertTaskStatement: Statement
        let insertRegionStatement: Statement
        let insertLogStatement: Statement
        let insertCPUSampleStatement: Statement
        let insertIssueStatement: Statement
    }

    /// Begins the transaction (BEGIN IMMEDIATE: a concurrent ingest waits for the busy timeout) and inserts
    /// the runs row. If the file's sha256 is already present: refused, or with `replace` that run is deleted
    /// first, in the same transaction.
    public init(
        db: Database, sourcePath: String, sha256: String, sourceBytes: Int64, metadata: RunMetadata,
        replace: Bool = false
    ) throws {
        self.db = db
        self.sourcePath = sourcePath
        // A bigger page cache keeps the bulk load from spilling dirty pages to the WAL mid-transaction
        // (per-connection). Temp storage stays on disk: the index build's sorter spills there instead of
        // growing with the trace.
        try db.execute("PRAGMA cache_size = -65536")
        try db.beginTransaction(.immediate)
        do {
            let existing = try db.prepare("SELECT run_id, source_path FROM runs WHERE source_sha256 = ?")
            try existing.bind(sha256, at: 1)
            if try existing.step() {
                let id = existing.int64(at: 0)
                guard replace else {
                    throw DuplicateRunError(
                        path: sourcePath, existingRunID: id, existingSourcePath: existing.string(at: 1) ?? "")
                }
                try existing.reset()
                try RunWriter.deleteRun(id, in: db)
            }
            // A bulk load into an empty warehouse runs without indexes; `finish` builds them once.
            if try db.scalarInt64("SELECT count(*) FROM runs") == 0 { try WarehouseSchema.dropIndexes(db) }

            let run = try db.prepare(
                """
                INSERT INTO runs (label, build, trace_version, source_path, source_sha256, source_bytes, ingested_at,
                                  traceware_version)
                VALUES (?, ?, '', ?, ?, ?, '', ?)
                """)
            try run.bind(metadata.label, at: 1)
            try run.bind(metadata.build, at: 2)
            try run.bind(sourcePath, at: 3)
            try run.bind(sha256, at: 4)
            try run.bind(sourceBytes, at: 5)
            try run.bind(tracewareVersion, at: 6)
            try run.executeBound()
            let newRunID = db.lastInsertRowID

            let tag = try db.prepare("INSERT OR REPLACE INTO run_tags (run_id, key, value) VALUES (?, ?, ?)")
            for (key, value) in metadata.tags {
                try tag.bind(newRunID, at: 1)
                try tag.bind(key, at: 2)
                try tag.bind(value, at: 3)
                try tag.executeBound()
            }

            func prepare(_ table: String, _ columns: [String]) throws -> Statement {
                let names = (["run_id"] + columns).joined(separator: ", ")
                let marks = Array(repeating: "?", count: columns.count + 1).joined(separator: ", ")
                let statement = try db.prepare("INSERT INTO \(table) (\(names)) VALUES (\(marks))", persistent: true)
                try statement.bind(newRunID, at: 1)  // stays bound: every row of this writer is in this run
                return statement
            }
            let insertFrame = try prepare("frames", ["frame_id", "pc", "function", "file", "line"])
            let insertStack = try prepare(
                "stacks", ["stack_id", "depth", "leaf_frame_id", "user_frame_id", "root_frame_id"])
            let insertStackFrameRef = try prepare("stack_frame_refs", ["stack_id", "depth", "frame_id"])
            let insertGoroutineStatement = try prepare(
                "goroutines",
                ["goid", "parent_goid", "start_function", "start_pc", "is_system", "created_ns", "started_ns",
                 "ended_ns", "create_stack_id"])
            let insertGoroutineStateStatement = try prepare(
                "goroutine_states",
                ["goid", "state", "reason", "category", "start_ns", "end_ns", "stack_id", "proc_id", "thread_id",
                 "waker_goid", "waker_stack_id"])
            let insertProcStatement = try prepare("procs", ["proc_id", "first_ns", "last_ns"])
            let insertProcStateStatement = try prepare(
                "proc_states", ["proc_id", "state", "start_ns", "end_ns", "thread_id"])
            let insertThreadStatement = try prepare("threads", ["thread_id", "first_ns", "last_ns"])
            let insertGCCycleStatement = try prepare("gc_cycles", ["seq", "start_ns", "end_ns", "complete"])
            let insertSTWStatement = try prepare("stw_pauses", ["reason", "start_ns", "end_ns", "goid"])
            let insertRangeStatement = try prepare(
                "ranges", ["scope", "scope_id", "name", "start_ns", "end_ns", "goid", "start_stack_id", "complete"])
            let insertMetricStatement = try prepare("metrics", ["ts_ns", "name", "value"])
            let insertTaskStatement = try prepare(
                "tasks",
                ["task_id", "parent_task_id", "name", "start_ns", "end_ns", "start_goid", "end_goid",
                 "start_stack_id", "end_stack_id"])
            let insertRegionStatement = try prepare(
                "regions",
                ["goid", "task_id", "name", "depth", "start_ns", "end_ns", "start_stack_id", "end_stack_id"])
            let insertLogStatement = try prepare("logs", ["ts_ns", "goid", "task_id", "category", "message", "stack_id"])
            let insertCPUSampleStatement = try prepare(
                "cpu_samples", ["ts_ns", "goid", "proc_id", "thread_id", "stack_id"])
            let insertIssueStatement = try prepare(
                "ingest_issues", ["severity", "byte_offset", "generation", "ts_ns", "message"])
            self.runID = newRunID
            self.inserts = Inserts(
                insertFrame: insertFrame,
                insertStack: insertStack,
                insertStackFrameRef: insertStackFrameRef,
                insertGoroutineStatement: insertGoroutineStatement,
                insertGoroutineStateStatement: insertGoroutineStateStatement,
                insertProcStatement: insertProcStatement,
                insertProcStateStatement: insertProcStateStatement,
                insertThreadStatement: insertThreadStatement,
                insertGCCycleStatement: insertGCCycleStatement,
                insertSTWStatement: insertSTWStatement,
                insertRangeStatement: insertRangeStatement,
                insertMetricStatement: insertMetricStatement,
                insertTaskStatement: insertTaskStatement,
                insertRegionStatement: insertRegionStatement,
                insertLogStatement: insertLogStatement,
                insertCPUSampleStatement: insertCPUSampleStatement,
                insertIssueStatement: insertIssueStatement)
        } catch {
            db.rollback()
            throw error
        }
    }

    deinit {
        // Dropped without finish (an error path): nothing of the run stays.
        if !finished { db.rollback() }
    }

    /// Deletes every row of a run from every table that has a run_id column.
    public static func deleteRun(_ runID: Int64, in db: Database) throws {
        let tables = try db.rows(
            """
            SELECT m.name FROM sqlite_schema m
            WHERE m.type = 'table' AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'run_id')
            ORDER BY m.name = 'runs'
            """)
        for case .text(let table) in tables.map({ $0[0] }) {
            try db.execute("DELETE FROM \(quoteIdentifier(table)) WHERE run_id = ?", [.integer(runID)])
        }
    }

    // MARK: Finishing

    public struct Result: Sendable {
        public let runID: Int64
        public let facts: TraceFacts
        public let goroutineCount: Int64
        public let rowCount: Int64
        public let elapsedNs: UInt64
    }

    /// Completes the runs row, builds the indexes and commits.
    public func finish(_ facts: TraceFacts) throws -> Result {
        precondition(!finished, "RunWriter.finish called twice")
        do {
            goroutineCount = try db.scalarInt64("SELECT count(*) FROM goroutines WHERE run_id = ?", [.integer(runID)]) ?? 0
            let elapsed = DispatchTime.now().uptimeNanoseconds - startedAt
            let update = try db.prepare(
                """
                UPDATE runs SET trace_version = ?, event_count = ?, generation_count = ?, goroutine_count = ?,
                    end_ns = ?, clock_origin = ?, wall_clock_start_ns = ?, truncated = ?, lost_bytes = ?,
                    lost_start_ns = ?, lost_end_ns = ?, ingested_at = ?, ingest_duration_ns = ?
                WHERE run_id = ?
                """)
            try update.bind(facts.traceVersion, at: 1)
            try update.bind(facts.eventCount, at: 2)
            try update.bind(facts.generationCount, at: 3)
            try update.bind(goroutineCount, at: 4)
            try update.bind(facts.endNs, at: 5)
            try update.bind(facts.clockOrigin, at: 6)
            try update.bind(facts.wallClockStartNs, at: 7)
            try update.bind(facts.truncated, at: 8)
            try update.bind(facts.lostBytes, at: 9)
            try update.bind(facts.lostStartNs, at: 10)
            try update.bind(facts.lostEndNs, at: 11)
            try update.bind(Self.iso8601Now(), at: 12)
            try update.bind(Int64(elapsed), at: 13)
            try update.bind(runID, at: 14)
            try update.executeBound()
            try WarehouseSchema.createIndexes(db)
            try db.commit()
            finished = true
            return Result(
                runID: runID, facts: facts, goroutineCount: goroutineCount, rowCount: rowCount,
                elapsedNs: DispatchTime.now().uptimeNanoseconds - startedAt)
        } catch {
            abandon()
            throw error
        }
    }

    /// Rolls the whole run back.
    public func abandon() {
        db.rollback()
        finished = true
    }

    static func iso8601Now() -> String {
        var t = time(nil)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    // MARK: Stacks

    /// Forgets the per-generation stack cache: call when the reader starts a new generation.
    public func beginGeneration() { generationStackIDs.removeAll(keepingCapacity: true) }

    /// The warehouse stack id for a trace stack, computing its frames only the first time the trace id is
    /// seen in this generation. nil for an empty stack.
    public func stackID(traceStackID: UInt64, frames: () throws -> [StackFrame]) throws -> Int64? {
        if let known = generationStackIDs[traceStackID] { return known }
        let id = try stackID(frames: try frames())
        generationStackIDs[traceStackID] = id
        return id
    }

    /// The warehouse stack id for a frame list (leaf first), interning frames and the stack. nil if empty.
    public func stackID(frames: [StackFrame]) throws -> Int64? {
        guard !frames.isEmpty else { return nil }
        var ids: [Int64] = []
        ids.reserveCapacity(frames.count)
        for frame in frames { ids.append(try frameID(frame)) }
        if let known = stackIDs[ids] { return known }
        let id = Int64(stackIDs.count + 1)
        stackIDs[ids] = id
        let userIndex = frames.firstIndex { !StackRules.isStandardLibrary($0.function) }
        try inserts.insertStack.bind(id, at: 2)
        try inserts.insertStack.bind(Int64(ids.count), at: 3)
        try inserts.insertStack.bind(ids.first, at: 4)
        try inserts.insertStack.bind(userIndex.map { ids[$0] }, at: 5)
        try inserts.insertStack.bind(ids.last, at: 6)
        try inserts.insertStack.executeBound()
        for (depth, frameID) in ids.enumerated() {
            try inserts.insertStackFrameRef.bind(id, at: 2)
            try inserts.insertStackFrameRef.bind(Int64(depth), at: 3)
            try inserts.insertStackFrameRef.bind(frameID, at: 4)
            try inserts.insertStackFrameRef.executeBound()
        }
        rowCount += 1 + Int64(ids.count)
        return id
    }

    private func frameID(_ frame: StackFrame) throws -> Int64 {
        if let known = frameIDs[frame] { return known }
        let id = Int64(frameIDs.count + 1)
        frameIDs[frame] = id
        try inserts.insertFrame.bind(id, at: 2)
        try inserts.insertFrame.bind(Int64(bitPattern: frame.pc), at: 3)
        try inserts.insertFrame.bind(frame.function, at: 4)
        try inserts.insertFrame.bind(frame.file, at: 5)
        try inserts.insertFrame.bind(Int64(truncatingIfNeeded: frame.line), at: 6)
        try inserts.insertFrame.executeBound()
        rowCount += 1
        return id
    }

    // MARK: Rows

    public struct GoroutineRow: Sendable {
        public var goid: Int64
        public var parentGoid: Int64? = nil
        public var startFunction: String = ""
        public var startPC: Int64? = nil
        public var createdNs: Int64
        public var startedNs: Int64? = nil
        public var endedNs: Int64? = nil
        public var createStackID: Int64? = nil

        public init(goid: Int64, createdNs: Int64) {
            self.goid = goid
            self.createdNs = createdNs
        }
    }

    /// Goroutines already written: a goid is written once (the unique index on goroutines is built after
    /// the load, so the writer keeps this promise itself).
    private var writtenGoroutines = Set<Int64>()

    /// Writes a goroutine's row. A goid written before (a goroutine that reappears after its end, which a
    /// valid trace never has) is recorded as an ingest issue instead.
    public func insertGoroutine(_ row: GoroutineRow) throws {
        guard writtenGoroutines.insert(row.goid).inserted else {
            try insertIssue(
                severity: .warning, message: "goroutine \(row.goid) reappeared after its end; its first row is kept",
                tsNs: row.createdNs)
            return
        }
        let s = inserts.insertGoroutineStatement
        try s.bind(row.goid, at: 2)
        try s.bind(row.parentGoid, at: 3)
        try s.bind(row.startFunction, at: 4)
        try s.bind(row.startPC, at: 5)
        try s.bind(StackRules.isSystemGoroutine(row.startFunction), at: 6)
        try s.bind(row.createdNs, at: 7)
        try s.bind(row.startedNs, at: 8)
        try s.bind(row.endedNs, at: 9)
        try s.bind(row.createStackID, at: 10)
        try s.executeBound()
        rowCount += 1
    }

    @inline(__always)
    public func insertGoroutineState(
        goid: Int64, state: GoroutineStateName, reason: String, category: String, startNs: Int64, endNs: Int64,
        stackID: Int64?, procID: Int64?, threadID: Int64?, wakerGoid: Int64? = nil, wakerStackID: Int64? = nil
    ) throws {
        let s = inserts.insertGoroutineStateStatement
        try s.bind(goid, at: 2)
        try s.bind(state.rawValue, at: 3)
        try s.bind(reason, at: 4)
        try s.bind(category, at: 5)
        try s.bind(startNs, at: 6)
        try s.bind(endNs, at: 7)
        try s.bind(stackID, at: 8)
        try s.bind(procID, at: 9)
        try s.bind(threadID, at: 10)
        try s.bind(wakerGoid, at: 11)
        try s.bind(wakerStackID, at: 12)
        try s.executeBound()
        rowCount += 1
    }

    public func insertProc(procID: Int64, firstNs: Int64, lastNs: Int64) throws {
        try bindAndRun(inserts.insertProcStatement, [.integer(procID), .integer(firstNs), .integer(lastNs)])
    }

    public func insertProcState(procID: Int64, state: String, startNs: Int64, endNs: Int64, threadID: Int64?) throws {
        let s = inserts.insertProcStateStatement
        try s.bind(procID, at: 2)
        try s.bind(state, at: 3)
        try s.bind(startNs, at: 4)
        try s.bind(endNs, at: 5)
        try s.bind(threadID, at: 6)
        try s.executeBound()
        rowCount += 1
    }

    public func insertThread(threadID: Int64, firstNs: Int64, lastNs: Int64) throws {
        try bindAndRun(inserts.insertThreadStatement, [.integer(threadID), .integer(firstNs), .integer(lastNs)])
    }

    public func insertGCCycle(seq: Int64, startNs: Int64, endNs: Int64, complete: Bool) throws {
        try bindAndRun(
            inserts.insertGCCycleStatement, [.integer(seq), .integer(startNs), .integer(endNs), .integer(complete ? 1 : 0)])
    }

    public func insertSTWPause(reason: String, startNs: Int64, endNs: Int64, goid: Int64?) throws {
        try bindAndRun(inserts.insertSTWStatement, [.text(reason), .integer(startNs), .integer(endNs), goid.map(DatabaseValue.integer) ?? .null])
    }

    public func insertRange(
        scope: String, scopeID: Int64?, name: String, startNs: Int64, endNs: Int64, goid: Int64?,
        startStackID: Int64?, complete: Bool
    ) throws {
        let s = inserts.insertRangeStatement
        try s.bind(scope, at: 2)
        try s.bind(scopeID, at: 3)
        try s.bind(name, at: 4)
        try s.bind(startNs, at: 5)
        try s.bind(endNs, at: 6)
        try s.bind(goid, at: 7)
        try s.bind(startStackID, at: 8)
        try s.bind(complete, at: 9)
        try s.executeBound()
        rowCount += 1
    }

    public func insertMetric(tsNs: Int64, name: String, value: DatabaseValue) throws {
        try bindAndRun(inserts.insertMetricStatement, [.integer(tsNs), .text(name), value])
    }

    public struct TaskRow: Sendable {
        public var taskID: Int64
        public var parentTaskID: Int64? = nil
        public var name: String = ""
        public var startNs: Int64? = nil
        public var endNs: Int64? = nil
        public var startGoid: Int64? = nil
        public var endGoid: Int64? = nil
        public var startStackID: Int64? = nil
        public var endStackID: Int64? = nil
        public init(taskID: Int64) { self.taskID = taskID }
    }

    public func insertTask(_ row: TaskRow) throws {
        let s = inserts.insertTaskStatement
        try s.bind(row.taskID, at: 2)
        try s.bind(row.parentTaskID, at: 3)
        try s.bind(row.name, at: 4)
        try s.bind(row.startNs, at: 5)
        try s.bind(row.endNs, at: 6)
        try s.bind(row.startGoid, at: 7)
        try s.bind(row.endGoid, at: 8)
        try s.bind(row.startStackID, at: 9)
        try s.bind(row.endStackID, at: 10)
        try s.executeBound()
        rowCount += 1
    }

    public func insertRegion(
        goid: Int64, taskID: Int64?, name: String, depth: Int64, startNs: Int64?, endNs: Int64?,
        startStackID: Int64?, endStackID: Int64?
    ) throws {
        let s = inserts.insertRegionStatement
        try s.bind(goid, at: 2)
        try s.bind(taskID, at: 3)
        try s.bind(name, at: 4)
        try s.bind(depth, at: 5)
        try s.bind(startNs, at: 6)
        try s.bind(endNs, at: 7)
        try s.bind(startStackID, at: 8)
        try s.bind(endStackID, at: 9)
        try s.executeBound()
        rowCount += 1
    }

    public func insertLog(tsNs: Int64, goid: Int64?, taskID: Int64?, category: String, message: String, stackID: Int64?)
        throws
    {
        let s = inserts.insertLogStatement
        try s.bind(tsNs, at: 2)
        try s.bind(goid, at: 3)
        try s.bind(taskID, at: 4)
        try s.bind(category, at: 5)
        try s.bind(message, at: 6)
        try s.bind(stackID, at: 7)
        try s.executeBound()
        rowCount += 1
    }

    @inline(__always)
    public func insertCPUSample(tsNs: Int64, goid: Int64?, procID: Int64?, threadID: Int64?, stackID: Int64?) throws {
        let s = inserts.insertCPUSampleStatement
        try s.bind(tsNs, at: 2)
        try s.bind(goid, at: 3)
        try s.bind(procID, at: 4)
        try s.bind(threadID, at: 5)
        try s.bind(stackID, at: 6)
        try s.executeBound()
        rowCount += 1
    }

    public func insertIssue(
        severity: IssueSeverity, message: String, byteOffset: Int64? = nil, generation: Int64? = nil,
        tsNs: Int64? = nil
    ) throws {
        let s = inserts.insertIssueStatement
        try s.bind(severity.rawValue, at: 2)
        try s.bind(byteOffset, at: 3)
        try s.bind(generation, at: 4)
        try s.bind(tsNs, at: 5)
        try s.bind(message, at: 6)
        try s.executeBound()
        rowCount += 1
    }

    /// Binds values from parameter 2 on (1 is the run id) and runs: for the low-volume tables.
    private func bindAndRun(_ statement: Statement, _ values: [DatabaseValue]) throws {
        for (i, value) in values.enumerated() { try statement.bind(value, at: Int32(i + 2)) }
        try statement.executeBound()
        rowCount += 1
    }
}
