// libFuzzer entry for the whole ingest: the reader plus the warehouse side (intervals, rows, SQLite), one fresh
// in-memory warehouse per input. Built by scripts/fuzz/build-ingest.sh; run with FUZZ_BIN=... scripts/fuzz/run.sh.
#if canImport(Glibc)
    import Glibc
#endif
import GoTrace
import Warehouse

// Inputs reach the ingest as in FuzzEntry.swift: through one memfd opened as /proc/self/fd/N.
nonisolated(unsafe) private var memfd: Int32 = -1
nonisolated(unsafe) private var memfdPath = ""

private func memfdCreate(_ name: String) -> Int32 {
    typealias Fn = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
    guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memfd_create") else { return -1 }
    return unsafeBitCast(sym, to: Fn.self)(name, 0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if memfd < 0 {
        memfd = memfdCreate("ingest-fuzz")
        if memfd < 0 { fatalError("memfd_create failed") }
        memfdPath = "/proc/self/fd/\(memfd)"
    }
    guard ftruncate(memfd, 0) == 0 else { fatalError("ftruncate") }
    var written = 0
    while written < size, let data {
        let n = pwrite(memfd, data + written, size - written, off_t(written))
        if n < 0 { if errno == EINTR { continue }; fatalError("pwrite") }
        written += n
    }
    do {
        let db = try WarehouseStore.openForWriting(":memory:")
        // Most inputs fail (a clean error is fine); a trap is what the fuzzer looks for.
        _ = try? TraceIngest.ingest(path: memfdPath, into: db, source: TraceReaderAdapter.source)
    } catch {
        fatalError("in-memory warehouse: \(error)")
    }
    return 0
}
