import CSQLite
import Foundation

/// How a connection waits for another process's lock: SQLite's busy timeout, plus a notice the moment the
/// wait begins.
///
/// Why not sqlite3_busy_timeout: it waits silently. An ingest queued behind another ingest's write lock (BEGIN
/// IMMEDIATE) sat for seconds with nothing said; the command line now says at once that it waits, and on
/// which warehouse. The waiting itself is SQLite's: the same back-off delays, up to the same timeout.
public enum LockWait {
    /// Called when a connection starts waiting for a lock: the database path and the timeout (ms).
    public typealias Notice = @Sendable (_ path: String, _ timeoutMilliseconds: Int32) -> Void

    private static let lock = NSLock()
    nonisolated(unsafe) private static var _notice: Notice?
    nonisolated(unsafe) private static var _timeout: Int32 = 30_000

    /// The notice for every connection of the process (the command line sets it; nil: wait silently).
    public static var notice: Notice? {
        get { lock.withLock { _notice } }
        set { lock.withLock { _notice = newValue } }
    }

    /// How long a connection opened without an explicit timeout waits for a lock before SQLITE_BUSY.
    public static var timeoutMilliseconds: Int32 {
        get { lock.withLock { _timeout } }
        set { lock.withLock { _timeout = max(0, newValue) } }
    }

    /// One connection's waiting state; the connection keeps it alive as long as the handler is installed.
    final class Context {
        let path: String
        let timeoutMilliseconds: Int32
        var startedNs: UInt64 = 0

        init(path: String, timeoutMilliseconds: Int32) {
            self.path = path
            self.timeoutMilliseconds = timeoutMilliseconds
        }
    }

    /// Installs the handler on `handle`; the returned context must outlive the connection's use of it.
    static func install(on handle: OpaquePointer, path: String, timeoutMilliseconds: Int32) -> Context {
        let context = Context(path: path, timeoutMilliseconds: timeoutMilliseconds)
        sqlite3_busy_handler(handle, busyHandler, Unmanaged.passUnretained(context).toOpaque())
        return context
    }

    /// SQLite's own back-off (sqliteDefaultBusyCallback): short sleeps first, then 100 ms.
    static let delaysMilliseconds: [Int32] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100]
}

private let busyHandler: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Int32 = { pointer, count in
    guard let pointer else { return 0 }
    let context = Unmanaged<LockWait.Context>.fromOpaque(pointer).takeUnretainedValue()
    let now = DispatchTime.now().uptimeNanoseconds
    if count == 0 {
        context.startedNs = now
        if context.timeoutMilliseconds > 0 { LockWait.notice?(context.path, context.timeoutMilliseconds) }
    }
    let waitedMs = Int64((now - context.startedNs) / 1_000_000)
    let left = Int64(context.timeoutMilliseconds) - waitedMs
    guard left > 0 else { return 0 }
    let delays = LockWait.delaysMilliseconds
    let delay = min(Int64(delays[min(Int(count), delays.count - 1)]), left)
    usleep(UInt32(delay * 1000))
    return 1
}
