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
    /// The run holds nothing but Sync events (a header-only file, or a trace that failed inside its first
    /// generation): kept, with an ingest_issues warning.
    public var holdsNoEvents = false

    public init() {}
}

public enum IssueSeverity: String, Sendable { case info, warning, error }

/// The goroutine states of goroutine_states.state (goroutine_interval_kinds.state).
public enum GoroutineStateName: String, Sendable, CaseIterable {
    case running, runnable, waiting, syscall
    case syscallBlocked = "syscall_blocked"
}

/// Writes one run into the warehouse inside one transaction: a failed or interrupted ingest leaves
/// nothing of itself behind. Stacks and frames are interned per run.
///
/// The event-to-row logic (the interval builders) calls the `insert...` methods with timestamps already
/// relative to the run's origin, then `finish` with the trace facts. The `insert...` methods queue rows;
/// a writer thread (RowPipeline) binds them to persistent prepared statements and steps them, so between
/// `init` and `finish`/`abandon` the connection belongs to the writer: do not use `db` meanwhile. A failed
/// INSERT is thrown by a later `insert...` call or by `finish`.
public final class RunWriter {
    public let db: Database
    public let runID: Int64
    public let sourcePath: String
    /// When the ingest began (the first writer's start, when the ingest had to start over).
    var startedAt = DispatchTime.now().uptimeNanoseconds
    private var finished = false

    /// Rows written to goroutines.
    public private(set) var goroutineCount: Int64 = 0
    public private(set) var rowCount: Int64 = 0

    // Interning: equal frames get one frame_id, equal frame lists one stack_id.
    private var frameIDs: [StackFrame: Int64] = [:]
    private var stackIDs: [[Int64]: Int64] = [:]
    /// Per-generation cache from the trace's own stack id to the warehouse stack id (cleared on a new
    /// generation, where the trace's ids start over). The trace numbers its stacks densely from 1, so an array
    /// indexed by the trace id (0: not seen yet, -1: no frames, else the warehouse id) serves nearly every
    /// lookup without hashing; ids beyond it fall back to a dictionary.
    private var generationStackIDs: [Int64] = []
    private var generationStackIDsLarge: [UInt64: Int64?] = [:]
    private static let denseStackIDs: UInt64 = 1 << 16

    private let pipeline: RowPipeline
    private var batch = RowBatch()
    /// Bytes of chunk data in `batch`: a batch is handed over at `batchBlobBytes` too, so the blobs in flight
    /// stay bounded whatever the row count.
    private var batchBlobBytes = 0
    private static let maxBatchBlobBytes = 4 << 20

