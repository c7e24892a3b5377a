// libFuzzer entry for the GoTrace reader. Compiled together with Sources/GoTrace/**/*.swift into one module
// (scripts/fuzz/build.sh), so it drives exactly the code `traceware` uses: `Reader(path:)` decides from the
// header whether the bytes are the current format or v1, and every event is read to the end or the first error.
//
// The input reaches the reader through a memfd (Linux): the bytes are written to one anonymous in-memory file,
// and the reader opens it as /proc/self/fd/N like any other path. No test-only entry point in the reader.

#if canImport(Glibc)
    import Glibc
#endif

/// The memfd all inputs are written to, and its path. Created once; truncated per input.
nonisolated(unsafe) private var memfd: Int32 = -1
nonisolated(unsafe) private var memfdPath = ""

/// glibc's memfd_create (Glibc's Swift module doesn't export it: it sits behind _GNU_SOURCE).
private func memfdCreate(_ name: String) -> Int32 {
    typealias Fn = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
    guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memfd_create") else { return -1 }
    return unsafeBitCast(sym, to: Fn.self)(name, 0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if memfd < 0 {
        memfd = memfdCreate("gotrace-fuzz")
        if memfd < 0 { fatalError("memfd_create failed: errno \(errno)") }
        memfdPath = "/proc/self/fd/\(memfd)"
    }
    guard ftruncate(memfd, 0) == 0 else { fatalError("ftruncate failed: errno \(errno)") }
    var written = 0
    while written < size, let data {
        let n = pwrite(memfd, data + written, size - written, off_t(written))
        if n < 0 {
            if errno == EINTR { continue }
            fatalError("pwrite failed: errno \(errno)")
        }
        written += n
    }
    readAll(path: memfdPath)
    return 0
}

/// Reads every event of the trace at `path`, to the end or the first error (errors are expected: most inputs
/// are not valid traces), as `traceware dump` (ParsedDump) and the ingest do: each event is rendered in Go's text
/// form, which walks every argument, stack and string it refers to; after an error, the ingest's follow-ups run
/// too (the loss figures and `lostTailEndTime`, which walks the unread tail's batch headers).
@inline(never)
func readAll(path: String) {
    var sink = 0
    var text: [UInt8] = []
    text.reserveCapacity(1 << 16)
    var reader: Reader? = nil
    var result = ParsedDumpResult()
    do {
        let r = try Reader(path: path)
        reader = r
        var stacks = StackTextCache()
        while let event = try r.readEvent() {
            result.events += 1
            if event.kind == .sync {
                result.syncs += 1
                result.validBytes = r.validBytes
            }
            event.appendText(to: &text, stackCache: &stacks)
            if text.count >= 1 << 16 {
                sink &+= text.count
                text.removeAll(keepingCapacity: true)
            }
        }
    } catch let error as TraceError {
        result.error = error
        result.fileSize = 1 << 20
        sink &+= error.description.utf8.count
        sink &+= result.lossDescription?.utf8.count ?? 0
        if let t = reader?.lostTailEndTime() { sink &+= Int(truncatingIfNeeded: t.rawValue) }
    } catch {
        sink &+= 1
    }
    blackHole(sink &+ text.count)
}

@inline(never) func blackHole(_ x: Int) { if x == -1 { print(x) } }
