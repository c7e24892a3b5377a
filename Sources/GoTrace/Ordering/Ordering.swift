// Port of Go 1.27.3 src/internal/trace/order.go: the ordering state machine. It emulates Go scheduler
// state both to validate the trace and to put events from per-M batches into a consistent order.
//
// Every handler, check and error message follows Go's; handlers mutate the cursor's event in place
// (`ev` is Go's *baseEvent) because the smuggled values stay visible in later events of that cursor in Go.

/// Go's `gState`: the state of a goroutine at a point in the trace.
final class GState {
    let id: GoID
    @exclusivity(unchecked) var status: Tracev2.GoStatus
    @exclusivity(unchecked) var seq: SeqCounter
    /// The active user regions of this goroutine.
    var regions: [UserRegion] = []
    var rangeState = RangeState()

    init(id: GoID, status: Tracev2.GoStatus, seq: SeqCounter) {
        self.id = id
        self.status = status
        self.seq = seq
    }

    /// Go's `beginRegion`.
    func beginRegion(_ r: UserRegion) {
        regions.append(r)
    }

    /// Go's `endRegion`.
    func endRegion(_ r: UserRegion) -> TraceError? {
        // We do not know about regions that began before tracing started.
        guard let next = regions.last else { return nil }
        if next != r {
            return TraceError(
                "misuse of region in goroutine \(id.rawValue): region end \(r) when the inner-most active region start event is \(next)")
        }
        regions.removeLast()
        return nil
    }
}

/// Go's `pState`: the state of a proc at a point in the trace.
final class PState {
    let id: ProcID
    @exclusivity(unchecked) var status: Tracev2.ProcStatus
    @exclusivity(unchecked) var seq: SeqCounter
    var rangeState = RangeState()

    init(id: ProcID, status: Tracev2.ProcStatus, seq: SeqCounter) {
        self.id = id
        self.status = status
        self.seq = seq
    }
}

/// Go's `mState`: the state of a thread.
final class MState {
    /// Goroutine bound to this M. (The goroutine's state is Executing.)
    @exclusivity(unchecked) var g: GoID
    /// Proc bound to this M. (The proc's state is Executing.)
    @exclusivity(unchecked) var p: ProcID

    init(g: GoID, p: ProcID) {
        self.g = g
        self.p = p
    }
}

/// Go's `userRegion`. The name is resolved because string IDs change across generations.
struct UserRegion: Equatable, CustomStringConvertible {
    var taskID: TaskID
    var name: String
    /// Go's %v of the struct: "{taskID name}".
    var description: String { "{\(taskID.rawValue) \(name)}" }
}

/// Go's `rangeType`: a special range of time, keyed by its "Begin" event and an optional subtype.
struct RangeType: Equatable, CustomStringConvertible {
    var typ: Tracev2.EventType
    var desc: StringID
    /// Go's %v of the struct: "{typ desc}".
    var description: String { "{\(typ.rawValue) \(desc.rawValue)}" }
}

/// Go's `makeRangeType`.
func makeRangeType(_ typ: Tracev2.EventType, _ desc: StringID) -> RangeType {
    var t = typ
    if let styp = Tracev2.spec(typ)?.startEv, styp != Tracev2.evNone {
        t = styp
    }
    return RangeType(typ: t, desc: desc)
}

private func specName(_ t: Tracev2.EventType) -> String { Tracev2.spec(t)?.name ?? "" }

/// Go's `rangeState`: the in-flight special ranges of a resource.
struct RangeState {
    var inFlight: [RangeType] = []

    /// Go's `beginRange`: error if the range is already in progress.
    mutating func beginRange(_ typ: RangeType) -> TraceError? {
        if hasRange(typ) {
            return TraceError("discovered event already in-flight for when starting event \(specName(typ.typ))")
        }
        inFlight.append(typ)
        return nil
    }

    /// Go's `activeRange`.
    mutating func activeRange(_ typ: RangeType, _ isInitialGen: Bool) -> TraceError? {
        if isInitialGen {
            if hasRange(typ) {
                return TraceError("found named active range already in first gen: \(typ)")
            }
            inFlight.append(typ)
        } else if !hasRange(typ) {
            let list = "[" + inFlight.map(\.description).joined(separator: " ") + "]"
            return TraceError("resource is missing active range: \(specName(typ.typ)) \(list)")
        }
        return nil
    }

    func hasRange(_ typ: RangeType) -> Bool { inFlight.contains(typ) }

    /// Go's `endRange`: swap-removes the range started by typ's StartEv and returns its subtype.
    mutating func endRange(_ typ: Tracev2.EventType) -> Result<StringID, TraceError> {
        let st = Tracev2.spec(typ)?.startEv ?? Tracev2.evNone
        guard let idx = inFlight.firstIndex(where: { $0.typ == st }) else {
            return .failure(TraceError("tried to end event \(specName(st)), but not in-flight"))
        }
        let desc = inFlight[idx].desc
        inFlight.swapAt(idx, inFlight.count - 1)
        inFlight.removeLast()
        return .success(desc)
    }
}

/// Go's `seqCounter`: a global sequence counter for a resource.
struct SeqCounter: Equatable, CustomStringConvertible {
    /// The generation for the local sequence counter seq.
    var gen: UInt64
    /// The sequence number local to the generation.
    var seq: UInt64

    /// Go's `succeeds`: true if self is the immediate successor of b.
    @inline(__always) func succeeds(_ b: SeqCounter) -> Bool {
        gen == b.gen && seq == b.seq &+ 1
    }

    var description: String { "\(seq) (gen=\(gen))" }
}

@inline(__always) func makeSeq(_ gen: UInt64, _ seq: UInt64) -> SeqCounter { SeqCounter(gen: gen, seq: seq) }

/// Go's `gcState`.
enum GCState: UInt8, CustomStringConvertible {
    case undetermined, notRunning, running
    var description: String {
        switch self {
        case .undetermined: return "Undetermined"
        case .notRunning: return "NotRunning"
        case .running: return "Running"
        }
    }
}

