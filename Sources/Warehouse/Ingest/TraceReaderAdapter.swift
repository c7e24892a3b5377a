import GoTrace

/// Connects the GoTrace reader to the ingest. The reader's public entry point is not in place yet;
/// until it is, ingesting a trace fails with a clear error (and leaves the warehouse untouched).
public enum TraceReaderAdapter {
    public static var source: EventStreamRowSource {
        EventStreamRowSource { path in
            throw IngestError(
                path: path, message: "reading Go traces is not available yet in this build (GoTrace reader pending)")
        }
    }
}
