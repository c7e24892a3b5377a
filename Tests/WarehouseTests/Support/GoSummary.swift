import Foundation
import Testing

/// Go's own goroutine analysis as the oracle: a small Go program that runs internal/trace's Summarizer over a
/// trace and prints the totals as JSON. Built once per test process from the oracle toolchain
/// (TRACEWARE_GO, default /opt/go/1.27.3/go/bin/go). internal/trace can only be imported from inside GOROOT,
/// so the program is placed at GOROOT/src/cmd/tracewaresummary through `go build -overlay`: nothing is
/// written into the toolchain.
enum GoSummary {
    static let goBinary = ProcessInfo.processInfo.environment["TRACEWARE_GO"] ?? "/opt/go/1.27.3/go/bin/go"

    /// The keys match the warehouse: "running", "runnable", "syscall", "syscall_blocked", and
    /// "waiting/<reason>" for each block reason (Go's BlockTimeByReason).
    static let source = #"""
        package main

        import (
        	"encoding/json"
        	"fmt"
        	"internal/trace"
        	"io"
        	"os"
        )

        func main() {
        	f, err := os.Open(os.Args[1])
        	if err != nil {
        		fmt.Fprintln(os.Stderr, err)
        		os.Exit(1)
        	}
        	r, err := trace.NewReader(f)
        	if err != nil {
        		fmt.Fprintln(os.Stderr, err)
        		os.Exit(1)
        	}
        	s := trace.NewSummarizer()
        	for {
        		ev, err := r.ReadEvent()
        		if err == io.EOF {
        			break
        		}
        		if err != nil {
        			// Like cmd/trace: keep what was read before the damage.
        			break
        		}
        		s.Event(&ev)
        	}
        	sum := s.Finalize()
        	totals := map[string]int64{}
        	names := map[string]string{}
        	for id, g := range sum.Goroutines {
        		names[fmt.Sprint(int64(id))] = g.Name
        		totals["running"] += int64(g.ExecTime)
        		totals["runnable"] += int64(g.SchedWaitTime)
        		totals["syscall"] += int64(g.SyscallTime)
        		totals["syscall_blocked"] += int64(g.SyscallBlockTime)
        		for reason, d := range g.BlockTimeByReason {
        			totals["waiting/"+reason] += int64(d)
        		}
        	}
        	out := map[string]any{"goroutines": len(sum.Goroutines), "totals": totals, "names": names}
        	b, _ := json.Marshal(out)
        	fmt.Println(string(b))
        }
        """#

    struct Result: Decodable {
        var goroutines: Int
        var totals: [String: Int64]
        /// Goroutine id → Go's GoroutineSummary.Name (the root frame of its stacks).
        var names: [String: String]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The built oracle binary (built on first use; the error is kept and rethrown).
    static let binary: Result2<String> = {
        do { return .success(try build()) } catch { return .failure("\(error)") }
    }()

    enum Result2<T: Sendable>: Sendable {
        case success(T)
        case failure(String)
        func get() throws -> T {
            switch self {
            case .success(let v): return v
            case .failure(let message): throw Failure(description: message)
            }
        }
    }

    static func build() throws -> String {
        let goroot = URL(fileURLWithPath: goBinary).resolvingSymlinksInPath().deletingLastPathComponent()
            .deletingLastPathComponent()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("traceware-gosummary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let main = work.appendingPathComponent("main.go")
        try Data(source.utf8).write(to: main)
        let virtual = goroot.appendingPathComponent("src/cmd/tracewaresummary/main.go").path
        let overlay = work.appendingPathComponent("overlay.json")
        let json = try JSONSerialization.data(withJSONObject: ["Replace": [virtual: main.path]])
        try json.write(to: overlay)
        let output = work.appendingPathComponent("summary").path
        let (status, _, stderr) = try run(
            goBinary, ["build", "-overlay", overlay.path, "-o", output, "./tracewaresummary"],
            directory: goroot.appendingPathComponent("src/cmd").path,
            environment: ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"])
        guard status == 0 else { throw Failure(description: "building the Go summary oracle failed: \(stderr)") }
        return output
    }

    static func summarize(_ trace: String) throws -> Result {
        let (status, stdout, stderr) = try run(try binary.get(), [trace])
        guard status == 0 else { throw Failure(description: "Go summary of \(trace) failed: \(stderr)") }
        return try JSONDecoder().decode(Result.self, from: Data(stdout.utf8))
    }

    static func run(_ executable: String, _ arguments: [String], directory: String? = nil, environment: [String: String] = [:])
        throws -> (Int32, String, String)
    {
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
        // Read both pipes before waiting so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}
