// Conformance of the legacy (Go 1.11–1.21) path: our dump of every v1 trace (Go's own `_good` testdata, read from
// GOROOT, and the fixtures under Tests/Fixtures/traces/go1.19 and go1.21) against Go 1.27.3's
// `go tool trace -d=parsed`, run at test time.
//
// Go's own output for v1 traces is not deterministic, in two known places, both map iterations in Go:
//  1. the GoStatus(Runnable) events synthesized for goroutines created before tracing began (tracev1.go
//     ranges over a map): same events and same timestamps, goroutine IDs in varying order;
//  2. the merge of per-P batches (parser.go ranges over a map of Ps), which decides the order of events with
//     *equal* raw timestamps on different Ps (only seen in traces from platforms with coarse clocks).
// So we compare after sorting the IDs within each run of (1), and, when that still differs, run Go again
// (a few times) to see whether our order is among Go's; if none is, our dump must still equal one of Go's
// runs up to the order of tied events (tieInsensitive). That fallback only ever accepts what an actual Go run
// printed, modulo (2); it makes no claim about how Go varies, so it needs no test of Go's own variation (an earlier
// test of that was flaky: Go's output varies by run and machine load).
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

    /// A form insensitive to Go's tie order (2. in the file comment): the dump split into event records (a line
    /// starting with "M=" plus its continuation lines), grouped into runs of records whose times are equal or
    /// 1 ns apart (where Go's +1 ns bump puts tied events); each run becomes its start time, its length and its
    /// records sorted with the time blanked out.
    static func tieInsensitive(_ text: [UInt8]) -> [UInt8] {
        var records: [(time: Int64, body: [UInt8])] = []
        let timeKey = Array(" Time=".utf8)
        for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if line.starts(with: Array("M=".utf8)) || records.isEmpty {
                var time: Int64 = .min
                var body = Array(line)
                if let r = line.firstRange(of: timeKey) {
                    var e = r.upperBound
                    while e < line.endIndex, line[e] != UInt8(ascii: " ") { e += 1 }
                    time = Int64(String(decoding: line[r.upperBound..<e], as: UTF8.self)) ?? .min
                    body = Array(line[..<r.upperBound]) + Array(line[e...])
                }
                records.append((time, body))
            } else {
                records[records.count - 1].body += [UInt8(ascii: "\n")] + Array(line)
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < records.count {
            var j = i + 1
            while j < records.count, records[j].time != .min, records[j - 1].time != .min,
                records[j].time &- records[j - 1].time <= 1, records[j].time >= records[j - 1].time
            {
                j += 1
            }
            out += Array("RUN \(records[i].time) \(j - i)\n".utf8)
            for body in records[i..<j].map(\.body).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                out += body
                out.append(UInt8(ascii: "\n"))
            }
            i = j
        }
        return out
    }
}

@Suite struct V1ConformanceTests {
    static let files: [String] = V1TestGo.goodFiles() + V1TestGo.fixtureFiles()

    /// How many runs of Go to try for an exact match when the first one's order differs (see the file comment).
    static let maxGoRuns = 10

    @Test func goIsThere() {
        if V1TestGo.available { return }
        if V1TestGo.inCI { Issue.record("Go toolchain missing at \(goBinary) (set TRACEWARE_GO)") }
    }

    @Test(arguments: files)
    func dumpMatchesGo(_ file: String) throws {
        guard V1TestGo.available else {
            if V1TestGo.inCI { Issue.record("Go toolchain missing at \(goBinary)") }
            return
        }
        let (ours, error) = V1Dump.dump(file)
        #expect(error == nil, "\(file): \(error.map { "\($0)" } ?? "")")
        let mine = V1Dump.canonical(ours)
        if let dir = ProcessInfo.processInfo.environment["V1_DUMP_DIR"] {
            // For debugging: our (canonical) dump next to the trace's name.
            let name = URL(fileURLWithPath: file).lastPathComponent
            FileManager.default.createFile(atPath: dir + "/" + name + ".ours", contents: Data(mine))
        }
        var goRuns: [[UInt8]] = []
        for run in 0..<Self.maxGoRuns {
            let go = try GoOracle.run(
                ["tool", "trace", "-d=parsed", file], key: "v1-parsed-\(run)-" + GoOracle.cacheKey(file))
            #expect(go.status == 0, "\(file): go tool trace failed: \(go.stderr)")
            if go.status != 0 { return }
            let theirs = V1Dump.canonical(go.stdout)
            if theirs == mine { return }  // byte-identical to one of Go's outputs
            goRuns.append(theirs)
        }
        // None of Go's runs picked our order for tied events: then we must equal Go up to that order.
        let mineTies = V1Dump.tieInsensitive(mine)
        for theirs in goRuns where V1Dump.tieInsensitive(theirs) == mineTies {
            print("V1ConformanceTests: \(file) matches go tool trace -d=parsed up to the order of tied events "
                + "(Go's own output varies there; no exact match in \(Self.maxGoRuns) runs)")
            return
        }
        let diff = firstDifference(expected: goRuns.first ?? [], actual: mine) ?? ""
        Issue.record("\(file): differs from all \(Self.maxGoRuns) runs of go tool trace -d=parsed; vs the first:\n\(diff)")
    }
}
