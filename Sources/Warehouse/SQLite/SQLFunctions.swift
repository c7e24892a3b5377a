import CSQLite

/// SQL functions traceware adds to every connection it opens (Database.init), for the reports and for ad-hoc SQL.
/// SQLite 3.40, the version the warehouse is built against, has no median or percentile (its percentile extension
/// came in 3.47 and is not compiled into the system library), and without them every report that wants a p99
/// copies a nearest-rank CTE of window functions.
///
/// This list is the one place a function is declared: Database registers each entry and `traceware schema` lists
/// them with their docs.
public enum SQLFunctions {
    public struct Doc: Sendable, Equatable {
        public let name: String
        public let arguments: String
        public let kind: String
        public let doc: String
    }

    public static let docs: [Doc] = [
        Doc(
            name: "percentile", arguments: "x, p", kind: "AGGREGATE FUNCTION",
            doc: "The p-th percentile of x, nearest-rank: the smallest value v of x such that at least p% of the "
                + "values are <= v (the rank ceil(p/100 * n) of the n values in ascending order; p = 0 gives the "
                + "smallest). p is a number from 0 to 100, the same on every row. NULLs are ignored; NULL when "
                + "there is no non-NULL value. The result is one of the values, integer or real as it was stored. "
                + "Also a window function (percentile(x, p) OVER (...)). Example: SELECT percentile(duration_ns, "
                + "99) FROM goroutine_states WHERE run_id = 1 AND state = 'runnable'."),
        Doc(
            name: "median", arguments: "x", kind: "AGGREGATE FUNCTION",
            doc: "percentile(x, 50): the smallest value v of x such that at least half of the values are <= v "
                + "(the lower middle value of an even count, never an average of two). NULLs are ignored; NULL "
                + "when there is no non-NULL value. Also a window function."),
    ]

    /// Registers the functions on one connection. DETERMINISTIC and INNOCUOUS: they may appear in views and
    /// indexes, which the connection allows only for innocuous functions (SQLITE_DBCONFIG_TRUSTED_SCHEMA is off).
    static func register(on db: OpaquePointer) -> Int32 {
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS
        var code = sqlite3_create_window_function(
            db, "percentile", 2, flags, nil, percentileStep, nearestRankFinal, nearestRankValue, nearestRankInverse,
            nil)
        guard code == SQLITE_OK else { return code }
        code = sqlite3_create_window_function(
            db, "median", 1, flags, nil, medianStep, nearestRankFinal, nearestRankValue, nearestRankInverse, nil)
        return code
    }
}

// MARK: - Nearest rank

/// One numeric value as SQLite stored it. Integers stay exact (nanosecond sums exceed 2^53); mixed with reals
/// they compare numerically, as SQLite does.
enum NumericValue: Comparable {
    case integer(Int64)
    case real(Double)

    static func < (a: NumericValue, b: NumericValue) -> Bool { compare(a, b) < 0 }
    static func == (a: NumericValue, b: NumericValue) -> Bool { compare(a, b) == 0 }

    static func compare(_ a: NumericValue, _ b: NumericValue) -> Int {
        switch (a, b) {
        case (.integer(let x), .integer(let y)): return x < y ? -1 : (x > y ? 1 : 0)
        case (.real(let x), .real(let y)): return x < y ? -1 : (x > y ? 1 : 0)
        case (.integer(let x), .real(let y)): return compare(x, y)
        case (.real(let x), .integer(let y)): return -compare(y, x)
        }
    }

    /// Exact integer-real comparison (converting the integer to a Double would round above 2^53).
    static func compare(_ i: Int64, _ r: Double) -> Int {
        if r < -9_223_372_036_854_775_808.0 { return 1 }
        if r >= 9_223_372_036_854_775_808.0 { return -1 }
        let whole = Int64(r)  // toward zero; exact within the range checked above
        if i != whole { return i < whole ? -1 : 1 }
        let fraction = r - Double(whole)
        return fraction > 0 ? -1 : (fraction < 0 ? 1 : 0)
    }
}

