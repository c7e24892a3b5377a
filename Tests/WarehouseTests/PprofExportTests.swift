import Foundation
import TestSupport
import Testing

@testable import Warehouse

/// `traceware export pprof` (PprofExport) against Go: our gzip'd profile read by `go tool pprof -raw` equals
/// `go tool trace -pprof=KIND` read the same way, stack by stack (count and ns), for sync, net, syscall and sched
/// on every fixture trace. Both sides go through Go's pprof reader, so the check covers our encoding too.
enum PprofExportSupport {
    /// Every fixture trace of every Go version.
    static let traces: [String] = {
        let root = packageRoot.appendingPathComponent("Tests/Fixtures/traces").path
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted().flatMap { version -> [String] in
            let dir = (root as NSString).appendingPathComponent(version)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            return files.filter { $0.hasSuffix(".trace") }.sorted().map { (dir as NSString).appendingPathComponent($0) }
        }
    }()

    /// Removed when the test process exits (ReportCoreSupport.Shared).
    static var directory: String { ReportCoreSupport.sharedDirectory }

    /// One warehouse of every fixture, ingested once per test process.
    static let shared: GoSummary.Outcome<ReportCoreSupport.Shared> = {
        do {
            return .success(try ReportCoreSupport.Shared(traces, name: "export.db"))
        } catch {
            return .failure("ingesting the fixtures failed: \(error)")
        }
    }()

    static let env = ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off"]

    /// `go tool pprof -raw FILE`, parsed per stack like ReportCoreSupport.pprof.
    static func raw(_ file: String) throws -> [String: (count: Int64, ns: Int64)] {
        let (status, raw, stderr) = try TestProcess.run(goBinary, ["tool", "pprof", "-raw", file], environment: env)
        guard status == 0 else { throw GoSummary.Failure(description: "go tool pprof -raw \(file): \(stderr)") }
        return ReportCoreSupport.parseRaw(raw)
    }

    /// Our profile of one kind, written as the CLI writes it and read back by go tool pprof -raw; [:] when the
    /// run has no samples of the kind (the export refuses an empty selection).
    static func ours(_ kind: PprofExport.Kind, runID: Int64, db: Database, selection: PprofExport.Selection = .init(),
                     in dir: TemporaryDirectory) throws -> [String: (count: Int64, ns: Int64)] {
        let profile: PprofProfile
        do {
            profile = try PprofExport.profile(run: runID, kind: kind, selection: selection, on: db)
        } catch let error as ExportError where error.description.contains("holds no") {
            return [:]
        }
        let file = dir.path("\(kind.rawValue)-\(runID).pb.gz")
        try PprofExport.write(try PprofExport.gzipped(profile, run: runID, on: db), to: file)
        return try raw(file)
    }
}

@Suite struct PprofExportTests {
    @Test func everyFixtureIsThere() {
        // 15 scenarios of 7 Go versions, some scenarios missing for the oldest (see Tests/Fixtures/README.md).
        #expect(PprofExportSupport.traces.count >= 100, "only \(PprofExportSupport.traces.count) fixture traces")
    }

    /// For every fixture and each of Go's four kinds: ours equals go tool trace -pprof=KIND per stack. On a v1
    /// trace, one of up to 30 runs of Go (GoSummary.mismatches: Go's v1 reader is not deterministic).
    @Test(arguments: PprofExportSupport.traces)
    func equalsGoToolTracePprof(trace: String) throws {
        let shared = try PprofExportSupport.shared.get()
        let runID = try #require(shared.runIDs[trace])
        let db = try WarehouseStore.openForReading(shared.path)
        let dir = try TemporaryDirectory()
        for kind in [PprofExport.Kind.sync, .net, .syscall, .sched] {
            let ours = try PprofExportSupport.ours(kind, runID: runID, db: db, in: dir)
            let mismatches = try GoSummary.mismatches(trace, oracle: { try ReportCoreSupport.pprof(kind.rawValue, $0) }) { go in
                var m: [String] = []
                for stack in Set(ours.keys).union(go.keys).sorted() where ours[stack]?.count != go[stack]?.count || ours[stack]?.ns != go[stack]?.ns {
                    m.append("\(kind) \(stack): ours \(ours[stack].map { "\($0)" } ?? "none"), Go \(go[stack].map { "\($0)" } ?? "none")")
                }
                return m
            }
            #expect(mismatches.isEmpty, "\(trace) \(kind): \(mismatches.count): \(mismatches.prefix(6))")
        }
    }

