import CSQLite
import Foundation

/// The tables the ingest writes, in the order of their INSERT statements in `RowPipeline`.
enum IngestTable: Int, CaseIterable {
    case frames, stacks, stackFrameRefs, goroutines, goroutineIntervalKinds, goroutineIntervalChunks, procs, procStates
    case threads, gcCycles, stwPauses, ranges, metricNames, metricSamples, tasks, regions, logs, cpuSamples
    case ingestIssues
    case labels
    case blockingProfile
    // Migration 0005: the goroutine summaries (GoroutineSummaries.swift); goroutine_kinds (0015) took the place
    // of goroutine_times, whose times goroutine_records (.goroutines) holds.
    case goroutineKinds, goroutineGroupTotals, goroutineRangeTotals, schedWaitHistogram
    case lockWaitsByStack, goroutineGroups, schedWaitStats
    // Migration 0012: blocking_profile split by start function (BlockingProfile.swift).
    case blockingProfileFunctions
    // Migration 0010: the scope and name codes of range_spans (the ranges view).
    case rangeKinds, regionNames
    // Migration 0013: lock waits by length (GoroutineSummaries.swift).
    case lockWaitHistogram
    // Migration 0011: lock holders (LockHolders.swift) and critical paths (CriticalPaths.swift).
    case lockHolderWaits, criticalPathCauses, criticalPathTasks
    // Migration 0016: report gc's rollups (GCRollups.swift).
    case gcWorkerHistogram, metricRollups
    // Migration 0015: the type name codes of task_spans (the tasks view).
    case taskNames

    var name: String {
        switch self {
        case .frames: "frames"
        case .stacks: "stacks"
        case .stackFrameRefs: "stack_frame_refs"
        case .goroutines: "goroutine_records"
        case .goroutineIntervalKinds: "goroutine_interval_kinds"
        case .goroutineIntervalChunks: "goroutine_interval_chunks"
        case .procs: "procs"
        case .procStates: "proc_states"
        case .threads: "threads"
        case .gcCycles: "gc_cycles"
        case .stwPauses: "stw_pauses"
        case .ranges: "range_spans"
        case .metricNames: "metric_names"
        case .metricSamples: "metric_samples"
        case .tasks: "task_spans"
        case .regions: "region_spans"
        case .logs: "logs"
        case .cpuSamples: "cpu_samples"
        case .ingestIssues: "ingest_issues"
        case .labels: "labels"
        case .blockingProfile: "blocking_profile"
        case .goroutineKinds: "goroutine_kinds"
        case .goroutineGroupTotals: "goroutine_group_totals"
        case .goroutineRangeTotals: "goroutine_range_totals"
        case .schedWaitHistogram: "sched_wait_histogram"
        case .lockWaitsByStack: "lock_waits_by_stack"
        case .goroutineGroups: "goroutine_groups"
        case .schedWaitStats: "sched_wait_stats"
        case .blockingProfileFunctions: "blocking_profile_functions"
        case .rangeKinds: "range_kinds"
        case .regionNames: "region_names"
        case .lockWaitHistogram: "lock_wait_histogram"
        case .lockHolderWaits: "lock_holder_waits"
        case .criticalPathCauses: "critical_path_causes"
        case .criticalPathTasks: "critical_path_tasks"
        case .gcWorkerHistogram: "gc_worker_histogram"
        case .metricRollups: "metric_rollups"
        case .taskNames: "task_names"
        }
    }

