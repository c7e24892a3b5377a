import ArgumentParser

/// `--param KEY=VALUE` flags, as `report` and `compare --report` take them.
enum ReportParameters {
    static func parse(_ flags: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for flag in flags {
            guard let equals = flag.firstIndex(of: "="), equals != flag.startIndex else {
                throw ValidationError("--param expects KEY=VALUE, got '\(flag)'")
            }
            let key = String(flag[..<equals])
            guard result[key] == nil else { throw ValidationError("--param \(key) given twice") }
            result[key] = String(flag[flag.index(after: equals)...])
        }
        return result
    }
}
