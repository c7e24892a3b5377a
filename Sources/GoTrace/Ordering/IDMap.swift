// A small open-addressing hash map for the ordering's per-goroutine/proc/thread state. Swift's Dictionary
// hashes every key with SipHash, which dominated the hot path; these keys are plain integers. Iteration
// order is unspecified, like Go's maps.

/// Keys: IDs wrapping an Int64.
protocol Int64Key {
    var rawValue: Int64 { get }
    init(_ raw: Int64)
}

extension GoID: Int64Key {}
extension ProcID: Int64Key {}
extension ThreadID: Int64Key {}

struct IDMap<Key: Int64Key, Value> {
    private var keys: [Int64] = []
    private var values: [Value?] = []
    /// 0 = empty, 1 = full, 2 = deleted.
    private var states: [UInt8] = []
    private var mask = 0
    private(set) var count = 0
    /// Full plus deleted slots.
    private var used = 0

    init() {}

    @inline(__always) private func slot(_ k: Int64) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: k) &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    @inline(__always) private func find(_ k: Int64) -> Int? {
        if states.isEmpty { return nil }
        var i = slot(k)
        while true {
            let s = states[i]
            if s == 0 { return nil }
            if s == 1 && keys[i] == k { return i }
            i = (i + 1) & mask
        }
    }

    subscript(key: Key) -> Value? {
        @inline(__always) get {
            guard let i = find(key.rawValue) else { return nil }
            return values[i]
        }
        set {
            let k = key.rawValue
            if let i = find(k) {
                if let newValue {
                    values[i] = newValue
                } else {
                    values[i] = nil
                    states[i] = 2
                    count -= 1
                }
                return
            }
            guard let newValue else { return }
            if (used + 1) * 4 > states.count * 3 { rehash() }
            var i = slot(k)
            while states[i] == 1 { i = (i + 1) & mask }
            if states[i] == 0 { used += 1 }
            states[i] = 1
            keys[i] = k
            values[i] = newValue
            count += 1
        }
    }

    private mutating func rehash() {
        let oldKeys = keys, oldValues = values, oldStates = states
        var cap = 16
        while cap * 3 < (count + 1) * 4 * 2 { cap *= 2 }
        keys = [Int64](repeating: 0, count: cap)
        values = [Value?](repeating: nil, count: cap)
        states = [UInt8](repeating: 0, count: cap)
        mask = cap - 1
        used = 0
        for j in 0..<oldStates.count where oldStates[j] == 1 {
            var i = slot(oldKeys[j])
            while states[i] != 0 { i = (i + 1) & mask }
            states[i] = 1
            keys[i] = oldKeys[j]
            values[i] = oldValues[j]
            used += 1
        }
    }

    /// All entries, in unspecified order.
    var entries: [(Key, Value)] {
        var r: [(Key, Value)] = []
        for i in 0..<states.count where states[i] == 1 {
            if let v = values[i] { r.append((Key(keys[i]), v)) }
        }
        return r
    }
}
