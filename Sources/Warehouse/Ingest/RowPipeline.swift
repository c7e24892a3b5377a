import CSQLite
import Foundation

/// The tables the ingest writes, in the order of their INSERT statements in `RowPipeline`.
enum IngestTable: Int, CaseIterable {
    case frames, stacks, stackFrameRefs, goroutines, goroutineStates, procs, procStates, threads, gcCycles
    case stwPauses, ranges, metrics, tasks, regions, logs, cpuSamples, ingestIssues

    var name: String {
        switch self {
        case .frames: "frames"
        case .stacks: "stacks"
        case .stackFrameRefs: "stack_frame_refs"
        case .goroutines: "goroutines"
        case .goroutineStates: "goroutine_states"
        case .procs: "procs"
        case .procStates: "proc_states"
        case .threads: "threads"
        case .gcCycles: "gc_cycles"
        case .stwPauses: "stw_pauses"
        case .ranges: "ranges"
        case .metrics: "metrics"
        case .tasks: "tasks"
        case .regions: "regions"
        case .logs: "logs"
        case .cpuSamples: "cpu_samples"
        case .ingestIssues: "ingest_issues"
        }
    }

    /// The columns after run_id, in parameter order (parameter 1 is run_id).
    var columns: [String] {
        switch self {
        case .frames: ["frame_id", "pc", "function", "file", "line"]
        case .stacks: ["stack_id", "depth", "leaf_frame_id", "user_frame_id", "root_frame_id"]
        case .stackFrameRefs: ["stack_id", "depth", "frame_id"]
        case .goroutines:
            ["goid", "parent_goid", "start_function", "start_pc", "is_system", "created_ns", "started_ns", "ended_ns",
             "create_stack_id"]
        case .goroutineStates:
            ["goid", "state", "reason", "category", "start_ns", "end_ns", "stack_id", "proc_id", "thread_id",
             "waker_goid", "waker_stack_id"]
        case .procs: ["proc_id", "first_ns", "last_ns"]
        case .procStates: ["proc_id", "state", "start_ns", "end_ns", "thread_id"]
        case .threads: ["thread_id", "first_ns", "last_ns"]
        case .gcCycles: ["seq", "start_ns", "end_ns", "complete"]
        case .stwPauses: ["reason", "start_ns", "end_ns", "goid"]
        case .ranges: ["scope", "scope_id", "name", "start_ns", "end_ns", "goid", "start_stack_id", "complete"]
        case .metrics: ["ts_ns", "name", "value"]
        case .tasks:
            ["task_id", "parent_task_id", "name", "start_ns", "end_ns", "start_goid", "end_goid", "start_stack_id",
             "end_stack_id"]
        case .regions: ["goid", "task_id", "name", "depth", "start_ns", "end_ns", "start_stack_id", "end_stack_id"]
        case .logs: ["ts_ns", "goid", "task_id", "category", "message", "stack_id"]
        case .cpuSamples: ["ts_ns", "goid", "proc_id", "thread_id", "stack_id"]
        case .ingestIssues: ["severity", "byte_offset", "generation", "ts_ns", "message"]
        }
    }
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

/// Rows queued for the writer thread. Per row: a header (table, NULL mask, interned-text mask, aside mask) and
/// one slot per column; values that are neither integers nor interned texts live in `values`.
struct RowBatch: Sendable {
    fileprivate var slots: [Int64] = []
    fileprivate var values: [DatabaseValue] = []
    private(set) var rows = 0

    /// Room for `rows` rows of the widest shape (goroutine_states: a header and 11 columns).
    init(reservingRows rows: Int) { slots.reserveCapacity(rows * 12) }

