import CSQLite

/// The virtual table module behind `goroutine_intervals` (migration 0014): a read-only table with the columns
/// goroutine_intervals had as a WITHOUT ROWID table, read from `goroutine_interval_chunks`, where the ingest
/// stores each goroutine's intervals as encoded chunks (IntervalChunk). Registered on every connection
/// traceware opens (Database.init, next to the SQL functions): a plain sqlite3 shell has no such module and
/// cannot read goroutine_intervals or the goroutine_states view.
///
/// Plans (xBestIndex): run_id = and goid = (an IN list becomes one xFilter per value) select the chunks by
/// key; a start_ns bound prunes chunks by first_start_ns and last_end_ns. Rows come out in key order (run_id, goid, start_ns,
/// interval_id), so an ORDER BY on a prefix of that is consumed. Every constraint is left for SQLite to check
/// again (omit = 0): the chunk selection is a superset, whatever type the bound values have.
enum IntervalsModule {
    static let name = "traceware_goroutine_intervals"

    /// The columns, as goroutine_intervals had them (their docs are in Schema/0014).
    static let declaration = """
        CREATE TABLE x(run_id INTEGER NOT NULL, goid INTEGER NOT NULL, start_ns INTEGER NOT NULL,
            interval_id INTEGER NOT NULL, kind_id INTEGER NOT NULL, duration_ns INTEGER NOT NULL, stack_id INTEGER,
            waker_goid INTEGER, waker_stack_id INTEGER)
        """

    enum Column: Int32 {
        case runID = 0, goid, startNs, intervalID, kindID, durationNs, stackID, wakerGoid, wakerStackID
    }

    /// idxNum bits: which constraints xFilter gets, in this order in argv.
    struct Plan: OptionSet {
        let rawValue: Int32
        static let run = Plan(rawValue: 1)
        static let goid = Plan(rawValue: 2)
        static let lower = Plan(rawValue: 4)
        static let upper = Plan(rawValue: 8)
        /// start_ns = value: one argument, both bounds.
        static let startEquals = Plan(rawValue: 16)
        /// The lower bound is start_ns > value (else >=), the upper start_ns < value (else <=).
        static let lowerStrict = Plan(rawValue: 32)
        static let upperStrict = Plan(rawValue: 64)
        /// Rows in descending key order (an ORDER BY ... DESC on the key, consumed).
        static let descending = Plan(rawValue: 128)
    }

    /// Kept for the life of the process: SQLite holds a pointer to the module.
    nonisolated(unsafe) private static let module: UnsafeMutablePointer<sqlite3_module> = {
        let m = UnsafeMutablePointer<sqlite3_module>.allocate(capacity: 1)
        m.initialize(to: sqlite3_module())
        m.pointee.iVersion = 1
        m.pointee.xCreate = connect
        m.pointee.xConnect = connect
        m.pointee.xBestIndex = bestIndex
        m.pointee.xDisconnect = disconnect
        m.pointee.xDestroy = disconnect
        m.pointee.xOpen = open
        m.pointee.xClose = close
        m.pointee.xFilter = filter
        m.pointee.xNext = next
        m.pointee.xEof = eof
        m.pointee.xColumn = column
        m.pointee.xRowid = rowid
        // No xUpdate: the table is read-only ("table goroutine_intervals may not be modified").
        return m
    }()

    /// Registers the module, and the aggregate migration 0014 builds chunks with.
    static func register(on db: OpaquePointer) -> Int32 {
        let code = sqlite3_create_module_v2(db, name, module, nil, nil)
        guard code == SQLITE_OK else { return code }
        return sqlite3_create_function_v2(
            db, chunkFunction, 7, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nil, nil, chunkStep, chunkFinal,
            nil)
    }

    /// `goroutine_interval_chunk(start_ns, interval_id, kind_id, duration_ns, stack_id, waker_goid,
    /// waker_stack_id)`: the rows of a group (one goroutine's, at most IntervalChunk.maxIntervals) as one chunk's
    /// data, in key order whatever order they came in. Its first_start_ns and first_interval_id are those of the
    /// group's smallest (start_ns, interval_id).
    static let chunkFunction = "goroutine_interval_chunk"

