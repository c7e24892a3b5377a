import CZlib

/// gzip through the system zlib (zlib1g-dev, a system-library target like CSQLite): one C library every Linux
/// machine has, no package to resolve, and one call for the whole buffer. compress-nio would add SwiftNIO to the
/// build for the same deflate.
public enum Gzip {
    public static func compress(_ input: [UInt8]) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: traceware_gzip_bound(input.count))
        let capacity = output.count
        let written = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                traceware_gzip(source.baseAddress, source.count, target.baseAddress, capacity)
            }
        }
        guard written > 0 else { throw ExportError("gzip failed (zlib)") }
        output.removeSubrange(written...)
        return output
    }
}
