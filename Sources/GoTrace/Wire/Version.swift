// Port of Go 1.27.3 src/internal/trace/version/version.go: trace format versions and the file header.

/// The version of a trace file (Go's `version.Version`). Go 1.11–1.21 are the legacy (v1) format; Go 1.22
/// and later the current one. Go 1.24 wrote `go 1.23 trace`, and Go 1.27 still writes `go 1.26 trace`.
public enum TraceVersion: UInt32, Sendable, Comparable, CustomStringConvertible {
    case go111 = 11  // v1
    case go119 = 19  // v1
    case go121 = 21  // v1
    case go122 = 22  // v2
    case go123 = 23  // v2
    case go125 = 25  // v2
    case go126 = 26  // v2

    /// Go's `version.Current`.
    public static let current = TraceVersion.go126

    @inlinable public static func < (a: TraceVersion, b: TraceVersion) -> Bool { a.rawValue < b.rawValue }

    /// "go 1.N".
    public var description: String { "go 1.\(rawValue)" }

    /// True for the legacy Go 1.11–1.21 format, read by the V1 path.
    public var isLegacy: Bool { rawValue < 22 }

    /// Go's `Version.Valid` for a raw header number.
    public static func valid(_ raw: UInt32) -> Bool { TraceVersion(rawValue: raw) != nil }

    /// Number of leading entries of `Tracev2.allSpecs` this version defines (Go slices the same table);
    /// 0 for v1 versions, whose specs Go leaves nil.
    public var specCount: Int {
        switch self {
        case .go111, .go119, .go121: return 0
        case .go122: return Int(Tracev2.evUserLog.rawValue) + 1  // All events after are Go 1.23+.
        case .go123: return Int(Tracev2.evExperimentalBatch.rawValue) + 1  // All events after are Go 1.25+.
        case .go125: return Int(Tracev2.evClockSnapshot.rawValue) + 1  // All events after are Go 1.26+.
        case .go126: return Tracev2.allSpecs.count
        }
    }

    /// Go's `Version.Specs()`.
    public var specs: ArraySlice<Tracev2.EventSpec> { Tracev2.allSpecs[0..<specCount] }

    /// Go's `Version.EventName`.
    public func eventName(_ typ: Tracev2.EventType) -> String {
        let n = specCount
        if n == 0 { return "<v1 trace event type>" }
        let i = Int(typ.rawValue)
        if i < n && !Tracev2.allSpecs[i].name.isEmpty { return Tracev2.allSpecs[i].name }
        return "Invalid(\(typ.rawValue))"
    }

    /// Go's `headerFmt`: "go 1.%d trace\x00\x00\x00".
    public static func headerBytes(_ v: TraceVersion) -> [UInt8] {
        Array("go 1.\(v.rawValue) trace".utf8) + [0, 0, 0]
    }
}

/// The outcome of parsing a header: the raw version number Go's Fscanf would read, and how many bytes
/// the header took.
struct TraceHeader {
    var version: UInt32
    var length: Int
}

/// Parses Go's `fmt.Fscanf(r, "go 1.%d trace\x00\x00\x00", &v)` from the first bytes of a file.
/// Returns nil where Go reports "bad file format: not a Go execution trace?". `bytes` must hold the
/// first (up to) 64 bytes of the file.
func parseTraceHeader(_ bytes: ArraySlice<UInt8>) -> TraceHeader? {
    var i = bytes.startIndex
    func expect(_ s: String) -> Bool {
        for c in s.utf8 {
            guard i < bytes.endIndex, bytes[i] == c else { return false }
            i += 1
        }
        return true
    }
    guard expect("go 1.") else { return nil }
    // %d into a uint32: optional '+' sign, then decimal digits; overflow is an error in Fscanf.
    if i < bytes.endIndex, bytes[i] == UInt8(ascii: "+") { i += 1 }
    var v: UInt64 = 0
    var digits = 0
    while i < bytes.endIndex, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
        v = v &* 10 &+ UInt64(bytes[i] - UInt8(ascii: "0"))
        digits += 1
        if digits > 10 { return nil }
        i += 1
    }
    guard digits > 0, v <= UInt64(UInt32.max) else { return nil }
    guard expect(" trace"), expect("\u{0}\u{0}\u{0}") else { return nil }
    return TraceHeader(version: UInt32(v), length: i - bytes.startIndex)
}

extension Tracev2 {
    /// The event specs of trace version `v` (Go's `v.Specs()`): a prefix of `allSpecs`.
    public static func specs(for v: TraceVersion) -> ArraySlice<EventSpec> { v.specs }
}
