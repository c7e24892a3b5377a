import GoTrace

/// goroutine_states.category: a finer cause than the trace's reason, from the reason and the stack.
///
/// The trace says only 'sync' for a Mutex, an RWMutex, a WaitGroup or a bare semaphore alike; the block
/// stack tells them apart. Frames are matched by their sync type and method, so the rule holds across Go
/// versions (sync.(*Mutex).Lock inlines internal/sync.(*Mutex).Lock since Go 1.24; RWMutex.Lock takes an
/// inner Mutex; Once.doSlow takes a Mutex; WaitGroup.Wait and Cond.Wait park on semaphores/notify lists).
public enum BlockCategory: String, Sendable, CaseIterable {
    case mutex, rwmutex, waitgroup, cond, semaphore, once
    case chanSend = "chan_send", chanRecv = "chan_recv"
    case select, sleep, network, syscall, gc, preempted, runtime, other

    /// The category of an interval. `frames` is the stack of the transition into the state, leaf first
    /// (empty when the trace has none). Running and runnable intervals have no category ("") unless the
    /// goroutine was preempted.
    public static func classify(state: GoroutineStateName, reason: String, frames: [StackFrame]) -> String {
        switch state {
        case .running:
            return ""
        case .runnable:
            return reason == "preempted" ? BlockCategory.preempted.rawValue : ""
        case .syscall, .syscallBlocked:
            return BlockCategory.syscall.rawValue
        case .waiting:
            return waitingCategory(reason: reason, frames: frames).rawValue
        }
    }

    static func waitingCategory(reason: String, frames: [StackFrame]) -> BlockCategory {
        switch reason {
        case "chan send": return .chanSend
        case "chan receive": return .chanRecv
        case "select", "select (no cases)": return .select
        case "sleep": return .sleep
        case "network": return .network
        case "preempted": return .preempted
        case "sync.(*Cond).Wait": return .cond
        case "system goroutine wait", "wait for debug call", "synctest", "forever": return .runtime
        default: break
        }
        if reason.hasPrefix("GC") || reason == "wait until GC ends" || reason.hasPrefix("garbage collection") {
            return .gc
        }
        if let fromStack = syncCategory(frames) { return fromStack }
        // Parked inside the runtime itself (its own semaphores, idle system goroutines).
        if !frames.isEmpty && frames.allSatisfy({ $0.function.hasPrefix("runtime.") }) { return .runtime }
        if reason == "sync" { return .semaphore }
        return .other
    }

    /// Walks the stack from the leaf up to the first frame outside sync/runtime/internal, and keeps the
    /// outermost sync primitive seen: the one the user's code called. (RWMutex.Lock → Mutex.Lock gives
    /// rwmutex; Once.Do → Mutex.Lock gives once; a Mutex locked inside a Once's function, below a user frame,
    /// gives mutex.)
    static func syncCategory(_ frames: [StackFrame]) -> BlockCategory? {
        var found: BlockCategory?
        for frame in frames {
            let f = frame.function
            if let category = primitive(f) {
                found = category
                continue
            }
            if f.hasPrefix("runtime.") || f.hasPrefix("internal/") || f.hasPrefix("sync.") || f.hasPrefix("sync/")
            {
                continue
            }
            break  // the caller's code: the outermost primitive below it decides
        }
        return found
    }

    /// The primitive a sync frame belongs to (either sync or Go 1.24+'s internal/sync).
    static func primitive(_ function: String) -> BlockCategory? {
        var name = Substring(function)
        if name.hasPrefix("internal/sync.") {
            name = name.dropFirst("internal/".count)
        }
        guard name.hasPrefix("sync.") else {
            if name.hasPrefix("golang.org/x/sync/semaphore.") { return .semaphore }
            return nil
        }
        let member = name.dropFirst("sync.".count)
        if member.hasPrefix("(*RWMutex).") { return .rwmutex }
        if member.hasPrefix("(*Mutex).") { return .mutex }
        if member.hasPrefix("(*WaitGroup).") { return .waitgroup }
        if member.hasPrefix("(*Cond).") { return .cond }
        if member.hasPrefix("(*Once).") || member.hasPrefix("OnceFunc") || member.hasPrefix("OnceValue") {
            return .once
        }
        if member.hasPrefix("runtime_Semacquire") || member.hasPrefix("runtime_SemacquireMutex") {
            return .semaphore
        }
        return nil
    }
}
