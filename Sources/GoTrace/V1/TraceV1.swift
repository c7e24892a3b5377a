#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// open(2) read-only (a free function: inside `V1`, `open` names V1.open).
private func openReadOnly(_ path: String) -> Int32 { open(path, O_RDONLY) }

// Port of Go 1.27.3's internal/trace/tracev1.go: converts a parsed v1 (Go 1.11–1.21) trace into the current
// event model, as one large generation sharing a single EvTable.
//
// Most events map 1:1 (at worst with reordered arguments). GoWaiting/GoInSyscall/early GoStart become GoStatus
// events; GoSysCall, instantaneous in v1, becomes a 1 ns GoSyscallBegin+GoSyscallEnd pair unless the next event
// of the goroutine is GoSysBlock, in which case it becomes a GoSyscallBegin that a later GoSyscallEndBlocked ends.

extension V1 {
    /// Indices of the strings the converter emits itself (Go's sForever ... sLast).
    enum Builtin: Int, CaseIterable {
        // Block reasons.
        case forever, preempted, gosched, sleep, chanSend, chanRecv, network, sync, syncCond, select, empty,
            markAssistWait
        // STW kinds, in STWReason order.
        case stwUnknown, stwGCMarkTermination, stwGCSweepTermination, stwWriteHeapDump, stwGoroutineProfile,
            stwGoroutineProfileCleanup, stwAllGoroutinesStackTrace, stwReadMemStats, stwAllThreadsSyscall,
            stwGOMAXPROCS, stwStartTrace, stwStopTrace, stwCountPagesInUse, stwReadMetricsSlow,
            stwReadMemStatsSlow, stwPageCachePagesLeaked, stwResetDebugLog

        var string: String {
            switch self {
            case .forever: return "forever"
            case .preempted: return "preempted"
            case .gosched: return "runtime.Gosched"
            case .sleep: return "sleep"
            case .chanSend: return "chan send"
            case .chanRecv: return "chan receive"
            case .network: return "network"
            case .sync: return "sync"
            case .syncCond: return "sync.(*Cond).Wait"
            case .select: return "select"
            case .empty: return ""
            case .markAssistWait: return "GC mark assist wait for work"
            case .stwUnknown: return ""
            case .stwGCMarkTermination: return "GC mark termination"
            case .stwGCSweepTermination: return "GC sweep termination"
            case .stwWriteHeapDump: return "write heap dump"
            case .stwGoroutineProfile: return "goroutine profile"
            case .stwGoroutineProfileCleanup: return "goroutine profile cleanup"
            case .stwAllGoroutinesStackTrace: return "all goroutine stack trace"
            case .stwReadMemStats: return "read mem stats"
            case .stwAllThreadsSyscall: return "AllThreadsSyscall"
            case .stwGOMAXPROCS: return "GOMAXPROCS"
            case .stwStartTrace: return "start trace"
            case .stwStopTrace: return "stop trace"
            case .stwCountPagesInUse: return "CountPagesInUse (test)"
            case .stwReadMetricsSlow: return "ReadMetricsSlow (test)"
            case .stwReadMemStatsSlow: return "ReadMemStatsSlow (test)"
            case .stwPageCachePagesLeaked: return "PageCachePagesLeaked (test)"
            case .stwResetDebugLog: return "ResetDebugLog (test)"
            }
        }
    }

    struct TaskState {
        var name: String
        var parentID: TaskID
    }

    /// Go's traceV1Converter.
    final class Converter {
        let version: Int
        let evt: EvTable
        var preInit = true
        /// Goroutines created before the first Gomaxprocs, in creation order (Go keeps a map; see below).
        var createdPreInit: [GoID] = []
        var createdPreInitSet: Set<GoID> = []
        var events: [Event]
        var pos = 0
        var extra: [GoTrace.Event] = []
        var extraPos = 0
        var tasks: [TaskID: TaskState] = [:]
        var seenProcs: Set<ProcID> = []
        var lastTs = Time(-1)
        var procMs = DenseMap<ThreadID>(limit: 1 << 12)  // keyed by P ID (as UInt64 bits)
        var lastStwReason: UInt64 = 0

        var inlineToStringID: [UInt64] = []
        var builtinToStringID: [UInt64] = []
        let descShape = V1.descShape
        /// Per current-format type: the 1-based argument index of its first stack ID (0 if none).
        let firstStackArg: [UInt8] = (0..<256).map { t in
            UInt8(truncatingIfNeeded: Tracev2.spec(Tracev2.EventType(UInt8(t)))?.stackIDs.first ?? 0)
        }

