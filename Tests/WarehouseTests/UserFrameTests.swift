import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// stacks.user_frame_id on a program whose module path has no dot (Tests/Fixtures/programs/payments,
/// `module payments`, traces written by scripts/make-payments-fixtures.sh with Go 1.27.3, without and with
/// -trimpath). The program has no dependencies, so its user code is exactly its own files: under /tmp/payments/
/// (where the script builds it) or, with -trimpath, module-relative under payments/. The expected user frame
/// of each stack is read off `go tool trace -d=parsed` by that file rule alone, never from our tables.
@Suite struct UserFrameTests {
    struct Variant: CustomTestStringConvertible, Sendable {
        var file: String
        /// Where the program's own files are, as the trace names them.
        var programFiles: String
        var testDescription: String { file }
        var path: String { packageRoot.appendingPathComponent("Tests/Fixtures/traces/go1.27/\(file)").path }
    }

    static let variants = [
        Variant(file: "payments.trace", programFiles: "/tmp/payments/"),
        Variant(file: "payments-trimpath.trace", programFiles: "payments/"),
    ]

    struct Frame: Hashable {
        var pc: Int64
        var function: String
        var file: String
        var line: Int64
    }

    /// Every stack of Go's -d=parsed listing ("Stack=" / "TransitionStack=" blocks: `\tfunc @ 0xPC` then
    /// `\t\tfile:line`), leaf first.
    static func goStacks(_ trace: String) throws -> Set<[Frame]> {
        let (status, text, stderr) = try TestProcess.run(
            goBinary, ["tool", "trace", "-d=parsed", trace],
            environment: ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"])
        guard status == 0 else { throw GoSummary.Failure(description: "go tool trace -d=parsed \(trace): \(stderr)") }
        var stacks: Set<[Frame]> = []
        var current: [Frame]? = nil
        var pending: (function: String, pc: Int64)? = nil
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("\t\t"), let head = pending, let colon = line.lastIndex(of: ":") {
                let file = String(line.dropFirst(2)[..<colon])
                let number = Int64(line[line.index(after: colon)...]) ?? -1
                current?.append(Frame(pc: head.pc, function: head.function, file: file, line: number))
                pending = nil
            } else if line.hasPrefix("\t"), current != nil, let at = line.range(of: " @ 0x", options: .backwards) {
                pending = (String(line.dropFirst()[..<at.lowerBound]), Int64(line[at.upperBound...], radix: 16) ?? -1)
            } else {
                if let stack = current, !stack.isEmpty { stacks.insert(stack) }
                current = line.hasSuffix("Stack=") ? [] : nil
            }
        }
        if let stack = current, !stack.isEmpty { stacks.insert(stack) }
        return stacks
    }

    @Test(arguments: variants)
    func userFrameIsTheProgramsOwnInnermostFrame(_ variant: Variant) throws {
        let goStacks = try Self.goStacks(variant.path)
        let dir = try TemporaryDirectory()
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        let run = try TraceIngest.ingest(path: variant.path, into: db, source: TraceReaderAdapter.source).runID

        var frames: [Int64: Frame] = [:]
        for row in try db.rows("SELECT frame_id, pc, function, file, line FROM frames WHERE run_id = ?", [.integer(run)]) {
            guard case .integer(let id) = row[0], case .integer(let pc) = row[1], case .text(let function) = row[2],
                case .text(let file) = row[3], case .integer(let line) = row[4]
            else { continue }
            frames[id] = Frame(pc: pc, function: function, file: file, line: line)
        }
        var stacks: [Int64: [Frame]] = [:]
        for row in try db.rows(
            "SELECT stack_id, frame_id FROM stack_frame_refs WHERE run_id = ? ORDER BY stack_id, depth", [.integer(run)])
        {
            guard case .integer(let stack) = row[0], case .integer(let frame) = row[1], let f = frames[frame] else { continue }
            stacks[stack, default: []].append(f)
        }
        var checked = 0
        var inLedger = 0
        var mismatches: [String] = []
        for row in try db.rows("SELECT stack_id, user_frame_id FROM stacks WHERE run_id = ?", [.integer(run)]) {
            guard case .integer(let id) = row[0], let stack = stacks[id] else { continue }
            #expect(goStacks.contains(stack), "stack \(id) is not one of Go's: \(stack.map(\.function))")
            let expected = stack.first { $0.file.hasPrefix(variant.programFiles) }
            var ours: Frame? = nil
            if case .integer(let user) = row[1] { ours = frames[user] }
            if ours != expected {
                mismatches.append(
                    "\(stack.map(\.function).joined(separator: " < ")): ours \(ours?.function ?? "none"), "
                        + "expected \(expected?.function ?? "none")")
            }
            if expected?.function.hasPrefix("payments/ledger.") == true { inLedger += 1 }
            checked += 1
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(checked) stacks: \(mismatches.prefix(5))")
        // The point of the fixture: user frames in a dotless package other than main (the dot rule has none).
        #expect(inLedger >= 5, "only \(inLedger) stacks with a payments/ledger user frame")
        #expect(checked >= 20, "only \(checked) stacks")
        // The trace starts tracing from payments/ledger.StartTrace, in a goroutine of its own: the first stacks
        // show the runtime's files before any main frame; with -trimpath that frame is decided again at the end.
        let start = try db.rows(
            """
            SELECT count(*) FROM stacks s JOIN frames f ON f.run_id = s.run_id AND f.frame_id = s.user_frame_id
            WHERE s.run_id = ? AND f.function = 'payments/ledger.StartTrace'
            """, [.integer(run)])
        #expect(start.first?.first != .integer(0), "no stack with user frame payments/ledger.StartTrace")
    }

    struct MutexShare: Decodable {
        var MutexNs: Int64
        var Frames: [String: Int64]
    }

    static let mutexShareBinary = GoSummary.tool("mutexshare")

    /// mutex-share's top_stacks name the ledger's lock call, as scripts/gotools/mutexshare (which reads the
    /// trace with internal/trace and decides user frames by the files of the whole trace at once) does.
    @Test(arguments: variants)
    func mutexShareTopStacksMatchGo(_ variant: Variant) throws {
        let go = try GoSummary.decode(MutexShare.self, running: Self.mutexShareBinary, on: variant.path)
        let dir = try TemporaryDirectory()
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        let run = try TraceIngest.ingest(path: variant.path, into: db, source: TraceReaderAdapter.source).runID
        let report = try ReportCatalog.find("mutex-share", db: nil, queriesDirectory: nil)
        let result = try ReportRunner.run(report, runID: run, parameters: ["top": "10"], on: db)
        let column = try #require(result.columns.firstIndex(of: "top_stacks"))
        try #require(result.rows.count == 1)
        guard case .text(let top) = result.rows[0][column] else { Issue.record("no top_stacks"); return }
        // 'function:line ns; ...': the same user frames as Go's, with the same time.
        var frames: [String: Int64] = [:]
        for item in top.split(separator: ";") {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: " ")
            if parts.count == 2, let ns = Int64(parts[1]) { frames[String(parts[0])] = ns }
        }
        #expect(frames == go.Frames, "top_stacks \(top) vs Go \(go.Frames)")
        #expect(go.Frames.keys.contains { $0.hasPrefix("payments/ledger.(*Book).Post:") }, "Go: \(go.Frames)")
        #expect(go.MutexNs > 0)
    }
}
