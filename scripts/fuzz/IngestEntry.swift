// libFuzzer entry for the whole ingest: the reader plus the warehouse side (intervals, rows, SQLite), one fresh
// in-memory warehouse per input; the input reaches it as a file (FuzzInputFile.swift). Built by
// scripts/fuzz/build-ingest.sh; run with FUZZ_BIN=... scripts/fuzz/run.sh.
import GoTrace
import Warehouse

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let path = FuzzInputFile.write(data, size, name: "ingest-fuzz")
    do {
        let db = try WarehouseStore.openForWriting(":memory:")
        // Most inputs fail (a clean error is fine); a trap is what the fuzzer looks for.
        _ = try? TraceIngest.ingest(path: path, into: db, source: TraceReaderAdapter.source)
    } catch {
        fatalError("in-memory warehouse: \(error)")
    }
    return 0
}