    /// Begins the transaction (BEGIN IMMEDIATE: a concurrent ingest waits for the busy timeout) and inserts
    /// the runs row. If the file's sha256 is already present: refused, or with `replace` that run is deleted
    /// first, in the same transaction.
    public init(
        db: Database, sourcePath: String, sha256: String, sourceBytes: Int64, metadata: RunMetadata,
        replace: Bool = false
    ) throws {
        self.db = db
        self.sourcePath = sourcePath
        // A 32 MiB page cache (per connection): at 45 MB, 32/64/128/256 MiB took the same CPU time, and
        // memory grows with it. Temp storage stays on disk, so an index build's sorter spills there instead
        // of growing with the trace.
        try db.execute("PRAGMA cache_size = -32768")
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
            // A bulk load into an empty warehouse runs without the indexes whose keys arrive in random order;
            // `finish` builds them once, sorted.
            if try db.scalarInt64("SELECT count(*) FROM runs") == 0 {
                for name in Self.indexesBuiltAfterLoad {
                    try db.execute("DROP INDEX IF EXISTS \(quoteIdentifier(name))")
                }
            }

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

            let pipeline = try RowPipeline(db: db, runID: newRunID)
            self.runID = newRunID
            self.pipeline = pipeline
        } catch {
            db.rollback()
            throw error
        }
    }

    /// The indexes a bulk load into an empty warehouse drops and `finish` rebuilds. Only stack_frame_refs'
    /// lookup by frame (a few thousand rows, keys in random order). Every other index is kept up to date during
    /// the load: that work runs on the writer thread, alongside the trace reader, where a build after the load
    /// runs alone at the end. Measured on a 45 MB busy trace (6.1M goroutine_states rows, 2 cores, multi-row
    /// INSERTs), when goroutine_states still had a separate index on (run_id, goid, start_ns): maintaining it
    /// cost the writer thread 2.4 s of CPU (1.7 s once batches came sorted by goid) and the ingest ~1.4 s less
    /// wall time than sorting it after the load (2.9 s alone). goroutine_intervals is now clustered on that key
    /// (migration 0007), so the same holds for the table itself: it cannot be sorted after the load.
    /// critical_path_tasks_by_duration was built after the load too, until migration 0015 clustered
    /// critical_path_tasks on its key.
    static let indexesBuiltAfterLoad = ["stack_frame_refs_by_frame"]

    deinit {
        // Dropped without finish (an error path): nothing of the run stays.
        if !finished {
            try? pipeline.drain()
            db.rollback()
        }
    }

    /// Deletes every row of a run from every table that has a run_id column.
    public static func deleteRun(_ runID: Int64, in db: Database) throws {
        let tables = try db.rows(
            """
            SELECT m.name FROM sqlite_schema m
            WHERE m.type = 'table' AND m.sql NOT LIKE 'CREATE VIRTUAL TABLE%'
              AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'run_id')
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
        public internal(set) var timings: IngestTimings
    }

    /// Phase times so far; `finish` adds its own (the ingest fills in hashing and reading).
    public var timings = IngestTimings()

    /// Completes the runs row, builds the indexes and commits.
    public func finish(_ facts: TraceFacts) throws -> Result {
        precondition(!finished, "RunWriter.finish called twice")
        do {
            var mark = IngestTimings.now()
            // Every interval is in a chunk row before anything reads them back.
            while let open = openChunks.last { try closeIntervals(open) }
            try flush()
            try pipeline.drain()
            try rechunkReorderedGoroutines()
            try recheckProvisionalUserFrames()
            timings.drainNs = IngestTimings.now() - mark
            timings.writerCPUNs = pipeline.writerCPUNs
            mark = IngestTimings.now()
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
            timings.indexesNs = IngestTimings.now() - mark
            mark = IngestTimings.now()
            try db.commit()
            timings.commitNs = IngestTimings.now() - mark
            finished = true
            return Result(
                runID: runID, facts: facts, goroutineCount: goroutineCount, rowCount: rowCount,
                elapsedNs: DispatchTime.now().uptimeNanoseconds - startedAt, timings: timings)
        } catch {
            abandon()
            throw error
        }
    }

    /// Rolls the whole run back.
    public func abandon() {
        try? pipeline.drain()  // the writer thread must be done with the connection first
        db.rollback()
        finished = true
    }

    // MARK: Queueing rows

    /// Queues a row for the writer thread.
    @inline(__always)
    func write<Row: IngestRow>(_ row: Row) throws {
        var encoder = RowEncoder(writer: self)
        row.encode(into: &encoder)
        try queue(Row.table, encoder.values)
    }

    @inline(__always)
    private func queue(_ table: IngestTable, _ row: RowValues) throws {
        batch.append(table, row)
        rowCount += 1
        if batch.rows >= RowPipeline.rowsPerBatch { try flush() }
    }

    private func flush() throws {
        guard batch.rows > 0 else { return }
        batch.sortByGoid()
        let full = batch
        batch = RowBatch()
        batchBlobBytes = 0
        try pipeline.submit(full)
    }

    /// An interned text column (SQLITE_STATIC on the writer thread), or a copy when the table is full.
    @inline(__always)
    func text(_ value: String, into row: inout RowValues) {
        if let id = pipeline.texts.id(value) { row.text(id: id) } else { row.value(.text(value)) }
    }

    /// A text column with a handful of distinct values (state reasons and categories, metric, range and
    /// proc state names): a linear scan of the ones seen, comparing strings (equal small strings compare as
    /// two words), costs less than hashing the string for `text` on every row. Past `recentCapacity`
    /// distinct values, the rest go through `text`.
    @inline(__always)
    func frequentText(_ value: String, into row: inout RowValues) {
        for entry in recentTexts where entry.text == value {
            row.text(id: entry.id)
            return
        }
        guard let id = pipeline.texts.id(value) else { return row.value(.text(value)) }
        if recentTexts.count < Self.recentCapacity { recentTexts.append((value, id)) }
        row.text(id: id)
    }
    private var recentTexts: [(text: String, id: Int32)] = []
    private static let recentCapacity = 32

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
    public func beginGeneration() {
        generationStackIDs.removeAll(keepingCapacity: true)
        generationStackIDsLarge.removeAll(keepingCapacity: true)
    }

    /// The warehouse stack id for a trace stack, computing its frames only the first time the trace id is
    /// seen in this generation. nil for an empty stack.
    public func stackID(traceStackID: UInt64, frames: () throws -> [StackFrame]) throws -> Int64? {
        guard traceStackID < Self.denseStackIDs else {
            if let known = generationStackIDsLarge[traceStackID] { return known }
            let id = try stackID(frames: try frames())
            generationStackIDsLarge[traceStackID] = id
            return id
        }
        let slot = Int(traceStackID)
        if slot < generationStackIDs.count {
            let known = generationStackIDs[slot]
            if known > 0 { return known }
            if known < 0 { return nil }
        } else {
            generationStackIDs.append(contentsOf: repeatElement(0, count: slot + 1 - generationStackIDs.count))
        }
        let id = try stackID(frames: try frames())
        generationStackIDs[slot] = id ?? -1
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
        let userIndex = frames.firstIndex { userFrames.isUser($0) }
        if !userFrames.isSettled {
            provisionalStacks.append((id, frames, ids, userIndex.map { ids[$0] }))
            lastProvisionalStackID = id
        }
        userFrameLabelOfStack.append(userIndex.map { userFrameLabel(frames[$0]) } ?? -1)
        try write(
            StackRow(
                stackID: id, depth: Int64(ids.count), leafFrameID: ids.first, userFrameID: userIndex.map { ids[$0] },
                rootFrameID: ids.last))
        for (depth, frameID) in ids.enumerated() {
            try write(StackFrameRefRow(stackID: id, depth: Int64(depth), frameID: frameID))
        }
        return id
    }

    private func frameID(_ frame: StackFrame) throws -> Int64 {
        if let known = frameIDs[frame] { return known }
        let id = Int64(frameIDs.count + 1)
        frameIDs[frame] = id
        if !userFrames.isSettled { userFrames.learn(frame) }
        try write(
            FrameRow(
                frameID: id, pc: Int64(bitPattern: frame.pc), function: frame.function, file: frame.file,
                line: Int64(truncatingIfNeeded: frame.line)))
        return id
    }

    /// Per stack id (at index id - 1): its user frame as critical-path labels it ('function:line', the
    /// frames row's text), interned in `userFrameLabels`; -1 for none. CriticalPaths sums path time by it.
    private(set) var userFrameLabelOfStack: [Int32] = []
    private(set) var userFrameLabels: [String] = []
    private var userFrameLabelIDs: [String: Int32] = [:]
    /// The last stack decided by the provisional rule: its user frame may still change at `finish`.
    private(set) var lastProvisionalStackID: Int64 = 0

    private func userFrameLabel(_ frame: StackFrame) -> Int32 {
        let text = frame.function + ":" + String(Int64(truncatingIfNeeded: frame.line))
        if let id = userFrameLabelIDs[text] { return id }
        let id = Int32(userFrameLabels.count)
        userFrameLabels.append(text)
        userFrameLabelIDs[text] = id
        return id
    }

    /// Which frames are user code. It learns GOROOT from the runtime's frames as they arrive, so a stack
    /// interned before that was decided by a provisional rule: `provisionalStacks` keeps those, and `finish`
    /// rewrites the ones the settled rule decides differently. Usually a few stacks (the first stack with a
    /// runtime frame settles it); every stack only in a -trimpath build whose main package never shows up,
    /// one entry per distinct stack, as the interning tables have.
    private var userFrames = UserFrameRule()
    private var provisionalStacks: [(id: Int64, frames: [StackFrame], frameIDs: [Int64], userFrameID: Int64?)] = []

    /// Rewrites stacks.user_frame_id where the rule learned after a stack was interned disagrees with the
    /// provisional decision. Runs after the pipeline drained (the connection is the ingest thread's again).
    private func recheckProvisionalUserFrames() throws {
        defer { provisionalStacks = [] }
        let changed = provisionalStacks.compactMap { stack -> (Int64, Int64?)? in
            let now = stack.frames.firstIndex { userFrames.isUser($0) }.map { stack.frameIDs[$0] }
            return now == stack.userFrameID ? nil : (stack.id, now)
        }
        guard !changed.isEmpty else { return }
        let update = try db.prepare("UPDATE stacks SET user_frame_id = ? WHERE run_id = ? AND stack_id = ?")
        for (stackID, userFrameID) in changed {
            try update.bind(userFrameID, at: 1)
            try update.bind(runID, at: 2)
            try update.bind(stackID, at: 3)
            try update.executeBound()
        }
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

    /// Goroutines already written: a goid is written once (the unique index on goroutines would fail the
    /// whole ingest on a second row; a reappearing goroutine is recorded as an issue instead).
    private var writtenGoroutines = DenseIDSet()

    /// Claims a goroutine's row, which GoroutineRecords then writes with its times (one row per goroutine since
    /// migration 0015). A goid written before (a goroutine that reappears after its end, which a valid trace
    /// never has) is recorded as an ingest issue instead, and false returned.
    @discardableResult
    public func insertGoroutine(_ row: GoroutineRow) throws -> Bool {
        guard writtenGoroutines.insert(row.goid) else {
            try insertIssue(
                severity: .warning, message: "goroutine \(row.goid) reappeared after its end; its first row is kept",
                tsNs: row.createdNs)
            return false
        }
        goroutineCount += 1
        return true
    }

    /// Queues a goroutine_states row: appends it to its goroutine's open chunk (written as a
    /// goroutine_interval_chunks row when it is full, or closed by `closeIntervals`), and queues the run's
    /// goroutine_interval_kinds row for its state, reason, category, P and thread the first time that
    /// combination is seen.
    @inline(__always)
    func insertGoroutineState(
        _ chunk: OpenIntervalChunk, state: GoroutineStateName, reason: String, category: String, startNs: Int64,
        endNs: Int64, stackID: Int64?, procID: Int64?, threadID: Int64?, wakerGoid: Int64? = nil,
        wakerStackID: Int64? = nil
    ) throws {
        try insertGoroutineState(
            chunk, state: state, reasonCode: reasonCode(reason), categoryCode: categoryCode(category), startNs: startNs,
            endNs: endNs, stackID: stackID, procID: procID, threadID: threadID, wakerGoid: wakerGoid,
            wakerStackID: wakerStackID)
    }

    /// This run's small code of a reason or a category (for insertGoroutineState's codes): a caller that keeps
    /// them with its open intervals looks each string up once per interval kind, not on every row.
    func reasonCode(_ reason: String) -> Int32 { smallCode(reason, in: &reasonCodes) }
    func categoryCode(_ category: String) -> Int32 { smallCode(category, in: &categoryCodes) }

    /// insertGoroutineState with the reason and category as reasonCode/categoryCode gave them.
    func insertGoroutineState(
        _ chunk: OpenIntervalChunk, state: GoroutineStateName, reasonCode: Int32, categoryCode: Int32, startNs: Int64,
        endNs: Int64, stackID: Int64?, procID: Int64?, threadID: Int64?, wakerGoid: Int64? = nil,
        wakerStackID: Int64? = nil
    ) throws {
        let kind = try kindID(
            IntervalKind(
                state: Int32(state.index), reason: reasonCode, category: categoryCode, procID: procID ?? -1,
                threadID: threadID ?? -1))
        lastIntervalID += 1
        // interval_id only grows, so the key order (start_ns, interval_id) breaks only when the start goes back.
        if chunk.encoder.count > 0 && startNs < chunk.encoder.lastStartNs { chunk.unsorted = true }
        if let flushed = chunk.flushedLastStartNs, startNs < flushed { reorderedGoroutines.insert(chunk.goid) }
        let before = chunk.encoder.count == 0 ? 0 : chunk.encoder.bytes.count
        if chunk.encoder.count == 0 {
            chunk.openIndex = openChunks.count
            openChunks.append(chunk)
        }
        chunk.encoder.append(
            startNs: startNs, intervalID: lastIntervalID, kindID: kind, durationNs: endNs &- startNs, stackID: stackID,
            wakerGoid: wakerGoid, wakerStackID: wakerStackID)
        openChunkBytes += chunk.encoder.bytes.count - before
        if chunk.encoder.isFull {
            try closeIntervals(chunk)
        } else if openChunkBytes > Self.openChunkBudget {
            try closeLargestChunks()
        }
    }

    /// The intervals of the live goroutines not yet written (OpenIntervalChunk), and their bytes.
    private var openChunks: [OpenIntervalChunk] = []
    private var openChunkBytes = 0
    /// Past this many bytes in open chunks, the largest are written early: memory stays flat however many
    /// goroutines are alive (a few hundred bytes each on a 700K-goroutine trace).
    static let openChunkBudget = 8 << 20
    /// Goroutines given an interval that starts before one already written (a Go quirk path a valid trace never
    /// takes): their chunks are rewritten in key order at `finish`.
    private var reorderedGoroutines: Set<Int64> = []

    /// Writes the goroutine's open chunk, if it holds intervals: when it is full, when the goroutine ends, at
    /// the end of the trace, or to free memory.
    func closeIntervals(_ chunk: OpenIntervalChunk) throws {
        guard chunk.encoder.count > 0 else { return }
        var encoder = chunk.encoder
        if chunk.unsorted {
            var intervals = try IntervalChunk.decode(
                encoder.bytes, firstStartNs: encoder.firstStartNs, firstIntervalID: encoder.firstIntervalID,
                count: encoder.count)
            intervals.sort(by: IntervalChunk.Interval.keyLess)
            encoder = IntervalChunk.encode(intervals)
        }
        openChunkBytes -= chunk.encoder.bytes.count
        let last = openChunks.removeLast()
        if last !== chunk {
            openChunks[chunk.openIndex] = last
            last.openIndex = chunk.openIndex
        }
        chunk.openIndex = -1
        chunk.encoder = IntervalChunk.Encoder()
        chunk.unsorted = false
        chunk.flushedLastStartNs = max(chunk.flushedLastStartNs ?? .min, encoder.lastStartNs)
        try write(
            GoroutineIntervalChunkRow(
                goid: chunk.goid, firstStartNs: encoder.firstStartNs, firstIntervalID: encoder.firstIntervalID,
                lastEndNs: encoder.lastEndNs, intervalCount: Int64(encoder.count), data: encoder.bytes))
        batchBlobBytes += encoder.bytes.count
        if batchBlobBytes >= Self.maxBatchBlobBytes { try flush() }
    }

    /// Writes the open chunks of at least average size until half the budget is left.
    private func closeLargestChunks() throws {
        while openChunkBytes > Self.openChunkBudget / 2, !openChunks.isEmpty {
            let average = openChunkBytes / openChunks.count
            for chunk in openChunks where chunk.encoder.bytes.count >= average { try closeIntervals(chunk) }
        }
    }

    /// Rewrites the chunks of the goroutines in `reorderedGoroutines` in key order (the pipeline has drained: the
    /// connection is this thread's). A goroutine's chunks must follow each other in time (goroutine_intervals
    /// returns them in key order, and seeks by first_start_ns).
    private func rechunkReorderedGoroutines() throws {
        defer { reorderedGoroutines = [] }
        for goid in reorderedGoroutines.sorted() {
            var intervals: [IntervalChunk.Interval] = []
            let read = try db.prepare(
                """
                SELECT first_start_ns, first_interval_id, interval_count, data FROM goroutine_interval_chunks
                WHERE run_id = ? AND goid = ?
                """)
            try read.bind(runID, at: 1)
            try read.bind(goid, at: 2)
            while try read.step() {
                guard case .blob(let data) = read.value(at: 3) else { continue }
                intervals += try IntervalChunk.decode(
                    data, firstStartNs: read.int64(at: 0), firstIntervalID: read.int64(at: 1),
                    count: Int(read.int64(at: 2)))
            }
            intervals.sort(by: IntervalChunk.Interval.keyLess)
            try db.execute(
                "DELETE FROM goroutine_interval_chunks WHERE run_id = ? AND goid = ?", [.integer(runID), .integer(goid)])
            let insert = try db.prepare(
                """
                INSERT INTO goroutine_interval_chunks (run_id, goid, first_start_ns, first_interval_id, last_end_ns,
                    interval_count, data) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            var encoder = IntervalChunk.Encoder()
            func write() throws {
                guard encoder.count > 0 else { return }
                try insert.bind([
                    .integer(runID), .integer(goid), .integer(encoder.firstStartNs), .integer(encoder.firstIntervalID),
                    .integer(encoder.lastEndNs), .integer(Int64(encoder.count)), .blob(encoder.bytes),
                ])
                try insert.executeBound()
                encoder = IntervalChunk.Encoder()
            }
            for interval in intervals {
                encoder.append(interval)
                if encoder.isFull { try write() }
            }
            try write()
        }
    }

    /// The last interval_id given in this run: intervals are numbered from 1 in the order they are queued, which
    /// is the order they ended in (within a goroutine, that of their start times).
    private var lastIntervalID: Int64 = 0

    /// What goroutine_interval_kinds holds for an interval, with reason and category as indexes into
    /// `reasonCodes` and `categoryCodes`, and -1 for a NULL P or thread (the trace's ids are never negative).
    private struct IntervalKind: Hashable {
        var state: Int32
        var reason: Int32
        var category: Int32
        var procID: Int64
        var threadID: Int64
    }
    private var kindIDs: [IntervalKind: Int64] = [:]
    private var lastKind = IntervalKind(state: -1, reason: -1, category: -1, procID: -1, threadID: -1)
    private var lastKindID: Int64 = -1
    /// The reasons and categories seen in this run (a handful): a linear scan of equal small strings costs less
    /// than hashing them on every row.
    private var reasonCodes: [String] = []
    private var categoryCodes: [String] = []

    @inline(__always)
    private func smallCode(_ value: String, in codes: inout [String]) -> Int32 {
        for (i, known) in codes.enumerated() where known == value { return Int32(i) }
        codes.append(value)
        return Int32(codes.count - 1)
    }

    /// The run's kind_id of `kind`, queueing its goroutine_interval_kinds row when it is new. Ids count from 0
    /// in order of first use: the commonest kinds come early and take 0 or 1 byte in a row.
    /// A direct-mapped cache in front of `kindIDs`. A goroutine's intervals alternate between kinds (running on
    /// a P, runnable, waiting), so `lastKind` mostly misses, and hashing the key with the standard Hasher cost
    /// about 5% of a pool ingest. id -1: empty slot.
    private struct KindSlot {
        var kind: IntervalKind
        var id: Int64
    }
    private var kindCache = [KindSlot](
        repeating: KindSlot(kind: IntervalKind(state: -1, reason: -1, category: -1, procID: -1, threadID: -1), id: -1),
        count: 256)

    @inline(__always)
    private static func kindSlot(_ kind: IntervalKind) -> Int {
        var h = UInt64(UInt32(bitPattern: kind.state)) | UInt64(UInt32(bitPattern: kind.reason)) << 8
            | UInt64(UInt32(bitPattern: kind.category)) << 24
        h ^= UInt64(bitPattern: kind.procID) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(bitPattern: kind.threadID) &* 0xC2B2_AE3D_27D4_EB4F
        return Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> 56)
    }

    @inline(__always)
    private func kindID(_ kind: IntervalKind) throws -> Int64 {
        if kind == lastKind { return lastKindID }
        let slot = Self.kindSlot(kind)
        let cached = kindCache[slot]
        if cached.id >= 0 && cached.kind == kind {
            lastKind = kind
            lastKindID = cached.id
            return cached.id
        }
        let id: Int64
        if let known = kindIDs[kind] {
            id = known
        } else {
            id = Int64(kindIDs.count)
            kindIDs[kind] = id
            try write(
                GoroutineIntervalKindRow(
                    kindID: id, state: GoroutineStateName.allCases[Int(kind.state)],
                    reason: reasonCodes[Int(kind.reason)], category: categoryCodes[Int(kind.category)],
                    procID: kind.procID >= 0 ? kind.procID : nil, threadID: kind.threadID >= 0 ? kind.threadID : nil))
        }
        kindCache[slot] = KindSlot(kind: kind, id: id)
        lastKind = kind
        lastKindID = id
        return id
    }

    public func insertIssue(
        severity: IssueSeverity, message: String, byteOffset: Int64? = nil, generation: Int64? = nil,
        tsNs: Int64? = nil
    ) throws {
        try write(
            IngestIssueRow(severity: severity, byteOffset: byteOffset, generation: generation, tsNs: tsNs, message: message))
    }
}

