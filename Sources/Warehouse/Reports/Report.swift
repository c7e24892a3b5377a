/// A named, documented, parameterized read-only query over one run of the warehouse.
///
/// Its text is one SQL statement preceded by a header of `--` comment lines:
///
///     -- name: mutex-share
///     -- summary: What share of user goroutines' latency was mutex blocking.
///     -- param: top = 5 : how many stacks to list in top_stacks
///     -- param: function : optional, drill down to one start function ('' = all)
///     -- doc: Free text, any number of lines.
///     SELECT ...
///
/// The statement reads the run from `:run_id` (always bound) and its parameters from `:key`.
public struct Report: Sendable, Equatable {
    public enum Origin: Sendable, Equatable, CustomStringConvertible {
        /// Queries/<name>.sql, embedded in the binary.
        case canned
        /// A file of a --queries-dir directory (the file's path).
        case directory(String)
        /// Saved in the warehouse (saved_reports).
        case saved

        public var description: String {
            switch self {
            case .canned: return "canned"
            case .directory(let path): return "file \(path)"
            case .saved: return "saved"
            }
        }
    }

    public var name: String
    public var summary: String
    public var parameters: [ReportParameter]
    /// The `-- doc:` lines, joined with newlines.
    public var doc: String
    /// The whole text, header included (SQLite skips the comments).
    public var sql: String
    public var origin: Origin

    public init(
        name: String, summary: String, parameters: [ReportParameter], doc: String, sql: String, origin: Origin
    ) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.doc = doc
        self.sql = sql
        self.origin = origin
    }

    public func parameter(named name: String) -> ReportParameter? {
        parameters.first { $0.name == name }
    }
}

public struct ReportParameter: Sendable, Equatable {
    /// Bound as `:name`.
    public var name: String
    /// Bound when the parameter is not given; nil binds NULL.
    public var defaultValue: String?
    public var doc: String

    public init(name: String, defaultValue: String?, doc: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.doc = doc
    }

    /// "top = 5", "function".
    public var signature: String {
        guard let defaultValue else { return name }
        return "\(name) = \(defaultValue.isEmpty ? "''" : defaultValue)"
    }
}

/// A report that cannot be found, parsed, saved or run; the message says what to do.
public struct ReportError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
