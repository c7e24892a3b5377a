import Foundation
import PackagePlugin

/// Build-tool plugin: turns the package's Schema/*.sql and Queries/*.sql into Swift source
/// (EmbeddedSQL+Files.swift) compiled into the target, so a copied `traceware` binary needs no resource bundle.
@main
struct EmbedSQLPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let directories = ["Schema", "Queries"].map { root.appendingPathComponent($0, isDirectory: true) }
        // A directory git does not track (empty: Queries/ before its first report) is absent in a clean
        // checkout; only existing ones can be build inputs.
        let existing = directories.filter { FileManager.default.fileExists(atPath: $0.path) }
        var inputs: [URL] = []
        for directory in existing {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            inputs += names.filter { $0.hasSuffix(".sql") }.sorted().map { directory.appendingPathComponent($0) }
        }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedSQL+Files.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) SQL files from Schema/ and Queries/",
                executable: try context.tool(named: "EmbedSQLTool").url,
                arguments: [output.path] + directories.map(\.path),
                // Listing the files (and the directories) as inputs reruns the tool when one changes,
                // is added or is removed.
                inputFiles: inputs + existing,
                outputFiles: [output]
            )
        ]
    }
}
