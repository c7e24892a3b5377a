import Foundation
import GoTrace

/// Rules over function names that the warehouse applies to stacks.
public enum StackRules {
    /// Go's rule (internal/trace.IsSystemGoroutine): a goroutine whose entry function is in the runtime,
    /// other than runtime.main, is a system goroutine; so is one with no known entry function (Go: "locked g
    /// in extra M (with empty entryFn) is system goroutine").
    public static func isSystemGoroutine(_ entryFunction: String) -> Bool {
        entryFunction.isEmpty || (entryFunction != "runtime.main" && entryFunction.hasPrefix("runtime."))
    }

    /// True for a function in the standard library by its name alone: its package path's first element has
    /// no dot (Go's own definition of a standard import path), except package main. A module path without a
    /// dot (`module payments`) is therefore taken for the standard library: UserFrameRule uses this only when
    /// a frame's file cannot say where it lives.
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

/// Which frames of a trace are user code (stacks.user_frame_id): decided by where the frame's file lives,
/// inside the GOROOT of the toolchain that built the program or not, and by name only as a fallback.
///
/// The trace does not name its GOROOT, but the runtime's own frames show it: `runtime.gopark` in
/// `/opt/go/1.27.3/go/src/runtime/proc.go` puts GOROOT's sources at `/opt/go/1.27.3/go/src/`. A -trimpath
/// build shows them GOROOT-relative (`runtime/proc.go`), and its own files module-relative
/// (`payments/ledger/ledger.go`): then the main package's file (`payments/main.go`) names the main module's
/// first path element, and other frames fall back to the dot rule (StackRules.isStandardLibrary), which is
/// all a name can tell. Frames are learned as they are interned, so the rule may change during the ingest
/// (`isSettled` says when it no longer can); RunWriter rechecks the stacks it decided before that.
public struct UserFrameRule: Sendable {
    /// GOROOT's source directory with a trailing '/', as the runtime's frames show it; "" when they show
    /// GOROOT-relative files (-trimpath); nil until a runtime frame with a file has been seen.
    public private(set) var gorootSource: String?
    /// With GOROOT-relative files: the first path element of the main package's file, with a trailing '/'
    /// ("payments/"); nil until a frame of package main with such a file has been seen.
    public private(set) var mainModulePrefix: String?

    public init() {}

    /// True once no frame can change a decision: GOROOT is known from an absolute runtime file, or the build
    /// is -trimpath and the main package's file has been seen.
    public var isSettled: Bool {
        guard let gorootSource else { return false }
        return !gorootSource.isEmpty || mainModulePrefix != nil
    }

    /// Learns from a frame seen for the first time. Returns true if the rule changed.
    @discardableResult
    public mutating func learn(_ frame: StackFrame) -> Bool {
        var changed = false
        if gorootSource == nil, frame.function.hasPrefix("runtime."), !frame.file.isEmpty {
            if let marker = frame.file.range(of: "/src/runtime/", options: .backwards) {
                gorootSource = String(frame.file[..<marker.lowerBound]) + "/src/"
                changed = true
            } else if frame.file.hasPrefix("runtime/") {
                gorootSource = ""
                changed = true
            }
        }
        if mainModulePrefix == nil, StackRules.packagePath(frame.function) == "main", !Self.isAbsolute(frame.file),
            let slash = frame.file.firstIndex(of: "/"), slash != frame.file.startIndex,
            // go test's generated main package is not the module under test (in a -trimpath test of package
            // sync it is sync/_testmain.go).
            !frame.file.hasSuffix("/_testmain.go")
        {
            mainModulePrefix = String(frame.file[...slash])
            changed = true
        }
        return changed
    }

    /// Whether the frame is user code: not in GOROOT when its file says so, else by its main module or name.
    public func isUser(_ frame: StackFrame) -> Bool {
        if let gorootSource, !gorootSource.isEmpty, Self.isAbsolute(frame.file) {
            return !frame.file.hasPrefix(gorootSource)
        }
        if let mainModulePrefix, frame.file.hasPrefix(mainModulePrefix) { return true }
        return !StackRules.isStandardLibrary(frame.function)
    }

    /// An absolute file path as Go records it (forward slashes on every OS): `/...` or `C:/...`.
    static func isAbsolute(_ file: String) -> Bool {
        let u = Array(file.utf8.prefix(3))
        if u.first == UInt8(ascii: "/") { return true }
        return u.count == 3 && u[1] == UInt8(ascii: ":") && u[2] == UInt8(ascii: "/")
    }
}
