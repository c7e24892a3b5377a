import Foundation
import TestSupport
import GoTrace
import Testing

@testable import Warehouse

/// A row source that writes a fixed set of rows: it exercises the SQL layer of the ingest (transaction,
/// interning, indexes, duplicate handling), not trace semantics.
struct FixedRowSource: TraceRowSource {
    var failAfterRows = false

    struct Failure: Error {}

    func writeRows(path: String, into writer: RunWriter, progress: (Int64) -> Void) throws -> TraceFacts {
        let lock = [
            StackFrame(pc: 0x10, function: "sync.(*Mutex).Lock", file: "sync/mutex.go", line: 46),
            StackFrame(pc: 0x20, function: "main.worker", file: "/src/main.go", line: 12),
            StackFrame(pc: 0x30, function: "main.main.func1", file: "/src/main.go", line: 30),
        ]
        let stack = try writer.stackID(frames: lock)
        #expect(try writer.stackID(frames: lock) == stack)  // interned
        #expect(try writer.stackID(frames: []) == nil)
        let other = try writer.stackID(frames: Array(lock.dropFirst()))
        #expect(other != stack)
        var row = RunWriter.GoroutineRow(goid: 7, createdNs: 0)
        row.startFunction = "main.main.func1"
        try writer.insertGoroutine(row)
        try GoroutineRecords(writer: writer).write(
            row, GoroutineTimes(totalNs: 250, execNs: 100, schedWaitNs: 0, blockNs: 150, syscallNs: 0, syscallBlockNs: 0))
        let chunk = OpenIntervalChunk(goid: 7)  // written by RunWriter.finish
        try writer.insertGoroutineState(
            chunk, state: .running, reason: "", category: "", startNs: 0, endNs: 100, stackID: nil, procID: 0,
            threadID: 1)
        try writer.insertGoroutineState(
            chunk, state: .waiting, reason: "sync",
            category: BlockCategory.classify(state: .waiting, reason: "sync", frames: lock), startNs: 100, endNs: 250,
            stackID: stack, procID: 0, threadID: 1, wakerGoid: 8, wakerStackID: other)
        try writer.insertIssue(severity: .warning, message: "something odd", byteOffset: 42)
        progress(1)
        if failAfterRows { throw Failure() }
        var facts = TraceFacts()
        facts.traceVersion = "go1.26"
        facts.eventCount = 3
        facts.endNs = 250
        return facts
    }
}

