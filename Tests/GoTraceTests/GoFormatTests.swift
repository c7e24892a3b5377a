// Checks the Go-compatible formatting helpers (strconv.Quote, %x, RFC3339Nano) against Go itself.
import Foundation
import Testing
@testable import GoTrace

@Suite struct GoFormatTests {
    /// Byte strings covering every branch of strconv.Quote: escapes, control bytes, DEL, Latin-1, soft
    /// hyphen, non-printable BMP and astral runes, noncharacters, U+FFFD itself, and invalid UTF-8
    /// (stray continuation bytes, overlongs, surrogates, truncated sequences, > U+10FFFF).
    static let quoteSamples: [[UInt8]] = {
        var s: [[UInt8]] = [
            [], Array("plain".utf8), Array("hello \"world\"\\".utf8), Array("é ☃ 日本 🎉".utf8),
            [0x07, 0x08, 0x0C, 0x0A, 0x0D, 0x09, 0x0B, 0x00, 0x1F, 0x7F, 0x20, 0x7E],
            Array("\u{A0}\u{A1}\u{AD}\u{FF}\u{100}\u{200B}\u{2028}\u{FEFF}\u{FFFD}\u{FFFF}".utf8),
            Array("\u{E000}\u{F8FF}\u{10000}\u{1F600}\u{E0001}\u{E0100}\u{10FFFF}\u{30000}".utf8),
            [0x80], [0xBF, 0x41], [0xC0, 0x80], [0xC1, 0xBF], [0xC2], [0xC2, 0x41], [0xE0, 0x80, 0x80],
            [0xE0, 0xA0], [0xED, 0xA0, 0x80], [0xEF, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0xFF, 0xFE], [0xF0, 0x9F, 0x98], [0x61, 0xE2, 0x98, 0x83, 0xE2, 0x98],
        ]
        // Every rune boundary region that Go's tables distinguish: a sweep of single runes.
        var sweep: [UInt8] = []
        for r in stride(from: 0x80 as UInt32, to: 0x3_0000, by: 97) {
            if let u = Unicode.Scalar(r) { sweep.append(contentsOf: Array(String(Character(u)).utf8)) }
        }
        s.append(sweep)
        return s
    }()

    @Test(.enabled(if: GoOracle.shouldRun, GoOracle.skipMessage))
    func quoteMatchesGo() throws {
        guard GoOracle.require() else { return }
        let prog = """
            package main

            import (
            \t"bufio"
            \t"encoding/hex"
            \t"fmt"
            \t"os"
            )

            func main() {
            \tsc := bufio.NewScanner(os.Stdin)
            \tsc.Buffer(make([]byte, 1<<20), 1<<24)
            \tfor sc.Scan() {
            \t\tb, _ := hex.DecodeString(sc.Text()[1:])
            \t\tfmt.Printf("%q\\n", string(b))
            \t}
            }
            """
        let input = Self.quoteSamples.map { "x" + $0.map { String(format: "%02x", $0) }.joined() }.joined(separator: "\n") + "\n"
        let out = try runGoProgram(prog, stdin: input)
        var ours: [UInt8] = []
        for sample in Self.quoteSamples {
            sample.withUnsafeBufferPointer { ours.append(goQuoted: $0) }
            ours.append(UInt8(ascii: "\n"))
        }
        let diff = firstDifference(expected: out, actual: ours)
        #expect(diff == nil, "\(diff ?? "")")
    }

    /// Trace strings keep invalid UTF-8: decoding then `traceBytes` gives the bytes back, and quoting the
    /// decoded String equals quoting the raw bytes (which quoteMatchesGo checks against Go).
    @Test func traceStringsAreLossless() {
        let samples = Self.quoteSamples + [Array("\u{10FF00}\u{10FFFF}\u{10FEFF}x".utf8), [0xF4, 0x8F, 0xBC, 0x80, 0xFF]]
        for sample in samples {
            let s = sample.withUnsafeBufferPointer { decodeTraceString($0) }
            #expect(traceBytes(of: s) == sample, "round trip of \(sample)")
            var viaString: [UInt8] = []
            viaString.append(goQuoted: s)
            var viaBytes: [UInt8] = []
            sample.withUnsafeBufferPointer { viaBytes.append(goQuoted: $0) }
            #expect(viaString == viaBytes, "quoting of \(sample)")
            var text: [UInt8] = []
            text.append(traceText: s)
            #expect(text == sample)
        }
    }

    @Test(.enabled(if: GoOracle.shouldRun, GoOracle.skipMessage))
    func rfc3339NanoAndIntegersMatchGo() throws {
        guard GoOracle.require() else { return }
        let samples: [(UInt64, UInt64)] = [
            (0, 0), (1, 1), (1_764_388_003, 740_882_017), (1_764_388_003, 740_000_000), (1_764_388_003, 999_999_999),
            (951_782_400, 5), (4_102_444_800, 100), (253_402_300_799, 1_000_000_001), (1_234, 3_000_000_000),
            (UInt64.max, 0), (UInt64.max - 86_400 * 400, 42), (1 << 62, 7),
        ]
        let prog = """
            package main

            import (
            \t"fmt"
            \t"time"
            )

            func main() {
            \tvar sec, nsec uint64
            \tfor {
            \t\tif _, err := fmt.Scan(&sec, &nsec); err != nil {
            \t\t\treturn
            \t\t}
            \t\tfmt.Printf("%s %x %d\\n", time.Unix(int64(sec), int64(nsec)).Format(time.RFC3339Nano), sec, int64(nsec))
            \t}
            }
            """
        let input = samples.map { "\($0.0) \($0.1)" }.joined(separator: "\n") + "\n"
        let out = try runGoProgram(prog, stdin: input)
        var ours: [UInt8] = []
        for (sec, nsec) in samples {
            ours.append(rfc3339Nano: WallTime(unixSeconds: Int64(bitPattern: sec), nanoseconds: Int64(bitPattern: nsec)))
            ours.append(UInt8(ascii: " "))
            ours.append(hex: sec)
            ours.append(UInt8(ascii: " "))
            ours.append(decimal: Int64(bitPattern: nsec))
            ours.append(UInt8(ascii: "\n"))
        }
        let diff = firstDifference(expected: out, actual: ours)
        #expect(diff == nil, "\(diff ?? "")")
    }
}

/// Runs a one-file Go program with `stdin` and returns its stdout.
func runGoProgram(_ source: String, stdin: String) throws -> [UInt8] {
    let dir = GoOracle.cacheDir.appendingPathComponent("prog-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let file = dir.appendingPathComponent("main.go")
    try source.write(to: file, atomically: true, encoding: .utf8)
    let inFile = dir.appendingPathComponent("stdin")
    try stdin.write(to: inFile, atomically: true, encoding: .utf8)
    let out = try GoOracle.run(["run", file.path], key: "prog-" + dir.lastPathComponent, stdin: inFile)
    if out.status != 0 { Issue.record("go run failed: \(out.stderr)") }
    return out.stdout
}
