// A buffered reader over a file descriptor that knows the absolute byte offset, so errors say where.
// Reads in large chunks with read(2); never maps or loads the whole file.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Go's io errors as the reader sees them; their text is Go's.
enum GoIOError: Error, Equatable {
    /// io.EOF: no byte at all was available.
    case eof
    /// io.ErrUnexpectedEOF: input ended inside a value.
    case unexpectedEOF
    /// binary's errOverflow.
    case overflow
    /// A read(2) failure.
    case system(Int32)

    var message: String {
        switch self {
        case .eof: return "EOF"
        case .unexpectedEOF: return "unexpected EOF"
        case .overflow: return "binary: varint overflows a 64-bit integer"
        case .system(let e): return "read error: errno \(e)"
        }
    }
}

/// Buffered sequential reader of a file (Go's bufio.Reader over os.File, plus the offset).
final class FileReader {
    let path: String
    private let fd: Int32
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var pos = 0
    private var end = 0
    /// Absolute file offset of buffer[0].
    private var bufferBase: Int64 = 0
    private var sawEOF = false

    /// Absolute offset of the next byte to be read.
    var offset: Int64 { bufferBase &+ Int64(pos) }

    init(path: String, chunkSize: Int = 1 << 20) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            let e = errno
            throw TraceError(path: path, "open: \(String(cString: strerror(e)))")
        }
        self.fd = fd
        self.capacity = max(chunkSize, 64)
        self.buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// Refills the buffer, keeping unread bytes. Returns false at end of file.
    private func fill() throws(GoIOError) -> Bool {
        if sawEOF { return false }
        if pos > 0 {
            let unread = end - pos
            if unread > 0 { buffer.update(from: buffer + pos, count: unread) }
            bufferBase &+= Int64(pos)
            end = unread
            pos = 0
        }
        while end < capacity {
            let n = read(fd, buffer + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(errno)
            }
            if n == 0 {
                sawEOF = true
                break
            }
            end += n
            if end - pos > 0 { break }
        }
        return end > pos
    }

    /// Go's ReadByte: `.eof` when nothing is left.
    @inline(__always) func readByte() throws(GoIOError) -> UInt8 {
        if pos == end {
            guard try fill() else { throw .eof }
        }
        let b = buffer[pos]
        pos += 1
        return b
    }

    /// Go's `binary.ReadUvarint` over a ByteReader, with its exact errors.
    func readUvarint() throws(GoIOError) -> UInt64 {
        var x: UInt64 = 0
        var s: UInt64 = 0
        for i in 0..<10 {
            let b: UInt8
            do {
                b = try readByte()
            } catch {
                if i > 0 && error == .eof { throw .unexpectedEOF }
                throw error
            }
            if b < 0x80 {
                if i == 9 && b > 1 { throw .overflow }
                return x | (UInt64(b) &<< s)
            }
            x |= UInt64(b & 0x7f) &<< s
            s += 7
        }
        throw .overflow
    }

    /// Copies up to `count` bytes into `dest`, like io.CopyN; returns how many were copied (fewer only at
    /// end of file).
    func readBytes(into dest: UnsafeMutablePointer<UInt8>, count: Int) throws(GoIOError) -> Int {
        var copied = 0
        while copied < count {
            if pos == end {
                guard try fill() else { break }
            }
            let n = min(count - copied, end - pos)
            (dest + copied).update(from: buffer + pos, count: n)
            pos += n
            copied += n
        }
        return copied
    }

    /// Reads up to `count` bytes from the start without consuming them beyond what's returned.
    func peekPrefix(_ count: Int) throws(GoIOError) -> [UInt8] {
        while end - pos < count {
            let before = end - pos
            _ = try fill()
            if end - pos == before { break }
        }
        let n = min(count, end - pos)
        return Array(UnsafeBufferPointer(start: buffer + pos, count: n))
    }

    /// Skips n buffered bytes (after peekPrefix).
    func skip(_ n: Int) {
        pos += min(n, end - pos)
    }

    /// Moves to the absolute `target` offset (a target past the end of the file reads as end of file). Keeps
    /// the buffer when the target lies in it.
    func seek(to target: Int64) {
        if target >= bufferBase && target <= bufferBase &+ Int64(end) {
            pos = Int(target &- bufferBase)
            return
        }
        _ = lseek(fd, off_t(target), SEEK_SET)
        bufferBase = target
        pos = 0
        end = 0
        sawEOF = false
    }
}

/// Go's `binary.Uvarint` over raw memory: (value, bytes read); n == 0 means the buffer ended early,
/// n < 0 an overflow.
@inline(__always) func uvarint(_ p: UnsafePointer<UInt8>, _ count: Int) -> (UInt64, Int) {
    var x: UInt64 = 0
    var s: UInt64 = 0
    var i = 0
    while i < count {
        if i == 10 { return (0, -(i + 1)) }  // overflow
        let b = p[i]
        if b < 0x80 {
            if i == 9 && b > 1 { return (0, -(i + 1)) }  // overflow
            return (x | (UInt64(b) &<< s), i + 1)
        }
        x |= UInt64(b & 0x7f) &<< s
        s &+= 7
        i += 1
    }
    return (0, 0)
}

/// A reader over one batch's bytes with Go's bytes.Reader + binary.ReadUvarint semantics (used for the
/// string, stack, CPU sample and sync batches).
struct ByteCursor {
    let base: UnsafePointer<UInt8>
    let count: Int
    var pos = 0

    init(_ base: UnsafePointer<UInt8>, _ count: Int) {
        self.base = base
        self.count = count
    }

    var remaining: Int { count - pos }

    @inline(__always) mutating func readByte() throws(GoIOError) -> UInt8 {
        guard pos < count else { throw .eof }
        let b = base[pos]
        pos += 1
        return b
    }

    mutating func readUvarint() throws(GoIOError) -> UInt64 {
        var x: UInt64 = 0
        var s: UInt64 = 0
        for i in 0..<10 {
            guard pos < count else { throw i > 0 ? .unexpectedEOF : .eof }
            let b = base[pos]
            pos += 1
            if b < 0x80 {
                if i == 9 && b > 1 { throw .overflow }
                return x | (UInt64(b) &<< s)
            }
            x |= UInt64(b & 0x7f) &<< s
            s += 7
        }
        throw .overflow
    }
}