    /// The chunk query for a plan. ?1 run_id, ?2 goid, ?3 lower bound, ?4 upper bound of start_ns.
    /// `schema`: the database the virtual table is in ("main", or an attached one's name): its own chunks.
    static func chunkSQL(_ plan: Plan, schema: String) -> String {
        let chunks = quoteIdentifier(schema) + ".goroutine_interval_chunks"
        var conditions: [String] = []
        if plan.contains(.run) { conditions.append("run_id = ?1") }
        if plan.contains(.goid) { conditions.append("goid = ?2") }
        if plan.contains(.lower) || plan.contains(.startEquals) {
            // An interval starting at or after the bound ends at or after it (last_end_ns: the chunk's largest
            // start or end).
            // Not a seek to the last chunk that begins before the bound (a goroutine's chunks follow each other
            // in time): that second key lookup per xFilter made a time window driven from the 714K goroutines
            // of a busy run 3x slower (1.03 s of CPU against 0.30 s before 0014), while reading the key columns
            // of a goroutine's earlier chunks costs little (4.4M intervals are 4,300 chunks).
            conditions.append("last_end_ns >= ?3")
        }
        if plan.contains(.startEquals) { conditions.append("first_start_ns <= ?3") }
        if plan.contains(.upper) { conditions.append("first_start_ns <= ?4") }
        return "SELECT run_id, goid, first_start_ns, first_interval_id, interval_count, data "
            + "FROM \(chunks)"
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + (plan.contains(.descending)
                ? " ORDER BY run_id DESC, goid DESC, first_start_ns DESC, first_interval_id DESC"
                : " ORDER BY run_id, goid, first_start_ns, first_interval_id")
    }
}

/// One connection's goroutine_intervals.
private final class IntervalsTable {
    let db: OpaquePointer
    let schema: String
    /// Chunk queries of closed cursors, by plan, for the next cursor: a correlated subquery over
    /// goroutine_intervals opens and closes a cursor each time it runs (critical-path's probe per step, an
    /// export's per-goroutine lookup), and preparing its chunk query each time was most of the cost (a region-
    /// windowed profile of a service run: 473K prepares, 30 s of CPU in SQLite's parser).
    private var spare: [Int32: [OpaquePointer]] = [:]
    init(db: OpaquePointer, schema: String) {
        self.db = db
        self.schema = schema
    }

    func take(_ plan: Int32) -> OpaquePointer? { spare[plan]?.popLast() }

    func give(_ plan: Int32, _ statement: OpaquePointer) {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        // A handful per plan covers nested cursors; beyond that, finalize.
        if spare[plan, default: []].count < 4 { spare[plan, default: []].append(statement) } else { sqlite3_finalize(statement) }
    }

    /// Finalizes the spare statements (xDisconnect: before sqlite3_close checks for unfinalized statements).
    func finalizeSpares() {
        for statements in spare.values { for statement in statements { sqlite3_finalize(statement) } }
        spare = [:]
    }
}

private final class IntervalsCursor {
    let table: UnsafeMutablePointer<traceware_vtab>
    let db: OpaquePointer
    let schema: String
    /// The C cursor: position, run, goroutine and end flag live there (see shim.h).
    var c: UnsafeMutablePointer<traceware_vtab_cursor>!
    /// The chunk query of each plan this cursor ran (a join calls xFilter once per outer row).
    var statements: [Int32: OpaquePointer] = [:]
    var current: OpaquePointer?
    /// The current chunk, decoded; `c.rows` points to `rows`, a copy at a fixed address.
    var intervals: [IntervalChunk.Interval] = []
    private var rows: UnsafeMutablePointer<IntervalChunk.Interval>?
    private var rowsCapacity = 0
    var position: Int {
        get { Int(c.pointee.position) }
        set { c.pointee.position = Int64(newValue) }
    }
    var runID: Int64 {
        get { c.pointee.run_id }
        set { c.pointee.run_id = newValue }
    }
    var goid: Int64 {
        get { c.pointee.goid }
        set { c.pointee.goid = newValue }
    }
    var atEnd: Bool {
        get { c.pointee.at_end != 0 }
        set { c.pointee.at_end = newValue ? 1 : 0 }
    }

