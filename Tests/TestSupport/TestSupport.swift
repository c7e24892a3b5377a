// What the three test targets share: where the package and the oracle Go are, the traceware binary the tests
// run, temporary directories, and running a process.
import Foundation

/// The package root (this file is Tests/TestSupport/TestSupport.swift).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The oracle Go toolchain: $TRACEWARE_GO (scripts/test.sh, the README's test command, sets it after finding or
/// installing Go 1.27.3), else where scripts/test.sh installs it: /opt/go/1.27.3, or ~/.cache/traceware/go/1.27.3 when
/// /opt/go is not writable.
public let goBinary: String = {
    let env = ProcessInfo.processInfo.environment
    if let go = env["TRACEWARE_GO"], !go.isEmpty { return go }
    let dirs = [env["TRACEWARE_GO_DIR"], "/opt/go", (env["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/traceware/go"]
    let candidates = dirs.compactMap { $0 }.map { $0 + "/1.27.3/go/bin/go" }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
}()

/// The traceware executable built next to the test bundle.
public var tracewareExecutable: String {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("traceware").path
}

/// A fresh directory per test, removed at deinit.
public final class TemporaryDirectory {
    public let url: URL
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("traceware-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

public enum TestProcess {
    /// Starts `executable` with the test process's environment plus `environment` (a nil value removes that
    /// variable); stdout and stderr go to the returned pipes.
    public static func start(
        _ executable: String, _ arguments: [String], directory: String? = nil, environment: [String: String?] = [:]
    ) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    /// Runs `executable` to the end: (exit status, stdout, stderr).
    public static func run(
        _ executable: String, _ arguments: [String], directory: String? = nil, environment: [String: String?] = [:]
    ) throws -> (Int32, String, String) {
        let (process, out, err) = try start(executable, arguments, directory: directory, environment: environment)
        // Read both pipes before waiting so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

/// Whether this is a CI run: CI set to anything but "", "0" or "false" (CI=true, CI=1, CI=yes ...). In CI a test
/// that needs Go fails when Go is missing instead of being skipped.
public let isCI: Bool = {
    guard let value = ProcessInfo.processInfo.environment["CI"] else { return false }
    return !["", "0", "false"].contains(value.trimmingCharacters(in: .whitespaces).lowercased())
}()

/// Whether the oracle Go toolchain is there.
public var goIsAvailable: Bool { FileManager.default.isExecutableFile(atPath: goBinary) }
