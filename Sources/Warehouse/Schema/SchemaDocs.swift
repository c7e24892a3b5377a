/// The documentation of the warehouse tables, read from the `-- doc:` comments of Schema/*.sql.
///
/// Form (see Schema/0001_core.sql):
///   CREATE TABLE name ( -- doc: what a row is.
///       column TYPE ..., -- doc: what the column holds.
///   CREATE VIEW name AS -- doc: what a row is.
///   CREATE VIRTUAL TABLE name USING module( -- doc: what a row is.   (columns one a line, as in a table)
///   SELECT expr AS column, -- doc: what the column holds.
///   ALTER TABLE name ADD COLUMN column TYPE; -- doc: what the column holds.   (in later migrations)
///   DROP TABLE name; / DROP VIEW name;   (a later migration replaces it: its docs go, a new CREATE brings new ones)
///   -- doc-update: table.column: TEXT   (a later migration changes what a column means: its doc becomes TEXT)
public struct TableDoc: Sendable, Equatable {
    public enum Kind: String, Sendable { case table, view }
    public let name: String
    public let kind: Kind
    public var doc: String
    /// Column name and doc, in declaration order.
    public var columns: [(name: String, doc: String)]

    public static func == (a: TableDoc, b: TableDoc) -> Bool {
        a.name == b.name && a.kind == b.kind && a.doc == b.doc
            && a.columns.map(\.name) == b.columns.map(\.name) && a.columns.map(\.doc) == b.columns.map(\.doc)
    }
}

public enum SchemaDocs {
    static let marker = "-- doc:"
    static let updateMarker = "-- doc-update:"

    /// Docs of every table and view created by the embedded migrations, in creation order.
    public static let all: [TableDoc] = parse(WarehouseSchema.migrations.map(\.definitions))

    public static func parse(_ sources: [String]) -> [TableDoc] {
        var docs: [TableDoc] = []
        var indexByName: [String: Int] = [:]
        for source in sources {
            var current: Int?
            for rawLine in source.split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = rawLine.trimmingCharacters(in: " \t\r")
                if trimmed.hasPrefix(updateMarker) {
                    // table.column: TEXT
                    let rest = trimmed.dropFirst(updateMarker.count).trimmingCharacters(in: " \t")
                    if let colon = rest.firstIndex(of: ":"), let dot = rest[..<colon].firstIndex(of: "."),
                        let i = indexByName[String(rest[..<dot])]
                    {
                        let column = String(rest[rest.index(after: dot)..<colon])
                        let text = String(rest[rest.index(after: colon)...].trimmingCharacters(in: " \t"))
                        if let c = docs[i].columns.firstIndex(where: { $0.name == column }) { docs[i].columns[c].doc = text }
                    }
                    continue
                }
                let (code, doc) = split(rawLine)
                let words = code.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "(" }).map {
                    $0.uppercased()
                }
                if words.count >= 4, words[0] == "CREATE", words[1] == "VIRTUAL", words[2] == "TABLE" {
                    // CREATE VIRTUAL TABLE name USING module( -- doc: ...  (0014: goroutine_intervals), its
                    // columns one a line inside the module's arguments, as a table's.
                    let name = objectName(code, after: "TABLE")
                    indexByName[name] = docs.count
                    current = docs.count
                    docs.append(TableDoc(name: name, kind: .table, doc: doc ?? "", columns: []))
                } else if words.count >= 3, words[0] == "CREATE", words[1] == "TABLE" || words[1] == "VIEW" {
                    let kind: TableDoc.Kind = words[1] == "TABLE" ? .table : .view
                    let name = objectName(code, after: words[1])
                    indexByName[name] = docs.count
                    current = docs.count
                    docs.append(TableDoc(name: name, kind: kind, doc: doc ?? "", columns: []))
                } else if words.count >= 3, words[0] == "DROP", words[1] == "TABLE" || words[1] == "VIEW" {
                    // A later migration replaced it (e.g. 0003: the metrics table became a view).
                    let name = objectName(code.hasSuffix(";") ? String(code.dropLast()) : code, after: words[1])
                    if let i = indexByName.removeValue(forKey: name) {
                        docs.remove(at: i)
                        indexByName = indexByName.mapValues { $0 > i ? $0 - 1 : $0 }
                    }
                    current = nil
                } else if words.count >= 6, words[0] == "ALTER", words[1] == "TABLE", let doc {
                    // ALTER TABLE t ADD [COLUMN] c ...
                    let tokens = code.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                    let table = unquote(tokens[2])
                    let columnIndex = tokens[4].uppercased() == "COLUMN" ? 5 : 4
                    if let i = indexByName[table], columnIndex < tokens.count {
                        docs[i].columns.append((unquote(tokens[columnIndex]), doc))
                    }
                } else if let i = current, let doc, let column = columnName(code, kind: docs[i].kind) {
                    docs[i].columns.append((column, doc))
                }
                if code.hasSuffix(";") { current = nil }
            }
        }
        return docs
    }

    /// (code without the doc comment, trimmed; the doc text if the line has one)
    static func split(_ line: Substring) -> (String, String?) {
        guard let range = line.range(of: marker) else {
            return (String(line.trimmingCharacters(in: " \t\r")), nil)
        }
        let code = line[..<range.lowerBound].trimmingCharacters(in: " \t\r")
        let doc = line[range.upperBound...].trimmingCharacters(in: " \t\r")
        return (String(code), String(doc))
    }

    static func objectName(_ code: String, after keyword: String) -> String {
        let tokens = code.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "(" }).map(String.init)
        var i = (tokens.firstIndex(where: { $0.uppercased() == keyword }) ?? 0) + 1
        if i + 2 < tokens.count, tokens[i].uppercased() == "IF" { i += 3 }
        return i < tokens.count ? unquote(tokens[i]) : ""
    }

    static func columnName(_ code: String, kind: TableDoc.Kind) -> String? {
        var code = Substring(code)
        while code.hasSuffix(",") || code.hasSuffix(";") { code = code.dropLast() }
        let tokens = code.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = tokens.first, let last = tokens.last else { return nil }
        switch kind {
        case .table:
            return unquote(String(first))
        case .view:
            // "expr AS name" or "t.name"; a leading SELECT is part of the first column's line.
            if tokens.count >= 2, tokens[tokens.count - 2].uppercased() == "AS" { return unquote(String(last)) }
            return unquote(String(last.split(separator: ".").last ?? last))
        }
    }

    static func unquote(_ s: String) -> String {
        var s = Substring(s)
        if let f = s.first, "\"`[".contains(f) { s = s.dropFirst() }
        if let l = s.last, "\"`]".contains(l) { s = s.dropLast() }
        return String(s)
    }
}

extension Substring {
    func range(of needle: String) -> Range<Substring.Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}