/// The values of one group (or one window frame), and the percentile asked for.
final class NearestRank {
    /// An aggregate's values while all are integers (nanoseconds, bytes: nearly always), unboxed and unsorted:
    /// the rank is found by selection at the end, O(n), not by a sort. 6.8M durations: 0.7 s of CPU over the
    /// scan with boxed values and a sort, measured on a 45 MB busy run.
    var integers: [Int64] = []
    /// Every value once a real arrives or a window asks (then `integers` is empty).
    var values: [NumericValue] = []
    var boxed = false
    var sorted = true
    var percent: Double?

    func add(_ value: NumericValue) {
        if !boxed {
            if case .integer(let i) = value {
                integers.append(i)
                return
            }
            box()
        }
        if keepSorted { sortIfNeeded() }
        if sorted, let last = values.last, value < last {
            if keepSorted {
                values.insert(value, at: insertionIndex(value))
                return
            }
            sorted = false
        }
        values.append(value)
    }

    /// From here on every value lives in `values` (a real among them, or a window that needs them sorted).
    func box() {
        guard !boxed else { return }
        boxed = true
        values = integers.map { .integer($0) }
        integers = []
        sorted = values.count < 2
    }

    /// Set once xValue ran: this is a window, whose frame is asked for again after every step.
    var keepSorted = false {
        didSet { if keepSorted { box() } }
    }

    func remove(_ value: NumericValue) {
        box()
        sortIfNeeded()
        let i = insertionIndex(value)  // first element >= value
        if i < values.count && values[i] == value { values.remove(at: i) }
    }

    func sortIfNeeded() {
        if !sorted {
            values.sort()
            sorted = true
        }
    }