        init(_ pr: Trace) throws(ParseError) {
            var pr = pr
            version = pr.version
            events = pr.events
            pr.events = []
            evt = EvTable()

            // v1's strings keep their IDs.
            var max: UInt64 = 0
            for (id, s) in pr.strings {
                _ = evt.strings.insert(StringID(id), s)
                if id > max { max = id }
            }
            // Go ignores init's error (convertV1Trace drops it) and then panics on the first event needing the
            // missing tables; only a corrupt trace with string IDs near 2^64 gets here. We report the error.
            // UserLog values were inline in v1; they get IDs after the highest string ID.
            if max &+ UInt64(pr.inlineStrings.count) < max { throw ParseError(message: "trace contains too many strings") }
            var addErr: String? = nil
            func add(_ id: UInt64, _ s: String) {
                if let e = evt.strings.insert(StringID(id), s), addErr == nil { addErr = e.message }
            }
            for (i, s) in pr.inlineStrings.enumerated() {
                let nid = max + 1 + UInt64(i)
                inlineToStringID.append(nid)
                add(nid, s)
            }
            max += UInt64(pr.inlineStrings.count)
            // Then the strings the converter emits itself.
            let sLast = UInt64(Builtin.allCases.count)
            if max &+ sLast < max { throw ParseError(message: "trace contains too many strings") }
            for b in Builtin.allCases {
                let nid = max + 1 + UInt64(b.rawValue)
                builtinToStringID.append(nid)
                add(nid, b.string)
            }
            if let addErr { throw ParseError(message: "couldn't add strings: \(addErr)") }
            evt.strings.compactify()

            for (id, stk) in pr.stacks {
                _ = evt.stacks.insert(StackID(UInt64(id)), StackEntry(pcs: stk))
            }
            for (pc, f) in pr.pcs {
                evt.pcs[pc] = GoTrace.Frame(pc: pc, funcID: StringID(f.fn), fileID: StringID(f.file), line: UInt64(truncatingIfNeeded: f.line))
            }
            evt.stacks.compactify()
            pr.strings = [:]
            pr.stacks = [:]
            pr.pcs = [:]
            pr.inlineStrings = []
        }

        @inline(__always)
        func targs(_ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64) -> TimedEventArgs {
            TimedEventArgs(a0: a0, a1: a1, a2: a2, a3: a3)
        }

        func builtin(_ b: Builtin) -> UInt64 { builtinToStringID[b.rawValue] }

        /// The next converted event, or nil at the end (Go's next, with io.EOF as nil).
        func next() throws(ParseError) -> GoTrace.Event? {
            while true {
                if extraPos < extra.count {
                    let ev = extra[extraPos]
                    extraPos += 1
                    if extraPos == extra.count {
                        extra.removeAll(keepingCapacity: true)
                        extraPos = 0
                    }
                    // Two events can't share a timestamp in the current model, but GoStatus events produced here
                    // can; bump them.
                    return bumped(ev)
                }
                guard pos < events.count else { return nil }
                let oev = events[pos]
                pos += 1
                let converted: GoTrace.Event?
                do {
                    converted = try convertEvent(oev)
                } catch {
                    throw ParseError(message: error.message, offset: error.offset ?? oev.offset)
                }
                guard let ev = converted else { continue }  // skipped
                return bumped(ev)
            }
        }

        /// Keeps timestamps strictly increasing (Go's lastTs bump in next).
        func bumped(_ ev: GoTrace.Event) -> GoTrace.Event {
            var ev = ev
            if ev.base.time <= lastTs {
                ev = GoTrace.Event(
                    table: ev.table, ctx: ev.ctx,
                    base: BaseEvent(typ: ev.base.typ, time: Time(lastTs.rawValue &+ 1), args: ev.base.args))
            }
            lastTs = ev.base.time
            return ev
        }

        func ctx(_ ev: Event) -> SchedCtx {
            SchedCtx(g: GoID(Int64(bitPattern: ev.g)), p: ProcID(Int64(ev.p)), m: procMs[UInt64(bitPattern: Int64(ev.p))] ?? ThreadID(0))
        }

        func make(_ ctx: SchedCtx, _ typ: Tracev2.EventType, _ time: Time, _ args: TimedEventArgs) -> GoTrace.Event {
            GoTrace.Event(table: evt, ctx: ctx, base: BaseEvent(typ: typ, time: time, args: args))
        }

