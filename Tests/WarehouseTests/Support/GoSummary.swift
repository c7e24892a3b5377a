import Foundation
import TestSupport
import Testing

/// Go's own goroutine analysis as the oracle: scripts/gotools/summary runs internal/trace's Summarizer over a
/// trace (as cmd/trace's goroutine analysis does) and prints its totals as JSON; scripts/gotool.sh builds it
/// from the oracle toolchain (TRACEWARE_GO, default /opt/go/1.27.3/go/bin/go).
enum GoSummary {
    /// Totals keyed like the warehouse: "running", "runnable", "syscall", "syscall_blocked", and
    /// "waiting/<reason>" for each block reason (Go's BlockTimeByReason).
    struct Result {
        var goroutines: Int
        var totals: [String: Int64]
        /// Goroutine id → Go's GoroutineSummary.Name (the root frame of its stacks).
        var names: [String: String]
        /// Each goroutine's statistics, in goroutine id order.
        var goroutineStats: [Goroutine] = []
    }

    /// One GoroutineSummary as scripts/gotools/summary prints it (ns).
    struct Goroutine: Decodable, Sendable {
        var ID: Int64
        var Name: String
        /// internal/trace.IsSystemGoroutine(Name), computed by Go.
        var IsSystem: Bool
        var ExecTime: Int64
        var SchedWaitTime: Int64
        var SyscallTime: Int64
        var SyscallBlockTime: Int64
        var BlockTimeByReason: [String: Int64]
        var RangeTime: [String: Int64]
        var TotalTime: Int64
        var UnknownTime: Int64
    }

    /// The JSON of scripts/gotools/summary (the parts used here).
    private struct Output: Decodable {
        struct Totals: Decodable {
            var Goroutines: Int
            var ExecTime: Int64
            var SchedWaitTime: Int64
            var SyscallTime: Int64
            var SyscallBlockTime: Int64
            var BlockTimeByReason: [String: Int64]
        }
        var Totals: Totals
        var Goroutines: [GoSummary.Goroutine]?
    }

    struct Failure: Error, CustomStringConvertible, ExpressibleByStringInterpolation {
        var description: String
        init(description: String) { self.description = description }
        init(stringLiteral value: String) { description = value }
    }

    /// A setup step's outcome, kept in a `static let` so it runs once per test process (a failure included).
    typealias Outcome<T> = Swift.Result<T, Failure>

    /// A Go oracle tool of scripts/gotools, built by scripts/gotool.sh. Keep the result in a `static let`, so it
    /// is built once per test process (and a failure is kept).
    static func tool(_ name: String) -> Outcome<String> {
        do {
            let script = packageRoot.appendingPathComponent("scripts/gotool.sh").path
            let (status, stdout, stderr) = try TestProcess.run("/bin/bash", [script, name], environment: ["TRACEWARE_GO": goBinary])
            let path = stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            guard status == 0, !path.isEmpty else { return .failure("scripts/gotool.sh \(name) failed: \(stderr)") }
            return .success(path)
        } catch {
            return .failure("\(error)")
        }
    }

    /// Runs a built oracle tool on a trace and decodes the JSON it prints.
    static func decode<T: Decodable>(_ type: T.Type, running tool: Outcome<String>, on trace: String) throws -> T {
        let binary = try tool.get()
        let (status, stdout, stderr) = try TestProcess.run(binary, [trace])
        guard status == 0 else {
            throw Failure(description: "\(URL(fileURLWithPath: binary).lastPathComponent) \(trace) failed: \(stderr)")
        }
        return try JSONDecoder().decode(T.self, from: Data(stdout.utf8))
    }

    /// The summary tool.
    static let binary = tool("summary")

    static func summarize(_ trace: String) throws -> Result {
        let (status, stdout, stderr) = try TestProcess.run(try binary.get(), [trace])
        // Exit 3: the reader stopped at an error; the summary covers what was read before it (like cmd/trace).
        guard status == 0 || status == 3 else { throw Failure(description: "Go summary of \(trace) failed: \(stderr)") }
        let output = try JSONDecoder().decode(Output.self, from: Data(stdout.utf8))
        var totals: [String: Int64] = [
            "running": output.Totals.ExecTime, "runnable": output.Totals.SchedWaitTime,
            "syscall": output.Totals.SyscallTime, "syscall_blocked": output.Totals.SyscallBlockTime,
        ]
        for (reason, d) in output.Totals.BlockTimeByReason { totals["waiting/" + reason] = d }
        var names: [String: String] = [:]
        for g in output.Goroutines ?? [] { names[String(g.ID)] = g.Name }
        return Result(
            goroutines: output.Totals.Goroutines, totals: totals, names: names,
            goroutineStats: output.Goroutines ?? [])
    }
}

extension GoSummary {
    /// Whether the trace is in the v1 format (header "go 1.NN trace" with NN < 22: Go 1.11-1.21).
    static func isLegacyFormat(_ trace: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: trace) else { return false }
        defer { try? handle.close() }
        let header = String(decoding: handle.readData(ofLength: 16), as: UTF8.self)
        guard header.hasPrefix("go 1."), let minor = Int(header.dropFirst(5).prefix { $0.isNumber }) else { return false }
        return minor < 22
    }

    /// Compares with Go's reading of `trace` (`oracle`, run afresh each time), exactly. Go's reader is not
    /// deterministic on a v1-format trace: it orders events of one timestamp differently from run to run (a map
    /// iteration in its v1 conversion), which can move a duration by a nanosecond. So on such a trace Go is run
    /// up to 30 times, and the comparison passes when one of Go's own outputs agrees exactly; current-format
    /// traces get one run. Returns the last run's mismatches (empty: agreement). (30: on Go's stress_1_11_good,
    /// Go's Summarizer printed 4 different totals in 40 runs, ours among them 12 times; 10 runs missed it 3% of
    /// the time.)
    static func mismatches<T>(_ trace: String, oracle: (String) throws -> T, _ compare: (T) throws -> [String]) throws
        -> [String]
    {
        var result: [String] = []
        for _ in 0..<(isLegacyFormat(trace) ? 30 : 1) {
            result = try compare(oracle(trace))
            if result.isEmpty { break }
        }
        return result
    }
}