    /// Publishes `intervals` to the C cursor.
    func publish() {
        if intervals.count > rowsCapacity {
            rows?.deallocate()
            rowsCapacity = max(intervals.count, 1024)
            rows = .allocate(capacity: rowsCapacity)
        }
        if let rows {
            intervals.withUnsafeBufferPointer { buffer in
                if let base = buffer.baseAddress { rows.update(from: base, count: buffer.count) }
            }
        }
        c.pointee.rows = UnsafeRawPointer(rows)
        c.pointee.count = Int64(intervals.count)
    }
    /// Rows go out in descending key order: chunks come last first, each read from its end.
    var descending = false
    /// Integer bounds of start_ns to skip intervals by before SQLite sees them (nil: none, or not an integer).
    var lower: Int64?
    var lowerStrict = false
    var upper: Int64?
    var upperStrict = false

    /// The connection's table object, which keeps this cursor's chunk queries for the next cursor.
    let owner: IntervalsTable

    init(table: UnsafeMutablePointer<traceware_vtab>, owner: IntervalsTable) {
        self.table = table
        self.owner = owner
        self.db = owner.db
        self.schema = owner.schema
    }

    deinit {
        for (plan, statement) in statements { owner.give(plan, statement) }
        rows?.deallocate()
    }

    func fail(_ code: Int32, _ message: String) -> Int32 {
        sqlite3_free(table.pointee.base.zErrMsg)
        table.pointee.base.zErrMsg = traceware_sqlite3_strdup(message)
        atEnd = true
        return code
    }

    @inline(__always) func wanted(_ start: Int64) -> Bool {
        if let lower, lowerStrict ? start <= lower : start < lower { return false }
        if let upper, upperStrict ? start >= upper : start > upper { return false }
        return true
    }

    /// Moves to the next interval that the integer bounds let through, loading chunks as needed.
    func advance() -> Int32 {
        while true {
            if descending {
                position -= 1
                while position >= 0 && position < intervals.count {
                    if wanted(intervals[position].startNs) { return SQLITE_OK }
                    position -= 1
                }
            } else {
                position += 1
                while position < intervals.count {
                    if wanted(intervals[position].startNs) { return SQLITE_OK }
                    position += 1
                }
            }
            guard let statement = current else {
                atEnd = true
                return SQLITE_OK
            }
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE {
                sqlite3_reset(statement)
                current = nil
                atEnd = true
                intervals.removeAll(keepingCapacity: true)
                publish()
                return SQLITE_OK
            }
            guard code == SQLITE_ROW else {
                let message = String(cString: sqlite3_errmsg(db))
                sqlite3_reset(statement)
                current = nil
                return fail(code, "goroutine_intervals: \(message)")
            }
            runID = sqlite3_column_int64(statement, 0)
            goid = sqlite3_column_int64(statement, 1)
            let firstStart = sqlite3_column_int64(statement, 2)
            let firstID = sqlite3_column_int64(statement, 3)
            let count = sqlite3_column_int64(statement, 4)
            let bytes = sqlite3_column_blob(statement, 5)
            let length = Int(sqlite3_column_bytes(statement, 5))
            intervals.removeAll(keepingCapacity: true)
            do {
                guard count >= 0 && count <= Int64(IntervalChunk.maxBytes * 16) else {
                    throw IntervalChunk.CorruptChunk(description: "interval chunk says \(count) intervals")
                }
                try IntervalChunk.decode(
                    UnsafeRawBufferPointer(start: bytes, count: bytes == nil ? 0 : length), firstStartNs: firstStart,
                    firstIntervalID: firstID, count: Int(count), into: &intervals)
            } catch {
                sqlite3_reset(statement)
                current = nil
                intervals.removeAll()
                publish()
                return fail(
                    SQLITE_CORRUPT | (1 << 8),
                    "goroutine_interval_chunks row (run_id \(runID), goid \(goid), first_start_ns \(firstStart)) "
                        + "is damaged: \(error)")
            }
            publish()
            position = descending ? intervals.count : -1
        }
    }
}

private func tableObject(_ vtab: UnsafeMutablePointer<sqlite3_vtab>?) -> UnsafeMutablePointer<traceware_vtab>? {
    UnsafeMutableRawPointer(vtab)?.assumingMemoryBound(to: traceware_vtab.self)
}

