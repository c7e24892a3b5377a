/// How row-printing commands print: an aligned text table, CSV with a header row, a JSON array of
/// objects, or a Markdown table.
public enum RowFormat: String, Sendable, CaseIterable {
    case table, csv, json, markdown
}

/// Receives a result set and prints it in one of the `RowFormat`s through `write`.
/// csv and json stream row by row; table and markdown keep the rows to size the columns.
public final class RowPrinter {
    public let format: RowFormat
    private let write: (String) -> Void
    private var columns: [String] = []
    private var jsonKeys: [String] = []
    private var buffered: [[DatabaseValue]] = []
    private var rowCount = 0

    public init(format: RowFormat, write: @escaping (String) -> Void) {
        self.format = format
        self.write = write
    }

    public func begin(columns: [String]) {
        self.columns = columns
        rowCount = 0
        buffered = []
        switch format {
        case .csv:
            write(columns.map(Self.csvField).joined(separator: ",") + "\n")
        case .json:
            // Duplicate column names (SELECT 1, 1) would make duplicate keys: suffix them.
            var seen: [String: Int] = [:]
            jsonKeys = columns.map { name in
                let n = (seen[name] ?? 0) + 1
                seen[name] = n
                return n == 1 ? name : "\(name)_\(n)"
            }
            write("[")
        case .table, .markdown:
            break
        }
    }

    public func row(_ values: [DatabaseValue]) {
        defer { rowCount += 1 }
        switch format {
        case .csv:
            write(values.map { Self.csvField(Self.plain($0)) }.joined(separator: ",") + "\n")
        case .json:
            var line = rowCount == 0 ? "\n  {" : ",\n  {"
            for (i, value) in values.enumerated() {
                if i > 0 { line += ", " }
                line += Self.jsonString(i < jsonKeys.count ? jsonKeys[i] : "column\(i + 1)") + ": " + Self.json(value)
            }
            write(line + "}")
        case .table, .markdown:
            buffered.append(values)
        }
    }

    public func end() {
        switch format {
        case .csv: break
        case .json: write(rowCount == 0 ? "]\n" : "\n]\n")
        case .table: writeTable()
        case .markdown: writeMarkdown()
        }
        buffered = []
    }

    /// Prints a whole result set.
    public func print(columns: [String], rows: [[DatabaseValue]]) {
        begin(columns: columns)
        for row in rows { self.row(row) }
        end()
    }

    // MARK: Formats

    /// Text for csv/table/markdown cells: NULL is empty, blobs are hex.
    static func plain(_ value: DatabaseValue) -> String {
        switch value {
        case .null: return ""
        case .blob(let bytes): return hex(bytes)
        default: return value.description
        }
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func json(_ value: DatabaseValue) -> String {
        switch value {
        case .null: return "null"
        case .integer(let v): return String(v)
        case .real(let v): return v.isFinite ? "\(v)" : "null"
        case .text(let s): return jsonString(s)
        case .blob(let bytes): return jsonString(hex(bytes))
        }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let h = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A cell on one line: newlines and tabs shown as escapes so rows stay aligned.
    static func cell(_ value: DatabaseValue) -> String {
        let text = plain(value)
        guard text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\t" }) else { return text }
        return text.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
            .replacingOccurrences(of: "\t", with: "\\t")
    }

    private func writeTable() {
        let cells = buffered.map { $0.map(Self.cell) }
        var widths = columns.map(\.count)
        for row in cells {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        // Numbers read best right-aligned: a column is numeric when every non-NULL value is.
        let numeric = columns.indices.map { i in
            buffered.allSatisfy { row in
                guard i < row.count else { return true }
                switch row[i] {
                case .integer, .real, .null: return true
                default: return false
                }
            } && buffered.contains { i < $0.count && $0[i] != .null }
        }
        func line(_ values: [String]) -> String {
            var parts: [String] = []
            for (i, value) in values.enumerated() where i < widths.count {
                let pad = String(repeating: " ", count: widths[i] - value.count)
                parts.append(numeric[i] ? pad + value : (i == values.count - 1 ? value : value + pad))
            }
            return parts.joined(separator: "  ") + "\n"
        }
        var out = line(columns)
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in cells { out += line(row) }
        write(out)
    }

    private func writeMarkdown() {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\r\n", with: "<br>")
                .replacingOccurrences(of: "\n", with: "<br>")
        }
        var out = "| " + columns.map(escape).joined(separator: " | ") + " |\n"
        out += "|" + columns.map { _ in " --- |" }.joined() + "\n"
        for row in buffered {
            out += "| " + row.map { escape(Self.plain($0)) }.joined(separator: " | ") + " |\n"
        }
        write(out)
    }
}