    @inline(__always)
    mutating func append(_ table: IngestTable, _ row: RowValues) {
        // header: table in bits 0-7, NULL mask in 8-23, interned-text mask in 24-39, aside mask in 40-55
        slots.append(
            Int64(table.rawValue) | Int64(bitPattern: row.nulls << 8 | row.interned << 24 | row.asideMask << 40))
        withUnsafeBytes(of: row.slots) { raw in
            let typed = raw.bindMemory(to: Int64.self)
            for i in 0..<row.count { slots.append(typed[i]) }
        }
        if row.asideMask != 0 {
            // Aside values are numbered within the row; renumber them within the batch.
            let base = Int64(values.count)
            let first = slots.count - row.count
            for i in 0..<row.count where row.asideMask & (1 << UInt64(i)) != 0 { slots[first + i] &+= base }
            values.append(contentsOf: row.aside)
        }
        rows += 1
    }
}

/// Executes the ingest's INSERTs on a writer thread while the ingest thread reads the trace and builds the
/// next batch: the trace reader and SQLite each get a core. The connection is used by one thread at a time
/// (the ingest thread hands it over with the first batch and takes it back in `drain`), as SQLite's
/// multi-thread mode requires.
final class RowPipeline: @unchecked Sendable {
    static let rowsPerBatch = 8192

    private let statements: [Statement]
    private let columnCounts: [Int]
    let texts = InternedTexts()

    private let queue = DispatchQueue(label: "traceware.ingest.rows")
    /// Batches handed over and not yet written: at most two, so memory stays bounded however fast the reader is.
    private let inFlight = DispatchSemaphore(value: 2)
    private let lock = NSLock()
    private var failure: (any Error)?

    init(db: Database, runID: Int64) throws {
        var statements: [Statement] = []
        var counts: [Int] = []
        for table in IngestTable.allCases {
            let columns = table.columns
            precondition(columns.count <= RowValues.maxColumns)
            let names = (["run_id"] + columns).joined(separator: ", ")
            let marks = Array(repeating: "?", count: columns.count + 1).joined(separator: ", ")
            let statement = try db.prepare("INSERT INTO \(table.name) (\(names)) VALUES (\(marks))", persistent: true)
            try statement.bind(runID, at: 1)  // stays bound: every row of this pipeline is in this run
            statements.append(statement)
            counts.append(columns.count)
        }
        self.statements = statements
        self.columnCounts = counts
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

    /// Binds and steps every row of the batch (on the writer thread).
    private func write(_ batch: RowBatch) throws {
        try batch.slots.withUnsafeBufferPointer { slots in
            var i = 0
            while i < slots.count {
                let header = UInt64(bitPattern: slots[i])
                let table = Int(header & 0xFF)
                let nulls = (header >> 8) & 0xFFFF
                let interned = (header >> 24) & 0xFFFF
                let aside = (header >> 40) & 0xFFFF
                guard table < statements.count else { throw DatabaseError(code: SQLITE_MISUSE, message: "bad row batch") }
                let statement = statements[table]
                let handle = statement.handle
                let columns = columnCounts[table]
                guard i + columns < slots.count else {
                    throw DatabaseError(code: SQLITE_MISUSE, message: "bad row batch", sql: statement.sql)
                }
                for c in 0..<columns {
                    let v = slots[i + 1 + c]
                    let index = Int32(c + 2)
                    let bit: UInt64 = 1 << UInt64(c)
                    let code: Int32
                    if nulls & bit != 0 {
                        code = sqlite3_bind_null(handle, index)
                    } else if interned & bit != 0 {
                        let text = texts.entry(Int(v))
                        code = sqlite3_bind_text(handle, index, text.pointer, text.count, nil)  // nil: SQLITE_STATIC
                    } else if aside & bit != 0 {
                        guard v >= 0 && v < batch.values.count else {
                            throw DatabaseError(code: SQLITE_MISUSE, message: "bad row batch", sql: statement.sql)
                        }
                        try statement.bind(batch.values[Int(v)], at: index)
                        code = SQLITE_OK
                    } else {
                        code = sqlite3_bind_int64(handle, index, v)
                    }
                    if code != SQLITE_OK { throw DatabaseError(handle: statement.database.handle, code: code, sql: statement.sql) }
                }
                try statement.executeBound()
                i += 1 + columns
            }
        }
    }
}
