import ArgumentParser
import Foundation
import Warehouse

extension RowFormat: ExpressibleByArgument {}

/// `--format`, shared by every command that prints rows.
struct OutputOptions: ParsableArguments {
    @Option(help: "Output format: table, csv (with a header row), json (an array of objects) or markdown.")
    var format: RowFormat = .table

    /// A printer writing to standard output (buffered; flushed by `end`/`flush`).
    func printer() -> RowPrinter {
        RowPrinter(format: format) { StandardOutput.write($0) }
    }
}

/// `--db`, shared by every command that opens the warehouse.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: "The warehouse file (default: $TRACEWARE_DB, else ./traceware.db).")
    var path: String?

    var resolvedPath: String { path ?? WarehouseStore.defaultPath() }
}

/// Buffered writes to stdout: rows accumulate in a 64 KiB buffer written with write(2).
/// Commands run on the main thread only.
@MainActor
enum StandardOutput {
    private static var buffer: [UInt8] = []

    nonisolated static func write(_ text: String) {
        MainActor.assumeIsolated { append(text) }
    }

    private static func append(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { drain() }
    }

    nonisolated static func flush() {
        MainActor.assumeIsolated { drain() }
    }

    private static func drain() {
        if !buffer.isEmpty { StatusLine.outputBegins() }
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count, let base = bytes.baseAddress {
                let n = Foundation.write(1, base + offset, bytes.count - offset)
                if n <= 0 { break }  // EPIPE (e.g. piped into head): drop the rest
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
