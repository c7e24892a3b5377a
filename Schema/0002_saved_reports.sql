-- traceware warehouse schema, migration 0002: reports saved by users (`traceware report save`).
--
-- A saved report runs like a canned one (Queries/*.sql): same header format, same parameters, same
-- read-only connection. Precedence by name: canned < --queries-dir < saved, so saving a report under a
-- canned report's name overrides it in this warehouse (`traceware report delete` restores the canned one).

CREATE TABLE saved_reports ( -- doc: Reports saved with `traceware report save`, one row per name.
    name TEXT NOT NULL PRIMARY KEY, -- doc: Report name, as given to `traceware report NAME`.
    summary TEXT NOT NULL DEFAULT '', -- doc: One-line summary (--summary, else the `-- summary:` header line of the SQL).
    sql TEXT NOT NULL, -- doc: The report's SQL, header comment included: exactly one read-only statement.
    saved_at TEXT NOT NULL, -- doc: When it was saved (or last replaced), UTC, ISO 8601.
    traceware_version TEXT NOT NULL DEFAULT '' -- doc: Version of traceware that saved it.
);
