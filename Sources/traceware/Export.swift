import ArgumentParser
import Foundation
import Warehouse

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a run (or a slice of it) to the tools Go engineers use.",
        subcommands: [ExportPprof.self, ExportTimeline.self])
}

extension PprofExport.Kind: ExpressibleByArgument {}

struct ExportPprof: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pprof",
        abstract: "Write a gzip'd pprof profile (go tool pprof reads it).",
        discussion: """
            sync, net, syscall and sched are go tool trace -pprof=KIND (samples contentions/count, \
            delay/nanoseconds), with the blocking-stacks report's rules; cpu is the trace's CPU samples \
            (samples/count, cpu/nanoseconds, 10 ms each). Each sample carries the labels start_function and \
            category (-tagfocus). --from/--to clip every interval to a window (ns from the run's start); \
            --function keeps one start function's goroutines; --region counts only the time inside regions of that \
            name, --task-type only the time inside tasks of that type (inside their regions). --sql turns a \
            read-only query's rows into a \
            profile: column stack_id, numeric columns as values (unit ns when named *_ns), text columns as labels; \
            :run_id is bound.
            """)

    @Option(name: .customLong("run"), help: "A run id or label (default: the latest run).") var runSpec: String?
    @Option(help: "sync, net, syscall, sched or cpu.") var kind: PprofExport.Kind?
    @Option(help: "Window start, ns from the start of the run.") var from: Int64?
    @Option(help: "Window end, ns from the start of the run.") var to: Int64?
    @Option(help: "Only the goroutines with this start function.") var function: String?
    @Option(help: "Only the time inside regions of this name (as go tool trace's region profiles).") var region: String?
    @Option(name: .customLong("task-type"), help: "Only the time inside tasks of this type (inside the regions of such tasks).")
    var taskType: String?
    @Option(help: "A read-only query whose rows become the samples (instead of --kind).") var sql: String?
    @Option(name: .short, help: "Output file ('-' for standard output).") var output: String = "-"
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if (kind == nil) == (sql == nil) { throw ValidationError("give exactly one of --kind and --sql") }
        if sql != nil && (from != nil || to != nil || function != nil || region != nil || taskType != nil) {
            throw ValidationError("--sql selects its own rows: --from, --to, --function, --region and --task-type do not apply")
        }
        if let from, let to, from >= to { throw ValidationError("--from must be before --to") }
    }

    func run() throws {
        let (db, runID) = try exportedRun(runSpec, database)
        let profile: PprofProfile
        if let sql {
            profile = try PprofExport.profile(run: runID, sql: sql, on: db)
        } else {
            profile = try PprofExport.profile(
                run: runID, kind: kind!, selection: .init(fromNs: from, toNs: to, function: function, region: region, taskType: taskType), on: db)
        }
        try PprofExport.write(try PprofExport.gzipped(profile, run: runID, on: db), to: output)
    }
}

struct ExportTimeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Write Chrome Trace Event JSON (go tool trace's viewer and ui.perfetto.dev open it).",
        discussion: """
            A track per goroutine (state slices with reason, category and stack; logs), per P, GC cycles and STW \
            pauses, regions, tasks, and wake-ups as flow arrows. --from/--to (ns from the run's start) clip to a \
            window; --function or --goroutines (a read-only query returning goid; :run_id is bound) pick \
            goroutines, --task-type those that had a region in a task of that type. Gzip'd when -o ends in .gz. Above \(TimelineExport.eventLimit) events it refuses unless \
            --force.
            """)

    @Option(name: .customLong("run"), help: "A run id or label (default: the latest run).") var runSpec: String?
    @Option(help: "Window start, ns from the start of the run.") var from: Int64?
    @Option(help: "Window end, ns from the start of the run.") var to: Int64?
    @Option(help: "Only the goroutines with this start function.") var function: String?
    @Option(help: "Only the goroutines a read-only query returns (column goid).") var goroutines: String?
    @Option(name: .customLong("task-type"), help: "Only the goroutines that took part in tasks of this type (had a region in one).")
    var taskType: String?
    @Flag(help: "Write even above the event limit.") var force = false
    @Option(name: .short, help: "Output file ('-' for standard output; *.gz is gzip'd).") var output: String = "-"
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if function != nil && goroutines != nil { throw ValidationError("give --function or --goroutines, not both") }
        if let from, let to, from >= to { throw ValidationError("--from must be before --to") }
    }

    func run() throws {
        let (db, runID) = try exportedRun(runSpec, database)
        var bytes = try TimelineExport.json(
            run: runID,
            selection: .init(fromNs: from, toNs: to, function: function, goroutinesSQL: goroutines, force: force, taskType: taskType),
            on: db)
        if output.hasSuffix(".gz") { bytes = try Gzip.compress(bytes) }
        try PprofExport.write(bytes, to: output)
    }
}

/// The warehouse and the one run an export reads: a label that names several runs is refused.
private func exportedRun(_ runSpec: String?, _ database: DatabaseOptions) throws -> (Database, Int64) {
    let db = try WarehouseStore.openForReading(database.resolvedPath)
    let runIDs = try RunSelector.resolve(runSpec, in: db)
    guard runIDs.count == 1, let runID = runIDs.first else {
        throw ExportError("label \(runSpec ?? "") names \(runIDs.count) runs: give one run id (see traceware runs)")
    }
    return (db, runID)
}