    /// The row type of each table (IngestRow): its columns, and what the ingest writes into them.
    var rowType: any IngestRow.Type {
        switch self {
        case .frames: FrameRow.self
        case .stacks: StackRow.self
        case .stackFrameRefs: StackFrameRefRow.self
        case .goroutines: GoroutineRecordRow.self
        case .goroutineIntervalKinds: GoroutineIntervalKindRow.self
        case .goroutineIntervalChunks: GoroutineIntervalChunkRow.self
        case .procs: ProcRow.self
        case .procStates: ProcStateRow.self
        case .threads: ThreadRow.self
        case .gcCycles: GCCycleRow.self
        case .stwPauses: STWPauseRow.self
        case .ranges: RangeRow.self
        case .metricNames: MetricNameRow.self
        case .metricSamples: MetricSampleRow.self
        case .tasks: RunWriter.TaskRow.self
        case .regions: RegionRow.self
        case .logs: LogRow.self
        case .cpuSamples: CPUSampleRow.self
        case .ingestIssues: IngestIssueRow.self
        case .labels: LabelRow.self
        case .blockingProfile: BlockingProfileRow.self
        case .goroutineKinds: GoroutineKindRow.self
        case .goroutineGroupTotals: GoroutineGroupTotalRow.self
        case .goroutineRangeTotals: GoroutineRangeTotalRow.self
        case .schedWaitHistogram: SchedWaitHistogramRow.self
        case .lockWaitsByStack: LockWaitsByStackRow.self
        case .goroutineGroups: GoroutineGroupRow.self
        case .schedWaitStats: SchedWaitStatsRow.self
        case .blockingProfileFunctions: BlockingProfileFunctionRow.self
        case .rangeKinds: RangeKindRow.self
        case .regionNames: RegionNameRow.self
        case .lockWaitHistogram: LockWaitHistogramRow.self
        case .lockHolderWaits: LockHolderWaitRow.self
        case .criticalPathCauses: CriticalPathCauseRow.self
        case .criticalPathTasks: CriticalPathTaskRow.self
        case .gcWorkerHistogram: GCWorkerHistogramRow.self
        case .metricRollups: MetricRollupRow.self
        case .taskNames: TaskNameRow.self
        }
    }

    /// Each table's columns after run_id (from its row type), by rawValue.
    static let columnLists: [[IngestColumn]] = allCases.map { $0.rowType.columns }

    /// `columns.count` of each table, by rawValue.
    static let columnCounts = columnLists.map(\.count)

    /// The columns after run_id, in parameter order (parameter 1 is run_id).
    var columns: [String] { Self.columnLists[rawValue].map(\.name) }
}

/// Strings the ingest binds again and again (state names, reasons, categories, metric and range names, frame
/// functions and files), copied once into C buffers that live as long as the run's writer, so every later bind
/// is an id lookup and a SQLITE_STATIC bind: no copy, no malloc/free inside SQLite per row.
///
/// The buffers are only ever appended to, at fixed addresses: the writer thread reads entries the ingest thread
/// published before handing it the batch that refers to them. Bounded: past `capacity` distinct strings, a
/// string is bound as a one-off copy instead, so memory does not grow with the trace.
final class InternedTexts: @unchecked Sendable {
    static let capacity = 1 << 16
    private var ids: [String: Int32] = [:]
    private let entries: UnsafeMutablePointer<(pointer: UnsafeMutablePointer<CChar>, count: Int32)>
    private(set) var count = 0

    init() {
        entries = .allocate(capacity: Self.capacity)
    }

    deinit {
        for i in 0..<count { free(entries[i].pointer) }
        entries.deallocate()
    }

    /// The id of `text`, interning it; nil when the table is full.
    @inline(__always)
    func id(_ text: String) -> Int32? {
        if let id = ids[text] { return id }
        guard count < Self.capacity, let id = add(text) else { return nil }
        ids[text] = id
        return id
    }

    private func add(_ text: String) -> Int32? {
        var text = text
        let length = text.utf8.count
        guard length < Int(Int32.max), let buffer = malloc(length + 1)?.assumingMemoryBound(to: CChar.self) else {
            return nil
        }
        text.withUTF8 { utf8 in
            if let base = utf8.baseAddress { memcpy(buffer, base, length) }
        }
        buffer[length] = 0
        entries[count] = (buffer, Int32(length))
        count += 1
        return Int32(count - 1)
    }

