import ArgumentParser
import GoTrace

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a trace's ordered events exactly as `go tool trace -d=parsed` does.")

    @Argument(help: "The trace file.") var trace: String

    func run() throws {
        throw ValidationError("dump: the reader is not built yet")
    }
}
