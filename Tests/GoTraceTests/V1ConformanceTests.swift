// Conformance of the legacy (Go 1.11–1.21) path: our dump of every v1 trace (Go's own `_good` testdata, read from
// GOROOT, and the fixtures under Tests/Fixtures/traces/go1.19 and go1.21) against Go 1.27.3's
// `go tool trace -d=parsed`, run at test time.
//
// Go's own output for v1 traces is not deterministic, in two known places, both map iterations in Go:
//  1. the GoStatus(Runnable) events synthesized for goroutines created before tracing began (tracev1.go
//     ranges over a map): same events and same timestamps, goroutine IDs in varying order;
//  2. the merge of per-P batches (parser.go ranges over a map of Ps), which decides the order of events with
//     *equal* raw timestamps on different Ps (only seen in traces from platforms with coarse clocks).
// So we compare after sorting the IDs within each run of (1), and, when that still differs, run Go again (up to
// maxGoRuns times): our dump must be byte for byte one of the outputs Go actually printed. Nothing is blanked or
// reordered beyond (1), so a wrong time or event anywhere fails.
import Foundation
import TestSupport
import Testing

@testable import GoTrace

enum V1Dump {
    /// Our text for `traceware dump FILE` on a v1 trace, through the public Reader (whose legacy hook leads to
    /// V1/): Go's Event.String() lines; on error, the lines so far and the error.
    static func dump(_ path: String) -> (text: [UInt8], error: TraceError?) {
        var out: [UInt8] = []
        do {
            let reader = try Reader(path: path)
            while let ev = try reader.readEvent() {
                ev.appendText(to: &out)
                out.append(UInt8(ascii: "\n"))
            }
            return (out, nil)
        } catch let e as TraceError {
            return (out, e)
        } catch {
            return (out, TraceError(path: path, "\(error)"))
        }
    }

    /// Sorts the goroutine IDs within each run of consecutive synthesized pre-trace GoStatus lines
    /// (`M=-1 P=-1 G=-1 StateTransition Time=T GoID=N Undetermined->Runnable Reason=""`), keeping the times.
    static func canonical(_ text: [UInt8]) -> [UInt8] {
        let prefix = Array("M=-1 P=-1 G=-1 StateTransition Time=".utf8)
        let suffix = Array(" Undetermined->Runnable Reason=\"\"".utf8)
        let goid = Array(" GoID=".utf8)
        var lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        func parse(_ l: [UInt8]) -> (time: ArraySlice<UInt8>, id: Int64)? {
            guard l.starts(with: prefix), l.count > prefix.count + suffix.count,
                Array(l.suffix(suffix.count)) == suffix
            else { return nil }
            let mid = l[prefix.count..<(l.count - suffix.count)]
            guard let r = mid.firstRange(of: goid) else { return nil }
            guard let id = Int64(String(decoding: mid[r.upperBound...], as: UTF8.self)) else { return nil }
            return (mid[..<r.lowerBound], id)
        }
        var i = 0
        while i < lines.count {
            guard parse(lines[i]) != nil else {
                i += 1
                continue
            }
            var j = i
            var group: [(time: ArraySlice<UInt8>, id: Int64)] = []
            while j < lines.count, let g = parse(lines[j]) {
                group.append(g)
                j += 1
            }
            let ids = group.map(\.id).sorted()
            for k in 0..<group.count {
                lines[i + k] = prefix + Array(group[k].time) + goid + Array(String(ids[k]).utf8) + suffix
            }
            i = j
        }
        return Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    }
}

@Suite struct V1ConformanceTests {
    static let files: [String] = V1TestGo.goodFiles() + V1TestGo.fixtureFiles()

    /// How many runs of Go to try for an exact match when the first one's order differs (see the file comment).
    static let maxGoRuns = 20

    @Test func goIsThere() {
        if GoOracle.isAvailable { return }
        if GoOracle.isCI { Issue.record("Go toolchain missing at \(goBinary) (set TRACEWARE_GO)") }
    }

    @Test(.enabled(if: GoOracle.shouldRun, GoOracle.skipMessage), arguments: files)
    func dumpMatchesGo(_ file: String) throws {
        guard GoOracle.require() else { return }
        let (ours, error) = V1Dump.dump(file)
        #expect(error == nil, "\(file): \(error.map { "\($0)" } ?? "")")
        let mine = V1Dump.canonical(ours)
        if let dir = ProcessInfo.processInfo.environment["V1_DUMP_DIR"] {
            // For debugging: our (canonical) dump next to the trace's name.
            let name = URL(fileURLWithPath: file).lastPathComponent
            FileManager.default.createFile(atPath: dir + "/" + name + ".ours", contents: Data(mine))
        }
        // Go's distinct outputs so far; ours must be one of them.
        var goOutputs: [[UInt8]] = []
        for run in 0..<Self.maxGoRuns {
            let go = try GoOracle.run(
                ["tool", "trace", "-d=parsed", file], key: "v1-parsed-\(run)-" + GoOracle.cacheKey(file))
            try #require(go.status == 0, "\(file): go tool trace failed: \(go.stderr)")
            let theirs = V1Dump.canonical(go.stdout)
            if theirs == mine { return }  // byte-identical to one of Go's outputs
            if !goOutputs.contains(theirs) { goOutputs.append(theirs) }
        }
        let diff = firstDifference(expected: goOutputs.first ?? [], actual: mine) ?? ""
        let runs = "\(Self.maxGoRuns) runs of go tool trace -d=parsed (\(goOutputs.count) distinct)"
        Issue.record("\(file): differs from every output of \(runs); vs the first:\n\(diff)")
    }
}
