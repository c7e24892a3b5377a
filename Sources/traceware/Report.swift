import ArgumentParser
import Foundation
import Warehouse

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Run, save or delete a report.",
        discussion: """
            `traceware report NAME` runs a report (the `run` subcommand is the default). \
            `traceware reports` lists them.
            """,
        subcommands: [RunReport.self, SaveReport.self, DeleteReport.self],
        defaultSubcommand: RunReport.self)
}

struct RunReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a report on one or more runs (read-only).",
        discussion: """
            RUN is a run id or a label; a label naming several runs selects all of them; the default is the \
            latest run. With several runs the report runs once per run and the rows are printed together. \
            Parameters are bound as values (integer, real or text), never spliced into the SQL.
            """)

    @Argument(help: "The report name (see traceware reports).") var name: String
    @Option(name: .customLong("run"), help: "A run id or label (repeatable; default: the latest run).")
    var runs: [String] = []
    @Option(name: .customLong("param"), help: "A report parameter as KEY=VALUE (repeatable).")
    var params: [String] = []
    @Option(help: "A directory of extra or edited reports (*.sql with the report header).")
    var queriesDir: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try parsedParameters()
    }

    func parsedParameters() throws -> [String: String] { try ReportParameters.parse(params) }

    func run() throws {
        let parameters = try parsedParameters()
        let db = try WarehouseStore.openForReading(database.resolvedPath)
        let report = try ReportCatalog.find(name, db: db, queriesDirectory: queriesDir)
        try ReportRunner.checkParameters(parameters, for: report)
        let runIDs = try RunSelector.resolve(runs, in: db)
        let printer = output.printer()
        let status = QueryStatus(db, "report \(name)")
        defer {
            status.stop()
            StandardOutput.flush()
        }
        var header: [String]?
        for runID in runIDs {
            try ReportRunner.run(report, runID: runID, parameters: parameters, on: db) { columns in
                if let header {
                    guard header == columns else {
                        throw ReportError("report \(name) gave different columns for run \(runID)")
                    }
                } else {
                    header = columns
                    printer.begin(columns: columns)
                }
            } row: { printer.row($0) }
        }
        printer.end()
    }
}

struct SaveReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Save a report in the warehouse.",
        discussion: """
            The SQL is one read-only statement (checked by preparing it on the warehouse), reading the run \
            from :run_id and parameters from :key declared in a header like the canned reports' \
            (`-- param: key [= default] : doc`). A saved report overrides a canned one of the same name in \
            this warehouse; `traceware report delete NAME` removes it.
            """)

    @Argument(help: "The report name.") var name: String
    @Option(help: "The SQL text.") var sql: String?
    @Option(help: "A file with the SQL ('-' for stdin).") var file: String?
    @Option(help: "A one-line summary (overrides the SQL's `-- summary:` line).") var summary: String?
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (sql == nil) != (file == nil) else { throw ValidationError("give exactly one of --sql and --file") }
        do { try ReportCatalog.validateName(name) } catch let error as ReportError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        var text = sql ?? ""
        if let file {
            if file == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("cannot read --file \(file)")
                }
                text = String(decoding: data, as: UTF8.self)
            }
        }
        // Saving needs an existing warehouse (the SQL is checked against its tables); opening it for writing
        // upgrades an older one so saved_reports exists.
        let db = try WarehouseStore.openExistingForWriting(database.resolvedPath)
        let (report, replaced) = try ReportCatalog.save(name: name, sql: text, summary: summary, on: db)
        let canned = try ReportCatalog.canned().contains { $0.name == name }
        var line = "\(replaced ? "replaced" : "saved") report \(name)"
        if canned { line += " (overrides the canned report of that name in this warehouse)" }
        if !report.parameters.isEmpty { line += "; parameters: \(report.parameters.map(\.signature).joined(separator: ", "))" }
        print(line)
    }
}

struct DeleteReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a saved report.")

    @Argument(help: "The report name.") var name: String
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let db = try WarehouseStore.openExistingForWriting(database.resolvedPath, missingHint: "nothing is saved there")
        try ReportCatalog.delete(name: name, on: db)
        print("deleted report \(name)")
    }
}