    /// A run ingested before migration 0012 has no blocking_profile_functions rows: the export computes from
    /// goroutine_states then, and still equals Go (the rows deleted here stand for such a run).
    @Test(arguments: [ReportCoreSupport.fixture("1.27", "mutex"), ReportCoreSupport.fixture("1.22", "tcp")])
    func runsWithoutTheSplitStillEqualGo(trace: String) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("old.db")
        let writer = try WarehouseStore.openForWriting(path)
        let runID = try TraceIngest.ingest(path: trace, into: writer, source: TraceReaderAdapter.source).runID
        #expect(try writer.scalarInt64("SELECT count(*) FROM blocking_profile_functions WHERE run_id = ?", [.integer(runID)]) ?? 0 > 0)
        try writer.execute("DELETE FROM blocking_profile_functions")
        let db = try WarehouseStore.openForReading(path)
        var compared = 0
        for kind in [PprofExport.Kind.sync, .net, .syscall, .sched] {
            #expect(try PprofExport.fastSQL(run: runID, kind: kind, selection: .init(), on: db) == nil
                    || db.scalarInt64("SELECT count(*) FROM blocking_profile WHERE run_id = ? AND kind = ?", [.integer(runID), .text(kind.rawValue)]) == 0)
            let ours = try PprofExportSupport.ours(kind, runID: runID, db: db, in: dir)
            let go = try ReportCoreSupport.pprof(kind.rawValue, trace)
            if !go.isEmpty { compared += 1 }
            for stack in Set(ours.keys).union(go.keys).sorted() {
                #expect(ours[stack]?.count == go[stack]?.count && ours[stack]?.ns == go[stack]?.ns,
                        "\(trace) \(kind) \(stack): ours \(ours[stack].map { "\($0)" } ?? "none"), Go \(go[stack].map { "\($0)" } ?? "none")")
            }
        }
        #expect(compared >= 2)
    }

    static let cpuSamplesTool = GoSummary.tool("cpusamples")

    /// --kind cpu equals Go's reader's CPU samples (scripts/gotools/cpusamples: EventStackSample per stack) on
    /// every fixture: the count per stack, and 10 ms per sample.
    @Test(arguments: PprofExportSupport.traces)
    func cpuEqualsGoStackSamples(trace: String) throws {
        let shared = try PprofExportSupport.shared.get()
        let runID = try #require(shared.runIDs[trace])
        let db = try WarehouseStore.openForReading(shared.path)
        let dir = try TemporaryDirectory()
        let ours = try PprofExportSupport.ours(.cpu, runID: runID, db: db, in: dir)
        let go = try GoSummary.decode([String: Int64].self, running: Self.cpuSamplesTool, on: trace)
        if trace.hasSuffix("/cpuprofile.trace") { #expect(!go.isEmpty, "Go reads no CPU samples in \(trace)") }
        for stack in Set(ours.keys).union(go.keys).sorted() {
            #expect(ours[stack]?.count == go[stack], "\(trace) cpu \(stack): ours \(ours[stack].map { "\($0)" } ?? "none"), Go \(go[stack] ?? 0)")
            if let o = ours[stack] { #expect(o.ns == o.count * PprofExport.cpuPeriodNs) }
        }
    }

    /// `go tool trace -http` on loopback, for its per-start-function profiles (/block?name=F&raw=1 and the like:
    /// cmd/trace's pprofByGoroutine, which -pprof=KIND does not expose). BROWSER=true keeps it from opening one.
    final class GoTraceServer {
        let process: Process
        let address: String
        init(_ trace: String) throws {
            let (process, _, err) = try TestProcess.start(
                goBinary, ["tool", "trace", "-http=127.0.0.1:0", trace],
                environment: ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off", "BROWSER": "true"])
            self.process = process
            var text = ""
            let handle = err.fileHandleForReading
            while !text.contains("listening on http://") || !text.hasSuffix("\n") {
                let data = handle.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            guard let range = text.range(of: "listening on http://") else {
                process.terminate()
                throw GoSummary.Failure(description: "go tool trace -http: \(text)")
            }
            address = String(text[range.upperBound...].prefix { !$0.isWhitespace })
        }
        deinit { process.terminate(); process.waitUntilExit() }

        func profile(_ endpoint: String, name: String? = nil, type: String? = nil, into file: String) throws
            -> [String: (count: Int64, ns: Int64)]
        {
            var query = URLComponents(string: "http://\(address)/\(endpoint)")!
            query.queryItems = [.init(name: "raw", value: "1")]
            if let name { query.queryItems!.append(.init(name: "name", value: name)) }
            if let type { query.queryItems!.append(.init(name: "type", value: type)) }
            let (status, _, stderr) = try TestProcess.run("/usr/bin/env", ["curl", "-sSf", "-o", file, query.url!.absoluteString])
            guard status == 0 else { throw GoSummary.Failure(description: "curl \(endpoint) \(name): \(stderr)") }
            return try PprofExportSupport.raw(file)
        }
    }

    static let functionTraces = ["1.22", "1.23", "1.25", "1.27"].flatMap { v in
        ["mutex", "tcp", "file", "chan", "annotation"].map { packageRoot.appendingPathComponent("Tests/Fixtures/traces/go\(v)/\($0).trace").path }
    }.filter { FileManager.default.fileExists(atPath: $0) }

    /// --function F equals go tool trace's profile of the goroutines named F (its HTTP handlers /block, /io,
    /// /syscall, /sched with ?name=F), for every kind and every start function that has samples of it.
    @Test(arguments: functionTraces)
    func functionEqualsGoByName(trace: String) throws {
        let shared = try PprofExportSupport.shared.get()
        let runID = try #require(shared.runIDs[trace])
        let db = try WarehouseStore.openForReading(shared.path)
        let dir = try TemporaryDirectory()
        let server = try GoTraceServer(trace)
        var compared = 0
        for (kind, endpoint) in [(PprofExport.Kind.sync, "block"), (.net, "io"), (.syscall, "syscall"), (.sched, "sched")] {
            let whole = try? PprofExport.profile(run: runID, kind: kind, on: db)
            let names = Set(whole?.samples.compactMap { $0.labels.first { $0.key == "start_function" }?.value } ?? [])
            for name in names.sorted() where !name.isEmpty {
                let ours = try PprofExportSupport.ours(kind, runID: runID, db: db, selection: .init(function: name), in: dir)
                let go = try server.profile(endpoint, name: name, into: dir.path("go-\(endpoint).pb"))
                #expect(!ours.isEmpty, "\(kind) \(name): ours is empty")
                for stack in Set(ours.keys).union(go.keys).sorted() {
                    #expect(ours[stack]?.count == go[stack]?.count && ours[stack]?.ns == go[stack]?.ns,
                            "\(trace) \(kind) \(name) \(stack): ours \(ours[stack].map { "\($0)" } ?? "none"), Go \(go[stack].map { "\($0)" } ?? "none")")
                }
                compared += 1
            }
        }
        #expect(compared >= 2, "only \(compared) (kind, function) profiles compared")
    }

    /// --from/--to: a window over the whole run is Go's whole profile, and two windows that split the run at
    /// any point add up, per stack, to Go's delay (each interval clipped to its window; an interval crossing the
    /// split counts in both windows' contentions, so only delays add up).
    @Test(arguments: ["1.27", "1.22", "1.21"].map { ReportCoreSupport.fixture($0, "mutex") })
    func windowsAddUpToGo(trace: String) throws {
        let shared = try PprofExportSupport.shared.get()
        let runID = try #require(shared.runIDs[trace])
        let db = try WarehouseStore.openForReading(shared.path)
        let end = try #require(try db.scalarInt64("SELECT end_ns FROM runs WHERE run_id = ?", [.integer(runID)]))
        let dir = try TemporaryDirectory()
        for kind in [PprofExport.Kind.sync, .sched] {
            let all = try PprofExportSupport.ours(kind, runID: runID, db: db, selection: .init(fromNs: 0, toNs: end), in: dir)
            let mismatches = try GoSummary.mismatches(trace, oracle: { try ReportCoreSupport.pprof(kind.rawValue, $0) }) { go in
                var m: [String] = []
                for stack in Set(all.keys).union(go.keys) where all[stack]?.count != go[stack]?.count || all[stack]?.ns != go[stack]?.ns {
                    m.append("whole-run window \(kind) \(stack)")
                }
                for split in [end / 3, end / 2, end * 4 / 5] {
                    let a = try PprofExportSupport.ours(kind, runID: runID, db: db, selection: .init(fromNs: 0, toNs: split), in: dir)
                    let b = try PprofExportSupport.ours(kind, runID: runID, db: db, selection: .init(fromNs: split, toNs: end), in: dir)
                    #expect(!a.isEmpty && !b.isEmpty, "split at \(split): an empty side")
                    for stack in Set(go.keys).union(a.keys).union(b.keys) where (a[stack]?.ns ?? 0) + (b[stack]?.ns ?? 0) != go[stack]?.ns {
                        m.append("split \(split) \(kind) \(stack): \(a[stack]?.ns ?? 0) + \(b[stack]?.ns ?? 0) vs Go \(go[stack]?.ns ?? 0)")
                    }
                }
                return m
            }
            #expect(mismatches.isEmpty, "\(trace): \(mismatches.prefix(6))")
        }
    }

    /// A trace written at test time by a small program whose regions hold sync blocking (the fixtures' regions
    /// hold only sleeps, which no region profile of Go counts): 4 goroutines contend for a mutex held across a
    /// sleep (so they always contend, however loaded the machine) inside region "locked" (nested in "outer")
    /// and receive from a channel inside region "recv"; one region stays open.
    static let regionTrace: GoSummary.Outcome<String> = {
        do {
            let dir = (PprofExportSupport.directory as NSString).appendingPathComponent("regions")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let source = """
                package main

                import (
                \t"context"
                \t"os"
                \t"runtime/trace"
                \t"sync"
                \t"time"
                )

                func spin(n int) int { x := 0; for i := 0; i < n; i++ { x += i * i }; return x }

                func main() {
                \tf, _ := os.Create(os.Args[1])
                \ttrace.Start(f)
                \tctx := context.Background()
                \tvar mu sync.Mutex
                \tvar wg sync.WaitGroup
                \tch := make(chan int)
                \tfor w := 0; w < 4; w++ {
                \t\twg.Add(1)
                \t\tgo func() {
                \t\t\tdefer wg.Done()
                \t\t\tfor i := 0; i < 20; i++ {
                \t\t\t\ttrace.WithRegion(ctx, "outer", func() {
                \t\t\t\t\ttrace.WithRegion(ctx, "locked", func() { mu.Lock(); time.Sleep(20 * time.Microsecond); spin(1000); mu.Unlock() })
                \t\t\t\t})
                \t\t\t\ttrace.WithRegion(ctx, "recv", func() { <-ch })
                \t\t\t}
                \t\t}()
                \t}
                \tfor i := 0; i < 80; i++ { time.Sleep(50 * time.Microsecond); ch <- i }
                \twg.Wait()
                \ttrace.StartRegion(ctx, "open")
                \tmu.Lock(); go func() { mu.Lock() }(); time.Sleep(time.Millisecond)
                \ttrace.Stop()
                }
                """
            let main = (dir as NSString).appendingPathComponent("main.go")
            try source.write(toFile: main, atomically: true, encoding: .utf8)
            let trace = (dir as NSString).appendingPathComponent("regions.trace")
            let (status, _, stderr) = try TestProcess.run(
                goBinary, ["run", main, trace], directory: dir,
                environment: ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off", "GO111MODULE": "off",
                              "GOCACHE": (dir as NSString).appendingPathComponent("cache")])
            guard status == 0 else { return .failure("go run regions program: \(stderr)") }
            return .success(trace)
        } catch {
            return .failure("\(error)")
        }
    }()

    /// --region NAME equals go tool trace's region profiles (/regionblock and /regionio with ?type=NAME) for
    /// every region name: of the annotation fixtures (sleeps only: both sides empty) and of a trace written at
    /// test time with mutex and channel blocking inside (nested and unfinished regions).
    @Test(arguments: ["1.22", "1.27"].map { ReportCoreSupport.fixture($0, "annotation") } + ["made-at-test-time"])
    func regionEqualsGoRegionProfiles(trace fixture: String) throws {
        let trace = fixture == "made-at-test-time" ? try Self.regionTrace.get() : fixture
        let dir = try TemporaryDirectory()
        let path = dir.path("regions.db")
        let runID = try TraceIngest.ingest(path: trace, into: try WarehouseStore.openForWriting(path), source: TraceReaderAdapter.source).runID
        let db = try WarehouseStore.openForReading(path)
        let server = try GoTraceServer(trace)
        let names = try db.rows("SELECT DISTINCT name FROM regions WHERE run_id = ? ORDER BY name", [.integer(runID)])
            .compactMap { row -> String? in if case .text(let t) = row[0] { return t } else { return nil } }
        #expect(names.count >= 3, "region names \(names)")
        var nonEmpty = 0
        for (kind, endpoint) in [(PprofExport.Kind.sync, "regionblock"), (.net, "regionio")] {
            for name in names {
                let ours = try PprofExportSupport.ours(kind, runID: runID, db: db, selection: .init(region: name), in: dir)
                let go = try server.profile(endpoint, type: name, into: dir.path("go-\(endpoint).pb"))
                if !go.isEmpty { nonEmpty += 1 }
                for stack in Set(ours.keys).union(go.keys).sorted() {
                    #expect(ours[stack]?.count == go[stack]?.count && ours[stack]?.ns == go[stack]?.ns,
                            "\(trace) \(kind) region \(name) \(stack): ours \(ours[stack].map { "\($0)" } ?? "none"), Go \(go[stack].map { "\($0)" } ?? "none")")
                }
            }
        }
        if fixture == "made-at-test-time" { #expect(nonEmpty >= 2, "only \(nonEmpty) of Go's region profiles hold samples") }
    }
}

/// --task-type against go tool trace. Go has no profile per task type; a goroutine takes part in a task through
/// its regions, and Go's region profiles (/regionblock, /regionio, /regionsyscall, /regionsched with ?type=NAME)
/// count the time inside regions of one name. A program written at test time gives each task type region names
/// of its own: tasks "job" hold region "lock" (with a nested "lock" and mutex contention inside) then region
/// "recv" (a channel receive), tasks "other" hold region "wait" (the same mutex), and region "free" is in no task.
/// A goroutine leaves a region only while running, so no wait straddles two regions: --task-type job is Go's
/// profile of "lock" plus that of "recv", stack by stack (counts and delays), and --task-type other is Go's
/// profile of "wait". --region lock checks the nested regions of one name (Go keeps the outermost only).
@Suite struct PprofTaskTypeTests {
    static let taskTrace: GoSummary.Outcome<String> = {
        do {
            let dir = (PprofExportSupport.directory as NSString).appendingPathComponent("tasks")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let source = """
                package main

                import (
                \t"context"
                \t"os"
                \t"runtime/trace"
                \t"sync"
                \t"time"
                )

                func spin(n int) int { x := 0; for i := 0; i < n; i++ { x += i * i }; return x }

                func main() {
                \tf, _ := os.Create(os.Args[1])
                \ttrace.Start(f)
                \tvar mu sync.Mutex
                \tvar wg sync.WaitGroup
                \tch := make(chan int)
                \tfor w := 0; w < 4; w++ {
                \t\twg.Add(1)
                \t\tgo func() {
                \t\t\tdefer wg.Done()
                \t\t\tfor i := 0; i < 20; i++ {
                \t\t\t\tctx, task := trace.NewTask(context.Background(), "job")
                \t\t\t\ttrace.WithRegion(ctx, "lock", func() {
                \t\t\t\t\tspin(200)
                \t\t\t\t\ttrace.WithRegion(ctx, "lock", func() { mu.Lock(); time.Sleep(20 * time.Microsecond); spin(1000); mu.Unlock() })
                \t\t\t\t})
                \t\t\t\ttrace.WithRegion(ctx, "recv", func() { <-ch })
                \t\t\t\ttask.End()
                \t\t\t\toctx, other := trace.NewTask(context.Background(), "other")
                \t\t\t\ttrace.WithRegion(octx, "wait", func() { mu.Lock(); time.Sleep(10 * time.Microsecond); mu.Unlock() })
                \t\t\t\tother.End()
                \t\t\t}
                \t\t}()
                \t}
                \tfor i := 0; i < 80; i++ { time.Sleep(50 * time.Microsecond); ch <- i }
                \twg.Wait()
                \ttrace.WithRegion(context.Background(), "free", func() { mu.Lock(); spin(100); mu.Unlock() })
                \ttrace.Stop()
                }
                """
            let main = (dir as NSString).appendingPathComponent("main.go")
            try source.write(toFile: main, atomically: true, encoding: .utf8)
            let trace = (dir as NSString).appendingPathComponent("tasks.trace")
            let (status, _, stderr) = try TestProcess.run(
                goBinary, ["run", main, trace], directory: dir,
                environment: ["GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off", "GO111MODULE": "off",
                              "GOCACHE": (dir as NSString).appendingPathComponent("cache")])
            guard status == 0 else { return .failure("go run tasks program: \(stderr)") }
            return .success(trace)
        } catch {
            return .failure("\(error)")
        }
    }()

    @Test(.enabled(if: goIsAvailable || isCI))
    func taskTypeEqualsGoRegionProfilesOfItsRegions() throws {
        let trace = try Self.taskTrace.get()
        let dir = try TemporaryDirectory()
        let path = dir.path("tasks.db")
        let runID = try TraceIngest.ingest(path: trace, into: try WarehouseStore.openForWriting(path), source: TraceReaderAdapter.source).runID
        let db = try WarehouseStore.openForReading(path)
        let server = try PprofExportTests.GoTraceServer(trace)
        var nonEmpty = 0
        let kinds: [(PprofExport.Kind, String)] = [(.sync, "regionblock"), (.net, "regionio"), (.syscall, "regionsyscall"), (.sched, "regionsched")]
        for (kind, endpoint) in kinds {
            for (selection, regions) in [(PprofExport.Selection(taskType: "job"), ["lock", "recv"]),
                                         (.init(taskType: "other"), ["wait"]), (.init(region: "lock"), ["lock"])] {
                let ours = try PprofExportSupport.ours(kind, runID: runID, db: db, selection: selection, in: dir)
                var go: [String: (count: Int64, ns: Int64)] = [:]
                for region in regions {
                    for (stack, v) in try server.profile(endpoint, type: region, into: dir.path("go-\(endpoint).pb")) {
                        go[stack] = ((go[stack]?.count ?? 0) + v.count, (go[stack]?.ns ?? 0) + v.ns)
                    }
                }
                if !go.isEmpty { nonEmpty += 1 }
                for stack in Set(ours.keys).union(go.keys).sorted() {
                    #expect(ours[stack]?.count == go[stack]?.count && ours[stack]?.ns == go[stack]?.ns,
                            "\(kind) \(selection.taskType.map { "task type \($0)" } ?? "region lock") \(stack): ours \(ours[stack].map { "\($0)" } ?? "none"), Go \(go[stack].map { "\($0)" } ?? "none")")
                }
            }
        }
        // sync and sched of each of the three selections at least.
        #expect(nonEmpty >= 6, "only \(nonEmpty) of Go's profiles hold samples")
        // An unknown task type selects nothing.
        #expect(throws: ExportError.self) { try PprofExport.profile(run: runID, kind: .sync, selection: .init(taskType: "nosuch"), on: db) }
    }
}