    @inline(__always)
    func entry(_ id: Int) -> (pointer: UnsafeMutablePointer<CChar>, count: Int32) { entries[id] }
}

/// The values of one row, built on the stack: up to 16 columns after run_id. Integers go in slots; a NULL,
/// an interned text or a value kept aside (`RowBatch.values`) is marked in the header.
struct RowValues {
    static let maxColumns = 16
    fileprivate var slots: (Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64,
        Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    fileprivate var count = 0
    fileprivate var nulls: UInt64 = 0
    fileprivate var interned: UInt64 = 0
    fileprivate var asideMask: UInt64 = 0
    fileprivate var aside: [DatabaseValue] = []

    @inline(__always) private mutating func put(_ value: Int64) {
        let index = count
        withUnsafeMutableBytes(of: &slots) { $0.storeBytes(of: value, toByteOffset: index &* 8, as: Int64.self) }
        count &+= 1
    }

    @inline(__always) mutating func int(_ value: Int64) { put(value) }

    @inline(__always) mutating func int(_ value: Int64?) {
        if let value { put(value) } else { null() }
    }

    @inline(__always) mutating func bool(_ value: Bool) { put(value ? 1 : 0) }

    @inline(__always) mutating func null() {
        nulls |= 1 << UInt64(count)
        put(0)
    }

    /// A text from the interned table (SQLITE_STATIC).
    @inline(__always) mutating func text(id: Int32) {
        interned |= 1 << UInt64(count)
        put(Int64(id))
    }

    /// Any other value: kept aside in the batch and bound as a copy.
    mutating func value(_ value: DatabaseValue) {
        if case .null = value { return null() }
        if case .integer(let v) = value { return put(v) }
        asideMask |= 1 << UInt64(count)
        put(Int64(aside.count))  // index in `aside`, renumbered within the batch by RowBatch.append
        aside.append(value)
    }
}

/// Rows queued for the writer thread, grouped by table (the writer inserts each table's rows in runs, with
/// multi-row statements). Per row: a header (NULL mask, interned-text mask, aside mask) and one slot per
/// column; values that are neither integers nor interned texts live in `values`. Within a table the rows keep
/// their order, so rowids follow the order the ingest produced them in.
struct RowBatch: Sendable {
    fileprivate var slots: [[Int64]] = Array(repeating: [], count: IngestTable.allCases.count)
    fileprivate var values: [DatabaseValue] = []
    /// Per table: the order to insert its rows in (indexes into its rows), when `sortByGoid` ordered it;
    /// empty for the order they came in.
    fileprivate var order: [[Int32]] = Array(repeating: [], count: IngestTable.allCases.count)
    private(set) var rows = 0

    init() {}

    @inline(__always)
    mutating func append(_ table: IngestTable, _ row: RowValues) {
        let t = table.rawValue
        // A RunWriter insert method that disagrees with `IngestTable.columns` would shift every later value.
        assert(row.count == IngestTable.columnCounts[t], "\(table.name): \(row.count) values for its columns")
        // header: NULL mask in bits 0-15, interned-text mask in 16-31, aside mask in 32-47
        slots[t].append(Int64(bitPattern: row.nulls | row.interned << 16 | row.asideMask << 32))
        withUnsafeBytes(of: row.slots) { raw in
            let typed = raw.bindMemory(to: Int64.self)
            for i in 0..<row.count { slots[t].append(typed[i]) }
        }
        if row.asideMask != 0 {
            // Aside values are numbered within the row; renumber them within the batch.
            let base = Int64(values.count)
            let first = slots[t].count - row.count
            for i in 0..<row.count where row.asideMask & (1 << UInt64(i)) != 0 { slots[t][first + i] &+= base }
            values.append(contentsOf: row.aside)
        }
        rows += 1
    }

