/// Go's Summarizer times of one goroutine (goroutine_summaries), as GoroutineSummaries sums them.
struct GoroutineTimes {
    var totalNs: Int64
    var execNs: Int64
    var schedWaitNs: Int64
    var blockNs: Int64
    var syscallNs: Int64
    var syscallBlockNs: Int64
}

/// Writes each goroutine's one row (migration 0015): what goroutines and goroutine_summaries show, with the
/// few-valued columns (start function, is_system, start PC, creation stack) as the run's code in goroutine_kinds.
/// A busy 45 MB run has 714K goroutines and about 26 such combinations: as text on every row they took half of the
/// two tables' 70 MB.
final class GoroutineRecords {
    private let writer: RunWriter

    private struct Kind: Hashable {
        var startFunction: String
        var startPC: Int64?
        var createStackID: Int64?
    }
    private var kindIDs: [Kind: Int64] = [:]

    init(writer: RunWriter) { self.writer = writer }

    /// The goroutine's row; `row` must be one RunWriter.insertGoroutine accepted (a goid is written once).
    func write(_ row: RunWriter.GoroutineRow, _ times: GoroutineTimes) throws {
        let kind = Kind(startFunction: row.startFunction, startPC: row.startPC, createStackID: row.createStackID)
        let kindID: Int64
        if let known = kindIDs[kind] {
            kindID = known
        } else {
            // From 0 in order of first use: the commonest kinds come early and take 0 or 1 byte in a row.
            kindID = Int64(kindIDs.count)
            kindIDs[kind] = kindID
            try writer.write(
                GoroutineKindRow(
                    kindID: kindID, startFunction: row.startFunction, startPC: row.startPC,
                    createStackID: row.createStackID))
        }
        try writer.write(
            GoroutineRecordRow(
                goid: row.goid, kindID: kindID, parentGoid: row.parentGoid, createdNs: row.createdNs,
                startDelayNs: row.startedNs.map { $0 &- row.createdNs }, ended: row.endedNs != nil, times: times))
    }
}

/// goroutine_kinds (migration 0015).
struct GoroutineKindRow: IngestRow {
    static let table = IngestTable.goroutineKinds
    static let example = GoroutineKindRow(kindID: 0, startFunction: "", startPC: nil, createStackID: nil)
    var kindID: Int64
    var startFunction: String
    var startPC: Int64?
    var createStackID: Int64?

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("kind_id", kindID)
        row.text("start_function", startFunction, .interned)
        row.bool("is_system", StackRules.isSystemGoroutine(startFunction))
        row.int("start_pc", startPC)
        row.int("create_stack_id", createStackID)
    }
}

/// goroutine_records (migration 0015): the goroutines view's ended_ns is created_ns + total_ns when `ended`
/// (the ingest's total for a goroutine that ended is its end minus its creation), started_ns is created_ns plus
/// the delay.
struct GoroutineRecordRow: IngestRow {
    static let table = IngestTable.goroutines
    static let example = GoroutineRecordRow(
        goid: 0, kindID: 0, parentGoid: nil, createdNs: 0, startDelayNs: nil, ended: false,
        times: GoroutineTimes(totalNs: 0, execNs: 0, schedWaitNs: 0, blockNs: 0, syscallNs: 0, syscallBlockNs: 0))
    var goid: Int64
    var kindID: Int64
    var parentGoid: Int64?
    var createdNs: Int64
    var startDelayNs: Int64?
    var ended: Bool
    var times: GoroutineTimes

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("goid", goid)
        row.int("kind_id", kindID)
        row.int("parent_goid", parentGoid)
        row.int("created_ns", createdNs)
        row.int("start_delay_ns", startDelayNs)
        row.bool("ended", ended)
        row.int("total_ns", times.totalNs)
        row.int("exec_ns", times.execNs)
        row.int("sched_wait_ns", times.schedWaitNs)
        row.int("block_ns", times.blockNs)
        row.int("syscall_ns", times.syscallNs)
        row.int("syscall_block_ns", times.syscallBlockNs)
    }
}
