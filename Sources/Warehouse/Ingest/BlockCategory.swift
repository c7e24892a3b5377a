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
        // One definition of a lock wait, which every report uses (mutex-share, latency-breakdown, blocking-stacks):
        // a 'sync' wait whose stack takes a lock. It wins over the outermost primitive below, so the lock that
        // Cond.Wait or Once.Do takes again is mutex time, as scripts/gotools/mutexshare counts it.
        if reason == "sync", let lock = lockCategory(frames) { return lock }
        let category = primitiveOrReasonCategory(reason: reason, frames: frames)
        // Mutex/RWMutex frames without a lock wait (another reason, or no lock frame): not lock time.
        return category == .mutex || category == .rwmutex ? .other : category
    }

    /// The lock-wait rule: mutex or rwmutex when a frame takes a lock (sync.(*Mutex).Lock/lockSlow, Go 1.24+'s
    /// internal/sync.(*Mutex).Lock/lockSlow, sync.(*RWMutex).Lock/RLock, sync.(*rlocker).Lock); rwmutex when any
    /// frame belongs to sync.(*RWMutex) or is sync.(*rlocker).Lock (RWMutex.Lock takes an inner Mutex). nil for none.
    /// Migration 0005 applies the same rule in SQL to runs ingested before it.
    static func lockCategory(_ frames: [StackFrame]) -> BlockCategory? {
        var lock = false
        var rw = false
        for frame in frames {
            let f = frame.function
            if lockFrames.contains(f) { lock = true }
            if f.hasPrefix("sync.(*RWMutex).") || f == "sync.(*rlocker).Lock" { rw = true }
        }
        return lock ? (rw ? .rwmutex : .mutex) : nil
    }

    static let lockFrames: Set<String> = [
        "sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).Lock", "internal/sync.(*Mutex).lockSlow",
        "sync.(*RWMutex).Lock", "sync.(*RWMutex).RLock", "sync.(*rlocker).Lock",
    ]

    private static func primitiveOrReasonCategory(reason: String, frames: [StackFrame]) -> BlockCategory {
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
