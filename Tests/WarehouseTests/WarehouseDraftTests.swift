import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// The first run of a new warehouse is built in a private draft and published when it commits
/// (WarehouseIngest, WarehouseDraft). Killed first ingests are in ProcessTests.
@Suite struct WarehouseDraftTests {
    /// Runs `hook` once, the first time the ingest starts reading, then reads the trace as usual.
    final class HookedSource: TraceRowSource {
        var hook: (() throws -> Void)?
        init(_ hook: @escaping () throws -> Void) { self.hook = hook }
        func writeRows(path: String, into writer: RunWriter, progress: (Int64) -> Void) throws -> TraceFacts {
            if let hook {
                self.hook = nil
                try hook()
            }
            return try TraceReaderAdapter.source.writeRows(path: path, into: writer, progress: progress)
        }
    }

    static func fixtures() throws -> (String, String) {
        let root = packageRoot.appendingPathComponent("Tests/Fixtures/traces").path
        return ("\(root)/go1.27/mutex.trace", "\(root)/go1.26/mutex.trace")
    }

    /// A new warehouse appears only at commit, in WAL mode, with nothing else left in the directory.
    @Test func firstRunPublishesTheWarehouse() throws {
        let (first, second) = try Self.fixtures()
        let dir = try TemporaryDirectory()
        let path = dir.path("w.db")
        let ingest = WarehouseIngest(path: path)
        let source = HookedSource {
            #expect(!FileManager.default.fileExists(atPath: path), "the warehouse exists before its first commit")
        }
        _ = try ingest.ingest(trace: first, source: source)
        _ = try ingest.ingest(trace: second, source: TraceReaderAdapter.source)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { !$0.hasPrefix("w.db") }.isEmpty)
        let db = try Database(path: path, mode: .readOnly)
        #expect(try db.scalarText("PRAGMA integrity_check") == "ok")
        #expect(try db.scalarInt64("SELECT count(*) FROM runs") == 2)
        let header = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(20)
        #expect(header[18] == 2 && header[19] == 2, "not in WAL mode")
    }

    /// Another process creates the warehouse while the first run is being built: that run goes into the
    /// other warehouse instead, and both runs are there.
    @Test func warehouseCreatedMeanwhileGetsTheRun() throws {
        let (first, second) = try Self.fixtures()
        let dir = try TemporaryDirectory()
        let path = dir.path("w.db")
        let source = HookedSource {
            _ = try WarehouseIngest(path: path).ingest(trace: second, source: TraceReaderAdapter.source)
        }
        let result = try WarehouseIngest(path: path).ingest(trace: first, source: source)
        #expect(result.runID == 2)
        let db = try Database(path: path, mode: .readOnly)
        #expect(try db.scalarInt64("SELECT count(*) FROM runs") == 2)
        #expect(try db.scalarInt64("SELECT count(DISTINCT run_id) FROM goroutine_states") == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { !$0.hasPrefix("w.db") }.isEmpty)
    }

    /// A failed first ingest leaves the directory as it was: no warehouse, no draft.
    @Test func failedFirstRunLeavesNothing() throws {
        let (first, _) = try Self.fixtures()
        let dir = try TemporaryDirectory()
        let path = dir.path("w.db")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            _ = try WarehouseIngest(path: path).ingest(trace: first, source: HookedSource { throw Boom() })
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }

    /// A draft left by a dead process (its lock is free) is removed by the next draft for the same path;
    /// a live one (locked) is not.
    @Test func deadDraftsAreRemoved() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("w.db")
        let dead = dir.path(WarehouseDraft.draftPrefix(for: path) + "dead")
        try Data("not empty".utf8).write(to: URL(fileURLWithPath: dead))
        let live = try WarehouseDraft(for: path)
        #expect(!FileManager.default.fileExists(atPath: dead))
        let other = try WarehouseDraft(for: path)
        #expect(FileManager.default.fileExists(atPath: live.draftPath), "a live draft was removed")
        other.discard()
        live.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }
}