private func cursorObject(_ cursor: UnsafeMutablePointer<sqlite3_vtab_cursor>?) -> IntervalsCursor? {
    guard let raw = UnsafeMutableRawPointer(cursor)?.assumingMemoryBound(to: traceware_vtab_cursor.self),
        let owner = raw.pointee.owner
    else { return nil }
    return Unmanaged<IntervalsCursor>.fromOpaque(owner).takeUnretainedValue()
}

private let connect:
    @convention(c) (
        OpaquePointer?, UnsafeMutableRawPointer?, Int32, UnsafePointer<UnsafePointer<CChar>?>?,
        UnsafeMutablePointer<UnsafeMutablePointer<sqlite3_vtab>?>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    ) -> Int32 = { db, _, argc, argv, result, error in
        guard let db, let result else { return SQLITE_MISUSE }
        // argv[1]: the database the table is in (main, or an attached one).
        let schema = argc > 1 ? argv?[1].map { String(cString: $0) } ?? "main" : "main"
        var code = sqlite3_declare_vtab(db, IntervalsModule.declaration)
        guard code == SQLITE_OK else { return code }
        // Innocuous: views (goroutine_states) may read it on a connection whose schema is not trusted.
        code = traceware_sqlite3_vtab_config_innocuous(db)
        guard code == SQLITE_OK else { return code }
        let table = UnsafeMutablePointer<traceware_vtab>.allocate(capacity: 1)
        table.initialize(to: traceware_vtab())
        table.pointee.owner = Unmanaged.passRetained(IntervalsTable(db: db, schema: schema)).toOpaque()
        result.pointee = UnsafeMutableRawPointer(table).assumingMemoryBound(to: sqlite3_vtab.self)
        return SQLITE_OK
    }

private let disconnect: @convention(c) (UnsafeMutablePointer<sqlite3_vtab>?) -> Int32 = { vtab in
    guard let table = tableObject(vtab) else { return SQLITE_OK }
    if let owner = table.pointee.owner {
        let object = Unmanaged<IntervalsTable>.fromOpaque(owner)
        object.takeUnretainedValue().finalizeSpares()
        object.release()
    }
    sqlite3_free(table.pointee.base.zErrMsg)
    table.deallocate()
    return SQLITE_OK
}

