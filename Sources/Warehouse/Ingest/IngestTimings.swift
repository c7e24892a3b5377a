import Foundation

/// Where an ingest's time went, phase by phase: what `traceware ingest --timings` prints and the ingest
/// benchmark reports. Wall times are ns of the ingesting thread; `writerCPUNs` is the CPU time of the writer
/// thread (RowPipeline), which runs alongside `rowsNs`.
public struct IngestTimings: Sendable {
    /// Hashing the file (sha256) before the warehouse is touched.
    public var hashNs: UInt64 = 0
    /// Reading the trace and turning its events into rows, until the last row is queued.
    public var rowsNs: UInt64 = 0
    /// Waiting for the writer thread to insert the queued rows.
    public var drainNs: UInt64 = 0
    /// Building the indexes left out of the load, and completing the runs row.
    public var indexesNs: UInt64 = 0
    /// COMMIT (with the WAL checkpoint it triggers), or publishing a new warehouse file.
    public var commitNs: UInt64 = 0
    /// CPU time of the writer thread (binding and stepping INSERTs).
    public var writerCPUNs: UInt64 = 0

    public init() {}

    /// One line: each phase in seconds.
    public var summary: String {
        func s(_ ns: UInt64) -> String { String(format: "%.3fs", Double(ns) / 1e9) }
        return "hash \(s(hashNs)), rows \(s(rowsNs)) (writer thread CPU \(s(writerCPUNs))), drain \(s(drainNs)), "
            + "indexes \(s(indexesNs)), commit \(s(commitNs))"
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// CPU time of the calling thread.
    static func threadCPUNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }
}
