// The current-format (Go 1.22+) reader on damaged input, against Go itself: on truncated and corrupted real
// traces our Reader must produce byte-identical events (Go's text form) to Go 1.27.3's
// `go tool trace -d=parsed`, then fail where Go fails, with Go's message, and never trap. Inputs: prefixes
// of the fixture traces under Tests/Fixtures/traces/go1.2x and of Go's own testdata traces, and corrupted
// copies of the latter. (Whole fixture traces and Go's testdata cases are compared in ConformanceTests.)
import Foundation
import Testing

@testable import GoTrace

enum ReaderDump {
    /// Our `-d=parsed` text for path: one line per Event.String(), up to the first error.
    static func dump(_ path: String) -> (text: [UInt8], error: TraceError?, events: Int) {
        var out: [UInt8] = []
        var n = 0
        do {
            let reader = try Reader(path: path)
            while let ev = try reader.readEvent() {
                ev.appendText(to: &out)
                out.append(UInt8(ascii: "\n"))
                n += 1
            }
            return (out, nil, n)
        } catch let e as TraceError {
            return (out, e, n)
        } catch {
            return (out, TraceError(path: path, "\(error)"), n)
        }
    }

    /// True for fixture traces in the current format (written by Go 1.22 or later).
    static func isCurrentFormat(_ f: FixtureTrace) -> Bool {
        guard f.goVersion.hasPrefix("go1."), let minor = Int(f.goVersion.dropFirst(4).prefix { $0.isNumber })
        else { return false }
        return minor >= 22
    }

    /// Compares our reading of path with Go's: same text, and an error exactly when Go has one.
    static func expectSameAsGo(_ path: String, name: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let go = try GoOracle.parsed(path)
        let ours = dump(path)
        if let diff = firstDifference(expected: go.stdout, actual: ours.text) {
            Issue.record("\(name): our events differ from go tool trace -d=parsed:\n\(diff)", sourceLocation: sourceLocation)
        }
        if go.status == 0 {
            #expect(ours.error == nil, "\(name): Go reads it without error, we fail: \(String(describing: ours.error))",
                    sourceLocation: sourceLocation)
        } else {
            #expect(ours.error != nil, "\(name): Go fails (\(go.stderr.trimmingCharacters(in: .whitespacesAndNewlines))), we don't",
                    sourceLocation: sourceLocation)
            if let e = ours.error {
                // Go's message is in its stderr (after log's prefix); ours must carry the same text.
                // The "broken trace" dumps list Go map contents in random order: compare their first line.
                let firstLine = e.message.split(separator: "\n").first.map(String.init) ?? e.message
                #expect(go.stderr.contains(firstLine),
                        "\(name): Go says \(go.stderr.debugDescription), we say \(e.message.debugDescription)",
                        sourceLocation: sourceLocation)
            }
        }
    }
}

@Suite("Reader (Go 1.22+ format) against go tool trace -d=parsed")
struct ReaderTests {
    /// A trace cut short yields every complete generation before the cut, then an error, as Go's does.
    /// The inputs are prefixes of the real traces above, at several cut points.
    @Test("Truncated traces", .enabled(if: GoOracle.shouldRun, GoOracle.skipMessage))
    func truncated() throws {
        guard GoOracle.require() else { return }
        // (path, unique name): the fixtures plus Go's own (converted) stress testdata traces.
        var sources = FixtureTraces.all().filter(ReaderDump.isCurrentFormat).map {
            ($0.path, $0.name.replacingOccurrences(of: "/", with: "-"))
        }
        sources += try GoTestdataCases.all().filter { $0.name.hasSuffix("stress") }.map {
            (try GoTestdataConverter.binaryTrace(for: $0).path, $0.name)
        }
        // 75 current-format fixtures (Go 1.22, 1.23, 1.25, 1.26, 1.27 x 15 scenarios) and Go's 2 stress cases.
        #expect(sources.count >= 75 + 2, "only \(sources.count) traces to cut")
        for (index, (source, name)) in sources.enumerated() {
            let data = try #require(FileManager.default.contents(atPath: source), "\(source) is unreadable")
            try #require(data.count > 64, "\(source) is too small to cut")
            // Two cut points per trace, spread over the file (golden-ratio steps), plus a header-only cut
            // for every seventh: keeps the Go runs affordable while covering every region.
            let a = (Double(index) * 0.618_034).truncatingRemainder(dividingBy: 1)
            var fractions = [a, (a + 0.5).truncatingRemainder(dividingBy: 1)]
            if index % 7 == 0 { fractions.append(0) }
            for fraction in fractions {
                let cut = max(16, Int(Double(data.count) * fraction))
                let path = GoOracle.cacheDir.appendingPathComponent("cut\(cut)-\(name)").path
                FileManager.default.createFile(atPath: path, contents: data.prefix(cut))
                try ReaderDump.expectSameAsGo(path, name: "\(name) cut at \(cut) of \(data.count)")
            }
        }
    }

