import Foundation

/// Where reports come from, and their header format.
///
/// Three sources, by name, later ones overriding earlier ones:
///   1. canned: Queries/*.sql embedded in the binary;
///   2. a --queries-dir directory: every *.sql file in it (a file named like a canned report replaces it,
///      so a report can be edited without rebuilding);
///   3. saved in the warehouse (`traceware report save`, table saved_reports). A saved report with a canned
///      report's name overrides it for that warehouse: the user asked for it explicitly, and
///      `traceware report delete NAME` brings the canned one back.
public enum ReportCatalog {
    /// Parses a report's header. `fileName` is "NAME.sql" or "NAME"; a `-- name:` line, when present, must
    /// agree with it (a copy renamed in --queries-dir would otherwise silently keep its old name).
    public static func parse(name fileName: String, sql: String, origin: Report.Origin) throws -> Report {
        let name = fileName.hasSuffix(".sql") ? String(fileName.dropLast(4)) : fileName
        try validateName(name, context: "report file \(fileName)")
        var summary = ""
        var docLines: [String] = []
        var parameters: [ReportParameter] = []
        var lineNumber = 0
        for rawLine in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.isEmpty { continue }
            guard line.hasPrefix("--") else { break }  // the header ends at the first SQL line
            let comment = line.dropFirst(2).trimmingCharacters(in: " \t")
            guard let colon = comment.firstIndex(of: ":") else { continue }
            let key = comment[..<colon].trimmingCharacters(in: " \t").lowercased()
            let value = String(comment[comment.index(after: colon)...].trimmingCharacters(in: " \t"))
            switch key {
            case "name":
                if value != name {
                    throw ReportError(
                        "\(origin == .saved ? "report \(name)" : fileName), line \(lineNumber): "
                            + "header says `-- name: \(value)` but the report is named \(name)")
                }
            case "summary":
                summary = summary.isEmpty ? value : summary + " " + value
            case "doc":
                docLines.append(value)
            case "param":
                let parameter = try parseParameter(value, where: "\(fileName), line \(lineNumber)")
                if parameter.name == "run_id" || parameters.contains(where: { $0.name == parameter.name }) {
                    throw ReportError(
                        "\(fileName), line \(lineNumber): parameter \(parameter.name) is "
                            + (parameter.name == "run_id" ? "reserved (the run, --run)" : "declared twice"))
                }
                parameters.append(parameter)
            default:
                continue  // other comments (e.g. a license line) are not header fields
            }
        }
        return Report(
            name: name, summary: summary, parameters: parameters, doc: docLines.joined(separator: "\n"),
            sql: sql, origin: origin)
    }

    /// `key [= default] : doc`. A default may be quoted ('...') to give '' or a value with spaces or colons.
    static func parseParameter(_ text: String, where place: String) throws -> ReportParameter {
        var rest = Substring(text)
        let key = rest.prefix(while: { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
        guard let first = key.first, !first.isNumber else {
            throw ReportError("\(place): `-- param: \(text)`: expected `-- param: key [= default] : doc`")
        }
        rest = rest.dropFirst(key.count).trimmingCharacters(in: " \t")
        var defaultValue: String?
        if rest.first == "=" {
            rest = rest.dropFirst().trimmingCharacters(in: " \t")
            if rest.first == "'" {
                // SQL-style quoting: '' inside is one quote.
                var value = ""
                var index = rest.index(after: rest.startIndex)
                var closed = false
                while index < rest.endIndex {
                    let c = rest[index]
                    index = rest.index(after: index)
                    if c == "'" {
                        if index < rest.endIndex && rest[index] == "'" {
                            value.append("'")
                            index = rest.index(after: index)
                        } else {
                            closed = true
                            break
                        }
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { throw ReportError("\(place): unterminated quoted default in `-- param: \(text)`") }
                defaultValue = value
                rest = rest[index...].trimmingCharacters(in: " \t")
            } else {
                let end = rest.firstIndex(of: ":") ?? rest.endIndex
                defaultValue = String(rest[..<end].trimmingCharacters(in: " \t"))
                rest = rest[end...]
            }
        }
        var doc = ""
        if rest.first == ":" {
            doc = String(rest.dropFirst().trimmingCharacters(in: " \t"))
        } else if !rest.isEmpty {
            throw ReportError("\(place): `-- param: \(text)`: expected `-- param: key [= default] : doc`")
        }
        return ReportParameter(name: String(key), defaultValue: defaultValue, doc: doc)
    }

    /// Names are what a user types: letters, digits, '-', '_' and '.', starting with a letter or digit.
    public static func validateName(_ name: String, context: String = "report name") throws {
        let allowed = name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
        }
        guard let first = name.unicodeScalars.first, allowed, first != "-", first != ".", first != "_" else {
            throw ReportError(
                "\(context): '\(name)' is not a valid report name (letters, digits, '-', '_', '.'; "
                    + "starting with a letter or digit)")
        }
    }

    // MARK: Sources

    /// The embedded Queries/*.sql.
    public static func canned() throws -> [Report] { try cannedReports.get() }

    /// The embedded reports, parsed once per process (compare reads three of them for every run).
    private static let cannedReports = Result {
        try EmbeddedSQL.queries.map { try parse(name: $0.name, sql: $0.contents, origin: .canned) }
    }

    /// The *.sql files of `directory`, sorted by name.
    public static func directory(_ directory: String) throws -> [Report] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportError("--queries-dir \(directory): no such directory")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ReportError("--queries-dir \(directory): cannot list it: \(error.localizedDescription)")
        }
        return try names.filter { $0.hasSuffix(".sql") && !$0.hasPrefix(".") }.sorted().map { file in
            let path = (directory as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ReportError("\(path): cannot read it")
            }
            guard let text = String(data: data, encoding: .utf8) else { throw ReportError("\(path): not UTF-8 text") }
            return try parse(name: file, sql: text, origin: .directory(path))
        }
    }

    /// The reports saved in the warehouse. A warehouse from before migration 0002 (opened read-only,
    /// so not upgraded) has none.
    public static func saved(_ db: Database) throws -> [Report] {
        guard try hasSavedReportsTable(db) else { return [] }
        return try db.rows("SELECT name, summary, sql FROM saved_reports ORDER BY name").map { row in
            guard case .text(let name) = row[0], case .text(let sql) = row[2] else {
                throw ReportError("saved_reports holds a malformed row: \(row)")
            }
            var report = try parse(name: name, sql: sql, origin: .saved)
            if case .text(let summary) = row[1], !summary.isEmpty { report.summary = summary }
            return report
        }
    }

    static func hasSavedReportsTable(_ db: Database) throws -> Bool {
        try db.scalarInt64("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'saved_reports'") == 1
    }

    /// Every report by name: canned < directory < saved.
    public static func all(db: Database?, queriesDirectory: String?) throws -> [Report] {
        var byName: [String: Report] = [:]
        for report in try canned() { byName[report.name] = report }
        if let queriesDirectory { for report in try directory(queriesDirectory) { byName[report.name] = report } }
        if let db { for report in try saved(db) { byName[report.name] = report } }
        return byName.values.sorted { $0.name < $1.name }
    }

    public static func find(_ name: String, db: Database?, queriesDirectory: String?) throws -> Report {
        let reports = try all(db: db, queriesDirectory: queriesDirectory)
        if let report = reports.first(where: { $0.name == name }) { return report }
        throw ReportError(
            "no report named \(name); reports: \(reports.map(\.name).joined(separator: ", ")) (see traceware reports)")
    }

    // MARK: Saved reports

    /// Stores (or replaces) a saved report after checking it: the header parses, the SQL is exactly one
    /// read-only statement that prepares on this warehouse (sqlite3_stmt_readonly), and every `:parameter`
    /// it uses is `:run_id` or declared. `db` is a read-write connection (migrated, so saved_reports exists).
    /// Returns the report as it will run, and whether it replaced a saved one.
    @discardableResult
    public static func save(name: String, sql: String, summary: String?, on db: Database) throws
        -> (report: Report, replaced: Bool)
    {
        try validateName(name)
        var report = try parse(name: name, sql: sql, origin: .saved)
        if let summary { report.summary = summary }
        try check(report, on: db)
        let replaced = try db.inTransaction {
            let existed = try db.scalarInt64("SELECT count(*) FROM saved_reports WHERE name = ?", [.text(name)]) == 1
            try db.execute(
                """
                INSERT INTO saved_reports (name, summary, sql, saved_at, traceware_version)
                VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?)
                ON CONFLICT (name) DO UPDATE SET summary = excluded.summary, sql = excluded.sql,
                    saved_at = excluded.saved_at, traceware_version = excluded.traceware_version
                """, [.text(name), .text(summary ?? ""), .text(sql), .text(tracewareVersion)])
            return existed
        }
        return (report, replaced)
    }

    /// Removes a saved report; an error when there is none of that name (naming a canned one says so).
    public static func delete(name: String, on db: Database) throws {
        try db.execute("DELETE FROM saved_reports WHERE name = ?", [.text(name)])
        guard db.changes == 1 else {
            if try canned().contains(where: { $0.name == name }) {
                throw ReportError("\(name) is a canned report, not a saved one: only saved reports can be deleted")
            }
            let names = try saved(db).map(\.name)
            throw ReportError(
                "no saved report named \(name)"
                    + (names.isEmpty ? " (none are saved)" : "; saved reports: \(names.joined(separator: ", "))"))
        }
    }

    /// Checks that a report can run: one read-only statement that prepares here, using only :run_id and
    /// its declared parameters.
    public static func check(_ report: Report, on db: Database) throws {
        let statement: Statement
        do {
            statement = try db.prepare(report.sql)
        } catch let error as DatabaseError {
            throw ReportError("report \(report.name): \(error.message)\(error.sql.map { " in `\($0)`" } ?? "")")
        } catch let error as ReadOnlyViolation {
            throw ReportError("report \(report.name) must only read the warehouse: \(error.message)")
        }
        guard statement.isReadOnly else {
            throw ReportError("report \(report.name) must only read the warehouse: its statement would write")
        }
        _ = try ReportRunner.parameterSlots(of: statement, report: report)
    }
}
