import Foundation

// EmbedSQLTool OUTPUT.swift DIR...
// Writes a Swift file that defines `EmbeddedSQL.files`: every *.sql file of each DIR (sorted by name),
// as exact string literals. Run by EmbedSQLPlugin at build time.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("EmbedSQLTool: \(message)\n".utf8))
    exit(1)
}

/// A Swift string literal whose value is exactly `text` (no interpolation, no newline normalization).
func swiftLiteral(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

let arguments = CommandLine.arguments.dropFirst()
guard let outputPath = arguments.first else { fail("usage: EmbedSQLTool OUTPUT.swift DIR...") }

var entries: [String] = []
for directoryPath in arguments.dropFirst() {
    let directory = URL(fileURLWithPath: directoryPath, isDirectory: true)
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".sql") }.sorted()
    for name in names {
        let url = directory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else { fail("cannot read \(url.path)") }
        guard let text = String(data: data, encoding: .utf8) else { fail("\(url.path) is not valid UTF-8") }
        entries.append(
            "        EmbeddedSQLFile(directory: \(swiftLiteral(directory.lastPathComponent)), name: \(swiftLiteral(name)), contents: \(swiftLiteral(text))),"
        )
    }
}

let source = """
    // Generated at build time by EmbedSQLTool from Schema/*.sql and Queries/*.sql. Do not edit.

    extension EmbeddedSQL {
        /// Every embedded file, by directory then name.
        static let files: [EmbeddedSQLFile] = [
    \(entries.joined(separator: "\n"))
        ]
    }

    """
do {
    // Write only when changed, so an unchanged schema does not recompile the target.
    if let existing = FileManager.default.contents(atPath: outputPath), existing == Data(source.utf8) { exit(0) }
    try Data(source.utf8).write(to: URL(fileURLWithPath: outputPath), options: .atomic)
} catch {
    fail("cannot write \(outputPath): \(error)")
}
