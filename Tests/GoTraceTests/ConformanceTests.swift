// Conformance: our dump of every real fixture trace and of every Go testdata case must be byte-identical to
// Go 1.27.3's `go tool trace -d=parsed` (the oracle, run at test time), and we must fail exactly when Go does.
//
// Fixture traces in the legacy format (Go 1.11–1.21) are checked by V1ConformanceTests instead: Go's own
// output for them is not deterministic (map iteration order), so that suite compares against several Go runs.
import Foundation
import TestSupport
import Testing

@testable import GoTrace

/// Our `traceware dump` output for a trace, through the library (not the binary).
func ourParsedDump(_ path: String) -> (output: [UInt8], result: ParsedDumpResult) {
    var out: [UInt8] = []
    let result = ParsedDump.run(path: path) { out.append(contentsOf: $0) }
    return (out, result)
}

@Suite struct ConformanceTests {
    static let fixtures = FixtureTraces.all().filter { !$0.isLegacyFormat }

    @Test func goIsAvailable() {
        if GoOracle.isAvailable { return }
        if GoOracle.isCI {
            Issue.record("Go toolchain missing at \(goBinary): install it with scripts/install-go.sh or set TRACEWARE_GO")
        } else {
            print("ConformanceTests: \(GoOracle.skipMessage)")
        }
    }

    @Test func fixturesArePresent() {
        #expect(!FixtureTraces.all().isEmpty, "no fixture traces under \(FixtureTraces.root.path)")
    }

    @Test(.enabled(if: GoOracle.shouldRun, GoOracle.skipMessage), arguments: fixtures)
    func fixtureTraceMatchesGo(_ trace: FixtureTrace) throws {
        guard GoOracle.require() else { return }
        let go = try GoOracle.parsed(trace.path)
        let (ours, result) = ourParsedDump(trace.path)
        if let diff = firstDifference(expected: go.stdout, actual: ours) {
            Issue.record("\(trace.name): our dump differs from go tool trace -d=parsed: \(diff)")
        }
        // Go exits non-zero exactly when its reader returned an error.
        if go.status == 0 {
            #expect(result.error == nil, "\(trace.name): Go read it cleanly but we failed: \(result.error.map { "\($0)" } ?? "")")
        } else {
            #expect(result.error != nil, "\(trace.name): Go failed (\(go.stderr.prefix(300))) but we read it cleanly")
        }
    }

    @Test(.enabled(if: GoOracle.shouldRun, GoOracle.skipMessage), arguments: GoTestdataCases.all())
    func goTestdataCaseMatchesGo(_ testCase: GoTestdataCase) throws {
        guard GoOracle.require() else { return }
        let expectation = try testCase.expectation()
        let trace = try GoTestdataConverter.binaryTrace(for: testCase)
        let go = try GoOracle.parsed(trace.path)
        let (ours, result) = ourParsedDump(trace.path)
        switch expectation {
        case .success:
            #expect(go.status == 0, "\(testCase.name): expected SUCCESS but Go failed: \(go.stderr)")
            #expect(result.error == nil, "\(testCase.name): expected SUCCESS but we failed: \(result.error.map { "\($0)" } ?? "")")
        case .failure(let pattern):
            #expect(go.status != 0, "\(testCase.name): expected FAILURE but Go read it")
            if let error = result.error {
                // Our messages are Go's, so Go's expectation regexp should match them too.
                #expect(goRegexpMatches(pattern, error.message), "\(testCase.name): error \"\(error.message)\" doesn't match \(pattern)")
            } else {
                Issue.record("\(testCase.name): expected FAILURE (\(pattern)) but we read it without error")
            }
        }
        if let diff = firstDifference(expected: go.stdout, actual: ours) {
            Issue.record("\(testCase.name): our dump differs from go tool trace -d=parsed: \(diff)")
        }
    }
}

extension FixtureTrace {
    /// Whether the header says Go 1.21 or older ("go 1.NN trace\0..."), i.e. the legacy (v1) format.
    var isLegacyFormat: Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let header = String(decoding: handle.readData(ofLength: 16), as: UTF8.self)
        guard header.hasPrefix("go 1."), let minor = Int(header.dropFirst(5).prefix { $0.isNumber }) else { return false }
        return minor < 22
    }
}

/// Matches Go's testdata expectation (a Go-quoted regexp) against a message.
func goRegexpMatches(_ quoted: String, _ message: String) -> Bool {
    var pattern = quoted
    if pattern.hasPrefix("\""), pattern.hasSuffix("\""), pattern.count >= 2 {
        pattern = String(pattern.dropFirst().dropLast())
            .replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
    }
    guard let re = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]) else { return false }
    return re.firstMatch(in: message, range: NSRange(message.startIndex..., in: message)) != nil
}
