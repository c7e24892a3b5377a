// Discovery of the conformance inputs: real fixture traces under Tests/Fixtures/traces/** and Go's own
// testdata cases (GOROOT/src/internal/trace/testdata/tests/*.test), converted to binary traces.
import Foundation
import TestSupport
import Testing

/// One real trace file under Tests/Fixtures/traces.
struct FixtureTrace: CustomTestStringConvertible, Sendable {
    var path: String
    /// Path relative to Tests/Fixtures/traces, e.g. "go1.22/gc-stress.trace".
    var name: String
    var testDescription: String { name }
    /// The first path component, e.g. "go1.22": the Go version that wrote it.
    var goVersion: String { String(name.split(separator: "/").first ?? "") }
}

enum FixtureTraces {
    static let root = packageRoot.appendingPathComponent("Tests/Fixtures/traces")

    /// Files that are sources/notes rather than traces.
    static let nonTraceExtensions: Set<String> = ["go", "mod", "sum", "md", "txt", "json", "sh", "py", "swift", "test"]

    static func all() -> [FixtureTrace] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        var out: [FixtureTrace] = []
        let rootPath = root.standardizedFileURL.path
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  !nonTraceExtensions.contains(url.pathExtension), !url.lastPathComponent.hasPrefix(".")
            else { continue }
            let path = url.standardizedFileURL.path
            let name = path.hasPrefix(rootPath + "/") ? String(path.dropFirst(rootPath.count + 1)) : path
            out.append(FixtureTrace(path: path, name: name))
        }
        return out.sorted { $0.name < $1.name }
    }
}

/// One of Go's internal/trace testdata cases (txtar: an expectation and a trace in text form).
struct GoTestdataCase: CustomTestStringConvertible, Sendable {
    var path: String
    var name: String
    var testDescription: String { name }

    enum Expectation: Equatable { case success, failure(pattern: String) }

    /// The expectation line of the txtar ("SUCCESS" or "FAILURE <quoted regexp>").
    func expectation() throws -> Expectation {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).makeIterator()
        while let line = lines.next() {
            if line == "-- expect --" {
                let header = lines.next().map(String.init) ?? ""
                if header == "SUCCESS" || header.hasPrefix("SUCCESS ") { return .success }
                if header.hasPrefix("FAILURE ") { return .failure(pattern: String(header.dropFirst(8))) }
                break
            }
        }
        throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
    }
}

enum GoTestdataCases {
    /// GOROOT of the oracle toolchain: the go binary lives in GOROOT/bin.
    static var goroot: URL {
        URL(fileURLWithPath: goBinary).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static var testsDir: URL { goroot.appendingPathComponent("src/internal/trace/testdata/tests") }

    static func all() -> [GoTestdataCase] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: testsDir.path)) ?? []
        let cases = files.filter { $0.hasSuffix(".test") }.sorted().map {
            GoTestdataCase(path: testsDir.appendingPathComponent($0).path, name: String($0.dropLast(5)))
        }
        // No Go testdata (no toolchain): one case that fails in CI / is skipped locally, never silence.
        return cases.isEmpty ? [GoTestdataCase(path: testsDir.path, name: "<no Go testdata at \(testsDir.path)>")] : cases
    }
}

/// Converts Go's text-form testdata cases to binary traces exactly as Go's own tests do
/// (testtrace.ParseFile), with the fixtures' Go tool scripts/gotools/txt2bin (built inside the oracle's GOROOT
/// by scripts/gotool.sh, since it imports internal/trace). Converted files live in the per-run cache.
enum GoTestdataConverter {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: Result<String, any Error>?

    static func binaryTrace(for testCase: GoTestdataCase) throws -> URL {
        let tool = try txt2bin()
        let out = GoOracle.cacheDir.appendingPathComponent("testdata-\(testCase.name).trace")
        if FileManager.default.fileExists(atPath: out.path) { return out }
        let result = try GoOracle.run([testCase.path, out.path], key: "convert-" + testCase.name, executable: tool)
        guard result.status == 0 else {
            throw GoToolFailure(what: "converting \(testCase.path)", stderr: result.stderr)
        }
        return out
    }

    /// The txt2bin binary, built once per test run (gotool.sh caches it across runs too).
    private static func txt2bin() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let built { return try built.get() }
        let r = Result { () throws -> String in
            let script = packageRoot.appendingPathComponent("scripts/gotool.sh").path
            let result = try GoOracle.run([script, "txt2bin"], key: "gotool-txt2bin", executable: "/bin/bash")
            let path = String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard result.status == 0, FileManager.default.isExecutableFile(atPath: path) else {
                throw GoToolFailure(what: "scripts/gotool.sh txt2bin", stderr: result.stderr)
            }
            return path
        }
        built = r
        return try r.get()
    }
}

struct GoToolFailure: Error, CustomStringConvertible {
    var what: String
    var stderr: String
    var description: String { "\(what) failed: \(stderr)" }
}
