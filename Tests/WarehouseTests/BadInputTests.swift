import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// Issue 6: truncated traces keep their complete generations; corrupt or wrong input leaves the warehouse
/// byte for byte as it was.
@Suite struct BadInputTests {
    /// A real multi-generation trace (sleep runs long enough for several generations).
    static var multiGeneration: String? {
        let root = packageRoot.appendingPathComponent("Tests/Fixtures/traces")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted().reversed()
        for version in versions where version >= "go1.22" {
            let path = root.appendingPathComponent(version).appendingPathComponent("sleep.trace").path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    @Test func truncatedTraceKeepsCompleteGenerations() throws {
        let source = try #require(Self.multiGeneration, "no go1.22+ sleep.trace fixture")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let dir = try TemporaryDirectory()
        let cut = dir.path("cut.trace")
        try bytes.prefix(bytes.count * 9 / 10).write(to: URL(fileURLWithPath: cut))

        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        let result = try TraceIngest.ingest(path: cut, into: db, source: TraceReaderAdapter.source)
        #expect(result.facts.truncated)
        #expect(result.facts.lostBytes > 0 && result.facts.lostBytes < Int64(bytes.count))
        let run = try db.rows(
            "SELECT truncated, lost_bytes > 0, lost_start_ns = end_ns, generation_count FROM runs WHERE run_id = ?",
            [.integer(result.runID)])
        #expect(run.first?.prefix(3) == [1, 1, 1])
        let issues = try db.rows("SELECT severity, byte_offset IS NOT NULL FROM ingest_issues WHERE run_id = ?", [.integer(result.runID)])
        #expect(issues == [["error", 1]])
        #expect(try db.scalarInt64("SELECT count(*) FROM goroutine_states WHERE run_id = ?", [.integer(result.runID)]) ?? 0 > 0)

        // What was kept is what Go keeps: the state totals equal Go's summary of the same cut file.
        let go = try GoSummary.summarize(cut)
        var ours: [String: Int64] = [:]
        for row in try db.rows("SELECT state, reason, sum(duration_ns) FROM goroutine_states GROUP BY 1, 2") {
            guard case .text(let state) = row[0], case .text(let reason) = row[1], case .integer(let n) = row[2] else { continue }
            ours[state == "waiting" ? "waiting/" + reason : state, default: 0] += n
        }
        // A current-format trace: Go's reading is deterministic, so the totals are equal, not close.
        #expect(!GoSummary.isLegacyFormat(cut))
        for key in Set(go.totals.keys).union(ours.keys).sorted() {
            // No rows of a state is 0 ns of it; Go lists running, runnable and the syscall states even at 0.
            #expect((ours[key] ?? 0) == (go.totals[key] ?? 0), "\(key): warehouse \(ours[key] ?? 0), Go \(go.totals[key] ?? 0)")
        }
        #expect(!go.totals.isEmpty)
    }

    /// Copies the warehouse's bytes (after its connection closed, so the WAL is checkpointed away).
    func snapshot(_ path: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            files[suffix] = try Data(contentsOf: URL(fileURLWithPath: path + suffix))
        }
        return files
    }

    @Test func corruptOrWrongInputLeavesTheWarehouseAsItWas() throws {
        let dir = try TemporaryDirectory()
        let warehouse = dir.path("w.db")
        let good = try #require(Self.multiGeneration, "no go1.22+ sleep.trace fixture")
        do {
            let db = try WarehouseStore.openForWriting(warehouse)
            _ = try TraceIngest.ingest(path: good, into: db, source: TraceReaderAdapter.source)
        }
        let before = try snapshot(warehouse)
        #expect(before[""] != nil)

        var random = SystemRandomNumberGenerator()
        let noise = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) })
        let goodBytes = try Data(contentsOf: URL(fileURLWithPath: good))
        // The real trace with its header claiming Go 1.10 ("go 1.10 trace\0\0\0"): an unsupported version.
        var oldVersion = goodBytes
        oldVersion.replaceSubrange(0..<16, with: Array("go 1.10 trace\u{0}\u{0}\u{0}".utf8))
        var futureVersion = goodBytes
        futureVersion.replaceSubrange(0..<16, with: Array("go 1.99 trace\u{0}\u{0}\u{0}".utf8))
        // A v1 (Go 1.21) trace cut short: Go's v1 reader parses the whole file first and fails as a whole.
        // (A file that is only a valid header is not bad input: Go reads it as one Sync event, and it is kept
        // as an empty run; see LostBytesTests.)
        let v1 = try Data(contentsOf: packageRoot.appendingPathComponent("Tests/Fixtures/traces/go1.21/sleep.trace"))
        let inputs: [(String, Data?)] = [
            ("random.trace", noise), ("empty.trace", Data()), ("source.go", Data("package main\n\nfunc main() {}\n".utf8)),
            ("old.trace", oldVersion), ("future.trace", futureVersion),
            ("v1-cut.trace", v1.prefix(v1.count * 2 / 3)), ("missing.trace", nil),
        ]
        for (name, contents) in inputs {
            let path = dir.path(name)
            if let contents { try contents.write(to: URL(fileURLWithPath: path)) }
            do {
                let db = try WarehouseStore.openForWriting(warehouse)
                let error = #expect(throws: (any Error).self, "\(name) was accepted") {
                    _ = try TraceIngest.ingest(path: path, into: db, source: TraceReaderAdapter.source)
                }
                // One line that names the file.
                let text = "\(error.map { "\($0)" } ?? "")"
                #expect(text.contains(path), "\(name): \(text)")
                #expect(!text.contains("\n"), "\(name): \(text)")
            }
            #expect(try snapshot(warehouse) == before, "\(name) changed the warehouse")
        }
        // A directory.
        do {
            let db = try WarehouseStore.openForWriting(warehouse)
            #expect(throws: IngestError.self) {
                _ = try TraceIngest.ingest(path: dir.url.path, into: db, source: TraceReaderAdapter.source)
            }
        }
        #expect(try snapshot(warehouse) == before)
    }
}
