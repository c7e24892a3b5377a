/// A pprof profile (github.com/google/pprof proto/profile.proto) built from warehouse stacks, encoded as Go's
/// internal/trace/traceviewer.BuildProfile builds `go tool trace -pprof=KIND`: one location per PC (the first
/// frame seen with that PC names it, as Go's map keyed by PC does), one function per (file, function), no
/// mappings; the sample's locations innermost first.
public struct PprofProfile {
    public struct ValueType: Sendable, Equatable {
        public var type: String
        public var unit: String
        public init(_ type: String, _ unit: String) { self.type = type; self.unit = unit }
    }

    public struct Sample {
        public var stackID: Int64?
        public var values: [Int64]
        public var labels: [(key: String, value: String)]
        public init(stackID: Int64?, values: [Int64], labels: [(key: String, value: String)] = []) {
            self.stackID = stackID; self.values = values; self.labels = labels
        }
    }

    public struct Frame: Sendable {
        public var pc: UInt64
        public var function: String
        public var file: String
        public var line: Int64
    }

    public var sampleTypes: [ValueType]
    public var periodType: ValueType
    public var period: Int64
    public var samples: [Sample] = []

    public init(sampleTypes: [ValueType], periodType: ValueType, period: Int64) {
        self.sampleTypes = sampleTypes; self.periodType = periodType; self.period = period
    }

    /// The profile.proto bytes (not gzipped). `stacks` gives each sample's frames, innermost first.
    public func encoded(stacks: [Int64: [Frame]]) -> [UInt8] {
        var strings: [String] = [""]
        var stringIndex: [String: Int64] = ["": 0]
        func intern(_ s: String) -> Int64 {
            if let i = stringIndex[s] { return i }
            let i = Int64(strings.count)
            strings.append(s)
            stringIndex[s] = i
            return i
        }
        var out = ProtobufWriter()
        for t in sampleTypes {
            out.message(1) { $0.int64(1, intern(t.type)); $0.int64(2, intern(t.unit)) }
        }
        var locationByPC: [UInt64: UInt64] = [:]
        var locations: [(id: UInt64, pc: UInt64, function: UInt64, line: Int64)] = []
        var functionByKey: [String: UInt64] = [:]
        var functions: [(id: UInt64, name: Int64, file: Int64)] = []
        func location(_ frame: Frame) -> UInt64 {
            if let id = locationByPC[frame.pc] { return id }
            let key = frame.file + frame.function
            let fid: UInt64
            if let f = functionByKey[key] {
                fid = f
            } else {
                fid = UInt64(functions.count + 1)
                functions.append((fid, intern(frame.function), intern(frame.file)))
                functionByKey[key] = fid
            }
            let id = UInt64(locations.count + 1)
            locations.append((id, frame.pc, fid, frame.line))
            locationByPC[frame.pc] = id
            return id
        }
        for sample in samples {
            let ids = (sample.stackID.flatMap { stacks[$0] } ?? []).map(location)
            let labels = sample.labels.map { (intern($0.key), intern($0.value)) }
            out.message(2) { s in
                s.packed(1, ids)
                s.packed(2, sample.values.map { UInt64(bitPattern: $0) })
                for (k, v) in labels { s.message(3) { $0.int64(1, k); $0.int64(2, v) } }
            }
        }
        for l in locations {
            out.message(4) { m in
                m.uint64(1, l.id)
                m.uint64(3, l.pc)
                m.message(4) { $0.uint64(1, l.function); $0.int64(2, l.line) }
            }
        }
        let periodTypeIndices = (intern(periodType.type), intern(periodType.unit))
        for f in functions {
            out.message(5) { m in
                m.uint64(1, f.id); m.int64(2, f.name); m.int64(3, f.name); m.int64(4, f.file)
            }
        }
        for s in strings { out.string(6, s) }
        out.message(11) { $0.int64(1, periodTypeIndices.0); $0.int64(2, periodTypeIndices.1) }
        out.int64(12, period)
        return out.bytes
    }
}
