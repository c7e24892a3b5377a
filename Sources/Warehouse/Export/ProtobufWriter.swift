/// The few protobuf wire-format primitives a profile.proto needs (varints, packed varints, length-delimited
/// fields). Hand-written, as Go's runtime/pprof does (its protobuf.go), because swift-protobuf's code generator
/// plugin costs about 10 minutes of build here for five small messages that never change.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    /// An int64/uint64 field (wire type 0). Zero is the default and is skipped, as proto3 does.
    mutating func int64(_ field: Int, _ value: Int64) {
        guard value != 0 else { return }
        key(field, wireType: 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func uint64(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        key(field, wireType: 0)
        varint(value)
    }

    /// A repeated int64/uint64 field, packed (one length-delimited run of varints).
    mutating func packed(_ field: Int, _ values: [UInt64]) {
        guard !values.isEmpty else { return }
        var inner = ProtobufWriter()
        for v in values { inner.varint(v) }
        bytes(field, inner.bytes)
    }

    mutating func string(_ field: Int, _ text: String) {
        bytes(field, Array(text.utf8), always: true)
    }

    /// A length-delimited field: an embedded message or bytes.
    mutating func bytes(_ field: Int, _ payload: [UInt8], always: Bool = false) {
        guard always || !payload.isEmpty else { return }
        key(field, wireType: 2)
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        key(field, wireType: 2)
        varint(UInt64(inner.bytes.count))
        bytes.append(contentsOf: inner.bytes)
    }
}