private let bestIndex: @convention(c) (UnsafeMutablePointer<sqlite3_vtab>?, UnsafeMutablePointer<sqlite3_index_info>?)
    -> Int32 = { _, info in
        guard let info else { return SQLITE_MISUSE }
        let constraints = info.pointee.aConstraint
        let usage = info.pointee.aConstraintUsage
        var run: Int32?
        var goid: Int32?
        var lower: Int32?
        var upper: Int32?
        var equals: Int32?
        for i in 0..<info.pointee.nConstraint {
            guard let c = constraints?[Int(i)], c.usable != 0 else { continue }
            let op = Int32(c.op)
            switch IntervalsModule.Column(rawValue: c.iColumn) {
            case .runID where op == SQLITE_INDEX_CONSTRAINT_EQ: if run == nil { run = i }
            case .goid where op == SQLITE_INDEX_CONSTRAINT_EQ: if goid == nil { goid = i }
            case .startNs:
                switch op {
                case SQLITE_INDEX_CONSTRAINT_EQ: if equals == nil { equals = i }
                case SQLITE_INDEX_CONSTRAINT_GT, SQLITE_INDEX_CONSTRAINT_GE: if lower == nil { lower = i }
                case SQLITE_INDEX_CONSTRAINT_LT, SQLITE_INDEX_CONSTRAINT_LE: if upper == nil { upper = i }
                default: break
                }
            default: break
            }
        }
        var plan: IntervalsModule.Plan = []
        var argument: Int32 = 0
        func use(_ index: Int32?, _ flag: IntervalsModule.Plan) {
            guard let index else { return }
            argument += 1
            usage?[Int(index)].argvIndex = argument
            usage?[Int(index)].omit = 0  // SQLite checks it again: the chunks are a superset
            plan.insert(flag)
        }
        use(run, .run)
        use(goid, .goid)
        if equals != nil {
            use(equals, .startEquals)
        } else {
            use(lower, .lower)
            use(upper, .upper)
            if let lower, constraints?[Int(lower)].op == UInt8(SQLITE_INDEX_CONSTRAINT_GT) { plan.insert(.lowerStrict) }
            if let upper, constraints?[Int(upper)].op == UInt8(SQLITE_INDEX_CONSTRAINT_LT) { plan.insert(.upperStrict) }
        }
        // Rows: a run holds millions of intervals, a goroutine thousands; a start bound keeps a part of them.
        var rows: Double = 10_000_000
        if plan.contains(.run) { rows /= 2 }
        if plan.contains(.goid) { rows = plan.contains(.run) ? 2_000 : 20_000 }
        if plan.contains(.startEquals) { rows = max(1, rows / 1000) }
        if plan.contains(.lower) { rows /= 4 }
        if plan.contains(.upper) { rows /= 4 }
        info.pointee.estimatedRows = sqlite3_int64(rows)
        info.pointee.estimatedCost = rows + (plan.contains(.goid) ? 20 : 0)
        info.pointee.idxNum = plan.rawValue

        // The rows come in key order: an ORDER BY on a prefix of (run_id, goid, start_ns, interval_id), all
        // ascending, is consumed; a key column fixed by = may be left out of it. (SQLite itself drops this
        // for an IN constraint: its values' rows come one xFilter after another.)
        // All descending likewise: the chunks are read last first, each from its end (critical-path's probe for
        // a goroutine's last interval before a time is one chunk, not the goroutine's whole history).
        let key: [IntervalsModule.Column] = [.runID, .goid, .startNs, .intervalID]
        var k = 0
        var consumed = info.pointee.nOrderBy > 0
        let descending = info.pointee.nOrderBy > 0 && info.pointee.aOrderBy?[0].desc != 0
        for i in 0..<Int(info.pointee.nOrderBy) {
            guard let term = info.pointee.aOrderBy?[i], (term.desc != 0) == descending else {
                consumed = false
                break
            }
            while k < key.count, key[k].rawValue != term.iColumn,
                (key[k] == .runID && run != nil) || (key[k] == .goid && goid != nil)
            {
                k += 1
            }
            guard k < key.count, key[k].rawValue == term.iColumn else {
                consumed = false
                break
            }
            k += 1
        }
        info.pointee.orderByConsumed = consumed ? 1 : 0
        if consumed && descending {
            plan.insert(.descending)
            info.pointee.idxNum = plan.rawValue
        }
        return SQLITE_OK
    }

private let open:
    @convention(c) (UnsafeMutablePointer<sqlite3_vtab>?, UnsafeMutablePointer<UnsafeMutablePointer<sqlite3_vtab_cursor>?>?)
        -> Int32 = { vtab, result in
            guard let table = tableObject(vtab), let result, let owner = table.pointee.owner else { return SQLITE_MISUSE }
            let owned = Unmanaged<IntervalsTable>.fromOpaque(owner).takeUnretainedValue()
            let cursor = UnsafeMutablePointer<traceware_vtab_cursor>.allocate(capacity: 1)
            cursor.initialize(to: traceware_vtab_cursor())
            let object = IntervalsCursor(table: table, owner: owned)
            object.c = cursor
            object.atEnd = true
            cursor.pointee.owner = Unmanaged.passRetained(object).toOpaque()
            result.pointee = UnsafeMutableRawPointer(cursor).assumingMemoryBound(to: sqlite3_vtab_cursor.self)
            return SQLITE_OK
        }

private let close: @convention(c) (UnsafeMutablePointer<sqlite3_vtab_cursor>?) -> Int32 = { cursor in
    guard let raw = UnsafeMutableRawPointer(cursor)?.assumingMemoryBound(to: traceware_vtab_cursor.self) else {
        return SQLITE_OK
    }
    if let owner = raw.pointee.owner { Unmanaged<IntervalsCursor>.fromOpaque(owner).release() }
    raw.deallocate()
    return SQLITE_OK
}

