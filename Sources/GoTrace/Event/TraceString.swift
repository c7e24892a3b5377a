// Go strings are arbitrary bytes; Swift Strings are valid Unicode. Traces carry user text (task, region and
// log strings, labels) that may be invalid UTF-8, and Go prints such bytes as \xNN under %q and verbatim
// under %s. To keep them, trace strings are decoded losslessly:
//
//  - valid UTF-8 (the normal case) becomes the same String;
//  - otherwise each byte that is not part of a valid sequence becomes the scalar U+10FF00 + byte (a
//    private-use range), and so that the mapping stays reversible, so does each byte of any genuine
//    U+10FF00...U+10FFFF in the input.
//
// `traceBytes(of:)` gives the original bytes back; the text form uses it, so output matches Go byte for byte.

/// First scalar of the raw-byte escape range.
private let rawByteBase: UInt32 = 0x10_FF00

/// Decodes a trace string's bytes losslessly (see the file comment).
func decodeTraceString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    // Fast path: valid UTF-8 without F4 8F BC..BF (the encoding of U+10FF00...U+10FFFF).
    var i = 0
    let n = bytes.count
    var needsEscapes = false
    while i < n {
        let b = bytes[i]
        if b < 0x80 {
            i += 1
            continue
        }
        let (_, width) = decodeRuneGo(bytes, at: i)
        if width == 1 || (b == 0xF4 && bytes[i + 1] == 0x8F && bytes[i + 2] >= 0xBC) {
            needsEscapes = true
            break
        }
        i += width
    }
    if !needsEscapes { return String(decoding: bytes, as: UTF8.self) }
    var scalars = String.UnicodeScalarView()
    i = 0
    while i < n {
        let b = bytes[i]
        let (rune, width) = b < 0x80 ? (UInt32(b), 1) : decodeRuneGo(bytes, at: i)
        if (width == 1 && b >= 0x80) || (rune >= rawByteBase && rune <= 0x10_FFFF) {
            for k in 0..<width {
                scalars.append(Unicode.Scalar(rawByteBase + UInt32(bytes[i + k]))!)
            }
        } else {
            scalars.append(Unicode.Scalar(rune)!)
        }
        i += width
    }
    return String(scalars)
}

/// Decodes a trace string losslessly from an array slice of bytes.
func decodeTraceString(_ bytes: ArraySlice<UInt8>) -> String {
    bytes.withUnsafeBufferPointer { decodeTraceString($0) }
}

/// The original bytes of a string read from a trace (Go's string): the inverse of the trace string decoding,
/// which keeps invalid UTF-8 as scalars U+10FF00 + byte. For other strings, their UTF-8.
public func traceBytes(of s: String) -> [UInt8] {
    var s = s
    return s.withUTF8 { utf8 in
        guard containsRawByteEscape(utf8) else { return Array(utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        appendUnescaped(utf8, to: &out)
        return out
    }
}

/// Whether UTF-8 bytes contain a scalar of the raw-byte escape range (F4 8F BC..BF xx).
@inline(__always)
func containsRawByteEscape(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    let n = utf8.count
    while i + 3 < n {
        if utf8[i] == 0xF4 && utf8[i + 1] == 0x8F && utf8[i + 2] >= 0xBC { return true }
        i += 1
    }
    return false
}

/// Appends the original bytes of valid UTF-8 that may contain raw-byte escapes.
func appendUnescaped(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    var i = 0
    let n = utf8.count
    while i < n {
        if i + 3 < n, utf8[i] == 0xF4, utf8[i + 1] == 0x8F, utf8[i + 2] >= 0xBC {
            // U+10FF00 + b, encoded as F4 8F (BC | b >> 6) (80 | b & 0x3F).
            out.append(((utf8[i + 2] & 0x03) << 6) | (utf8[i + 3] & 0x3F))
            i += 4
        } else {
            out.append(utf8[i])
            i += 1
        }
    }
}
