// Byte-level equivalents of the bits of Go's fmt/strconv/time formatting that `Event.String()` uses.
// Output is appended to a [UInt8] so the dump can format millions of events without per-event Strings.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

private let lowerHex: [UInt8] = Array("0123456789abcdef".utf8)

extension Array where Element == UInt8 {
    @inlinable mutating func append(text s: String) {
        append(contentsOf: s.utf8)
    }

    @inlinable mutating func append(ascii s: StaticString) {
        s.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Go's `%d` of an unsigned integer.
    mutating func append(decimal v: UInt64) {
        if v < 10 {
            append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: enough for 20 digits
        var n = 0
        var x = v
        Swift.withUnsafeMutableBytes(of: &digits) { raw in
            while x > 0 {
                raw[23 - n] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: x % 10)
                x /= 10
                n += 1
            }
            // A typed buffer takes Array's memcpy path (a raw slice would go element by element).
            let digits = raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + (24 - n)
            append(contentsOf: UnsafeBufferPointer(start: digits, count: n))
        }
    }

    /// Go's `%d` of a signed integer.
    mutating func append(decimal v: Int64) {
        if v < 0 {
            append(UInt8(ascii: "-"))
            append(decimal: v.magnitude)
        } else {
            append(decimal: UInt64(v))
        }
    }

    /// Go's `%x` of an unsigned integer (lower case, no leading zeros).
    mutating func append(hex v: UInt64) {
        if v == 0 {
            append(UInt8(ascii: "0"))
            return
        }
        var shift = (63 - v.leadingZeroBitCount) / 4 * 4
        while shift >= 0 {
            append(lowerHex[Int((v >> UInt64(shift)) & 0xF)])
            shift -= 4
        }
    }

    /// Appends `width` lower-case hex digits of `v`.
    mutating func append(hex v: UInt32, width: Int) {
        var shift = (width - 1) * 4
        while shift >= 0 {
            append(lowerHex[Int((v >> UInt32(shift)) & 0xF)])
            shift -= 4
        }
    }

    /// Go's `%s` of a string read from a trace: its original bytes (see TraceString.swift).
    mutating func append(traceText s: String) {
        var s = s
        s.withUTF8 { utf8 in
            if containsRawByteEscape(utf8) {
                appendUnescaped(utf8, to: &self)
            } else {
                append(contentsOf: utf8)
            }
        }
    }

    /// Go's `%q` of a string (strconv.Quote), of its original bytes when read from a trace.
    mutating func append(goQuoted s: String) {
        var s = s
        s.withUTF8 { utf8 in
            if containsRawByteEscape(utf8) {
                var raw: [UInt8] = []
                appendUnescaped(utf8, to: &raw)
                raw.withUnsafeBufferPointer { append(goQuoted: $0) }
            } else {
                append(goQuoted: utf8)
            }
        }
    }

    /// Go's `strconv.Quote` over raw bytes: printable runes (strconv.IsPrint) are copied, the usual C escapes
    /// are used for \a \b \f \n \r \t \v, other runes below U+0020 and DEL become \xNN, other non-printable
    /// runes \uNNNN or \UNNNNNNNN, and every byte that doesn't start a valid UTF-8 sequence becomes \xNN.
    mutating func append(goQuoted bytes: UnsafeBufferPointer<UInt8>) {
        append(UInt8(ascii: "\""))
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                appendEscaped(rune: UInt32(b0))
                continue
            }
            let (rune, width) = decodeRuneGo(bytes, at: i)
            if width == 1 {
                // An invalid byte (Go: `width == 1 && r == utf8.RuneError`).
                append(UInt8(ascii: "\\"))
                append(UInt8(ascii: "x"))
                append(hex: UInt32(b0), width: 2)
                i += 1
                continue
            }
            // Copy printable runes as their original bytes.
            if isGoPrintable(rune) {
                append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<(i + width)]))
            } else {
                appendEscaped(rune: rune)
            }
            i += width
        }
        append(UInt8(ascii: "\""))
    }

    /// strconv.appendEscapedRune with quote '"', ASCIIonly=false, graphicOnly=false.
    private mutating func appendEscaped(rune r: UInt32) {
        if r == UInt32(UInt8(ascii: "\"")) || r == UInt32(UInt8(ascii: "\\")) {
            append(UInt8(ascii: "\\"))
            append(UInt8(truncatingIfNeeded: r))
            return
        }
        if isGoPrintable(r) {
            appendUTF8(r)
            return
        }
        append(UInt8(ascii: "\\"))
        switch r {
        case 0x07: append(UInt8(ascii: "a"))
        case 0x08: append(UInt8(ascii: "b"))
        case 0x0C: append(UInt8(ascii: "f"))
        case 0x0A: append(UInt8(ascii: "n"))
        case 0x0D: append(UInt8(ascii: "r"))
        case 0x09: append(UInt8(ascii: "t"))
        case 0x0B: append(UInt8(ascii: "v"))
        default:
            if r < 0x20 || r == 0x7F {
                append(UInt8(ascii: "x"))
                append(hex: r, width: 2)
            } else if r < 0x10000 {
                append(UInt8(ascii: "u"))
                append(hex: r, width: 4)
            } else {
                append(UInt8(ascii: "U"))
                append(hex: r, width: 8)
            }
        }
    }

    private mutating func appendUTF8(_ r: UInt32) {
        switch r {
        case ..<0x80:
            append(UInt8(r))
        case ..<0x800:
            append(UInt8(0xC0 | (r >> 6)))
            append(UInt8(0x80 | (r & 0x3F)))
        case ..<0x10000:
            append(UInt8(0xE0 | (r >> 12)))
            append(UInt8(0x80 | ((r >> 6) & 0x3F)))
            append(UInt8(0x80 | (r & 0x3F)))
        default:
            append(UInt8(0xF0 | (r >> 18)))
            append(UInt8(0x80 | ((r >> 12) & 0x3F)))
            append(UInt8(0x80 | ((r >> 6) & 0x3F)))
            append(UInt8(0x80 | (r & 0x3F)))
        }
    }

    /// Go's `time.Time.Format(time.RFC3339Nano)` of a wall time in the local time zone (TZ, else
    /// /etc/localtime, as Go's time.Local).
    mutating func append(rfc3339Nano t: WallTime) {
        let offset = localUTCOffset(t.seconds)
        let local = t.seconds &+ offset
        // Days since 1970-01-01 and seconds within the day (floor division).
        var days = local / 86400
        var secOfDay = local % 86400
        if secOfDay < 0 {
            secOfDay += 86400
            days -= 1
        }
        let (year, month, day) = civilFromDays(days)
        if year < 0 {
            append(UInt8(ascii: "-"))
        }
        appendPadded(year.magnitude, width: 4)
        append(UInt8(ascii: "-"))
        appendPadded(UInt64(month), width: 2)
        append(UInt8(ascii: "-"))
        appendPadded(UInt64(day), width: 2)
        append(UInt8(ascii: "T"))
        appendPadded(UInt64(secOfDay / 3600), width: 2)
        append(UInt8(ascii: ":"))
        appendPadded(UInt64(secOfDay / 60 % 60), width: 2)
        append(UInt8(ascii: ":"))
        appendPadded(UInt64(secOfDay % 60), width: 2)
        if t.nanoseconds != 0 {
            // ".999999999": nine digits with trailing zeros trimmed.
            var ns = UInt64(t.nanoseconds)
            var width = 9
            while ns % 10 == 0 {
                ns /= 10
                width -= 1
            }
            append(UInt8(ascii: "."))
            appendPadded(ns, width: width)
        }
        // "Z07:00": Z for UTC, else ±hh:mm (Go drops the seconds of odd historical offsets).
        if offset == 0 {
            append(UInt8(ascii: "Z"))
        } else {
            var minutes = offset / 60
            if minutes < 0 {
                append(UInt8(ascii: "-"))
                minutes = -minutes
            } else {
                append(UInt8(ascii: "+"))
            }
            appendPadded(UInt64(minutes / 60), width: 2)
            append(UInt8(ascii: ":"))
            appendPadded(UInt64(minutes % 60), width: 2)
        }
    }

    private mutating func appendPadded(_ v: UInt64, width: Int) {
        var digits = 1
        var x = v
        while x >= 10 {
            x /= 10
            digits += 1
        }
        if digits < width {
            for _ in 0..<(width - digits) { append(UInt8(ascii: "0")) }
        }
        append(decimal: v)
    }
}