    /// Corrupted input never traps, and fails (or not) like Go. The inputs are Go's own testdata traces
    /// with a few bytes overwritten, deleted or inserted at deterministic pseudo-random places.
    @Test("Corrupted traces", .enabled(if: GoOracle.shouldRun, GoOracle.skipMessage))
    func corrupted() throws {
        guard GoOracle.require() else { return }
        let cases = GoTestdataCases.all().filter { $0.name.hasSuffix("stress") || $0.name.hasSuffix("sync") }
        // go122-annotations-stress, go122-gc-stress, go123-sync and go125-sync in Go 1.27.3.
        #expect(cases.count >= 4, "only \(cases.map(\.name)) of Go's stress and sync cases found")
        var rng: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ n: Int) -> Int {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((rng >> 33) % UInt64(max(n, 1)))
        }
        for testCase in cases {
            let source = try GoTestdataConverter.binaryTrace(for: testCase)
            let data = try #require(FileManager.default.contents(atPath: source.path), "\(source.path) is unreadable")
            try #require(data.count > 32, "\(source.path) is too small to corrupt")
            for variant in 0..<8 {
                var bytes = [UInt8](data)
                for _ in 0..<(1 + next(4)) {
                    let pos = 16 + next(bytes.count - 16)
                    switch next(3) {
                    case 0: bytes[pos] = UInt8(next(256))
                    case 1: bytes.removeSubrange(pos..<min(bytes.count, pos + 1 + next(40)))
                    default: bytes.insert(contentsOf: (0..<(1 + next(8))).map { _ in UInt8(next(256)) }, at: pos)
                    }
                    if bytes.count <= 16 { break }
                }
                let path = GoOracle.cacheDir.appendingPathComponent("corrupt\(variant)-\(testCase.name).trace").path
                FileManager.default.createFile(atPath: path, contents: Data(bytes))
                try ReaderDump.expectSameAsGo(path, name: "\(testCase.name) corrupted #\(variant)")
            }
        }
    }

    @Test("Errors name the file and say what is wrong")
    func notATrace() throws {
        // A real file that is not a trace: this test's own source.
        let path = #filePath
        do {
            _ = try Reader(path: path)
            Issue.record("reading a Swift source as a trace should fail")
        } catch let e as TraceError {
            #expect(e.message == "bad file format: not a Go execution trace?")
            #expect(e.path == path)
            #expect(e.offset == 0)
            #expect(e.description.hasPrefix(path))
            #expect(!e.description.contains("\n"))
        }
        #expect(throws: TraceError.self) { try Reader(path: path + ".does-not-exist") }
    }

    @Test("Header versions", arguments: [11, 19, 21, 22, 23, 25, 26] as [UInt32])
    func headerVersions(_ minor: UInt32) throws {
        let v = try #require(TraceVersion(rawValue: minor))
        let header = TraceVersion.headerBytes(v)
        let parsed = try #require(parseTraceHeader(header[...]))
        #expect(parsed.version == minor)
        #expect(parsed.length == 16)
        #expect(v.isLegacy == (minor < 22))
        #expect(TraceVersion(rawValue: 24) == nil)  // Go 1.24 writes "go 1.23 trace".
    }
}
