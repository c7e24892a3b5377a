import ArgumentParser
import Foundation
import Warehouse

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the runs in the warehouse, or delete some.",
        discussion: "`traceware runs` lists them (the `list` subcommand is the default).",
        subcommands: [ListRuns.self, DeleteRuns.self],
        defaultSubcommand: ListRuns.self)
}

struct ListRuns: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the runs in the warehouse.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let db = try WarehouseStore.openForReading(database.resolvedPath)
        defer { StandardOutput.flush() }
        try RunCatalog.list(db, printer: output.printer())
    }
}

struct DeleteRuns: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete runs: their rows in every table, in one transaction.",
        discussion: """
            RUN is a run id or a label (all of its runs). --keep-last N deletes all but the newest N runs \
            (highest run ids) of each label, unlabelled runs counting as one label, or only of --label L. \
            --dry-run lists what would go and changes nothing.
            Every table with a run_id column loses the runs' rows; saved reports and other runs are untouched. \
            One transaction: a delete that fails or is killed leaves every run whole, and queries running \
            meanwhile see the runs until it commits. The space goes on the warehouse's free list, which later \
            ingests reuse; `traceware vacuum` gives it back to the filesystem. A new run may get the id of a \
            deleted run that had the highest id.
            """)

    @Argument(help: "Run ids or labels.") var runs: [String] = []
    @Option(name: .customLong("keep-last"), help: "Keep the newest N runs of each label (or of --label) and delete the rest.")
    var keepLast: Int?
    @Option(help: "With --keep-last: only this label's runs.") var label: String?
    @Flag(name: .customLong("dry-run"), help: "List the runs that would be deleted; delete nothing.") var dryRun = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var write: WriteOptions

    func validate() throws {
        if let keepLast {
            guard keepLast >= 0 else { throw ValidationError("--keep-last expects a number >= 0") }
            guard runs.isEmpty else { throw ValidationError("give runs to delete or --keep-last, not both") }
        } else {
            guard !runs.isEmpty else { throw ValidationError("give the runs to delete (ids or labels), or --keep-last N") }
            guard label == nil else { throw ValidationError("--label goes with --keep-last") }
        }
    }

    func run() throws {
        write.apply(command: "runs delete")
        let path = database.resolvedPath
        let selection: RunRetention.Selection = keepLast.map { .keepLast($0, label: label) } ?? .runs(runs)
        let line = write.statusLine()
        let hold = ProcessInfo.processInfo.environment["TRACEWARE_TEST_HOLD_DELETE"].map(RunRetention.TestHold.init)
        let (outcome, space) = try naming(warehouse: path) { () throws -> (RunRetention.Outcome, WarehouseVacuum.Space) in
            let db = try dryRun ? WarehouseStore.openForReading(path) : WarehouseStore.openExistingForWriting(path)
            let outcome = try RunRetention.delete(selection, in: db, dryRun: dryRun, progress: { table, index, count in
                guard !table.isEmpty else { return line.clear() }
                line.draw("deleting runs: table \(index + 1) of \(count), \(table)")
            }, hold: hold)
            return (outcome, try WarehouseVacuum.space(of: db))
        }
        line.clear()
        for run in outcome.runs {
            var text = "\(dryRun ? "would delete" : "deleted") run \(run.id)"
            if !run.label.isEmpty { text += " (\(run.label))" }
            text += ": \(run.sourcePath), \(formatBytes(run.sourceBytes)), ingested \(run.ingestedAt)"
            print(text)
        }
        if outcome.runs.isEmpty {
            print("no runs to delete")
        } else if !dryRun {
            print(
                "deleted \(outcome.runs.count) run\(outcome.runs.count == 1 ? "" : "s"): \(outcome.rows) rows; "
                    + "\(formatBytes(space.freeBytes)) of the warehouse's \(formatBytes(space.fileBytes)) are now free "
                    + "(later ingests reuse it; `traceware vacuum` gives it back to the filesystem)")
        }
    }
}
