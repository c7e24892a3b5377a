import CSQLite

/// SQLite's progress handler on a connection: `body` runs every `operations` virtual-machine steps of whatever
/// statement the connection is running (a VACUUM, a long report), on its thread. Installed while the returned
/// token lives; one per connection (a new one replaces the old).
public final class ProgressHandler {
    private let db: Database
    private let box: Box

    final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    public init(on db: Database, every operations: Int32 = 100_000, _ body: @escaping () -> Void) {
        self.db = db
        self.box = Box(body)
        sqlite3_progress_handler(db.handle, operations, progressCallback, Unmanaged.passUnretained(box).toOpaque())
    }

    /// Removes the handler now (also done when the token goes).
    public func cancel() { sqlite3_progress_handler(db.handle, 0, nil, nil) }

    deinit { cancel() }
}

private let progressCallback: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { pointer in
    if let pointer { Unmanaged<ProgressHandler.Box>.fromOpaque(pointer).takeUnretainedValue().body() }
    return 0  // never interrupts
}
