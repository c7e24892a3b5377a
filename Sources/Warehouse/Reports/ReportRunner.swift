import CSQLite

/// Which runs a report is about: `--run RUN`.
public enum RunSelector {
    /// nil → the latest run (the largest run_id); an integer → that run id if it exists; otherwise a label →
    /// every run with that label, oldest first. An integer that is no run id is tried as a label too.
    public static func resolve(_ spec: String?, in db: Database) throws -> [Int64] {
        guard let spec else {
            guard let latest = try db.scalarInt64("SELECT max(run_id) FROM runs") else {
                throw ReportError("the warehouse has no runs: ingest a trace first (traceware ingest TRACE)")
            }
            return [latest]
        }
        if let id = Int64(spec),
            try db.scalarInt64("SELECT count(*) FROM runs WHERE run_id = ?", [.integer(id)]) == 1
        {
            return [id]
        }
        let labelled = try db.rows("SELECT run_id FROM runs WHERE label = ? ORDER BY run_id", [.text(spec)])
            .compactMap { row -> Int64? in if case .integer(let id) = row.first { return id } else { return nil } }
        guard !labelled.isEmpty else {
            throw ReportError("no run with id or label \(spec); see traceware runs")
        }
        return labelled
    }

    /// Resolves several specs (repeated --run), keeping the order given and dropping repeats; none → latest.
    public static func resolve(_ specs: [String], in db: Database) throws -> [Int64] {
        if specs.isEmpty { return try resolve(nil, in: db) }
        var seen = Set<Int64>()
        var result: [Int64] = []
        for spec in specs {
            for id in try resolve(spec, in: db) where seen.insert(id).inserted { result.append(id) }
        }
        return result
    }
}

/// Runs a report on one run.
public enum ReportRunner {
    /// Binds `:run_id` and the report's parameters (given values, else defaults, else NULL) and returns the
    /// rows. Values are bound, never spliced: an integer if the text parses as Int64, else a real if it
    /// parses as a finite Double, else text. A parameter the report does not declare is an error naming the
    /// declared ones.
    public static func run(_ report: Report, runID: Int64, parameters: [String: String], on db: Database) throws
        -> (columns: [String], rows: [[DatabaseValue]])
    {
        var columns: [String] = []
        var rows: [[DatabaseValue]] = []
        try run(report, runID: runID, parameters: parameters, on: db) { names in columns = names } row: { rows.append($0) }
        return (columns, rows)
    }

    /// Streaming form: `columns` once, then `row` per row.
    public static func run(
        _ report: Report, runID: Int64, parameters: [String: String], on db: Database,
        columns: ([String]) throws -> Void, row: ([DatabaseValue]) throws -> Void
    ) throws {
        try checkParameters(parameters, for: report)
        let statement: Statement
        do {
            statement = try db.prepare(report.sql)
        } catch let error as DatabaseError {
            throw ReportError("report \(report.name) (\(report.origin)): \(error.message)")
        }
        for (index, name) in try parameterSlots(of: statement, report: report) {
            if name == "run_id" {
                try statement.bind(.integer(runID), at: index)
            } else if let text = parameters[name] ?? report.parameter(named: name)?.defaultValue {
                try statement.bind(value(of: text), at: index)
            } else {
                try statement.bindNull(at: index)
            }
        }
        try columns(statement.columnNames)
        do {
            while try statement.step() { try row(statement.row()) }
        } catch let error as DatabaseError {
            throw ReportError("report \(report.name) (\(report.origin)) on run \(runID): \(error.message)")
        }
    }

    /// Every given parameter must be declared.
    public static func checkParameters(_ parameters: [String: String], for report: Report) throws {
        for name in parameters.keys.sorted() where report.parameter(named: name) == nil {
            let declared = report.parameters.map(\.signature)
            throw ReportError(
                "report \(report.name) has no parameter \(name); "
                    + (declared.isEmpty ? "it takes none" : "its parameters: \(declared.joined(separator: ", "))"))
        }
    }

    /// How a parameter's text is bound.
    public static func value(of text: String) -> DatabaseValue {
        if let integer = Int64(text) { return .integer(integer) }
        // Double("nan") and Double("inf") parse; SQLite would store NaN as NULL: keep such words as text.
        if let real = Double(text), real.isFinite, text.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true {
            return .real(real)
        }
        return .text(text)
    }

    /// The statement's parameter slots (1-based index, name without its prefix). Only named parameters are
    /// allowed, and each must be run_id or a declared parameter.
    static func parameterSlots(of statement: Statement, report: Report) throws -> [(Int32, String)] {
        var slots: [(Int32, String)] = []
        let count = statement.parameterCount
        guard count > 0 else { return [] }
        for index in 1...count {
            guard let raw = sqlite3_bind_parameter_name(statement.handle, index) else {
                throw ReportError("report \(report.name): use named parameters (:run_id, :name), not ?")
            }
            let full = String(cString: raw)
            var name = Substring(full).dropFirst()  // ':', '@' or '$'
            if full.hasPrefix("?") {
                throw ReportError("report \(report.name): use named parameters (:run_id, :name), not \(full)")
            }
            name = name.prefix(while: { $0 != "(" && $0 != ":" })  // Tcl-style $a::b(c) is not for us
            let key = String(name)
            guard key == "run_id" || report.parameter(named: key) != nil else {
                throw ReportError(
                    "report \(report.name) uses \(full) but does not declare it "
                        + "(add `-- param: \(key) [= default] : doc` to its header)")
            }
            slots.append((index, key))
        }
        return slots
    }
}
