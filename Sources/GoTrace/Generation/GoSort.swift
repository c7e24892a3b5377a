// Port of Go 1.27.3 slices.SortFunc (src/slices/zsortanyfunc.go, pdqsort). Go's reader sorts CPU samples
// and, on the slow path, the frontier with slices.SortFunc, which is not stable: elements with equal keys
// end up in an order that depends on the exact algorithm. Swift's sort differs, so to emit the same event
// stream as Go we sort exactly as Go does.

/// Go's `slices.SortFunc(x, cmp)` where `less(a, b)` is `cmp(a, b) < 0`.
func goSortFunc<E>(_ x: inout [E], _ less: (E, E) -> Bool) {
    let n = x.count
    if n < 2 { return }
    withoutActuallyEscaping(less) { less in
        x.withUnsafeMutableBufferPointer { buf in
            var s = GoPdqsort(data: buf, less: less)
            s.pdqsort(0, n, Int.bitWidth - n.leadingZeroBitCount)
        }
    }
}

private enum SortedHint { case unknown, increasing, decreasing }

private struct GoPdqsort<E> {
    var data: UnsafeMutableBufferPointer<E>
    let less: (E, E) -> Bool

    @inline(__always) func lt(_ i: Int, _ j: Int) -> Bool { less(data[i], data[j]) }
    @inline(__always) func swap(_ i: Int, _ j: Int) { data.swapAt(i, j) }

    func insertionSort(_ a: Int, _ b: Int) {
        var i = a + 1
        while i < b {
            var j = i
            while j > a && lt(j, j - 1) {
                swap(j, j - 1)
                j -= 1
            }
            i += 1
        }
    }

    func siftDown(_ lo: Int, _ hi: Int, _ first: Int) {
        var root = lo
        while true {
            var child = 2 * root + 1
            if child >= hi { break }
            if child + 1 < hi && lt(first + child, first + child + 1) { child += 1 }
            if !lt(first + root, first + child) { return }
            swap(first + root, first + child)
            root = child
        }
    }

    func heapSort(_ a: Int, _ b: Int) {
        let first = a
        let lo = 0
        let hi = b - a
        var i = (hi - 1) / 2
        while i >= 0 {
            siftDown(i, hi, first)
            i -= 1
        }
        i = hi - 1
        while i >= 0 {
            swap(first, first + i)
            siftDown(lo, i, first)
            i -= 1
        }
    }

    mutating func pdqsort(_ a0: Int, _ b0: Int, _ limit0: Int) {
        let maxInsertion = 12
        var a = a0, b = b0, limit = limit0
        var wasBalanced = true
        var wasPartitioned = true
        while true {
            let length = b - a
            if length <= maxInsertion {
                insertionSort(a, b)
                return
            }
            // Fall back to heapsort if too many bad choices were made.
            if limit == 0 {
                heapSort(a, b)
                return
            }
            // If the last partitioning was imbalanced, we need to break patterns.
            if !wasBalanced {
                breakPatterns(a, b)
                limit -= 1
            }
            var (pivot, hint) = choosePivot(a, b)
            if hint == .decreasing {
                reverseRange(a, b)
                pivot = (b - 1) - (pivot - a)
                hint = .increasing
            }
            // The slice is likely already sorted.
            if wasBalanced && wasPartitioned && hint == .increasing {
                if partialInsertionSort(a, b) { return }
            }
            // Probably many duplicates: partition into equal and greater.
            if a > 0 && !lt(a - 1, pivot) {
                a = partitionEqual(a, b, pivot)
                continue
            }
            let (mid, alreadyPartitioned) = partition(a, b, pivot)
            wasPartitioned = alreadyPartitioned
            let leftLen = mid - a, rightLen = b - mid
            let balanceThreshold = length / 8
            if leftLen < rightLen {
                wasBalanced = leftLen >= balanceThreshold
                pdqsort(a, mid, limit)
                a = mid + 1
            } else {
                wasBalanced = rightLen >= balanceThreshold
                pdqsort(mid + 1, b, limit)
                b = mid
            }
        }
    }

