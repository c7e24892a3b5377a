import ArgumentParser
import Warehouse

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the runs in the warehouse.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let db = try WarehouseStore.openForReading(database.resolvedPath)
        defer { StandardOutput.flush() }
        try RunCatalog.list(db, printer: output.printer())
    }
}
