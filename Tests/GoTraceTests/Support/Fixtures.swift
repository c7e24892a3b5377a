// Discovery of the conformance inputs: real fixture traces under Tests/Fixtures/traces/** and Go's own
// testdata cases (GOROOT/src/internal/trace/testdata/tests/*.test), converted to binary traces.
import Foundation
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
        URL(fileURLWithPath: GoOracle.goBinary).resolvingSymlinksInPath()
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

/// Converts Go's text-form testdata cases to binary traces the way Go's own tests do (testtrace.ParseFile:
/// raw.NewTextReader -> raw.NewWriter). The converter is Go's internal/trace/raw itself, copied out of the
/// oracle's GOROOT into a temp module (internal packages can't be imported from outside GOROOT) and built
/// once per test run.
enum GoTestdataConverter {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: Result<URL, any Error>?

    static func binaryTrace(for testCase: GoTestdataCase) throws -> URL {
        let tool = try converter()
        let out = GoOracle.cacheDir.appendingPathComponent("testdata-\(testCase.name).trace")
        if FileManager.default.fileExists(atPath: out.path) { return out }
        let result = try GoOracle.run([testCase.path, out.path], key: "convert-" + testCase.name, executable: tool.path)
        guard result.status == 0 else {
            throw GoToolFailure(what: "converting \(testCase.path)", stderr: result.stderr)
        }
        return out
    }

    private static func converter() throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if let built { return try built.get() }
        let r = Result { try build() }
        built = r
        return try r.get()
    }

    private static func build() throws -> URL {
        let fm = FileManager.default
        let dir = GoOracle.cacheDir.appendingPathComponent("testdata-converter")
        try? fm.removeItem(at: dir)
        try fm.createDirectory(at: dir.appendingPathComponent("internal"), withIntermediateDirectories: true)
        let src = GoTestdataCases.goroot.appendingPathComponent("src")
        for (from, to) in [("internal/trace/raw", "raw"), ("internal/trace/tracev2", "tracev2"),
                           ("internal/trace/version", "version"), ("internal/txtar", "txtar")] {
            let dest = dir.appendingPathComponent("internal/" + to)
            try fm.createDirectory(at: dest, withIntermediateDirectories: true)
            for file in try fm.contentsOfDirectory(atPath: src.appendingPathComponent(from).path)
            where file.hasSuffix(".go") && !file.hasSuffix("_test.go") {
                var text = try String(contentsOf: src.appendingPathComponent(from + "/" + file), encoding: .utf8)
                text = text.replacingOccurrences(of: "\"internal/trace/", with: "\"conv/internal/")
                    .replacingOccurrences(of: "\"internal/txtar\"", with: "\"conv/internal/txtar\"")
                try text.write(to: dest.appendingPathComponent(file), atomically: true, encoding: .utf8)
            }
        }
        try "module conv\n\ngo 1.22\n".write(to: dir.appendingPathComponent("go.mod"), atomically: true, encoding: .utf8)
        try converterMain.write(to: dir.appendingPathComponent("main.go"), atomically: true, encoding: .utf8)
        let tool = dir.appendingPathComponent("convert")
        let result = try GoOracle.run(["build", "-C", dir.path, "-o", tool.path, "."], key: "build-converter")
        guard result.status == 0 else { throw GoToolFailure(what: "building the testdata converter", stderr: result.stderr) }
        return tool
    }

    private static let converterMain = """
        // Go's testtrace.ParseFile, writing the binary trace to a file.
        package main

        import (
        \t"bytes"
        \t"conv/internal/raw"
        \t"conv/internal/txtar"
        \t"fmt"
        \t"io"
        \t"os"
        )

        func main() {
        \tif err := convert(os.Args[1], os.Args[2]); err != nil {
        \t\tfmt.Fprintln(os.Stderr, err)
        \t\tos.Exit(1)
        \t}
        }

        func convert(in, out string) error {
        \tar, err := txtar.ParseFile(in)
        \tif err != nil {
        \t\treturn err
        \t}
        \tif len(ar.Files) != 2 || ar.Files[1].Name != "trace" {
        \t\treturn fmt.Errorf("malformed test %s", in)
        \t}
        \ttr, err := raw.NewTextReader(bytes.NewReader(ar.Files[1].Data))
        \tif err != nil {
        \t\treturn err
        \t}
        \tvar buf bytes.Buffer
        \ttw, err := raw.NewWriter(&buf, tr.Version())
        \tif err != nil {
        \t\treturn err
        \t}
        \tfor {
        \t\tev, err := tr.ReadEvent()
        \t\tif err == io.EOF {
        \t\t\tbreak
        \t\t}
        \t\tif err != nil {
        \t\t\treturn err
        \t\t}
        \t\tif err := tw.WriteEvent(ev); err != nil {
        \t\t\treturn err
        \t\t}
        \t}
        \treturn os.WriteFile(out, buf.Bytes(), 0o644)
        }

        """
}

struct GoToolFailure: Error, CustomStringConvertible {
    var what: String
    var stderr: String
    var description: String { "\(what) failed: \(stderr)" }
}
