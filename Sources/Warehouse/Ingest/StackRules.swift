/// Rules over function names that the warehouse applies to stacks.
public enum StackRules {
    /// Go's rule (internal/trace.IsSystemGoroutine): a goroutine whose entry function is in the runtime,
    /// other than runtime.main, is a system goroutine; so is one with no known entry function (Go: "locked g
    /// in extra M (with empty entryFn) is system goroutine").
    public static func isSystemGoroutine(_ entryFunction: String) -> Bool {
        entryFunction.isEmpty || (entryFunction != "runtime.main" && entryFunction.hasPrefix("runtime."))
    }

    /// True for a function in the standard library: its package path's first element has no dot
    /// (Go's own definition of a standard import path), except package main. A module path without a dot
    /// (e.g. `example/foo`) is therefore taken for the standard library; such paths are rare outside tests.
    public static func isStandardLibrary(_ function: String) -> Bool {
        let path = packagePath(function)
        if path == "main" { return false }
        let firstElement = path.split(separator: "/", maxSplits: 1).first ?? Substring(path)
        return !firstElement.contains(".")
    }

    /// The package path of a qualified function name: "a.b/c.(*T).M" → "a.b/c", "main.f.func1" → "main".
    public static func packagePath(_ function: String) -> String {
        let utf8 = function.utf8
        // The package ends at the first '.' after the last '/'.
        let lastSlash = utf8.lastIndex(of: UInt8(ascii: "/"))
        let searchStart = lastSlash.map { utf8.index(after: $0) } ?? utf8.startIndex
        guard let dot = utf8[searchStart...].firstIndex(of: UInt8(ascii: ".")) else { return function }
        return String(function[..<dot])
    }
}