    /// Orders the batch's goroutine_interval_chunks rows by goid, keeping each goroutine's rows in the order
    /// they came (by start time), so the writer inserts them in the table's key order (run_id, goid,
    /// first_start_ns, first_interval_id): each goroutine's rows then land on neighbouring pages instead of all
    /// over the tree (measured when each interval was a row, at 45 MB: ~0.75 s less of the writer thread's CPU).
    /// The goroutine_records rows (written as goroutines end) likewise, for their key (run_id, goid).
    mutating func sortByGoid() {
        for table in [IngestTable.goroutineIntervalChunks, .goroutines] {
            // goid is the first column of both
            let width = table.columns.count + 1
            let count = slots[table.rawValue].count / width
            guard count > 1 else { continue }
            var keys: [(goid: Int64, row: Int32)] = []
            keys.reserveCapacity(count)
            slots[table.rawValue].withUnsafeBufferPointer { slots in
                for row in 0..<count { keys.append((slots[row * width + 1], Int32(row))) }
            }
            keys.sort { $0.goid != $1.goid ? $0.goid < $1.goid : $0.row < $1.row }
            order[table.rawValue] = keys.map(\.row)
        }
    }
}

/// Executes the ingest's INSERTs on a writer thread while the ingest thread reads the trace and builds the
/// next batch: the trace reader and SQLite each get a core. The connection is used by one thread at a time
/// (the ingest thread hands it over with the first batch and takes it back in `drain`), as SQLite's
/// multi-thread mode requires.
final class RowPipeline: @unchecked Sendable {
    /// Rows per batch handed to the writer: bigger batches give `RowBatch.sortByGoid` longer runs
    /// to sort (writer thread CPU at 45 MB: 5.9 s with 8192, 5.6 s with 32768, 5.5 s with 65536 for 10 MB
    /// more memory per batch in flight).
    static let rowsPerBatch = 32768

    /// Per table: the one-row INSERT, and the INSERT of `rowsPerStatement` rows (one VALUES tuple each).
    private let single: [Statement]
    private let multi: [Statement]
    let texts = InternedTexts()

    /// Rows per multi-row INSERT. Each execution of an INSERT opens its cursors and seeks the table and every
    /// index from the root; one statement for many rows does that once and then appends. Measured at 45 MB
    /// (scripts/bench/bench-ingest.sh): see README's Performance section.
    static let rowsPerStatement = 64

    /// CPU time the writer thread spent binding and stepping. Read it after `drain`.
    private(set) var writerCPUNs: UInt64 = 0

    private let queue = DispatchQueue(label: "traceware.ingest.rows")
    /// Batches handed over and not yet written: at most two, so memory stays bounded however fast the reader is.
    private let inFlight = DispatchSemaphore(value: 2)
    private let lock = NSLock()
    private var failure: (any Error)?

    init(db: Database, runID: Int64) throws {
        var single: [Statement] = []
        var multi: [Statement] = []
        for table in IngestTable.allCases {
            let columns = table.columns
            precondition(columns.count <= RowValues.maxColumns)
            let names = (["run_id"] + columns).joined(separator: ", ")
            // ?1 is the run id, shared by every tuple; row r's columns are ?(2 + r*columns) and on.
            func tuple(_ r: Int) -> String {
                "(?1, " + (0..<columns.count).map { "?\(2 + r * columns.count + $0)" }.joined(separator: ", ") + ")"
            }
            // OR FAIL: a multi-row INSERT that may abort halfway (the default ABORT) makes SQLite keep a
            // statement journal, which wrote each touched 64 KiB page to a temp file (1.6M pwrite calls at
            // 45 MB, 3x the system time). FAIL keeps the rows before a failing one, and any failure rolls
            // back the whole run anyway.
            let insert = "INSERT OR FAIL INTO \(table.name) (\(names)) VALUES "
            let one = try db.prepare(insert + tuple(0), persistent: true)
            let many = try db.prepare(
                insert + (0..<Self.rowsPerStatement).map(tuple).joined(separator: ", "), persistent: true)
            for statement in [one, many] {
                try statement.bind(runID, at: 1)  // stays bound: every row of this pipeline is in this run
            }
            single.append(one)
            multi.append(many)
        }
        self.single = single
        self.multi = multi
    }

