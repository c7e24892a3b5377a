// The input file of both libFuzzer entries (FuzzEntry.swift, IngestEntry.swift): the bytes are written to one
// anonymous in-memory file (a memfd, Linux), and the code under test opens it as /proc/self/fd/N like any other
// path. No test-only entry point in the reader.

#if canImport(Glibc)
    import Glibc
#endif

enum FuzzInputFile {
    /// The memfd every input is written to, and its path. Created once; truncated per input.
    nonisolated(unsafe) private static var fd: Int32 = -1
    nonisolated(unsafe) private static var path = ""

    /// glibc's memfd_create (Glibc's Swift module doesn't export it: it sits behind _GNU_SOURCE).
    private static func memfdCreate(_ name: String) -> Int32 {
        typealias Fn = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memfd_create") else { return -1 }
        return unsafeBitCast(sym, to: Fn.self)(name, 0)
    }

    /// Replaces the file's contents with the input; returns its path.
    static func write(_ data: UnsafePointer<UInt8>?, _ size: Int, name: String) -> String {
        if fd < 0 {
            fd = memfdCreate(name)
            if fd < 0 { fatalError("memfd_create failed: errno \(errno)") }
            path = "/proc/self/fd/\(fd)"
        }
        guard ftruncate(fd, 0) == 0 else { fatalError("ftruncate failed: errno \(errno)") }
        var written = 0
        while written < size, let data {
            let n = pwrite(fd, data + written, size - written, off_t(written))
            if n < 0 {
                if errno == EINTR { continue }
                fatalError("pwrite failed: errno \(errno)")
            }
            written += n
        }
        return path
    }
}
