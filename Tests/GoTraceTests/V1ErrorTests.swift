// Bad v1 input: real v1 traces (Go's `_good` testdata) cut short at many points must fail exactly as Go 1.27.3's
// `go tool trace -d=parsed` fails on them (same message, no events printed, since Go's v1 reader parses the whole
// file up front), and never trap. Where Go itself panics (see below) we only check what Go printed before.
import Foundation
import TestSupport
import Testing

@testable import GoTrace

@Suite struct V1ErrorTests {
    /// Cut points: the header edges, then evenly spread points, then one byte short.
    static func cuts(size: Int, count: Int) -> [Int] {
        var c: Set<Int> = [15, 16, 17, 18, 20, size - 1]
        for i in 1...count { c.insert(16 + (size - 16) * i / (count + 1)) }
        return c.filter { $0 > 0 && $0 < size }.sorted()
    }

    @Test(.enabled(if: GoOracle.shouldRun, GoOracle.skipMessage),
          arguments: ["user_task_region_1_11_good", "user_task_region_1_21_good", "http_1_21_good"])
    func truncatedTracesFailLikeGo(_ name: String) throws {
        guard GoOracle.require() else { return }
        let src = V1TestGo.testdataDir + "/" + name
        let data = try Data(contentsOf: URL(fileURLWithPath: src))
        let dir = GoOracle.cacheDir.appendingPathComponent("v1-trunc-\(name)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for n in Self.cuts(size: data.count, count: 24) {
            let path = dir.appendingPathComponent("\(name)-\(n)").path
            try data.prefix(n).write(to: URL(fileURLWithPath: path))
            let go = try GoOracle.run(["tool", "trace", "-d=parsed", path], key: "v1-trunc-\(name)-\(n)")
            let (ours, error) = V1Dump.dump(path)
            let goMessage = go.stderr.hasSuffix("\n") ? String(go.stderr.dropLast()) : go.stderr
            if goMessage.hasPrefix("panic: ") {
                // Go's v1 path doesn't check the stack IDs of GoCreate's new goroutine, so a cut that loses a
                // stack makes Go's Event.String() panic (dataTable.mustGet) at that event. We don't trap: the
                // events Go printed before its panic must be ours too.
                #expect(ours.starts(with: go.stdout), "\(name) cut at \(n): events before Go's panic differ")
            } else if go.status == 0 {
                #expect(error == nil, "\(name) cut at \(n): Go reads it, we fail with \(error.map { "\($0)" } ?? "")")
                #expect(V1Dump.canonical(ours) == V1Dump.canonical(go.stdout), "\(name) cut at \(n): output differs")
            } else {
                #expect(error?.message == goMessage, "\(name) cut at \(n): go: \(goMessage); ours: \(error.map { "\($0)" } ?? "no error")")
                #expect(error?.path == path, "\(name) cut at \(n): the error must name the file")
                if goMessage.hasPrefix("failed to read") || goMessage.contains("malformatted") {
                    // Wire-level errors say where: a byte offset inside the file.
                    #expect(error?.offset.map { $0 >= 0 && $0 <= Int64(n) } == true,
                            "\(name) cut at \(n): \(error.map { "\($0)" } ?? "") has no offset within the file")
                }
                #expect(ours == go.stdout, "\(name) cut at \(n): events printed before the error differ")
            }
        }
    }

    /// Corrupted bytes anywhere in real v1 traces: the reader must report errors with the file and offset, never
    /// trap. (Deterministic
    /// mutations: a fixed-seed generator flips, zeroes or saturates bytes.)
    @Test(.enabled(if: GoOracle.shouldRun, GoOracle.skipMessage),
          arguments: ["user_task_region_1_19_good", "stress_start_stop_1_21_good", "http_1_21_good"])
    func corruptedTracesNeverTrap(_ name: String) throws {
        // The inputs are Go's own test traces, read from the oracle's GOROOT: no Go, no inputs.
        guard GoOracle.require() else { return }
        let src = V1TestGo.testdataDir + "/" + name
        let original = try #require(FileManager.default.contents(atPath: src), "Go's v1 testdata \(src) is missing")
        let dir = GoOracle.cacheDir.appendingPathComponent("v1-corrupt-\(name)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return rng >> 33
        }
        var failures = 0
        var afterParsing = 0
        let rounds = 150
        for round in 0..<rounds {
            var bytes = [UInt8](original)
            for _ in 0..<(1 + Int(next() % 4)) {
                let i = 16 + Int(next() % UInt64(bytes.count - 16))
                switch next() % 3 {
                case 0: bytes[i] ^= UInt8(truncatingIfNeeded: 1 << (next() % 8))
                case 1: bytes[i] = 0
                default: bytes[i] = 0xff
                }
            }
            let path = dir.appendingPathComponent("\(round)").path
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            guard let error = V1Dump.dump(path).error else { continue }
            failures += 1
            // Errors found after parsing: ordering ("no consistent ordering", timestamps) and validation
            // ("p 1 is running before start (time N)").
            if error.message.hasPrefix("no consistent ordering") || error.message == "time stamps out of order"
                || error.message.contains("(time ")
            {
                afterParsing += 1
            }
            // Every v1 error (parser, ordering, validation, conversion) names the file and the byte offset of
            // what it found wrong, on one line, like current-format errors.
            #expect(error.path == path, "\(name) round \(round): \(error)")
            #expect(error.offset.map { $0 >= 0 && $0 <= Int64(bytes.count) } == true,
                    "\(name) round \(round): no offset within the file: \(error)")
            #expect(!error.description.contains("\n") && error.description.hasPrefix("\(path): offset "),
                    "\(name) round \(round): \(error)")
        }
        // Most mutations break something; the point is that we got here without trapping.
        #expect(failures > 0)
        #expect(afterParsing > 0, "\(name): no mutation reached the ordering or validation checks")
    }
}
