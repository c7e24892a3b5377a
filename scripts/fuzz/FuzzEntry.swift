// libFuzzer entry for the GoTrace reader. Compiled together with Sources/GoTrace/**/*.swift into one module
// (scripts/fuzz/build.sh), so it drives exactly the code `traceware` uses: `Reader(path:)` decides from the
// header whether the bytes are the current format or v1, and every event is read to the end or the first error.
//
// The input reaches the reader as a file: FuzzInputFile.swift.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    readAll(path: FuzzInputFile.write(data, size, name: "gotrace-fuzz"))
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
