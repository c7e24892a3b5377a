import ArgumentParser
import Foundation
import Warehouse

struct Reports: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the reports: canned, from --queries-dir, and saved in the warehouse.",
        discussion: """
            By name, a --queries-dir file overrides a canned report and a saved report overrides both. \
            Run one with `traceware report NAME`.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "A directory of extra or edited reports (*.sql with the report header).")
    var queriesDir: String?

    func run() throws {
        // Listing needs no warehouse: without one, only canned and --queries-dir reports are shown.
        let path = database.resolvedPath
        let db = FileManager.default.fileExists(atPath: path) ? try WarehouseStore.openForReading(path) : nil
        let reports = try ReportCatalog.all(db: db, queriesDirectory: queriesDir)
        defer { StandardOutput.flush() }
        let rows: [[DatabaseValue]] = reports.map { report in
            let origin: String
            switch report.origin {
            case .canned: origin = "canned"
            case .directory(let file): origin = file
            case .saved: origin = "saved"
            }
            let parameters = report.parameters.map(\.signature).joined(separator: ", ")
            return [.text(report.name), .text(origin), .text(report.summary), .text(parameters)]
        }
        output.printer().print(columns: ["name", "origin", "summary", "parameters"], rows: rows)
    }
}
