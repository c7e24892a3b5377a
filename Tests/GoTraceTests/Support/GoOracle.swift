// Test support for the conformance harness: finds fixture traces and Go's testdata cases, runs Go's
// `go tool trace -d=parsed` as the oracle (cached per test run in a temp dir, never committed) and diffs text.
import Foundation
import TestSupport
import Testing

enum GoOracle {
    /// CI=true, CI=1, ...: any value but "", "0" and "false" (TestSupport.isCI).
    static let isCI: Bool = TestSupport.isCI

    static let isAvailable: Bool = goIsAvailable

    /// Tests needing Go run when Go is present, and also in CI, where a missing Go must fail loudly.
    static let shouldRun: Bool = isAvailable || isCI

    static let skipMessage: Comment =
        "Go not found at \(goBinary) (set TRACEWARE_GO); skipped locally, fails in CI (CI set, e.g. CI=true)"

    /// Per-run cache of Go's outputs.
    static let cacheDir: URL = {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("traceware-oracle-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Per run only: gone when the test process exits.
        atexit { try? FileManager.default.removeItem(at: GoOracle.cacheDir) }
        return dir
    }()

    /// Records an issue and returns false when Go isn't there (only reachable in CI or when it vanished).
    static func require(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if isAvailable { return true }
        Issue.record("Go toolchain missing at \(goBinary): install it with scripts/install-go.sh or set TRACEWARE_GO",
                     sourceLocation: sourceLocation)
        return false
    }

    struct Output {
        var stdout: [UInt8]
        var stderr: String
        var status: Int32
    }

    /// Runs `go ARGS` (or another `executable`) with the network and toolchain switching off; stdout/stderr go through files (no pipe
    /// deadlocks on big outputs).
    static func run(_ args: [String], key: String, stdin: URL? = nil, executable: String? = nil) throws -> Output {
        let out = cacheDir.appendingPathComponent(key + ".out")
        let err = cacheDir.appendingPathComponent(key + ".err")
        let status = cacheDir.appendingPathComponent(key + ".status")
        if let s = try? String(contentsOf: status, encoding: .utf8), let code = Int32(s),
           let o = FileManager.default.contents(atPath: out.path) {
            return Output(stdout: [UInt8](o), stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                          status: code)
        }
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable ?? goBinary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["GOTOOLCHAIN"] = "local"
        env["GOFLAGS"] = ""
        env["GOPROXY"] = "off"
        p.environment = env
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }
        p.standardOutput = outHandle
        p.standardError = errHandle
        p.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try String(p.terminationStatus).write(to: status, atomically: true, encoding: .utf8)
        return Output(stdout: [UInt8](FileManager.default.contents(atPath: out.path) ?? Data()),
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                      status: p.terminationStatus)
    }

    /// Go's `go tool trace -d=parsed PATH`.
    static func parsed(_ path: String) throws -> Output {
        try run(["tool", "trace", "-d=parsed", path], key: "parsed-" + cacheKey(path))
    }

    static func cacheKey(_ path: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: stable across runs, unlike Hasher
        for b in path.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        let base = (path as NSString).lastPathComponent.filter { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
        return "\(base)-\(String(h, radix: 16))"
    }
}

/// Describes the first difference between two outputs, with a few lines of context; nil when identical.
func firstDifference(expected: [UInt8], actual: [UInt8], context: Int = 3) -> String? {
    if expected == actual { return nil }
    let e = expected.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    let a = actual.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    var i = 0
    while i < e.count, i < a.count, e[i].elementsEqual(a[i]) { i += 1 }
    func line(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self).debugDescription }
    var msg = "first difference at line \(i + 1) (go: \(e.count) lines, ours: \(a.count) lines)\n"
    for j in max(0, i - context)..<i { msg += "    \(j + 1)  \(line(e[j]))\n" }
    msg += "go  > \(i < e.count ? line(e[i]) : "<end of output>")\n"
    msg += "ours> \(i < a.count ? line(a[i]) : "<end of output>")\n"
    for j in (i + 1)..<min(i + 1 + context, max(e.count, a.count)) {
        msg += "    go \(j + 1)  \(j < e.count ? line(e[j]) : "<end>")\n"
        msg += "  ours \(j + 1)  \(j < a.count ? line(a[j]) : "<end>")\n"
    }
    return msg
}