private let filter:
    @convention(c) (
        UnsafeMutablePointer<sqlite3_vtab_cursor>?, Int32, UnsafePointer<CChar>?, Int32,
        UnsafeMutablePointer<OpaquePointer?>?
    ) -> Int32 = { pointer, idxNum, _, argc, argv in
        guard let cursor = cursorObject(pointer) else { return SQLITE_MISUSE }
        if let previous = cursor.current { sqlite3_reset(previous) }
        cursor.current = nil
        cursor.intervals.removeAll(keepingCapacity: true)
        cursor.publish()
        cursor.position = -1
        cursor.atEnd = false
        cursor.lower = nil
        cursor.upper = nil
        let plan = IntervalsModule.Plan(rawValue: idxNum)
        cursor.descending = plan.contains(.descending)
        let statement: OpaquePointer
        if let known = cursor.statements[idxNum] {
            statement = known
        } else if let spare = cursor.owner.take(idxNum) {
            cursor.statements[idxNum] = spare
            statement = spare
        } else {
            var prepared: OpaquePointer?
            let code = sqlite3_prepare_v3(
                cursor.db, IntervalsModule.chunkSQL(plan, schema: cursor.schema), -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
            guard code == SQLITE_OK, let prepared else {
                return cursor.fail(code, "goroutine_intervals: \(String(cString: sqlite3_errmsg(cursor.db)))")
            }
            cursor.statements[idxNum] = prepared
            statement = prepared
        }
        var argument = 0
        func next() -> OpaquePointer? {
            guard let argv, argument < Int(argc) else { return nil }
            defer { argument += 1 }
            return argv[argument]
        }
        /// The bound as an integer to skip intervals by, when it is one (any other type: SQLite's check decides).
        func integer(_ value: OpaquePointer?) -> Int64? {
            sqlite3_value_type(value) == SQLITE_INTEGER ? sqlite3_value_int64(value) : nil
        }
        if plan.contains(.run) { sqlite3_bind_value(statement, 1, next()) }
        if plan.contains(.goid) { sqlite3_bind_value(statement, 2, next()) }
        if plan.contains(.startEquals) {
            let value = next()
            sqlite3_bind_value(statement, 3, value)
            cursor.lower = integer(value)
            cursor.upper = cursor.lower
            cursor.lowerStrict = false
            cursor.upperStrict = false
        }
        if plan.contains(.lower) {
            let value = next()
            sqlite3_bind_value(statement, 3, value)
            cursor.lower = integer(value)
            cursor.lowerStrict = plan.contains(.lowerStrict)
        }
        if plan.contains(.upper) {
            let value = next()
            sqlite3_bind_value(statement, 4, value)
            cursor.upper = integer(value)
            cursor.upperStrict = plan.contains(.upperStrict)
        }
        cursor.current = statement
        return cursor.advance()
    }

private let next: @convention(c) (UnsafeMutablePointer<sqlite3_vtab_cursor>?) -> Int32 = { pointer in
    guard let cursor = cursorObject(pointer) else { return SQLITE_MISUSE }
    return cursor.advance()
}

/// The C cursor (shim.h) behind a sqlite3_vtab_cursor pointer.
@inline(__always) private func cCursor(_ pointer: UnsafeMutablePointer<sqlite3_vtab_cursor>?)
    -> UnsafeMutablePointer<traceware_vtab_cursor>?
{
    UnsafeMutableRawPointer(pointer)?.assumingMemoryBound(to: traceware_vtab_cursor.self)
}

/// The current interval, read from the C cursor alone (no Swift object, so no reference counting per call).
@inline(__always) private func currentInterval(_ c: UnsafeMutablePointer<traceware_vtab_cursor>)
    -> UnsafePointer<IntervalChunk.Interval>?
{
    let position = c.pointee.position
    guard c.pointee.at_end == 0, position >= 0, position < c.pointee.count, let rows = c.pointee.rows else { return nil }
    return rows.assumingMemoryBound(to: IntervalChunk.Interval.self) + Int(position)
}

private let eof: @convention(c) (UnsafeMutablePointer<sqlite3_vtab_cursor>?) -> Int32 = { pointer in
    guard let c = cCursor(pointer) else { return 1 }
    return c.pointee.at_end != 0 ? 1 : 0
}

private let column: @convention(c) (UnsafeMutablePointer<sqlite3_vtab_cursor>?, OpaquePointer?, Int32) -> Int32 = {
    pointer, context, index in
    guard let c = cCursor(pointer), let interval = currentInterval(c) else { return SQLITE_MISUSE }
    @inline(__always) func optional(_ value: Int64?) {
        if let value { sqlite3_result_int64(context, value) } else { sqlite3_result_null(context) }
    }
    switch index {
    case IntervalsModule.Column.runID.rawValue: sqlite3_result_int64(context, c.pointee.run_id)
    case IntervalsModule.Column.goid.rawValue: sqlite3_result_int64(context, c.pointee.goid)
    case IntervalsModule.Column.startNs.rawValue: sqlite3_result_int64(context, interval.pointee.startNs)
    case IntervalsModule.Column.intervalID.rawValue: sqlite3_result_int64(context, interval.pointee.intervalID)
    case IntervalsModule.Column.kindID.rawValue: sqlite3_result_int64(context, interval.pointee.kindID)
    case IntervalsModule.Column.durationNs.rawValue: sqlite3_result_int64(context, interval.pointee.durationNs)
    case IntervalsModule.Column.stackID.rawValue: optional(interval.pointee.stackID)
    case IntervalsModule.Column.wakerGoid.rawValue: optional(interval.pointee.wakerGoid)
    case IntervalsModule.Column.wakerStackID.rawValue: optional(interval.pointee.wakerStackID)
    default: sqlite3_result_null(context)
    }
    return SQLITE_OK
}

/// Unique across the warehouse: interval_id is unique within a run (below 2^40), so the run goes above it.
private let rowid: @convention(c) (UnsafeMutablePointer<sqlite3_vtab_cursor>?, UnsafeMutablePointer<sqlite3_int64>?)
    -> Int32 = { pointer, result in
        guard let c = cCursor(pointer), let result, let interval = currentInterval(c) else { return SQLITE_MISUSE }
        result.pointee = (c.pointee.run_id << 40) | (interval.pointee.intervalID & ((1 << 40) - 1))
        return SQLITE_OK
    }

// MARK: - The migration's aggregate

private final class ChunkAggregate {
    var intervals: [IntervalChunk.Interval] = []
}

private func chunkAggregate(_ context: OpaquePointer?, create: Bool) -> ChunkAggregate? {
    let size = Int32(MemoryLayout<UnsafeMutableRawPointer?>.size)
    guard let raw = sqlite3_aggregate_context(context, create ? size : 0) else { return nil }
    let slot = raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    if let existing = slot.pointee { return Unmanaged<ChunkAggregate>.fromOpaque(existing).takeUnretainedValue() }
    guard create else { return nil }
    let state = ChunkAggregate()
    slot.pointee = Unmanaged.passRetained(state).toOpaque()
    return state
}

private let chunkStep: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = {
    context, argc, argv in
    guard let argv, argc == 7, let state = chunkAggregate(context, create: true) else {
        return sqlite3_result_error_nomem(context)
    }
    func optional(_ i: Int) -> Int64? {
        sqlite3_value_type(argv[i]) == SQLITE_NULL ? nil : sqlite3_value_int64(argv[i])
    }
    state.intervals.append(
        IntervalChunk.Interval(
            startNs: sqlite3_value_int64(argv[0]), intervalID: sqlite3_value_int64(argv[1]),
            kindID: sqlite3_value_int64(argv[2]), durationNs: sqlite3_value_int64(argv[3]), stackID: optional(4),
            wakerGoid: optional(5), wakerStackID: optional(6)))
}

private let chunkFinal: @convention(c) (OpaquePointer?) -> Void = { context in
    guard let raw = sqlite3_aggregate_context(context, 0) else { return sqlite3_result_null(context) }
    let slot = raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    guard let pointer = slot.pointee else { return sqlite3_result_null(context) }
    slot.pointee = nil
    let state = Unmanaged<ChunkAggregate>.fromOpaque(pointer).takeRetainedValue()
    state.intervals.sort(by: IntervalChunk.Interval.keyLess)
    let encoder = IntervalChunk.encode(state.intervals)
    encoder.bytes.withUnsafeBytes { bytes in
        sqlite3_result_blob(context, bytes.baseAddress, Int32(bytes.count), SQLITE_TRANSIENT)
    }
}