extension GoroutineStateName {
    /// Position in allCases.
    var index: Int {
        switch self {
        case .running: 0
        case .runnable: 1
        case .waiting: 2
        case .syscall: 3
        case .syscallBlocked: 4
        }
    }
}

// MARK: Row types of the tables RunWriter fills itself: the run's stacks and frames, and its issues.

struct FrameRow: IngestRow {
    static let table = IngestTable.frames
    static let example = FrameRow(frameID: 0, pc: 0, function: "", file: "", line: 0)
    var frameID: Int64
    var pc: Int64
    var function: String
    var file: String
    var line: Int64

    @inline(__always) func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("frame_id", frameID)
        row.int("pc", pc)
        row.text("function", function, .interned)
        row.text("file", file, .interned)
        row.int("line", line)
    }
}

struct StackRow: IngestRow {
    static let table = IngestTable.stacks
    static let example = StackRow(stackID: 0, depth: 0, leafFrameID: nil, userFrameID: nil, rootFrameID: nil)
    var stackID: Int64
    var depth: Int64
    var leafFrameID: Int64?
    var userFrameID: Int64?
    var rootFrameID: Int64?

    @inline(__always) func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("stack_id", stackID)
        row.int("depth", depth)
        row.int("leaf_frame_id", leafFrameID)
        row.int("user_frame_id", userFrameID)
        row.int("root_frame_id", rootFrameID)
    }
}

struct StackFrameRefRow: IngestRow {
    static let table = IngestTable.stackFrameRefs
    static let example = StackFrameRefRow(stackID: 0, depth: 0, frameID: 0)
    var stackID: Int64
    var depth: Int64
    var frameID: Int64

    @inline(__always) func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("stack_id", stackID)
        row.int("depth", depth)
        row.int("frame_id", frameID)
    }
}

struct IngestIssueRow: IngestRow {
    static let table = IngestTable.ingestIssues
    static let example = IngestIssueRow(severity: .info, byteOffset: nil, generation: nil, tsNs: nil, message: "")
    var severity: IssueSeverity
    var byteOffset: Int64?
    var generation: Int64?
    var tsNs: Int64?
    var message: String

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.text("severity", severity.rawValue, .interned)
        row.int("byte_offset", byteOffset)
        row.int("generation", generation)
        row.int("ts_ns", tsNs)
        row.text("message", message, .unique)
    }
}
