/// The trackers' per-goroutine state by goid: a dictionary behind a direct-mapped cache. Nearly every event
/// looks up the goroutine it moves, and the goroutines alive at one time are few (41 in a worker pool; a few
/// hundred at once even in a trace with 700K short-lived ones), so a slot indexed by the goid's low bits
/// answers nearly every lookup without hashing (Swift's Int64 hashing is SipHash: ~4% of a pool ingest's CPU
/// was Hasher). Iteration order is the dictionary's: callers that need an order sort the keys.
struct GoroutineTable<Value: AnyObject> {
    private var all: [Int64: Value] = [:]
    /// Slot i holds the goroutine with cachedIDs[i] (Int64.min: none), whose goid's low bits are i.
    private var cachedIDs = [Int64](repeating: .min, count: 1024)
    private var cachedValues = [Value?](repeating: nil, count: 1024)

    @inline(__always) private static func slot(_ goid: Int64) -> Int { Int(truncatingIfNeeded: goid) & 1023 }

    subscript(goid: Int64) -> Value? {
        mutating get {
            let i = Self.slot(goid)
            if cachedIDs[i] == goid { return cachedValues[i] }
            guard let value = all[goid] else { return nil }
            cachedIDs[i] = goid
            cachedValues[i] = value
            return value
        }
        set {
            let i = Self.slot(goid)
            if let newValue {
                all[goid] = newValue
                cachedIDs[i] = goid
                cachedValues[i] = newValue
            } else {
                all[goid] = nil
                if cachedIDs[i] == goid {
                    cachedIDs[i] = .min
                    cachedValues[i] = nil
                }
            }
        }
    }

    var keys: Dictionary<Int64, Value>.Keys { all.keys }

    mutating func removeAll() {
        all.removeAll()
        for i in cachedIDs.indices {
            cachedIDs[i] = .min
            cachedValues[i] = nil
        }
    }
}
