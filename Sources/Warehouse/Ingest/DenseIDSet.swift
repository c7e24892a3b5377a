/// A set of ids that are small and dense in practice (goroutine ids, task ids): a bit per id up to the largest
/// seen (1 MiB at 8M ids), and a hash set for any beyond 2^26 or negative. Where the ingest must remember every
/// id it wrote, this is the one structure that grows with the trace, by a bit per id.
struct DenseIDSet {
    private var bits: [UInt64] = []
    private var large = Set<Int64>()

    func contains(_ id: Int64) -> Bool {
        guard id >= 0 && id < 1 << 26 else { return large.contains(id) }
        let word = Int(id >> 6)
        return word < bits.count && bits[word] & (1 << UInt64(id & 63)) != 0
    }

    /// Adds `id`; false if it was there already.
    @discardableResult
    mutating func insert(_ id: Int64) -> Bool {
        guard id >= 0 && id < 1 << 26 else { return large.insert(id).inserted }
        let word = Int(id >> 6)
        let bit: UInt64 = 1 << UInt64(id & 63)
        if word >= bits.count {
            bits.append(contentsOf: repeatElement(0, count: max(word + 1, bits.count * 2) - bits.count))
        }
        if bits[word] & bit != 0 { return false }
        bits[word] |= bit
        return true
    }
}
