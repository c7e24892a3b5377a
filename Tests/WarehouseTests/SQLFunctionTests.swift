import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// percentile() and median() (SQLFunctions), checked against the definition the reports document, computed
/// here by brute force and independently of the function's rank formula: the smallest value v such that at
/// least p% of the values are <= v.
@Suite struct SQLFunctionTests {
    /// The definition, literally: try each value in ascending order, count the values <= it.
    static func definition(_ values: [Double], _ p: Double) -> Double? {
        for v in values.sorted() where Double(values.filter { $0 <= v }.count) * 100 >= p * Double(values.count) {
            return v
        }
        return nil
    }

    /// A small deterministic generator, so a failure reproduces.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static func value(_ v: DatabaseValue) -> Double? {
        switch v {
        case .integer(let i): return Double(i)
        case .real(let r): return r
        default: return nil
        }
    }

    @Test func groupsMatchTheDefinition() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(g INTEGER, x)")
        var random = Generator(state: 11)
        var byGroup: [Int: [Double]] = [:]
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?)")
        // Group g has g * 7 rows (group 0 has none but a NULL), few distinct values (ties), some NULLs.
        for g in 0..<30 {
            try insert.execute([.integer(Int64(g)), .null])
            for _ in 0..<(g * 7) {
                let x = random.next(g % 3 == 0 ? 5 : 1000)
                if random.next(10) == 0 {
                    try insert.execute([.integer(Int64(g)), .null])
                } else {
                    try insert.execute([.integer(Int64(g)), .integer(Int64(x))])
                    byGroup[g, default: []].append(Double(x))
                }
            }
        }
        var checked = 0
        for p in [0, 1, 12.5, 33.3, 50, 90, 95, 99, 99.9, 100] as [Double] {
            let rows = try db.rows(
                "SELECT g, percentile(x, ?), median(x), count(x) FROM t GROUP BY g ORDER BY g", [.real(p)])
            #expect(rows.count == 30)
            for row in rows {
                guard case .integer(let g) = row[0] else { Issue.record("group \(row[0])"); continue }
                let values = byGroup[Int(g)] ?? []
                #expect(Self.value(row[1]) == Self.definition(values, p), "group \(g), p = \(p), n = \(values.count)")
                #expect(Self.value(row[2]) == Self.definition(values, 50), "median of group \(g)")
                if values.isEmpty { #expect(row[1] == .null && row[2] == .null) }
                checked += 1
            }
        }
        #expect(checked == 300)
        // An integer p and the same p as a real pick the same rank.
        #expect(try db.rows("SELECT percentile(x, 99) IS percentile(x, 99.0) FROM t GROUP BY g").allSatisfy { $0 == [.integer(1)] })
    }

    /// Big groups of integers take the selection path (no sort): each shape that can trip a quickselect
    /// (sorted, reversed, all equal, few distinct values, organ pipe, random) against the definition, read here
    /// from the sorted values by a sweep (the smallest v whose count of values <= v reaches p% of n).
    @Test func bigIntegerGroupsMatchTheDefinition() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(g INTEGER, x INTEGER)")
        var random = Generator(state: 3)
        let n = 20_000
        let shapes: [(Int) -> Int64] = [
            { Int64($0) },  // ascending
            { Int64(n - $0) },  // descending
            { _ in 42 },  // all equal
            { _ in Int64(random.next(7)) },  // few distinct values
            { Int64($0 < n / 2 ? $0 : n - $0) },  // organ pipe
            { _ in Int64(random.next(1_000_000_000)) - 500_000_000 },  // random, negatives too
        ]
        var byGroup: [[Int64]] = []
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?)")
        try db.execute("BEGIN")
        for (g, shape) in shapes.enumerated() {
            let values = (0..<(n + g)).map(shape)
            byGroup.append(values)
            for v in values { try insert.execute([.integer(Int64(g)), .integer(v)]) }
        }
        try db.execute("COMMIT")
        for p in [0, 1, 33.3, 50, 90, 99, 99.9, 100] as [Double] {
            let rows = try db.rows("SELECT g, percentile(x, ?), median(x) FROM t GROUP BY g ORDER BY g", [.real(p)])
            #expect(rows.count == shapes.count)
            for row in rows {
                guard case .integer(let g) = row[0] else { continue }
                let sorted = byGroup[Int(g)].sorted()
                func definition(_ p: Double) -> Int64? {
                    var i = 0
                    while i < sorted.count {
                        var j = i
                        while j + 1 < sorted.count && sorted[j + 1] == sorted[i] { j += 1 }
                        if Double(j + 1) * 100 >= p * Double(sorted.count) { return sorted[i] }
                        i = j + 1
                    }
                    return nil
                }
                #expect(row[1] == definition(p).map { .integer($0) }, "group \(g), p = \(p)")
                #expect(row[2] == definition(50).map { .integer($0) }, "median of group \(g)")
            }
        }
    }

    @Test func noRowsAndOnlyNullsGiveNull() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(x)")
        #expect(try db.rows("SELECT percentile(x, 50), median(x) FROM t") == [[.null, .null]])
        try db.execute("INSERT INTO t VALUES (NULL), (NULL)")
        #expect(try db.rows("SELECT percentile(x, 50), median(x) FROM t") == [[.null, .null]])
        try db.execute("INSERT INTO t VALUES (7)")
        #expect(try db.rows("SELECT percentile(x, 0), percentile(x, 100), median(x) FROM t") == [[.integer(7), .integer(7), .integer(7)]])
    }

    @Test func keepsEachValuesTypeAndComparesExactly() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(x)")
        try db.execute("INSERT INTO t VALUES (3), (2.5), (1), (2)")
        // Ascending: 1, 2, 2.5, 3. The median is the lower middle value, not an average.
        #expect(try db.rows("SELECT median(x), percentile(x, 75), percentile(x, 76) FROM t") == [[.integer(2), .real(2.5), .integer(3)]])
        // 2^53 + 1 as an integer is greater than 2^53 as a real, though both are 2^53 as Doubles.
        try db.execute("DELETE FROM t")
        try db.execute("INSERT INTO t VALUES (9007199254740993), (9007199254740992.0)")
        #expect(try db.rows("SELECT percentile(x, 50), percentile(x, 51) FROM t") == [[.real(9_007_199_254_740_992), .integer(9_007_199_254_740_993)]])
        // Numeric text counts as its number.
        #expect(try db.rows("SELECT median(x) FROM (SELECT '5' AS x UNION ALL SELECT 4 UNION ALL SELECT 6)") == [[.integer(5)]])
    }

    @Test func refusesBadArguments() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(x, p)")
        try db.execute("INSERT INTO t VALUES (1, 10), (2, 20)")
        for (sql, message) in [
            ("SELECT percentile(x, 101) FROM t", "from 0 to 100"),
            ("SELECT percentile(x, -1) FROM t", "from 0 to 100"),
            ("SELECT percentile(x, NULL) FROM t", "from 0 to 100"),
            ("SELECT percentile(x, 'high') FROM t", "from 0 to 100"),
            ("SELECT percentile(x, p) FROM t", "same on every row"),
            ("SELECT median('abc') FROM t", "not a number"),
            ("SELECT percentile(x'00', 50) FROM t", "not a number"),
        ] {
            let error = try #require(throws: DatabaseError.self, "\(sql)") { try db.rows(sql) }
            #expect(error.message.contains(message), "\(sql): \(error.message)")
        }
        #expect(throws: DatabaseError.self) { try db.rows("SELECT percentile(x) FROM t") }
        // The same p on every row is fine even when it comes from a column.
        #expect(try db.rows("SELECT percentile(x, p / p * 50) FROM t") == [[.integer(1)]])
    }

    @Test func windowFramesMatchTheDefinition() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(i INTEGER PRIMARY KEY, g INTEGER, x)")
        var random = Generator(state: 5)
        var rows: [(g: Int, x: Double?)] = []
        for i in 0..<300 {
            let g = i % 3
            let x: Double? = random.next(8) == 0 ? nil : Double(random.next(50))
            rows.append((g, x))
            try db.execute("INSERT INTO t VALUES (?, ?, ?)", [.integer(Int64(i)), .integer(Int64(g)), x.map { .integer(Int64($0)) } ?? .null])
        }
        // A sliding frame (steps and inverses), a growing one, and whole partitions.
        let result = try db.rows(
            """
            SELECT i,
                   percentile(x, 90) OVER (PARTITION BY g ORDER BY i ROWS BETWEEN 4 PRECEDING AND CURRENT ROW),
                   median(x) OVER (ORDER BY i ROWS UNBOUNDED PRECEDING),
                   percentile(x, 25) OVER (PARTITION BY g)
            FROM t ORDER BY i
            """)
        #expect(result.count == rows.count)
        for (i, row) in result.enumerated() {
            let g = rows[i].g
            let sameGroup = (0...i).filter { rows[$0].g == g }
            let sliding = sameGroup.suffix(5).compactMap { rows[$0].x }
            let growing = (0...i).compactMap { rows[$0].x }
            let partition = rows.filter { $0.g == g }.compactMap(\.x)
            #expect(Self.value(row[1]) == Self.definition(sliding, 90), "sliding frame at \(i)")
            #expect(Self.value(row[2]) == Self.definition(growing, 50), "growing frame at \(i)")
            #expect(Self.value(row[3]) == Self.definition(partition, 25), "partition at \(i)")
        }
    }

    @Test func availableOnReadOnlyConnectionsAndInViews() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("w.db")
        do {
            let db = try Database(path: path)
            try db.execute("CREATE TABLE t(x)")
            try db.execute("INSERT INTO t VALUES (1), (2), (3), (4)")
            // Views run their functions under the untrusted-schema rule: only innocuous functions are allowed.
            try db.execute("CREATE VIEW v AS SELECT percentile(x, 75) AS p75 FROM t")
        }
        let reader = try Database(path: path, mode: .readOnly)
        #expect(try reader.rows("SELECT median(x), (SELECT p75 FROM v) FROM t") == [[.integer(2), .integer(3)]])
    }

    @Test func schemaListsTheFunctions() throws {
        let rows = try SchemaListing.rows(table: "percentile")
        #expect(rows.count == 1)
        #expect(rows.first?[2] == .text("AGGREGATE FUNCTION"))
        #expect(try SchemaListing.rows().contains { $0[0] == .text("median") })
    }
}
