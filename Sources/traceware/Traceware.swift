import ArgumentParser

@main
struct Traceware: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traceware",
        abstract: "A SQLite warehouse for Go execution traces.",
        subcommands: [
            Dump.self,
            Ingest.self, Schema.self, Runs.self, Query.self, Reports.self, ReportCommand.self, Compare.self, Export.self,
            Vacuum.self,
        ]
    )
}