    /// Hands a batch to the writer thread. Throws the writer's error, if an earlier batch failed.
    func submit(_ batch: RowBatch) throws {
        try checkFailure()
        inFlight.wait()
        queue.async { [self] in
            if !hasFailed {
                do { try write(batch) } catch { setFailure(error) }
            }
            inFlight.signal()
        }
    }

    /// Waits until every batch handed over is written; the connection is the caller's again. Throws the
    /// first write error.
    func drain() throws {
        queue.sync {}
        try checkFailure()
    }

    private var hasFailed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return failure != nil
    }

    private func setFailure(_ error: any Error) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }

    private func checkFailure() throws {
        lock.lock()
        let error = failure
        lock.unlock()
        if let error { throw error }
    }

    /// Binds and steps every row of the batch (on the writer thread): per table, `rowsPerStatement` rows at a
    /// time through the multi-row INSERT, the rest one by one.
    private func write(_ batch: RowBatch) throws {
        let started = IngestTimings.threadCPUNanoseconds()
        defer { writerCPUNs &+= IngestTimings.threadCPUNanoseconds() &- started }
        for table in 0..<batch.slots.count where !batch.slots[table].isEmpty {
            let columns = IngestTable.columnCounts[table]
            try batch.slots[table].withUnsafeBufferPointer { slots in
                guard slots.count % (columns + 1) == 0 else {
                    throw DatabaseError(code: SQLITE_MISUSE, message: "bad row batch", sql: single[table].sql)
                }
                let rows = slots.count / (columns + 1)
                let order = batch.order[table]
                guard order.isEmpty || order.count == rows else {
                    throw DatabaseError(code: SQLITE_MISUSE, message: "bad row batch", sql: single[table].sql)
                }
                var row = 0
                while row < rows {
                    let count = rows - row >= Self.rowsPerStatement ? Self.rowsPerStatement : 1
                    let statement = count == 1 ? single[table] : multi[table]
                    for r in 0..<count {
                        let next = order.isEmpty ? row + r : Int(order[row + r])
                        try bind(
                            slots, from: next * (columns + 1), columns: columns, values: batch.values,
                            to: statement, at: Int32(2 + r * columns))
                    }
                    try statement.executeBound()
                    row += count
                }
            }
        }
    }

    /// Binds one row (its header at `from`) to parameters `at`, `at + 1`, ...
    @inline(__always)
    private func bind(
        _ slots: UnsafeBufferPointer<Int64>, from: Int, columns: Int, values: [DatabaseValue], to statement: Statement,
        at first: Int32
    ) throws {
        let handle = statement.handle
        let header = UInt64(bitPattern: slots[from])
        let nulls = header & 0xFFFF
        let interned = (header >> 16) & 0xFFFF
        let aside = (header >> 32) & 0xFFFF
        for c in 0..<columns {
            let v = slots[from + 1 + c]
            let index = first + Int32(c)
            let bit: UInt64 = 1 << UInt64(c)
            let code: Int32
            if nulls & bit != 0 {
                code = sqlite3_bind_null(handle, index)
            } else if interned & bit != 0 {
                let text = texts.entry(Int(v))
                code = sqlite3_bind_text(handle, index, text.pointer, text.count, nil)  // nil: SQLITE_STATIC
            } else if aside & bit != 0 {
                guard v >= 0 && v < values.count else {
                    throw DatabaseError(code: SQLITE_MISUSE, message: "bad row batch", sql: statement.sql)
                }
                try statement.bind(values[Int(v)], at: index)
                code = SQLITE_OK
            } else {
                code = sqlite3_bind_int64(handle, index, v)
            }
            if code != SQLITE_OK { throw DatabaseError(handle: statement.database.handle, code: code, sql: statement.sql) }
        }
    }
}
