// Inputs found by fuzzing (scripts/fuzz/): every file in Tests/Fixtures/fuzz/ once crashed, hung or exhausted
// memory in the reader. Each must now be read to the end or to its first error without a trap, through the
// same path as `traceware dump` and the fuzz target (ParsedDump); where Go is available, our events and our
// error (or success) must agree with Go 1.27.3's `go tool trace -d=parsed`. Go's own FuzzReader corpus (read
// from GOROOT, converted from `go test fuzz v1` form) is held to the same standard.
import Foundation
import TestSupport
import Testing

@testable import GoTrace

enum FuzzInputs {
    static let dir = packageRoot.appendingPathComponent("Tests/Fixtures/fuzz")

    /// The regression inputs (the README and other notes are not inputs).
    static func regression() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasSuffix(".md") && !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
    }

    /// Go's FuzzReader corpus, converted to raw files in the oracle cache: (path, name).
    static func goCorpus() throws -> [(String, String)] {
        let src = GoTestdataCases.goroot.appendingPathComponent("src/internal/trace/testdata/fuzz/FuzzReader")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: src.path)) ?? []
        let out = GoOracle.cacheDir.appendingPathComponent("go-fuzz-corpus")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var result: [(String, String)] = []
        for name in names.sorted() {
            let text = try String(contentsOf: src.appendingPathComponent(name), encoding: .utf8)
            guard let bytes = try goFuzzBytes(text) else { continue }
            let path = out.appendingPathComponent(name).path
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            result.append((path, name))
        }
        return result
    }

    /// The `[]byte("...")` value of a `go test fuzz v1` file, decoded like Go's strconv.Unquote.
    static func goFuzzBytes(_ text: String) throws -> [UInt8]? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.first == "go test fuzz v1" else { return nil }
        for line in lines.dropFirst() {
            let l = line.trimmingCharacters(in: .whitespaces)
            guard l.hasPrefix("[]byte(\""), l.hasSuffix("\")") else { continue }
            return try unquote(Array(l.dropFirst(8).dropLast(2).unicodeScalars))
        }
        return nil
    }

    struct BadLiteral: Error {}

    static func unquote(_ s: [Unicode.Scalar]) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        func hex(_ from: Int, _ n: Int) throws -> UInt32 {
            guard from + n <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[from..<from + n])), radix: 16)
            else { throw BadLiteral() }
            return v
        }
        func utf8(_ v: UInt32) throws {
            guard let u = Unicode.Scalar(v) else { throw BadLiteral() }
            out += Array(String(Character(u)).utf8)
        }
        while i < s.count {
            let c = s[i]
            guard c == "\\" else {
                try utf8(c.value)
                i += 1
                continue
            }
            guard i + 1 < s.count else { throw BadLiteral() }
            let e = s[i + 1]
            switch e {
            case "a": out.append(7); i += 2
            case "b": out.append(8); i += 2
            case "f": out.append(12); i += 2
            case "n": out.append(10); i += 2
            case "r": out.append(13); i += 2
            case "t": out.append(9); i += 2
            case "v": out.append(11); i += 2
            case "\\", "'", "\"": out.append(UInt8(e.value)); i += 2
            case "x": out.append(UInt8(try hex(i + 2, 2))); i += 4
            case "u": try utf8(try hex(i + 2, 4)); i += 6
            case "U": try utf8(try hex(i + 2, 8)); i += 10
            case "0"..."7":
                guard i + 4 <= s.count, let v = UInt8(String(String.UnicodeScalarView(s[i + 1..<i + 4])), radix: 8)
                else { throw BadLiteral() }
                out.append(v)
                i += 4
            default: throw BadLiteral()
            }
        }
        return out
    }

    /// Reads the whole file as `traceware dump` does (the fuzz target's path); returns its result.
    static func readLikeDump(_ path: String) -> ParsedDumpResult {
        var bytes = 0
        let result = ParsedDump.run(path: path) { bytes += $0.count }
        _ = result.lossDescription
        return result
    }

    /// Our reading of path must agree with Go's: the same events, success or failure alike, and Go's error
    /// message. Where Go itself panics (its v1 path has unchecked lookups; see V1ErrorTests) the events Go printed
    /// before its panic must be ours too. Go's v1 reader is not deterministic (it walks maps: the order of the
    /// synthesized pre-trace GoStatus events, which of several Frequency events wins), so for v1 input that order
    /// is normalized and up to 8 runs of Go are tried before a difference counts.
    static func expectAgreesWithGo(_ path: String, name: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let ours = ReaderDump.dump(path)
        let legacy = (try? Reader(path: path))?.version.isLegacy ?? false
        func normalize(_ text: [UInt8]) -> [UInt8] { legacy ? V1Dump.canonical(text) : text }
        var problem = ""
        for attempt in 0..<(legacy ? 8 : 1) {
            let go = try GoOracle.run(
                ["tool", "trace", "-d=parsed", path], key: "fuzz-parsed-\(attempt)-" + GoOracle.cacheKey(path))
            if go.stderr.hasPrefix("panic: ") || go.stderr.contains("\npanic: ") {
                if normalize(ours.text).starts(with: normalize(go.stdout)) { return }
                problem = "the events before Go's panic differ"
                continue
            }
            if let diff = firstDifference(expected: normalize(go.stdout), actual: normalize(ours.text)) {
                problem = "our events differ from go tool trace -d=parsed:\n\(diff)"
                continue
            }
            if go.status == 0 {
                if ours.error == nil { return }
                problem = "Go reads it, we fail: \(ours.error.map { "\($0)" } ?? "")"
                continue
            }
            guard let error = ours.error else {
                problem = "Go fails (\(go.stderr.trimmingCharacters(in: .whitespacesAndNewlines))), we don't"
                continue
            }
            let firstLine = error.message.split(separator: "\n").first.map(String.init) ?? error.message
            if go.stderr.contains(firstLine) { return }
            problem = "Go says \(go.stderr.debugDescription), we say \(error.message.debugDescription)"
        }
        Issue.record("\(name): \(problem)", sourceLocation: sourceLocation)
    }
}

