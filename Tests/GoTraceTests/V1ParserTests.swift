import Foundation
import TestSupport
import Testing

@testable import GoTrace

/// Go toolchain and v1 trace files for the V1 tests (the toolchain itself comes from GoOracle).
enum V1TestGo {
    /// GOROOT of that toolchain: bin/go's grandparent, symlinks resolved (as GoTestdataCases.goroot: a go
    /// reached through a symlink, e.g. /usr/local/bin/go, lives elsewhere).
    static var goroot: String { GoTestdataCases.goroot.path }

    /// Go's own v1 test traces, read from GOROOT at test time (never copied).
    static var testdataDir: String { goroot + "/src/internal/trace/internal/tracev1/testdata" }
    static func goodFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: testdataDir)) ?? []
        return names.filter { $0.hasSuffix("_good") }.sorted().map { testdataDir + "/" + $0 }
    }

    /// Real v1 traces committed under Tests/Fixtures/traces/go1.19 and go1.21 (plus env V1_EXTRA_DIR, if set).
    static func fixtureFiles() -> [String] {
        let root = packageRoot.appendingPathComponent("Tests/Fixtures/traces").path
        var dirs = [root + "/go1.19", root + "/go1.21"]
        if let extra = ProcessInfo.processInfo.environment["V1_EXTRA_DIR"] { dirs.append(extra) }
        var files: [String] = []
        for dir in dirs {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            files += names.filter { $0.hasSuffix(".trace") || $0.hasSuffix(".out") }.sorted().map { dir + "/" + $0 }
        }
        return files
    }

    /// The minor version in a v1 header ("go 1.NN trace\0\0\0"), as Go's version.ReadHeader reads it.
    static func v1Header(_ data: [UInt8]) -> (version: Int, bodyOffset: Int)? {
        let prefix = Array("go 1.".utf8)
        guard data.count >= 16, Array(data[0..<5]) == prefix else { return nil }
        var i = 5
        var v = 0
        while i < data.count, data[i] >= 0x30, data[i] <= 0x39 { v = v * 10 + Int(data[i] - 0x30); i += 1 }
        let rest = Array(" trace\0\0\0".utf8)
        guard i + rest.count <= data.count, Array(data[i..<(i + rest.count)]) == rest else { return nil }
        return (v, i + rest.count)
    }
}

@Suite struct V1ParserTests {
    @Test(.enabled(if: GoOracle.shouldRun, GoOracle.skipMessage))
    func parsesGoodTestdata() throws {
        guard GoOracle.require() else { return }
        let good = V1TestGo.goodFiles()
        #expect(good.count >= 12, "expected Go's v1 testdata in \(V1TestGo.testdataDir)")
        let files = good + V1TestGo.fixtureFiles()
        for file in files {
            let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            guard let (version, body) = V1TestGo.v1Header(data) else {
                Issue.record("\(file): no v1 header")
                continue
            }
            do {
                let trace = try V1.parse(data, bodyOffset: body, version: version)
                #expect(!trace.events.isEmpty, "\(file)")
                if let dir = ProcessInfo.processInfo.environment["V1_DUMP_DIR"] {
                    var out = ""
                    for ev in trace.events {
                        out += "\(ev.ts) \(ev.type.rawValue) p=\(ev.p) g=\(ev.g) stk=\(ev.stkID) "
                        out += "\(ev.args[0]) \(ev.args[1]) \(ev.args[2]) \(ev.args[3])\n"
                    }
                    out += "stacks=\(trace.stacks.count) pcs=\(trace.pcs.count) strings=\(trace.strings.count) "
                    out += "inline=\(trace.inlineStrings.count)\n"
                    let name = URL(fileURLWithPath: file).lastPathComponent
                    try out.write(toFile: dir + "/" + name + ".swift.txt", atomically: true, encoding: .utf8)
                }
            } catch {
                Issue.record("\(file): \(error)")
            }
        }
    }

    /// Inputs that once crashed Go's parser (Go's TestCorruptedInputs) must fail cleanly, not trap.
    @Test func corruptedInputsFail() {
        let inputs = [
            "gotrace\u{00}\u{02}0", "gotrace\u{00}Q00\u{02}0", "gotrace\u{00}T00\u{02}0", "gotrace\u{00}\u{c3}\u{02}00",
            "go 1.5 trace\u{00}\u{00}\u{00}\u{00}\u{02}0", "go 1.5 trace\u{00}\u{00}\u{00}\u{00}Q00\u{02}0",
            "go 1.5 trace\u{00}\u{00}\u{00}\u{00}T00\u{02}0", "go 1.5 trace\u{00}\u{00}\u{00}\u{00}\u{c3}\u{02}00",
        ]
        for s in inputs {
            #expect(throws: V1.ParseError.self) { _ = try V1.parse(Array(s.utf8), bodyOffset: 0, version: 5) }
        }
    }
}