/// Go's `taskState`: an active task.
struct TaskState {
    var name: String
    var parentID: TaskID
}

/// Go's `constraint`.
enum Constraint { case mustNotHave, mayHave, mustHave }

/// Go's `schedReqs`.
struct SchedReqs {
    var m: Constraint
    var p: Constraint
    var g: Constraint
}

/// Go's `userGoReqs`: common requirement of events running or close to running user code.
let userGoReqs = SchedReqs(m: .mustHave, p: .mustHave, g: .mustHave)

/// Go's `validateCtx`.
func validateCtx(_ ctx: SchedCtx, _ reqs: SchedReqs) -> TraceError? {
    // Check thread requirements.
    if reqs.m == .mustHave && ctx.m == .none {
        return TraceError("expected a thread but didn't have one")
    } else if reqs.m == .mustNotHave && ctx.m != .none {
        return TraceError("expected no thread but had one")
    }
    // Check proc requirements.
    if reqs.p == .mustHave && ctx.p == .none {
        return TraceError("expected a proc but didn't have one")
    } else if reqs.p == .mustNotHave && ctx.p != .none {
        return TraceError("expected no proc but had one")
    }
    // Check goroutine requirements.
    if reqs.g == .mustHave && ctx.g == .none {
        return TraceError("expected a goroutine but didn't have one")
    } else if reqs.g == .mustNotHave && ctx.g != .none {
        return TraceError("expected no goroutine but had one")
    }
    return nil
}

/// Go's `queue[Event]`: a growable ring buffer. Events are moved in and out of raw storage, so a
/// push/pop pair costs no extra reference counting.
final class EventQueue {
    private var buf: UnsafeMutablePointer<Event>
    private var capacity: Int
    private var start = 0
    private var end = 0

    init() {
        capacity = 16
        buf = UnsafeMutablePointer<Event>.allocate(capacity: capacity)
    }

    deinit {
        while end - start > 0 {
            (buf + (start & (capacity - 1))).deinitialize(count: 1)
            start += 1
        }
        buf.deallocate()
    }

    var isEmpty: Bool { end == start }

    @inline(__always) func push(_ value: consuming Event) {
        if end - start == capacity { grow() }
        (buf + (end & (capacity - 1))).initialize(to: value)
        end += 1
    }

    private func grow() {
        let newCap = capacity * 2
        let nb = UnsafeMutablePointer<Event>.allocate(capacity: newCap)
        var j = 0
        while start < end {
            (nb + j).moveInitialize(from: buf + (start & (capacity - 1)), count: 1)
            start += 1
            j += 1
        }
        buf.deallocate()
        buf = nb
        capacity = newCap
        start = 0
        end = j
    }

    @inline(__always) func pop() -> Event? {
        if end == start { return nil }
        let value = (buf + (start & (capacity - 1))).move()
        start += 1
        return value
    }
}

/// Go's `makeEvent`.
func makeEvent(
    _ table: EvTable, _ ctx: SchedCtx, _ typ: Tracev2.EventType, _ time: Time, _ args: UInt64...
) -> Event {
    var base = BaseEvent(typ: typ, time: time)
    for (i, a) in args.prefix(TimedEventArgs.count).enumerated() { base.args[i] = a }
    return Event(table: table, ctx: ctx, base: base)
}

/// Outcome of a handler: Go's `(schedCtx, bool, error)` with the error thrown.
typealias Advanced = (newCtx: SchedCtx, ok: Bool)

/// Go's `ordering`.
final class Ordering {
    let traceVer: TraceVersion
    // Hot state: no dynamic exclusivity checks (the ordering is single-threaded and never hands out
    // overlapping accesses).
    @exclusivity(unchecked) var gStates = IDMap<GoID, GState>()
    @exclusivity(unchecked) var pStates = IDMap<ProcID, PState>()
    @exclusivity(unchecked) var mStates = IDMap<ThreadID, MState>()
    var activeTasks: [TaskID: TaskState] = [:]
    @exclusivity(unchecked) var gcSeq: UInt64 = 0
    @exclusivity(unchecked) var gcState = GCState.undetermined
    @exclusivity(unchecked) var initialGen: UInt64 = 0
    let queue = EventQueue()

    init(traceVer: TraceVersion) { self.traceVer = traceVer }

    /// Go's `Next`: the next event in the ordering.
    @inline(__always) func next() -> Event? { queue.pop() }

    func evName(_ typ: Tracev2.EventType) -> String { traceVer.eventName(typ) }

    /// Go's `Advance`: checks whether it's valid to proceed with ev, which came from thread m. Returns
    /// false when ev can't advance yet (the caller tries other threads); throws if the trace is broken.
    func advance(_ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64) throws(TraceError) -> Bool {
        if initialGen == 0 {
            // Set the initial gen if necessary.
            initialGen = gen
        }
        var curCtx = SchedCtx(g: .none, p: .none, m: m)
        var ms: MState? = nil
        if m != .none {
            // Pull out or create the mState for this event.
            if let s = mStates[m] {
                ms = s
            } else {
                let s = MState(g: .none, p: .none)
                mStates[m] = s
                ms = s
            }
            curCtx.p = ms!.p
            curCtx.g = ms!.g
        }
        let r = try dispatch(&ev, evt, m, gen, curCtx)
        if r.ok, let ms {
            // Update the mState for this event.
            ms.p = r.newCtx.p
            ms.g = r.newCtx.g
        }
        return r.ok
    }