@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    @Test("Every regression input reads to its end or first error, without a trap")
    func regressionInputsNeverTrap() throws {
        let inputs = FuzzInputs.regression()
        // Every input ever found stays (Tests/Fixtures/fuzz/README.md): 2 so far.
        #expect(inputs.count >= 2, "only \(inputs.count) regression inputs in \(FuzzInputs.dir.path)")
        for url in inputs {
            let result = FuzzInputs.readLikeDump(url.path)
            if let error = result.error {
                // Errors name the file, on one line.
                #expect(error.path == url.path, "\(url.lastPathComponent): \(error)")
                #expect(!error.description.contains("\n"), "\(url.lastPathComponent): \(error)")
            }
        }
    }

    @Test("Regression inputs agree with go tool trace -d=parsed", .enabled(if: GoOracle.shouldRun, GoOracle.skipMessage))
    func regressionInputsAgreeWithGo() throws {
        guard GoOracle.require() else { return }
        let inputs = FuzzInputs.regression()
        #expect(inputs.count >= 2, "only \(inputs.count) regression inputs in \(FuzzInputs.dir.path)")
        for url in inputs {
            try FuzzInputs.expectAgreesWithGo(url.path, name: "fuzz/\(url.lastPathComponent)")
        }
    }

    @Test("Go's FuzzReader corpus agrees with go tool trace -d=parsed", .enabled(if: GoOracle.shouldRun, GoOracle.skipMessage))
    func goCorpusAgreesWithGo() throws {
        guard GoOracle.require() else { return }
        let corpus = try FuzzInputs.goCorpus()
        // Go 1.27.3 has 17 (testdata/fuzz/FuzzReader); one that does not decode would be left out.
        #expect(corpus.count >= 17, "only \(corpus.count) of Go's FuzzReader corpus found under \(GoTestdataCases.goroot.path)")
        for (path, name) in corpus {
            _ = FuzzInputs.readLikeDump(path)
            try FuzzInputs.expectAgreesWithGo(path, name: "go-corpus/\(name)")
        }
    }

    @Test("Go fuzz corpus literals decode like strconv.Unquote")
    func unquote() throws {
        let text = "go test fuzz v1\n[]byte(\"go 1.22 trace\\x00\\a\\b\\\\\\\"\\101ߕ\\u00e9\")\n"
        let bytes = try #require(try FuzzInputs.goFuzzBytes(text))
        #expect(bytes == Array("go 1.22 trace".utf8) + [0, 7, 8, 0x5c, 0x22, 0x41, 0xdf, 0x95, 0xc3, 0xa9])
    }
}