@Suite struct IngestScaffoldTests {
    func makeTrace(_ dir: TemporaryDirectory, _ name: String = "a.trace", bytes: [UInt8] = [1, 2, 3]) throws -> String {
        let path = dir.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func writesOneRunWithInternedStacksAndIndexes() throws {
        let dir = try TemporaryDirectory()
        let trace = try makeTrace(dir)
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        let options = IngestOptions(metadata: RunMetadata(label: "L", build: "B", tags: [("git", "abc"), ("host", "h")]))
        let result = try TraceIngest.ingest(path: trace, into: db, source: FixedRowSource(), options: options)
        #expect(result.runID == 1)
        #expect(
            try db.rows("SELECT label, build, trace_version, event_count, goroutine_count, end_ns, duration_ns FROM runs")
                == [["L", "B", "go1.26", 3, 1, 250, 250]])
        #expect(try db.rows("SELECT key, value FROM run_tags ORDER BY key") == [["git", "abc"], ["host", "h"]])
        // sha256 of bytes 01 02 03.
        #expect(
            try db.scalarText("SELECT source_sha256 FROM runs")
                == "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81")
        #expect(try db.scalarInt64("SELECT count(*) FROM stacks") == 2)
        #expect(try db.scalarInt64("SELECT count(*) FROM frames") == 3)  // shared between the two stacks
        #expect(
            try db.rows("SELECT depth, function FROM stack_frames WHERE stack_id = 1 ORDER BY depth")
                == [[0, "sync.(*Mutex).Lock"], [1, "main.worker"], [2, "main.main.func1"]])
        #expect(
            try db.rows("SELECT state, category, user_function, leaf_function FROM goroutine_state_frames WHERE state = 'waiting'")
                == [["waiting", "mutex", "main.worker", "sync.(*Mutex).Lock"]])
        #expect(try db.rows("SELECT state, reason, total_ns FROM state_totals ORDER BY state") == [["running", "", 100], ["waiting", "sync", 150]])
        #expect(try db.scalarInt64("SELECT is_system FROM goroutines WHERE goid = 7") == 0)
        #expect(try db.rows("SELECT severity, byte_offset FROM ingest_issues") == [["warning", 42]])
        for index in WarehouseSchema.indexNames {
            #expect(try db.scalarInt64("SELECT count(*) FROM sqlite_schema WHERE name = ?", [.text(index)]) == 1)
        }
        #expect(try db.scalarText("PRAGMA integrity_check") == "ok")
    }

    @Test func failedIngestLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        _ = try TraceIngest.ingest(path: try makeTrace(dir, "first.trace"), into: db, source: FixedRowSource())
        func counts() throws -> [[DatabaseValue]] {
            try db.rows(
                "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM goroutine_states), (SELECT count(*) FROM frames), (SELECT count(*) FROM ingest_issues), (SELECT count(*) FROM sqlite_schema)"
            )
        }
        let before = try counts()
        #expect(throws: FixedRowSource.Failure.self) {
            _ = try TraceIngest.ingest(
                path: try makeTrace(dir, "second.trace", bytes: [9]), into: db, source: FixedRowSource(failAfterRows: true))
        }
        #expect(try counts() == before)
        #expect(!db.isInTransaction)
        // The next ingest works.
        let next = try TraceIngest.ingest(path: try makeTrace(dir, "third.trace", bytes: [8]), into: db, source: FixedRowSource())
        #expect(next.runID == 2)
    }

    @Test func duplicateIsRefusedUnlessReplaced() throws {
        let dir = try TemporaryDirectory()
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        let trace = try makeTrace(dir)
        _ = try TraceIngest.ingest(path: trace, into: db, source: FixedRowSource())
        let copy = try makeTrace(dir, "copy.trace")
        let error = try #require(throws: DuplicateRunError.self) {
            _ = try TraceIngest.ingest(path: copy, into: db, source: FixedRowSource())
        }
        #expect(error.existingRunID == 1)
        #expect(error.description.contains("run 1") && error.description.contains("--replace"))
        let replaced = try TraceIngest.ingest(
            path: copy, into: db, source: FixedRowSource(), options: IngestOptions(replace: true))
        #expect(try db.rows("SELECT run_id, source_path FROM runs") == [[.integer(replaced.runID), .text(copy)]])
        #expect(try db.scalarInt64("SELECT count(*) FROM goroutine_states") == 2)
        #expect(try db.scalarInt64("SELECT count(*) FROM frames") == 3)
    }

    @Test func badSourcePathsAreRefusedBeforeTheWarehouse() throws {
        let dir = try TemporaryDirectory()
        let empty = try makeTrace(dir, "empty.trace", bytes: [])
        for (path, words) in [(dir.path("missing.trace"), "no such file"), (dir.url.path, "directory"), (empty, "empty")] {
            let error = try #require(throws: IngestError.self) { try TraceIngest.validateSource(path) }
            #expect(error.description.hasPrefix(path), "\(error)")
            #expect(error.description.contains(words), "\(error)")
        }
    }

    @Test func sha256MatchesKnownVectors() {
        var empty = SHA256()
        #expect(empty.finalizeHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var abc = SHA256()
        abc.update(Array("abc".utf8))
        #expect(abc.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // 1,000,000 'a' fed in uneven pieces crosses every block boundary case.
        var million = SHA256()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var fed = 0
        while fed < 1_000_000 {
            let n = min(piece.count - (fed % 7), 1_000_000 - fed)
            million.update(Array(piece[0..<n]))
            fed += n
        }
        #expect(million.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The x86 SHA extensions' path (CSHA256) and the portable one give the same digests, for every length
    /// around the block and padding boundaries and for pieces that split blocks (the vectors above check
    /// whichever path this machine takes).
    @Test func sha256AcceleratedMatchesPortable() {
        var bytes: [UInt8] = []
        var x: UInt32 = 2_463_534_242
        for _ in 0..<4096 {
            x ^= x << 13
            x ^= x >> 17
            x ^= x << 5
            bytes.append(UInt8(truncatingIfNeeded: x))
        }
        for length in Array(0...200) + [1000, 4095, 4096] {
            var fast = SHA256(accelerated: true)
            var portable = SHA256(accelerated: false)
            var fed = 0
            while fed < length {
                let n = min(37 + fed % 101, length - fed)
                fast.update(Array(bytes[fed..<fed + n]))
                portable.update(Array(bytes[fed..<fed + n]))
                fed += n
            }
            #expect(fast.finalizeHex() == portable.finalizeHex(), "length \(length)")
        }
    }
}

