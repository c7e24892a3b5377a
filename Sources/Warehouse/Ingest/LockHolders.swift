/// Sums the lock waits of user goroutines by (lock stack, waker stack) while the ingest streams, into
/// lock_holder_waits (migration 0011), so that lock-holders reads a few hundred rows instead of every interval
/// of the run's user goroutines.
///
/// The waits are exactly the rows lock-holders used to select from goroutine_states: category 'mutex' or
/// 'rwmutex' (the one lock-wait definition), of goroutines that are not system goroutines and whose entry
/// function is not runtime/trace.* (the tracer's own goroutine). Whether a goroutine is one of those is known
/// from its name, which it may only get after its first waits: so a goroutine's waits are kept apart until it
/// ends (a handful per goroutine: waits on one lock stack from one Unlock stack are summed as they come), then
/// folded into the run's totals or dropped. Memory follows the live goroutines plus the distinct stack pairs.
final class LockHolders {
    private let writer: RunWriter

    struct Key: Hashable {
        var stackID: Int64
        /// nil: the trace gave the wake-up no stack (still waiting at the end, or an event without one).
        var wakerStackID: Int64?
    }

    private struct Sum {
        var key: Key
        var waits: Int64
        var ns: Int64
    }

    /// Per live goroutine with lock waits: its sums so far (linear scan: a goroutine waits on few stacks).
    private var pending: [Int64: [Sum]] = [:]
    private var totals: [Key: (waits: Int64, ns: Int64)] = [:]

    init(writer: RunWriter) { self.writer = writer }

    /// One goroutine_states row of category 'mutex' or 'rwmutex' (the caller tests the category).
    @inline(__always)
    func record(goid: Int64, stackID: Int64?, wakerStackID: Int64?, ns: Int64) {
        // A lock wait always has a block stack (its category comes from a lock frame in it).
        guard let stackID else { return }
        let key = Key(stackID: stackID, wakerStackID: wakerStackID)
        if var sums = pending[goid] {
            if let i = sums.firstIndex(where: { $0.key == key }) {
                sums[i].waits &+= 1
                sums[i].ns &+= ns
            } else {
                sums.append(Sum(key: key, waits: 1, ns: ns))
            }
            pending[goid] = sums
        } else {
            pending[goid] = [Sum(key: key, waits: 1, ns: ns)]
        }
    }

    /// The goroutine ended (or the trace did) named `startFunction`: its waits count if it is a user goroutine.
    func finish(goid: Int64, startFunction: String) {
        guard let sums = pending.removeValue(forKey: goid) else { return }
        guard Self.isUser(startFunction) else { return }
        for s in sums {
            let old = totals[s.key] ?? (0, 0)
            totals[s.key] = (old.waits &+ s.waits, old.ns &+ s.ns)
        }
    }

    /// lock-holders' goroutines: goroutines.is_system = 0 and not the tracer's runtime/trace.* goroutine.
    static func isUser(_ startFunction: String) -> Bool {
        !StackRules.isSystemGoroutine(startFunction) && !startFunction.hasPrefix("runtime/trace.")
    }

    /// After the last goroutine: the rows, in a stable order.
    func finishRun() throws {
        let rows = totals.sorted { a, b in
            (a.key.stackID, a.key.wakerStackID ?? -1) < (b.key.stackID, b.key.wakerStackID ?? -1)
        }
        for (key, sum) in rows {
            try writer.write(
                LockHolderWaitRow(stackID: key.stackID, wakerStackID: key.wakerStackID, waits: sum.waits, waitNs: sum.ns))
        }
        totals = [:]
        pending = [:]
    }
}

/// lock_holder_waits (migration 0011).
struct LockHolderWaitRow: IngestRow {
    static let table = IngestTable.lockHolderWaits
    static let example = LockHolderWaitRow(stackID: 0, wakerStackID: nil, waits: 0, waitNs: 0)
    var stackID: Int64
    var wakerStackID: Int64?
    var waits: Int64
    var waitNs: Int64

    func encode<Row: RowEncoding>(into row: inout Row) {
        row.int("stack_id", stackID)
        row.int("waker_stack_id", wakerStackID)
        row.int("waits", waits)
        row.int("wait_ns", waitNs)
    }
}
