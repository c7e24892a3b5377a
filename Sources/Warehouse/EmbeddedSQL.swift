/// One .sql file of the package's Schema/ or Queries/ directory, compiled into the binary by the
/// EmbedSQLPlugin build-tool plugin (so a copied binary carries its schema and reports).
public struct EmbeddedSQLFile: Sendable, Equatable {
    /// "Schema" or "Queries".
    public let directory: String
    /// File name, e.g. "0001_core.sql".
    public let name: String
    public let contents: String
}

public enum EmbeddedSQL {
    /// Schema/*.sql, sorted by name.
    public static var schema: [EmbeddedSQLFile] { files.filter { $0.directory == "Schema" } }
    /// Queries/*.sql, sorted by name.
    public static var queries: [EmbeddedSQLFile] { files.filter { $0.directory == "Queries" } }
    /// Every embedded file.
    public static var all: [EmbeddedSQLFile] { files }
}

/// Recorded in runs.traceware_version.
public let tracewareVersion = "0.1.0-dev"