@Suite struct StackRuleTests {
    @Test func systemGoroutinesFollowGo() {
        #expect(StackRules.isSystemGoroutine("runtime.gcBgMarkWorker"))
        #expect(StackRules.isSystemGoroutine(""))
        #expect(!StackRules.isSystemGoroutine("runtime.main"))
        #expect(!StackRules.isSystemGoroutine("main.main.func1"))
    }

    @Test func standardLibrary() {
        #expect(StackRules.isStandardLibrary("sync.(*Mutex).Lock"))
        #expect(StackRules.isStandardLibrary("internal/sync.(*Mutex).lockSlow"))
        #expect(StackRules.isStandardLibrary("net/http.(*conn).serve"))
        #expect(!StackRules.isStandardLibrary("main.worker"))
        #expect(!StackRules.isStandardLibrary("github.com/a/b.(*T).M"))
        #expect(!StackRules.isStandardLibrary("golang.org/x/sync/errgroup.(*Group).Go.func1"))
        #expect(StackRules.packagePath("github.com/a/b.c.(*T).M") == "github.com/a/b")
    }

    func frames(_ names: String...) -> [StackFrame] {
        names.map { StackFrame(pc: 1, function: $0, file: "f.go", line: 1) }
    }

    @Test func syncCategoriesFromStacks() {
        func cat(_ f: [StackFrame], reason: String = "sync") -> String {
            BlockCategory.classify(state: .waiting, reason: reason, frames: f)
        }
        #expect(cat(frames("sync.runtime_SemacquireMutex", "internal/sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).Lock", "sync.(*Mutex).Lock", "main.f")) == "mutex")
        #expect(cat(frames("sync.runtime_SemacquireMutex", "sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock", "sync.(*RWMutex).Lock", "main.f")) == "rwmutex")
        #expect(cat(frames("sync.runtime_SemacquireRWMutexR", "sync.(*RWMutex).RLock", "main.f")) == "rwmutex")
        #expect(cat(frames("sync.runtime_SemacquireWaitGroup", "sync.(*WaitGroup).Wait", "main.f")) == "waitgroup")
        // One definition of a lock wait (migration 0005): a 'sync' wait with a lock frame is mutex/rwmutex, so the
        // lock Once.Do or Cond.Wait takes is mutex time, as mutex-share (scripts/gotools/mutexshare) counts it.
        #expect(cat(frames("sync.(*Mutex).Lock", "sync.(*Once).doSlow", "sync.(*Once).Do", "main.f")) == "mutex")
        #expect(cat(frames("sync.runtime_SemacquireMutex", "sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock", "sync.(*Cond).Wait", "main.f")) == "mutex")
        #expect(cat(frames("sync.(*Once).doSlow", "sync.(*Once).Do", "main.f")) == "once")
        // Mutex frames without a lock frame, or a lock frame under another reason: not a lock wait.
        #expect(cat(frames("sync.(*Mutex).Unlock", "main.f")) == "other")
        #expect(cat(frames("sync.(*Mutex).Lock", "main.f"), reason: "select") == "select")
        #expect(cat(frames("sync.(*Mutex).Lock", "main.g", "sync.(*Once).doSlow", "sync.(*Once).Do")) == "mutex")
        #expect(cat(frames("sync.runtime_Semacquire", "main.f")) == "semaphore")
        #expect(cat([]) == "semaphore")
        #expect(cat(frames("runtime.traceAdvance", "runtime.(*traceAdvancerState).start.func1")) == "runtime")
        #expect(cat(frames("runtime.gopark", "runtime.forcegchelper"), reason: "") == "runtime")
        #expect(cat([], reason: "") == "other")
        #expect(cat([], reason: "sync.(*Cond).Wait") == "cond")
        #expect(cat([], reason: "chan receive") == "chan_recv")
        #expect(cat([], reason: "GC mark assist wait for work") == "gc")
        #expect(BlockCategory.classify(state: .runnable, reason: "preempted", frames: []) == "preempted")
        #expect(BlockCategory.classify(state: .syscallBlocked, reason: "", frames: []) == "syscall")
    }
}