    /// Go's `orderingDispatch` table.
    private func dispatch(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        switch ev.typ {
        // Procs.
        case Tracev2.evProcsChange: return try advanceAnnotation(&ev, evt, m, gen, curCtx)
        case Tracev2.evProcStart: return try advanceProcStart(&ev, evt, m, gen, curCtx)
        case Tracev2.evProcStop: return try advanceProcStop(&ev, evt, m, gen, curCtx)
        case Tracev2.evProcSteal: return try advanceProcSteal(&ev, evt, m, gen, curCtx)
        case Tracev2.evProcStatus: return try advanceProcStatus(&ev, evt, m, gen, curCtx)
        // Goroutines.
        case Tracev2.evGoCreate: return try advanceGoCreate(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoCreateSyscall: return try advanceGoCreateSyscall(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoStart: return try advanceGoStart(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoDestroy: return try advanceGoStopExec(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoDestroySyscall: return try advanceGoDestroySyscall(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoStop: return try advanceGoStopExec(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoBlock: return try advanceGoStopExec(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoUnblock: return try advanceGoUnblock(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoSyscallBegin: return try advanceGoSyscallBegin(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoSyscallEnd: return try advanceGoSyscallEnd(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoSyscallEndBlocked: return try advanceGoSyscallEndBlocked(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoStatus: return try advanceGoStatus(&ev, evt, m, gen, curCtx)
        // STW.
        case Tracev2.evSTWBegin: return try advanceGoRangeBegin(&ev, evt, m, gen, curCtx)
        case Tracev2.evSTWEnd: return try advanceGoRangeEnd(&ev, evt, m, gen, curCtx)
        // GC events.
        case Tracev2.evGCActive: return try advanceGCActive(&ev, evt, m, gen, curCtx)
        case Tracev2.evGCBegin: return try advanceGCBegin(&ev, evt, m, gen, curCtx)
        case Tracev2.evGCEnd: return try advanceGCEnd(&ev, evt, m, gen, curCtx)
        case Tracev2.evGCSweepActive: return try advanceGCSweepActive(&ev, evt, m, gen, curCtx)
        case Tracev2.evGCSweepBegin: return try advanceGCSweepBegin(&ev, evt, m, gen, curCtx)
        case Tracev2.evGCSweepEnd: return try advanceGCSweepEnd(&ev, evt, m, gen, curCtx)
        case Tracev2.evGCMarkAssistActive: return try advanceGoRangeActive(&ev, evt, m, gen, curCtx)
        case Tracev2.evGCMarkAssistBegin: return try advanceGoRangeBegin(&ev, evt, m, gen, curCtx)
        case Tracev2.evGCMarkAssistEnd: return try advanceGoRangeEnd(&ev, evt, m, gen, curCtx)
        case Tracev2.evHeapAlloc: return try advanceHeapMetric(&ev, evt, m, gen, curCtx)
        case Tracev2.evHeapGoal: return try advanceHeapMetric(&ev, evt, m, gen, curCtx)
        // Annotations.
        case Tracev2.evGoLabel: return try advanceAnnotation(&ev, evt, m, gen, curCtx)
        case Tracev2.evUserTaskBegin: return try advanceUserTaskBegin(&ev, evt, m, gen, curCtx)
        case Tracev2.evUserTaskEnd: return try advanceUserTaskEnd(&ev, evt, m, gen, curCtx)
        case Tracev2.evUserRegionBegin: return try advanceUserRegionBegin(&ev, evt, m, gen, curCtx)
        case Tracev2.evUserRegionEnd: return try advanceUserRegionEnd(&ev, evt, m, gen, curCtx)
        case Tracev2.evUserLog: return try advanceAnnotation(&ev, evt, m, gen, curCtx)
        // Coroutines. Added in Go 1.23.
        case Tracev2.evGoSwitch: return try advanceGoSwitch(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoSwitchDestroy: return try advanceGoSwitch(&ev, evt, m, gen, curCtx)
        case Tracev2.evGoCreateBlocked: return try advanceGoCreate(&ev, evt, m, gen, curCtx)
        // GoStatus event with a stack. Added in Go 1.23.
        case Tracev2.evGoStatusStack: return try advanceGoStatus(&ev, evt, m, gen, curCtx)
        // Experimental events (AllocFree: heap spans, heap objects, goroutine stacks). Added in Go 1.23.
        case Tracev2.evSpan, Tracev2.evSpanAlloc, Tracev2.evSpanFree,
            Tracev2.evHeapObject, Tracev2.evHeapObjectAlloc, Tracev2.evHeapObjectFree,
            Tracev2.evGoroutineStack, Tracev2.evGoroutineStackAlloc, Tracev2.evGoroutineStackFree:
            return try advanceAllocFree(&ev, evt, m, gen, curCtx)
        default:
            throw TraceError("bad event type found while ordering: \(ev.typ.rawValue)")
        }
    }

    @inline(__always) private func push(_ evt: EvTable, _ ctx: SchedCtx, _ ev: BaseEvent) {
        queue.push(Event(table: evt, ctx: ctx, base: ev))
    }

    private func advanceProcStatus(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx0: SchedCtx
    ) throws(TraceError) -> Advanced {
        var curCtx = curCtx0
        let pid = ProcID(Int64(bitPattern: ev.args[0]))
        // Go converts with tracev2.ProcStatus(ev.args[1]), truncating to a byte: matched.
        let statusRaw = UInt8(truncatingIfNeeded: ev.args[1])
        if Int(statusRaw) >= tracev2ProcStatus2ProcState.count {
            throw TraceError("invalid status for proc \(pid.rawValue): \(statusRaw)")
        }
        let status = Tracev2.ProcStatus(statusRaw)
        var oldState = tracev2ProcStatus2ProcState[Int(statusRaw)]
        if let s = pStates[pid] {
            if status == .syscallAbandoned && s.status == .syscall {
                // ProcSyscallAbandoned is a special case of ProcSyscall. It indicates a potential loss of
                // information, but if we're already in ProcSyscall, we haven't lost the relevant
                // information. Promote the status and advance.
                oldState = .running
                ev.args[1] = UInt64(Tracev2.ProcStatus.syscall.rawValue)
            } else if status == .syscallAbandoned && s.status == .syscallAbandoned {
                // If we're passing through ProcSyscallAbandoned, then there's no promotion to do. We've
                // lost the M that this P is associated with; it's going to appear as idle in the API.
                oldState = .idle
                ev.args[1] = UInt64(Tracev2.ProcStatus.syscallAbandoned.rawValue)
            } else if s.status != status {
                throw TraceError("inconsistent status for proc \(pid.rawValue): old \(s.status) vs. new \(status)")
            }
            s.seq = makeSeq(gen, 0)  // Reset seq.
        } else {
            pStates[pid] = PState(id: pid, status: status, seq: makeSeq(gen, 0))
            if gen == initialGen {
                oldState = .undetermined
            } else {
                oldState = .notExist
            }
        }
        ev.setExtra(0, UInt64(oldState.rawValue))  // Smuggle in the old state for StateTransition.

        // Bind the proc to the new context, if it's running.
        var newCtx = curCtx
        if status == .running || status == .syscall {
            newCtx.p = pid
        }
        // If we're advancing through ProcSyscallAbandoned *but* oldState is running then we've promoted
        // it to ProcSyscall. This P is about to get stolen and its status very likely isn't being emitted
        // by the thread it was bound to; emit it in the context to which it is bound.
        if status == .syscallAbandoned && oldState == .running {
            // N.B. Go ranges over a map here; if several Ms claim the P, which one wins is unspecified.
            var found = false
            for (mid, ms) in mStates.entries where ms.p == pid {
                curCtx.m = mid
                curCtx.p = pid
                curCtx.g = ms.g
                found = true
            }
            if !found {
                throw TraceError("failed to find sched context for proc \(pid.rawValue) that's about to be stolen")
            }
        }
        push(evt, curCtx, ev)
        return (newCtx, true)
    }

    private func advanceProcStart(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        let pid = ProcID(Int64(bitPattern: ev.args[0]))
        let seq = makeSeq(gen, ev.args[1])
        // Try to advance. We might fail here due to sequencing, because the P hasn't had a status
        // emitted, or because we already have a P and we're in a syscall, and we haven't observed that it
        // was stolen from us yet.
        guard let state = pStates[pid], state.status == .idle, seq.succeeds(state.seq), curCtx.p == .none
        else {
            // We can't make an inference as to whether this is bad.
            return (curCtx, false)
        }
        // We can advance this P. Check some invariants.
        // We might have a goroutine if a goroutine is exiting a syscall.
        if let err = validateCtx(curCtx, SchedReqs(m: .mustHave, p: .mustNotHave, g: .mayHave)) { throw err }
        state.status = .running
        state.seq = seq
        var newCtx = curCtx
        newCtx.p = pid
        push(evt, curCtx, ev)
        return (newCtx, true)
    }

    private func advanceProcStop(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // We must be able to advance this P: a ProcStop happens on the M that started the P.
        guard let state = pStates[curCtx.p] else {
            throw TraceError("event \(evName(ev.typ)) for proc (\(curCtx.p.rawValue)) that doesn't exist")
        }
        if state.status != .running && state.status != .syscall {
            throw TraceError(
                "\(evName(ev.typ)) event for proc that's not \(Tracev2.ProcStatus.running) or \(Tracev2.ProcStatus.syscall)")
        }
        if let err = validateCtx(curCtx, SchedReqs(m: .mustHave, p: .mustHave, g: .mayHave)) { throw err }
        state.status = .idle
        var newCtx = curCtx
        newCtx.p = .none
        push(evt, curCtx, ev)
        return (newCtx, true)
    }

    private func advanceProcSteal(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        let pid = ProcID(Int64(bitPattern: ev.args[0]))
        let seq = makeSeq(gen, ev.args[1])
        guard let state = pStates[pid], state.status == .syscall || state.status == .syscallAbandoned,
            seq.succeeds(state.seq)
        else {
            // We can't make an inference as to whether this is bad.
            return (curCtx, false)
        }
        // We can advance this P. Check some invariants.
        if let err = validateCtx(curCtx, SchedReqs(m: .mustHave, p: .mayHave, g: .mayHave)) { throw err }
        // Smuggle in the P state that let us advance so we can surface information to the event: it must
        // be interpreted as ProcIdle -> ProcIdle, not ProcRunning -> ProcIdle.
        let oldStatus = state.status
        ev.setExtra(0, UInt64(oldStatus.rawValue))

        // Update the P's status and sequence number.
        state.status = .idle
        state.seq = seq

        // If we've lost information then don't try to do anything with the M.
        if oldStatus == .syscallAbandoned {
            push(evt, curCtx, ev)
            return (curCtx, true)
        }

        // Validate that the M we're stealing from is what we expect.
        let mid = ThreadID(Int64(bitPattern: ev.args[2]))  // The M we're stealing from.
        var newCtx = curCtx
        if mid == curCtx.m {
            // We're stealing from ourselves. This behaves like a ProcStop.
            if curCtx.p != pid {
                throw TraceError(
                    "tried to self-steal proc \(pid.rawValue) (thread \(mid.rawValue)), but got proc \(curCtx.p.rawValue) instead")
            }
            newCtx.p = .none
            push(evt, curCtx, ev)
            return (newCtx, true)
        }

        // We're stealing from some other M.
        guard let mState = mStates[mid] else {
            throw TraceError("stole proc from non-existent thread \(mid.rawValue)")
        }
        // Make sure we're actually stealing the right P.
        if mState.p != pid {
            throw TraceError(
                "tried to steal proc \(pid.rawValue) from thread \(mid.rawValue), but got proc \(mState.p.rawValue) instead")
        }
        // Tell the M it has no P so it can proceed. Safe because the P was in a syscall and the other M
        // must be trying to get out of it; GoSyscallEndBlocked can't advance until that M loses its P.
        mState.p = .none
        push(evt, curCtx, ev)
        return (newCtx, true)
    }

    private func advanceGoStatus(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx0: SchedCtx
    ) throws(TraceError) -> Advanced {
        var curCtx = curCtx0
        let gid = GoID(Int64(bitPattern: ev.args[0]))
        let mid = ThreadID(Int64(bitPattern: ev.args[1]))
        // Go converts with tracev2.GoStatus(ev.args[2]), truncating to a byte: matched.
        let statusRaw = UInt8(truncatingIfNeeded: ev.args[2])
        if Int(statusRaw) >= tracev2GoStatus2GoState.count {
            throw TraceError("invalid status for goroutine \(gid.rawValue): \(statusRaw)")
        }
        let status = Tracev2.GoStatus(statusRaw)
        var oldState = tracev2GoStatus2GoState[Int(statusRaw)]
        if let s = gStates[gid] {
            if s.status != status {
                throw TraceError("inconsistent status for goroutine \(gid.rawValue): old \(s.status) vs. new \(status)")
            }
            s.seq = makeSeq(gen, 0)  // Reset seq.
        } else if gen == initialGen {
            // Set the state.
            gStates[gid] = GState(id: gid, status: status, seq: makeSeq(gen, 0))
            oldState = .undetermined
        } else {
            throw TraceError(
                "found goroutine status for new goroutine after the first generation: id=\(gid.rawValue) status=\(status)")
        }
        ev.args[2] = UInt64(oldState.rawValue) << 32 | UInt64(status.rawValue)  // Smuggle in the old state.

        var newCtx = curCtx
        switch status {
        case .running:
            // Bind the goroutine to the new context, since it's running.
            newCtx.g = gid
        case .syscall:
            if mid == .none {
                throw TraceError("found goroutine \(gid.rawValue) in syscall without a thread")
            }
            // Is the syscall on this thread? If so, bind it to the context. Otherwise, we're talking
            // about a G sitting in a syscall on an M. Validate the named M.
            if mid == curCtx.m {
                if gen != initialGen && curCtx.g != gid {
                    // If this isn't the first generation, we *must* have seen this binding occur already.
                    throw TraceError(
                        "inconsistent thread for syscalling goroutine \(gid.rawValue): thread has goroutine \(curCtx.g.rawValue)")
                }
                newCtx.g = gid
                break
            }
            // A thread and goroutine blocked on a syscall for the entire generation. This case must not
            // have a P; the runtime takes a P back from every thread at the start of a generation.
            if let ms = mStates[mid] {
                // This M has been seen: we must have seen this goroutine go into a syscall on it.
                if ms.g != gid {
                    // But the G on the M doesn't match. Something's wrong.
                    throw TraceError(
                        "inconsistent thread for syscalling goroutine \(gid.rawValue): thread has goroutine \(ms.g.rawValue)")
                }
                // This case is just a Syscall->Syscall event, which needs to appear as having the G
                // currently bound to this M.
                curCtx.g = ms.g
            } else {
                // The M hasn't been seen yet: this goroutine has been sitting in a syscall on this M.
                // Don't set curCtx.G: this event is the binding event.
                mStates[mid] = MState(g: gid, p: .none)
            }
            // Update the current context to the M we're talking about.
            curCtx.m = mid
        default:
            break
        }
        push(evt, curCtx, ev)
        return (newCtx, true)
    }

    private func advanceGoCreate(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // Goroutines must be created on a running P, but may or may not be created by a running goroutine.
        if let err = validateCtx(curCtx, SchedReqs(m: .mustHave, p: .mustHave, g: .mayHave)) { throw err }
        // If we have a goroutine, it must be running.
        if let state = gStates[curCtx.g], state.status != .running {
            throw TraceError("\(evName(ev.typ)) event for goroutine that's not \(GoState.running)")
        }
        // This goroutine created another. Add a state for it.
        let newgid = GoID(Int64(bitPattern: ev.args[0]))
        if gStates[newgid] != nil {
            throw TraceError("tried to create goroutine (\(newgid.rawValue)) that already exists")
        }
        let status: Tracev2.GoStatus = ev.typ == Tracev2.evGoCreateBlocked ? .waiting : .runnable
        gStates[newgid] = GState(id: newgid, status: status, seq: makeSeq(gen, 0))
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceGoStopExec(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // These goroutine events all require an active running goroutine on some thread. They must
        // *always* be advance-able, since running goroutines are bound to their M.
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        guard let state = gStates[curCtx.g] else {
            throw TraceError("event \(evName(ev.typ)) for goroutine (\(curCtx.g.rawValue)) that doesn't exist")
        }
        if state.status != .running {
            throw TraceError("\(evName(ev.typ)) event for goroutine that's not \(GoState.running)")
        }
        var newCtx = curCtx
        switch ev.typ {
        case Tracev2.evGoDestroy:
            // This goroutine is exiting itself.
            gStates[curCtx.g] = nil
            newCtx.g = .none
        case Tracev2.evGoStop:
            // Goroutine stopped (yielded). It's runnable but not running on this M.
            state.status = .runnable
            newCtx.g = .none
        case Tracev2.evGoBlock:
            // Goroutine blocked. It's waiting now and not running on this M.
            state.status = .waiting
            newCtx.g = .none
        default:
            break
        }
        push(evt, curCtx, ev)
        return (newCtx, true)
    }

    private func advanceGoStart(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        let gid = GoID(Int64(bitPattern: ev.args[0]))
        let seq = makeSeq(gen, ev.args[1])
        guard let state = gStates[gid], state.status == .runnable, seq.succeeds(state.seq) else {
            // We can't make an inference as to whether this is bad.
            return (curCtx, false)
        }
        // We can advance this goroutine. Check some invariants.
        if let err = validateCtx(curCtx, SchedReqs(m: .mustHave, p: .mustHave, g: .mustNotHave)) { throw err }
        state.status = .running
        state.seq = seq
        var newCtx = curCtx
        newCtx.g = gid
        push(evt, curCtx, ev)
        return (newCtx, true)
    }

    private func advanceGoUnblock(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // N.B. These both reference the goroutine to unblock, not the current goroutine.
        let gid = GoID(Int64(bitPattern: ev.args[0]))
        let seq = makeSeq(gen, ev.args[1])
        guard let state = gStates[gid], state.status == .waiting, seq.succeeds(state.seq) else {
            // We can't make an inference as to whether this is bad.
            return (curCtx, false)
        }
        state.status = .runnable
        state.seq = seq
        // N.B. No context to validate. Basically anything can unblock a goroutine (e.g. sysmon).
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceGoSwitch(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // GoSwitch and GoSwitchDestroy represent a trio of events: unblock of the goroutine to switch to,
        // block or destroy of the current goroutine, start executing the next goroutine. Because it acts
        // like a GoStart for the next goroutine, it can only advance if the sequence numbers line up.
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        guard let curGState = gStates[curCtx.g] else {
            throw TraceError("event \(evName(ev.typ)) for goroutine (\(curCtx.g.rawValue)) that doesn't exist")
        }
        if curGState.status != .running {
            throw TraceError("\(evName(ev.typ)) event for goroutine that's not \(GoState.running)")
        }
        let nextg = GoID(Int64(bitPattern: ev.args[0]))
        let seq = makeSeq(gen, ev.args[1])  // seq is for nextg, not curCtx.G.
        guard let nextGState = gStates[nextg], nextGState.status == .waiting, seq.succeeds(nextGState.seq) else {
            // We can't make an inference as to whether this is bad.
            return (curCtx, false)
        }
        push(evt, curCtx, ev)

        // Update the state of the executing goroutine and emit an event for it (GoSwitch and
        // GoSwitchDestroy will be interpreted as GoUnblock events for nextg).
        switch ev.typ {
        case Tracev2.evGoSwitch:
            // Goroutine blocked. It's waiting now and not running on this M.
            curGState.status = .waiting
            // Emit a GoBlock event. (Go: TODO emit a reason.)
            queue.push(makeEvent(evt, curCtx, Tracev2.evGoBlock, ev.time, 0 /* no reason */, 0 /* no stack */))
        case Tracev2.evGoSwitchDestroy:
            // This goroutine is exiting itself.
            gStates[curCtx.g] = nil
            // Emit a GoDestroy event.
            queue.push(makeEvent(evt, curCtx, Tracev2.evGoDestroy, ev.time))
        default:
            break
        }
        // Update the state of the next goroutine.
        nextGState.status = .running
        nextGState.seq = seq
        var newCtx = curCtx
        newCtx.g = nextg

        // Queue an event for the next goroutine starting to run.
        var startCtx = curCtx
        startCtx.g = .none
        queue.push(makeEvent(evt, startCtx, Tracev2.evGoStart, ev.time, UInt64(bitPattern: nextg.rawValue), ev.args[1]))
        return (newCtx, true)
    }

    private func advanceGoSyscallBegin(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // Entering a syscall requires an active running goroutine with a proc on some thread. It is
        // always advancable.
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        guard let state = gStates[curCtx.g] else {
            throw TraceError("event \(evName(ev.typ)) for goroutine (\(curCtx.g.rawValue)) that doesn't exist")
        }
        if state.status != .running {
            throw TraceError("\(evName(ev.typ)) event for goroutine that's not \(GoState.running)")
        }
        // Goroutine entered a syscall. It's still running on this P and M.
        state.status = .syscall
        guard let pState = pStates[curCtx.p] else {
            throw TraceError("uninitialized proc \(curCtx.p.rawValue) found during \(evName(ev.typ))")
        }
        pState.status = .syscall
        // Validate the P sequence number on the event and advance it. It only disambiguates P stealing
        // (see go122-syscall-steal-proc-ambiguous), so we can enforce it here: this is a running P.
        let pSeq = makeSeq(gen, ev.args[0])
        if !pSeq.succeeds(pState.seq) {
            throw TraceError("failed to advance \(evName(ev.typ)): can't make sequence: \(pState.seq) -> \(pSeq)")
        }
        pState.seq = pSeq
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceGoSyscallEnd(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // Always advance-able: it happens on the same thread as the GoSyscallBegin, and the goroutine
        // can't leave that thread until it's done.
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        guard let state = gStates[curCtx.g] else {
            throw TraceError("event \(evName(ev.typ)) for goroutine (\(curCtx.g.rawValue)) that doesn't exist")
        }
        if state.status != .syscall {
            // Quirk matched: Go's message names GoRunning although the check is for GoSyscall.
            throw TraceError("\(evName(ev.typ)) event for goroutine that's not \(GoState.running)")
        }
        state.status = .running

        // Transfer the P back to running from syscall.
        guard let pState = pStates[curCtx.p] else {
            throw TraceError("uninitialized proc \(curCtx.p.rawValue) found during \(evName(ev.typ))")
        }
        if pState.status != .syscall {
            throw TraceError(
                "expected proc \(curCtx.p.rawValue) in state \(Tracev2.ProcStatus.syscall), but got \(pState.status) instead")
        }
        pState.status = .running
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceGoSyscallEndBlocked(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // Advanceable when its P is not in a syscall state (lack of a P is also fine). While we have a
        // preemptible P, don't advance: we *know* we're going to lose it at some point during the syscall.
        if curCtx.p != .none {
            guard let pState = pStates[curCtx.p] else {
                throw TraceError("uninitialized proc \(curCtx.p.rawValue) found during \(evName(ev.typ))")
            }
            if pState.status == .syscall {
                return (curCtx, false)
            }
        }
        // As mentioned above, we may have a P here if we ProcStart before this event.
        if let err = validateCtx(curCtx, SchedReqs(m: .mustHave, p: .mayHave, g: .mustHave)) { throw err }
        guard let state = gStates[curCtx.g] else {
            throw TraceError("event \(evName(ev.typ)) for goroutine (\(curCtx.g.rawValue)) that doesn't exist")
        }
        if state.status != .syscall {
            // Quirk matched: Go's message names GoRunning although the check is for GoSyscall.
            throw TraceError("\(evName(ev.typ)) event for goroutine that's not \(GoState.running)")
        }
        var newCtx = curCtx
        newCtx.g = .none
        state.status = .runnable
        push(evt, curCtx, ev)
        return (newCtx, true)
    }

    private func advanceGoCreateSyscall(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // A goroutine effectively created out of a cgo callback, in the syscall state.
        if let err = validateCtx(curCtx, SchedReqs(m: .mustHave, p: .mayHave, g: .mustNotHave)) { throw err }
        let newgid = GoID(Int64(bitPattern: ev.args[0]))
        if gStates[newgid] != nil {
            throw TraceError("tried to create goroutine (\(newgid.rawValue)) in syscall that already exists")
        }
        gStates[newgid] = GState(id: newgid, status: .syscall, seq: makeSeq(gen, 0))
        // Goroutine is executing. Bind it to the context.
        var newCtx = curCtx
        newCtx.g = newgid
        push(evt, curCtx, ev)
        return (newCtx, true)
    }

    private func advanceGoDestroySyscall(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // A goroutine created for a cgo callback is disappearing. Also treat this as if we lost our P:
        // the thread ID may be reused by the platform (see Go's comment). We might have a P here.
        if let err = validateCtx(curCtx, SchedReqs(m: .mustHave, p: .mayHave, g: .mustHave)) { throw err }
        // Check to make sure the goroutine exists in the right state.
        guard let state = gStates[curCtx.g] else {
            throw TraceError("event \(evName(ev.typ)) for goroutine (\(curCtx.g.rawValue)) that doesn't exist")
        }
        if state.status != .syscall {
            throw TraceError("\(evName(ev.typ)) event for goroutine that's not \(GoState.syscall)")
        }
        // This goroutine is exiting itself.
        gStates[curCtx.g] = nil
        var newCtx = curCtx
        newCtx.g = .none

        // If we have a proc, then we're dissociating from it now.
        if curCtx.p != .none {
            guard let pState = pStates[curCtx.p] else {
                throw TraceError("found invalid proc \(curCtx.p.rawValue) during \(evName(ev.typ))")
            }
            if pState.status != .syscall {
                throw TraceError(
                    "proc \(curCtx.p.rawValue) in unexpected state \(pState.status) during \(evName(ev.typ))")
            }
            // See the go122-create-syscall-reuse-thread-id test case for more details.
            pState.status = .syscallAbandoned
            newCtx.p = .none

            // Queue an extra self-ProcSteal event.
            var extra = BaseEvent(typ: Tracev2.evProcSteal, time: ev.time)
            extra.args[0] = UInt64(bitPattern: curCtx.p.rawValue)
            extra.setExtra(0, UInt64(Tracev2.ProcStatus.syscall.rawValue))
            queue.push(Event(table: evt, ctx: curCtx, base: extra))
        }
        push(evt, curCtx, ev)
        return (newCtx, true)
    }

    private func advanceUserTaskBegin(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // Tasks need no Begin to be referenced and may End many times; the only check is that a task
        // didn't begin after it had already begun. Task IDs may be reused.
        let id = TaskID(ev.args[0])
        if activeTasks[id] != nil {
            throw TraceError("task ID conflict: \(id.rawValue)")
        }
        // Get the parent ID, but don't validate it.
        var parentID = TaskID(ev.args[1])
        if parentID == .backgroundTask {
            // Note: a value of 0 here actually means no parent, *not* the background task. Automatic
            // background task attachment only applies to regions.
            parentID = .noTask
            ev.args[1] = TaskID.noTask.rawValue
        }
        // Validate the name and record it. We'll need to pass it through to EvUserTaskEnd.
        let nameID = StringID(ev.args[2])
        guard let name = evt.strings.get(nameID) else {
            throw TraceError("invalid string ID \(nameID.rawValue) for \(ev.typ.rawValue) event")
        }
        activeTasks[id] = TaskState(name: name, parentID: parentID)
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceUserTaskEnd(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        let id = TaskID(ev.args[0])
        if let ts = activeTasks[id] {
            // Smuggle the task info. This may happen in a different generation, which may not have the
            // name in its string table. Add it to the extra strings table so we can look it up later.
            ev.setExtra(0, ts.parentID.rawValue)
            ev.setExtra(1, evt.addExtraString(ts.name).rawValue)
            activeTasks[id] = nil
        } else {
            // Explicitly clear the task info.
            ev.setExtra(0, TaskID.noTask.rawValue)
            ev.setExtra(1, evt.addExtraString("").rawValue)
        }
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceUserRegionBegin(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        let tid = TaskID(ev.args[0])
        let nameID = StringID(ev.args[1])
        guard let name = evt.strings.get(nameID) else {
            throw TraceError("invalid string ID \(nameID.rawValue) for \(ev.typ.rawValue) event")
        }
        guard let gState = gStates[curCtx.g] else {
            throw TraceError(
                "encountered EvUserRegionBegin without known state for current goroutine \(curCtx.g.rawValue)")
        }
        gState.beginRegion(UserRegion(taskID: tid, name: name))
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceUserRegionEnd(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        let tid = TaskID(ev.args[0])
        let nameID = StringID(ev.args[1])
        guard let name = evt.strings.get(nameID) else {
            throw TraceError("invalid string ID \(nameID.rawValue) for \(ev.typ.rawValue) event")
        }
        guard let gState = gStates[curCtx.g] else {
            throw TraceError(
                "encountered EvUserRegionEnd without known state for current goroutine \(curCtx.g.rawValue)")
        }
        if let err = gState.endRegion(UserRegion(taskID: tid, name: name)) { throw err }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    // Handle the GC mark phase. Start and end carry sequence numbers because they can happen on
    // different threads: an explicit partial order edge rather than relying on timestamps.
    private func advanceGCActive(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        let seq = ev.args[0]
        if gen == initialGen {
            if gcState != .undetermined {
                throw TraceError("GCActive in the first generation isn't first GC event")
            }
            gcSeq = seq
            gcState = .running
            push(evt, curCtx, ev)
            return (curCtx, true)
        }
        if seq != gcSeq &+ 1 {
            // This is not the right GC cycle.
            return (curCtx, false)
        }
        if gcState != .running {
            throw TraceError("encountered GCActive while GC was not in progress")
        }
        gcSeq = seq
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceGCBegin(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        let seq = ev.args[0]
        if gcState == .undetermined {
            gcSeq = seq
            gcState = .running
            push(evt, curCtx, ev)
            return (curCtx, true)
        }
        if seq != gcSeq &+ 1 {
            // This is not the right GC cycle.
            return (curCtx, false)
        }
        if gcState == .running {
            throw TraceError("encountered GCBegin while GC was already in progress")
        }
        gcSeq = seq
        gcState = .running
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceGCEnd(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        let seq = ev.args[0]
        if seq != gcSeq &+ 1 {
            // This is not the right GC cycle.
            return (curCtx, false)
        }
        if gcState == .notRunning {
            throw TraceError("encountered GCEnd when GC was not in progress")
        }
        if gcState == .undetermined {
            throw TraceError("encountered GCEnd when GC was in an undetermined state")
        }
        gcSeq = seq
        gcState = .notRunning
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceAnnotation(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // Handle simple instantaneous events that require a G.
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceHeapMetric(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // Handle allocation metrics, which don't require a G.
        if let err = validateCtx(curCtx, SchedReqs(m: .mustHave, p: .mustHave, g: .mayHave)) { throw err }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceGCSweepBegin(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // Handle sweep, which is bound to a P and doesn't require a G.
        if let err = validateCtx(curCtx, SchedReqs(m: .mustHave, p: .mustHave, g: .mayHave)) { throw err }
        guard let pState = pStates[curCtx.p] else {
            // Go dereferences a nil *pState here and panics; we report it instead.
            throw TraceError("uninitialized proc \(curCtx.p.rawValue) found during \(evName(ev.typ))")
        }
        if let err = pState.rangeState.beginRange(makeRangeType(ev.typ, StringID(0))) { throw err }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceGCSweepActive(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        let pid = ProcID(Int64(bitPattern: ev.args[0]))
        // N.B. In practice Ps can't block while sweeping, so this can only ever reference curCtx.P; be
        // lenient like Go.
        guard let pState = pStates[pid] else {
            throw TraceError("encountered GCSweepActive for unknown proc \(pid.rawValue)")
        }
        if let err = pState.rangeState.activeRange(makeRangeType(ev.typ, StringID(0)), gen == initialGen) {
            throw err
        }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceGCSweepEnd(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        if let err = validateCtx(curCtx, SchedReqs(m: .mustHave, p: .mustHave, g: .mayHave)) { throw err }
        guard let pState = pStates[curCtx.p] else {
            // Go dereferences a nil *pState here and panics; we report it instead.
            throw TraceError("uninitialized proc \(curCtx.p.rawValue) found during \(evName(ev.typ))")
        }
        if case .failure(let err) = pState.rangeState.endRange(ev.typ) { throw err }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceGoRangeBegin(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // Handle special goroutine-bound event ranges.
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        var desc = StringID(0)
        if ev.typ == Tracev2.evSTWBegin {
            desc = StringID(ev.args[0])
        }
        guard let gState = gStates[curCtx.g] else {
            throw TraceError(
                "encountered event of type \(ev.typ.rawValue) without known state for current goroutine \(curCtx.g.rawValue)")
        }
        if let err = gState.rangeState.beginRange(makeRangeType(ev.typ, desc)) { throw err }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceGoRangeActive(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        let gid = GoID(Int64(bitPattern: ev.args[0]))
        // N.B. Like GoStatus, this can happen at any time, because it can reference a non-running
        // goroutine. Don't check anything about the current scheduler context.
        guard let gState = gStates[gid] else {
            throw TraceError("uninitialized goroutine \(gid.rawValue) found during \(evName(ev.typ))")
        }
        if let err = gState.rangeState.activeRange(makeRangeType(ev.typ, StringID(0)), gen == initialGen) {
            throw err
        }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceGoRangeEnd(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        if let err = validateCtx(curCtx, userGoReqs) { throw err }
        guard let gState = gStates[curCtx.g] else {
            throw TraceError(
                "encountered event of type \(ev.typ.rawValue) without known state for current goroutine \(curCtx.g.rawValue)")
        }
        let desc: StringID
        switch gState.rangeState.endRange(ev.typ) {
        case .success(let d): desc = d
        case .failure(let err): throw err
        }
        if ev.typ == Tracev2.evSTWEnd {
            // Smuggle the kind into the event. (Not via extra, for symmetry with STWBegin.)
            ev.args[0] = desc.rawValue
        }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    private func advanceAllocFree(
        _ ev: inout BaseEvent, _ evt: EvTable, _ m: ThreadID, _ gen: UInt64, _ curCtx: SchedCtx
    ) throws(TraceError) -> Advanced {
        // Handle simple instantaneous events that may or may not have a P.
        if let err = validateCtx(curCtx, SchedReqs(m: .mustHave, p: .mayHave, g: .mayHave)) { throw err }
        push(evt, curCtx, ev)
        return (curCtx, true)
    }

    /// Go's `dumpOrdering` (map order is unspecified in Go too).
    func dump() -> String {
        var s = ""
        for (id, st) in gStates.entries { s += "G \(id.rawValue) [status=\(st.status) seq=\(st.seq)]\n" }
        s += "\n"
        for (id, st) in pStates.entries { s += "P \(id.rawValue) [status=\(st.status) seq=\(st.seq)]\n" }
        s += "\n"
        for (id, st) in mStates.entries { s += "M \(id.rawValue) [g=\(st.g.rawValue) p=\(st.p.rawValue)]\n" }
        s += "\n"
        s += "GC \(gcSeq) \(gcState)\n"
        return s
    }
}
