import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// goroutines.parent_goid and create_stack_id against Go: in `go tool trace -d=parsed`, a goroutine's creation is
/// the StateTransition `GoID=N NotExist->Runnable`; its `G=` is the creator and its `Stack=` (the event's own
/// stack, not the TransitionStack where the new goroutine starts) is the go statement.
@Suite struct GoroutineCreationTests {
    static let traces = ["go1.21/mutex", "go1.22/chan", "go1.27/mutex", "go1.27/many"].map {
        packageRoot.appendingPathComponent("Tests/Fixtures/traces/\($0).trace").path
    }

    struct Creation: Equatable {
        var parent: Int64?
        /// "function:line" of the innermost frame of the go statement's stack; nil when Go prints no stack.
        var site: String?
    }

    static func goCreations(_ trace: String) throws -> [Int64: Creation] {
        let (status, stdout, stderr) = try TestProcess.run(
            goBinary, ["tool", "trace", "-d=parsed", trace],
            environment: ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"])
        guard status == 0 else { throw GoSummary.Failure(description: "go tool trace -d=parsed \(trace): \(stderr)") }
        var result: [Int64: Creation] = [:]
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false)
        var i = 0
        while i < lines.count {
            let line = lines[i]
            i += 1
            guard line.contains(" StateTransition "), line.contains(" NotExist->Runnable "),
                let goidField = line.split(separator: " ").first(where: { $0.hasPrefix("GoID=") }),
                let goid = Int64(goidField.dropFirst(5)),
                let gField = line.split(separator: " ").first(where: { $0.hasPrefix("G=") }),
                let creator = Int64(gField.dropFirst(2))
            else { continue }
            var creation = Creation(parent: creator >= 0 ? creator : nil, site: nil)
            // The event's continuation lines: TransitionStack= and/or Stack=, each followed by frames
            // ("\tfunction @ 0xpc" then "\t\tfile:line"), separated by blank lines.
            var section = ""
            while i < lines.count, lines[i].isEmpty || lines[i].hasPrefix("\t") || lines[i].hasSuffix("Stack=") {
                let text = lines[i]
                i += 1
                if text.hasSuffix("Stack=") { section = String(text); continue }
                guard section == "Stack=", creation.site == nil, text.hasPrefix("\t"), !text.hasPrefix("\t\t"),
                    i < lines.count, lines[i].hasPrefix("\t\t")
                else { continue }
                let function = text.dropFirst().components(separatedBy: " @ ")[0]
                let line = lines[i].split(separator: ":").last.map(String.init) ?? ""
                creation.site = "\(function):\(line)"
            }
            result[goid] = creation
        }
        return result
    }

    @Test(arguments: traces)
    func creatorAndGoStatementMatchGo(trace: String) throws {
        let expected = try Self.goCreations(trace)
        #expect(expected.count > 5, "the trace should show goroutines being created")
        let dir = try TemporaryDirectory()
        let db = try WarehouseStore.openForWriting(dir.path("w.db"))
        let run = try TraceIngest.ingest(path: trace, into: db, source: TraceReaderAdapter.source)
        var ours: [Int64: Creation] = [:]
        let rows = try db.rows(
            """
            SELECT g.goid, g.parent_goid, f.function || ':' || f.line
            FROM goroutines g
            LEFT JOIN stack_frames f ON f.run_id = g.run_id AND f.stack_id = g.create_stack_id AND f.depth = 0
            WHERE g.run_id = ? AND g.parent_goid IS NOT NULL OR (g.run_id = ? AND g.create_stack_id IS NOT NULL)
            """, [.integer(run.runID), .integer(run.runID)])
        for row in rows {
            guard case .integer(let goid) = row[0] else { continue }
            var creation = Creation(parent: nil, site: nil)
            if case .integer(let parent) = row[1] { creation.parent = parent }
            if case .text(let site) = row[2] { creation.site = site }
            ours[goid] = creation
        }
        // Both directions: every creation Go shows is ours, and every parent or go statement we record is one
        // Go shows (a goroutine Go never sees created, e.g. one alive when tracing started, has neither).
        let none = Creation(parent: nil, site: nil)
        var mismatches: [String] = []
        for goid in Set(expected.keys).union(ours.keys).sorted() where (expected[goid] ?? none) != (ours[goid] ?? none) {
            mismatches.append("goroutine \(goid): ours \(ours[goid] ?? none), Go \(expected[goid] ?? none)")
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ: \(mismatches.prefix(5))")
        #expect(ours.values.filter { $0.parent != nil }.count > 5, "we record no parents")
    }
}