    func partition(_ a: Int, _ b: Int, _ pivot: Int) -> (Int, Bool) {
        swap(a, pivot)
        var i = a + 1, j = b - 1
        while i <= j && lt(i, a) { i += 1 }
        while i <= j && !lt(j, a) { j -= 1 }
        if i > j {
            swap(j, a)
            return (j, true)
        }
        swap(i, j)
        i += 1
        j -= 1
        while true {
            while i <= j && lt(i, a) { i += 1 }
            while i <= j && !lt(j, a) { j -= 1 }
            if i > j { break }
            swap(i, j)
            i += 1
            j -= 1
        }
        swap(j, a)
        return (j, false)
    }

    func partitionEqual(_ a: Int, _ b: Int, _ pivot: Int) -> Int {
        swap(a, pivot)
        var i = a + 1, j = b - 1
        while true {
            while i <= j && !lt(a, i) { i += 1 }
            while i <= j && lt(a, j) { j -= 1 }
            if i > j { break }
            swap(i, j)
            i += 1
            j -= 1
        }
        return i
    }

    func partialInsertionSort(_ a: Int, _ b: Int) -> Bool {
        let maxSteps = 5, shortestShifting = 50
        var i = a + 1
        for _ in 0..<maxSteps {
            while i < b && !lt(i, i - 1) { i += 1 }
            if i == b { return true }
            if b - a < shortestShifting { return false }
            swap(i, i - 1)
            // Shift the smaller one to the left. (Go's loop bound is 1, not a: matched.)
            if i - a >= 2 {
                var j = i - 1
                while j >= 1 {
                    if !lt(j, j - 1) { break }
                    swap(j, j - 1)
                    j -= 1
                }
            }
            // Shift the greater one to the right.
            if b - i >= 2 {
                var j = i + 1
                while j < b {
                    if !lt(j, j - 1) { break }
                    swap(j, j - 1)
                    j += 1
                }
            }
        }
        return false
    }

    func breakPatterns(_ a: Int, _ b: Int) {
        let length = b - a
        if length >= 8 {
            var random = UInt64(length)  // Go's xorshift seeded with the length.
            let modulus = UInt(1) << UInt(Int.bitWidth - length.leadingZeroBitCount)
            var idx = a + (length / 4) * 2 - 1
            while idx <= a + (length / 4) * 2 + 1 {
                random ^= random << 13
                random ^= random >> 7
                random ^= random << 17
                var other = Int(UInt(truncatingIfNeeded: random) & (modulus - 1))
                if other >= length { other -= length }
                swap(idx, a + other)
                idx += 1
            }
        }
    }

    func choosePivot(_ a: Int, _ b: Int) -> (Int, SortedHint) {
        let shortestNinther = 50, maxSwaps = 4 * 3
        let l = b - a
        var swaps = 0
        var i = a + l / 4 * 1
        var j = a + l / 4 * 2
        var k = a + l / 4 * 3
        if l >= 8 {
            if l >= shortestNinther {
                i = medianAdjacent(i, &swaps)
                j = medianAdjacent(j, &swaps)
                k = medianAdjacent(k, &swaps)
            }
            j = median(i, j, k, &swaps)
        }
        switch swaps {
        case 0: return (j, .increasing)
        case maxSwaps: return (j, .decreasing)
        default: return (j, .unknown)
        }
    }

    func order2(_ a: Int, _ b: Int, _ swaps: inout Int) -> (Int, Int) {
        if lt(b, a) {
            swaps += 1
            return (b, a)
        }
        return (a, b)
    }

    func median(_ a0: Int, _ b0: Int, _ c0: Int, _ swaps: inout Int) -> Int {
        var a = a0, b = b0, c = c0
        (a, b) = order2(a, b, &swaps)
        (b, c) = order2(b, c, &swaps)
        (a, b) = order2(a, b, &swaps)
        _ = a
        _ = c
        return b
    }

    func medianAdjacent(_ a: Int, _ swaps: inout Int) -> Int { median(a - 1, a, a + 1, &swaps) }

    func reverseRange(_ a: Int, _ b: Int) {
        var i = a, j = b - 1
        while i < j {
            swap(i, j)
            i += 1
            j -= 1
        }
    }
}