    /// Index of the first element not less than `value` (values sorted).
    func insertionIndex(_ value: NumericValue) -> Int {
        var low = 0
        var high = values.count
        while low < high {
            let mid = (low + high) / 2
            if values[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The nearest-rank percentile: the value of rank k = ceil(p * n / 100) (at least 1) in ascending order,
    /// i.e. the smallest v with at least p% of the values <= v. A whole p is computed in integers, as the reports'
    /// `rn >= (p * n + 99) / 100` did, so p = 99 over 100 values is exactly rank 99.
    func result() -> NumericValue? {
        guard let percent else { return nil }
        if !boxed {
            guard !integers.isEmpty else { return nil }
            let k = Self.rank(percent: percent, count: integers.count) - 1
            return .integer(integers.withUnsafeMutableBufferPointer { Self.select(k, in: $0) })
        }
        guard !values.isEmpty else { return nil }
        sortIfNeeded()
        return values[Self.rank(percent: percent, count: values.count) - 1]
    }

    static func rank(percent: Double, count n: Int) -> Int {
        var k: Int
        if percent == percent.rounded(), percent <= 100 {
            k = (Int(percent) * n + 99) / 100
        } else {
            k = Int((percent * Double(n) / 100).rounded(.up))
        }
        return min(max(k, 1), n)
    }

    /// The k-th smallest (from 0) of `a`, reordering it: quickselect with a median-of-three pivot and a
    /// three-way partition (durations repeat a lot), which sorts what is left if it keeps choosing badly.
    static func select(_ k: Int, in a: UnsafeMutableBufferPointer<Int64>) -> Int64 {
        var low = 0
        var high = a.count  // the answer's index is in low..<high
        var rounds = 0
        while high - low > 16 {
            rounds += 1
            if rounds > 64 {
                var rest = UnsafeMutableBufferPointer(rebasing: a[low..<high])
                rest.sort()
                return a[k]
            }
            let mid = low + (high - low) / 2
            let x = a[low], y = a[mid], z = a[high - 1]
            let pivot = max(min(x, y), min(max(x, y), z))
            // Dutch flag: [low, lt) < pivot, [lt, i) == pivot, (gt, high) > pivot.
            var lt = low
            var i = low
            var gt = high - 1
            while i <= gt {
                let v = a[i]
                if v < pivot {
                    a.swapAt(lt, i)
                    lt += 1
                    i += 1
                } else if v > pivot {
                    a.swapAt(i, gt)
                    gt -= 1
                } else {
                    i += 1
                }
            }
            if k < lt {
                high = lt
            } else if k > gt {
                low = gt + 1
            } else {
                return pivot
            }
        }
        var rest = UnsafeMutableBufferPointer(rebasing: a[low..<high])
        rest.sort()
        return a[k]
    }
}

private func collector(_ context: OpaquePointer?, create: Bool) -> NearestRank? {
    let size = Int32(MemoryLayout<UnsafeMutableRawPointer?>.size)
    guard let raw = sqlite3_aggregate_context(context, create ? size : 0) else { return nil }
    let slot = raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    if let existing = slot.pointee { return Unmanaged<NearestRank>.fromOpaque(existing).takeUnretainedValue() }
    guard create else { return nil }
    let state = NearestRank()
    slot.pointee = Unmanaged.passRetained(state).toOpaque()
    return state
}

private func numericArgument(_ value: OpaquePointer?) -> NumericValue? {
    switch sqlite3_value_numeric_type(value) {
    case SQLITE_INTEGER: return .integer(sqlite3_value_int64(value))
    case SQLITE_FLOAT: return .real(sqlite3_value_double(value))
    default: return nil
    }
}

/// Adds x to the group that asks for percentile `percent`, or reports an error (which ends the statement).
private func step(_ context: OpaquePointer?, _ x: OpaquePointer?, percent: Double, name: String) {
    guard let state = collector(context, create: true) else {
        sqlite3_result_error_nomem(context)
        return
    }
    if let known = state.percent, known != percent {
        sqlite3_result_error(context, "the 2nd argument of \(name)() must be the same on every row", -1)
        return
    }
    state.percent = percent
    if sqlite3_value_type(x) == SQLITE_NULL { return }
    // Text that reads as a number counts as that number (SQLite's numeric affinity, as in SQLite's own
    // percentile extension); anything else is an error rather than a silently skipped row.
    guard let value = numericArgument(x) else {
        sqlite3_result_error(context, "the 1st argument of \(name)() is not a number", -1)
        return
    }
    state.add(value)
}

private let percentileStep: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = {
    context, _, argv in
    guard let argv else { return }
    let p: Double
    switch numericArgument(argv[1]) {
    case .integer(let i)?: p = Double(i)
    case .real(let r)?: p = r
    case nil: p = -1
    }
    guard p >= 0 && p <= 100 else {
        sqlite3_result_error(context, "the 2nd argument of percentile() must be a number from 0 to 100", -1)
        return
    }
    step(context, argv[0], percent: p, name: "percentile")
}

private let medianStep: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = {
    context, _, argv in
    guard let argv else { return }
    step(context, argv[0], percent: 50, name: "median")
}

private let nearestRankInverse: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) ->
    Void = { context, _, argv in
        guard let argv, let state = collector(context, create: false), let value = numericArgument(argv[0]) else {
            return
        }
        state.remove(value)
    }

private func setResult(_ context: OpaquePointer?, _ value: NumericValue?) {
    switch value {
    case .integer(let i)?: sqlite3_result_int64(context, i)
    case .real(let r)?: sqlite3_result_double(context, r)
    case nil: sqlite3_result_null(context)
    }
}

private let nearestRankValue: @convention(c) (OpaquePointer?) -> Void = { context in
    guard let state = collector(context, create: false) else { return sqlite3_result_null(context) }
    state.keepSorted = true
    setResult(context, state.result())
}

/// Called once per group (or window partition) even with no rows, and only once: the state is released here.
private let nearestRankFinal: @convention(c) (OpaquePointer?) -> Void = { context in
    guard let raw = sqlite3_aggregate_context(context, 0) else { return sqlite3_result_null(context) }
    let slot = raw.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    guard let pointer = slot.pointee else { return sqlite3_result_null(context) }
    slot.pointee = nil
    let state = Unmanaged<NearestRank>.fromOpaque(pointer).takeRetainedValue()
    setResult(context, state.result())
}