        /// Go's convertEvent: nil where Go returns errSkip; extra events go to `extra`.
        func convertEvent(_ ev: Event) throws(ParseError) -> GoTrace.Event? {
            var mappedType: Tracev2.EventType
            var mappedArgs = targs(ev.args[0], ev.args[1], ev.args[2], ev.args[3])
            let stk = UInt64(ev.stkID)

            switch ev.type {
            case .gomaxprocs:
                mappedType = Tracev2.evProcsChange
                if preInit {
                    // The first Gomaxprocs ends trace initialization: every goroutine that existed when tracing
                    // began has been seen. Those without GoWaiting, GoInSyscall or GoStart were _Gidle or
                    // _Grunnable. Go quirk: Go iterates a map here, so the order of these GoStatus events varies
                    // between runs of Go; we use creation order, one of Go's possible orders.
                    preInit = false
                    for gid in createdPreInit where createdPreInitSet.contains(gid) {
                        extra.append(
                            make(
                                SchedCtx(g: .none, p: .none, m: .none), Tracev2.evGoStatus, Time(ev.ts),
                                targs(UInt64(bitPattern: gid.rawValue), UInt64.max, UInt64(Tracev2.GoStatus.runnable.rawValue), 0)))
                    }
                    createdPreInit = []
                    createdPreInitSet = []
                    return nil
                }
            case .procStart:
                let p = ProcID(Int64(ev.p))
                procMs[UInt64(bitPattern: Int64(ev.p))] = ThreadID(Int64(bitPattern: ev.args[0]))
                if seenProcs.contains(p) {
                    mappedType = Tracev2.evProcStart
                    mappedArgs = targs(UInt64(bitPattern: Int64(ev.p)), 0, 0, 0)
                } else {
                    seenProcs.insert(p)
                    mappedType = Tracev2.evProcStatus
                    mappedArgs = targs(UInt64(bitPattern: Int64(ev.p)), UInt64(Tracev2.ProcStatus.running.rawValue), 0, 0)
                }
            case .procStop:
                let p = ProcID(Int64(ev.p))
                if seenProcs.contains(p) {
                    mappedType = Tracev2.evProcStop
                    mappedArgs = targs(UInt64(bitPattern: Int64(ev.p)), 0, 0, 0)
                } else {
                    seenProcs.insert(p)
                    mappedType = Tracev2.evProcStatus
                    mappedArgs = targs(UInt64(bitPattern: Int64(ev.p)), UInt64(Tracev2.ProcStatus.idle.rawValue), 0, 0)
                }
            case .gcStart:
                mappedType = Tracev2.evGCBegin
            case .gcDone:
                mappedType = Tracev2.evGCEnd
            case .stwStart:
                let sid = builtinToStringID[Builtin.stwUnknown.rawValue + V1.stwReason(version: version, ev.args[0]).rawValue]
                lastStwReason = sid
                mappedType = Tracev2.evSTWBegin
                mappedArgs = targs(sid, 0, 0, 0)
            case .stwDone:
                mappedType = Tracev2.evSTWEnd
                mappedArgs = targs(lastStwReason, 0, 0, 0)
            case .gcSweepStart:
                mappedType = Tracev2.evGCSweepBegin
            case .gcSweepDone:
                mappedType = Tracev2.evGCSweepEnd
            case .goCreate:
                if preInit {
                    let g = GoID(Int64(bitPattern: ev.args[0]))
                    if createdPreInitSet.insert(g).inserted { createdPreInit.append(g) }
                    return nil
                }
                mappedType = Tracev2.evGoCreate
            case .goStart:
                if preInit {
                    mappedType = Tracev2.evGoStatus
                    mappedArgs = targs(ev.args[0], UInt64.max, UInt64(Tracev2.GoStatus.running.rawValue), 0)
                    createdPreInitSet.remove(GoID(Int64(bitPattern: ev.args[0])))
                } else {
                    mappedType = Tracev2.evGoStart
                }
            case .goStartLabel:
                let c = ctx(ev)
                extra = [make(c, Tracev2.evGoLabel, Time(ev.ts), targs(ev.args[2], 0, 0, 0))]
                extraPos = 0
                return make(c, Tracev2.evGoStart, Time(ev.ts), mappedArgs)
            case .goEnd:
                mappedType = Tracev2.evGoDestroy
            case .goStop:
                mappedType = Tracev2.evGoBlock
                mappedArgs = targs(builtin(.forever), stk, 0, 0)
            case .goSched:
                mappedType = Tracev2.evGoStop
                mappedArgs = targs(builtin(.gosched), stk, 0, 0)
            case .goPreempt:
                mappedType = Tracev2.evGoStop
                mappedArgs = targs(builtin(.preempted), stk, 0, 0)
            case .goSleep:
                mappedType = Tracev2.evGoBlock
                mappedArgs = targs(builtin(.sleep), stk, 0, 0)
            case .goBlock:
                mappedType = Tracev2.evGoBlock
                mappedArgs = targs(builtin(.empty), stk, 0, 0)
            case .goUnblock:
                mappedType = Tracev2.evGoUnblock
            case .goBlockSend:
                mappedType = Tracev2.evGoBlock
                mappedArgs = targs(builtin(.chanSend), stk, 0, 0)
            case .goBlockRecv:
                mappedType = Tracev2.evGoBlock
                mappedArgs = targs(builtin(.chanRecv), stk, 0, 0)
            case .goBlockSelect:
                mappedType = Tracev2.evGoBlock
                mappedArgs = targs(builtin(.select), stk, 0, 0)
            case .goBlockSync:
                mappedType = Tracev2.evGoBlock
                mappedArgs = targs(builtin(.sync), stk, 0, 0)
            case .goBlockCond:
                mappedType = Tracev2.evGoBlock
                mappedArgs = targs(builtin(.syncCond), stk, 0, 0)
            case .goBlockNet:
                mappedType = Tracev2.evGoBlock
                mappedArgs = targs(builtin(.network), stk, 0, 0)
            case .goBlockGC:
                mappedType = Tracev2.evGoBlock
                mappedArgs = targs(builtin(.markAssistWait), stk, 0, 0)
            case .goSysCall:
                // The goroutine's next event tells whether the syscall blocked: GoSysBlock if it did.
                var blocked = false
                var i = pos
                while i < events.count {
                    if events[i].g == ev.g {
                        blocked = events[i].type == .goSysBlock
                        break
                    }
                    i += 1
                }
                if blocked {
                    mappedType = Tracev2.evGoSyscallBegin
                    mappedArgs = targs(0, stk, 0, 0)
                } else {
                    // An instantaneous syscall becomes a begin/end pair of the shortest duration, 1 ns.
                    let c = ctx(ev)
                    let out1 = make(c, Tracev2.evGoSyscallBegin, Time(ev.ts), targs(0, stk, 0, 0))
                    let out2 = make(c, Tracev2.evGoSyscallEnd, Time(ev.ts &+ 1), targs(0, 0, 0, 0))
                    extra.append(out2)
                    return out1
                }
            case .goSysExit:
                mappedType = Tracev2.evGoSyscallEndBlocked
            case .goSysBlock:
                return nil
            case .goWaiting:
                mappedType = Tracev2.evGoStatus
                mappedArgs = targs(ev.args[0], UInt64.max, UInt64(Tracev2.GoStatus.waiting.rawValue), 0)
                createdPreInitSet.remove(GoID(Int64(bitPattern: ev.args[0])))
            case .goInSyscall:
                mappedType = Tracev2.evGoStatus
                // v1 doesn't say which thread the syscall is on: NoThread.
                mappedArgs = targs(ev.args[0], UInt64.max, UInt64(Tracev2.GoStatus.syscall.rawValue), 0)
                createdPreInitSet.remove(GoID(Int64(bitPattern: ev.args[0])))
            case .heapAlloc:
                mappedType = Tracev2.evHeapAlloc
            case .heapGoal:
                mappedType = Tracev2.evHeapGoal
            case .gcMarkAssistStart:
                mappedType = Tracev2.evGCMarkAssistBegin
            case .gcMarkAssistDone:
                mappedType = Tracev2.evGCMarkAssistEnd
            case .userTaskCreate:
                mappedType = Tracev2.evUserTaskBegin
                var parent = ev.args[1]
                if parent == 0 { parent = TaskID.noTask.rawValue }
                mappedArgs = targs(ev.args[0], parent, ev.args[2], stk)
                let name = evt.strings.get(StringID(ev.args[2])) ?? ""
                tasks[TaskID(ev.args[0])] = TaskState(name: name, parentID: TaskID(ev.args[1]))
            case .userTaskEnd:
                mappedType = Tracev2.evUserTaskEnd
                // Event.task expects the parent and name smuggled in as extra args / extra strings.
                if let ts = tasks.removeValue(forKey: TaskID(ev.args[0])) {
                    mappedArgs = targs(
                        ev.args[0], ev.args[1], ts.parentID.rawValue, UInt64(evt.addExtraString(ts.name).rawValue))
                } else {
                    mappedArgs = targs(
                        ev.args[0], ev.args[1], TaskID.noTask.rawValue, UInt64(evt.addExtraString("").rawValue))
                }
            case .userRegion:
                switch ev.args[1] {
                case 0: mappedType = Tracev2.evUserRegionBegin
                case 1: mappedType = Tracev2.evUserRegionEnd
                default: mappedType = Tracev2.evNone  // Go leaves the zero type; the parser rejects other modes
                }
                mappedArgs = targs(ev.args[0], ev.args[2], stk, 0)
            case .userLog:
                mappedType = Tracev2.evUserLog
                let inline = Int(truncatingIfNeeded: ev.args[3])
                guard inline >= 0 && inline < inlineToStringID.count else {
                    throw ParseError(message: "unexpected event type \(ev.type.rawValue)")
                }
                mappedArgs = targs(ev.args[0], ev.args[1], inlineToStringID[inline], stk)
            case .cpuSample:
                mappedType = Tracev2.evCPUSample
                // Converted CPU samples carry stack, M, P, G; Go 1.21 samples have no M.
                mappedArgs = targs(stk, UInt64.max, UInt64(bitPattern: Int64(ev.p)), ev.g)
            default:
                throw ParseError(message: "unexpected event type \(ev.type.rawValue)")
            }

            if descShape[Int(ev.type.rawValue)] & 0x80 != 0 {
                let first = Int(firstStackArg[Int(mappedType.rawValue)])
                if first >= 1 && first <= 4 {
                    // Go quirk: for CPUSample this overwrites the G argument with the stack (the stack index is 4).
                    mappedArgs[first - 1] = stk
                }
            }

            var m = ThreadID.none
            if ev.p != -1 && ev.type != .cpuSample, let t = procMs[UInt64(bitPattern: Int64(ev.p))] {
                m = t
            }
            if ev.type == .procStop { procMs[UInt64(bitPattern: Int64(ev.p))] = nil }
            var g = GoID(Int64(bitPattern: ev.g))
            if g.rawValue == 0 { g = .none }
            return make(SchedCtx(g: g, p: ProcID(Int64(ev.p)), m: m), mappedType, Time(ev.ts), mappedArgs)
        }
    }