/// Go's strconv.IsPrint.
@usableFromInline func isGoPrintable(_ r: UInt32) -> Bool {
    if r <= 0xFF {
        if 0x20 <= r && r <= 0x7E { return true }
        if 0xA1 <= r && r <= 0xFF { return r != 0xAD }
        return false
    }
    // Binary search for the last range start <= r.
    let ranges = goPrintableRanges
    var lo = 0
    var hi = ranges.count / 2
    while lo < hi {
        let mid = (lo + hi) / 2
        if ranges[mid * 2] <= r {
            lo = mid + 1
        } else {
            hi = mid
        }
    }
    if lo == 0 { return false }
    return r <= ranges[(lo - 1) * 2 + 1]
}

/// Go's utf8.DecodeRune on bytes[i...]; invalid or truncated sequences give (U+FFFD, 1).
@inline(__always)
func decodeRuneGo(_ s: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
    let n = s.count - i
    let b0 = s[i]
    if b0 < 0x80 { return (UInt32(b0), 1) }
    let invalid: (UInt32, Int) = (0xFFFD, 1)
    @inline(__always) func cont(_ b: UInt8) -> Bool { b & 0xC0 == 0x80 }
    switch b0 {
    case 0xC2...0xDF:
        guard n >= 2, cont(s[i + 1]) else { return invalid }
        return (UInt32(b0 & 0x1F) << 6 | UInt32(s[i + 1] & 0x3F), 2)
    case 0xE0...0xEF:
        guard n >= 3 else { return invalid }
        let b1 = s[i + 1]
        let lo: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
        let hi: UInt8 = b0 == 0xED ? 0x9F : 0xBF
        guard b1 >= lo, b1 <= hi, cont(s[i + 2]) else { return invalid }
        return (UInt32(b0 & 0x0F) << 12 | UInt32(b1 & 0x3F) << 6 | UInt32(s[i + 2] & 0x3F), 3)
    case 0xF0...0xF4:
        guard n >= 4 else { return invalid }
        let b1 = s[i + 1]
        let lo: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
        let hi: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
        guard b1 >= lo, b1 <= hi, cont(s[i + 2]), cont(s[i + 3]) else { return invalid }
        return (UInt32(b0 & 0x07) << 18 | UInt32(b1 & 0x3F) << 12 | UInt32(s[i + 2] & 0x3F) << 6
                    | UInt32(s[i + 3] & 0x3F), 4)
    default:
        return invalid
    }
}

/// Proleptic Gregorian (year, month, day) for a count of days since 1970-01-01 (H. Hinnant's algorithm).
private func civilFromDays(_ z0: Int64) -> (Int64, Int, Int) {
    let z = z0 + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, Int(m), Int(d))
}

/// The local zone's UTC offset in seconds at a Unix time, as libc's localtime_r sees it.
private func localUTCOffset(_ seconds: Int64) -> Int64 {
    #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
    var t = time_t(truncatingIfNeeded: seconds)
    var tm = tm()
    guard localtime_r(&t, &tm) != nil else { return 0 }
    return Int64(tm.tm_gmtoff)
    #else
    return 0
    #endif
}
