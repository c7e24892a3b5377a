import ArgumentParser
import Warehouse

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the warehouse tables and views, their columns, types and docs, and the SQL functions traceware adds (percentile, median).",
        discussion: "The schema is the one built into this traceware (no warehouse file is needed).")

    @Argument(help: "Only this table, view or function.") var table: String?
    @OptionGroup var output: OutputOptions

    func run() throws {
        defer { StandardOutput.flush() }
        output.printer().print(columns: SchemaListing.columns, rows: try SchemaListing.rows(table: table))
    }
}