    /// Go's Reader.ReadEvent for v1 traces: a Sync first, the converted events, a Sync at the end.
    final class Reader {
        let path: String
        let converter: Converter
        var syncs = 0
        var done = false

        init(path: String, _ trace: Trace) throws(ParseError) {
            self.path = path
            converter = try Converter(trace)
        }

        /// The next event, or nil at the end of the trace.
        func readEvent() throws(TraceError) -> GoTrace.Event? {
            if done { return nil }
            if syncs == 0, converter.pos < converter.events.count {
                // Always a Sync first, if there are any events at all.
                syncs += 1
                return syncEvent(table: converter.evt, ts: Time(converter.events[converter.pos].ts &- 1), n: syncs)
            }
            do {
                if let ev = try converter.next() { return ev }
            } catch {
                throw TraceError(path: path, offset: error.offset.map { Int64($0) }, error.message)
            }
            // Always a Sync at the end (Go gives it no table).
            done = true
            syncs += 1
            return syncEvent(table: nil, ts: Time(converter.lastTs.rawValue &+ 1), n: syncs)
        }
    }
}

extension V1 {
    /// Opens a v1 trace for reading: reads the whole file (v1 has no generations; Go does the same), parses and
    /// orders it, and readies the converter. `version` and `headerLength` come from the already-read header.
    static func open(path: String, version: Int, headerLength: Int) throws(TraceError) -> Reader {
        let data = try readWholeFile(path)
        do {
            return try Reader(path: path, try parse(data, bodyOffset: headerLength, version: version))
        } catch {
            throw TraceError(path: path, offset: error.offset.map { Int64($0) }, error.message)
        }
    }

    /// The whole file, read with read(2) into one buffer sized by fstat.
    static func readWholeFile(_ path: String) throws(TraceError) -> [UInt8] {
        let fd = openReadOnly(path)
        if fd < 0 { throw TraceError(path: path, "open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        var size = 0
        if fstat(fd, &st) == 0 { size = Int(st.st_size) }
        var data = [UInt8]()
        data.reserveCapacity(size + 1)
        // Up to 1 MiB at a time, but no bigger than the file needs (small traces don't pay for a 1 MiB buffer).
        var chunk = [UInt8](repeating: 0, count: size > 0 ? min(1 << 20, size + 1) : 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TraceError(path: path, offset: Int64(data.count), "read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return data
    }
}
