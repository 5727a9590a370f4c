import StarlingStore
import StarlingTypes

/// Arguments, errors, describing, logging, timers, identity and randomness.
extension HostContext {
    func reducerArgs(_ m: GuestView, _ dst: UInt32) throws(HostTrap) -> ABIErrorCode {
        let out = try m.bytes(dst, UInt32(args.count))
        guard mode == .calling else { return .notInTransaction }
        if !args.isEmpty { args.withUnsafeBytes { out.copyMemory(from: $0) } }
        return .ok
    }

    /// `args_buffer`: later calls whose arguments fit get them written to `ptr` before the call
    /// (and bit 31 of `args_len` set), saving the module a `reducer_args` call.
    func registerArgsBuffer(_ m: GuestView, _ ptr: UInt32, _ capacity: UInt32) throws(HostTrap) -> ABIErrorCode {
        _ = try m.bytes(ptr, capacity)
        guard mode == .calling else { return .notInTransaction }
        argsBuffer = (ptr, capacity)
        return .ok
    }

    /// Writes the current call's arguments to the registered buffer; false if there is none, the
    /// arguments are empty or do not fit (the module then reads them with `reducer_args`).
    func placeArgs() -> Bool {
        // The memory view only for modules that registered (most calls of others pay nothing).
        guard let b = argsBuffer, !args.isEmpty, args.count <= Int(b.capacity),
            let out = try? view("args_buffer").bytes(b.ptr, UInt32(args.count))
        else { return false }
        args.withUnsafeBytes { out.copyMemory(from: $0) }
        return true
    }

    func reducerError(_ m: GuestView, _ ptr: UInt32, _ len: UInt32) throws(HostTrap) -> ABIErrorCode {
        let text = try m.string(ptr, len)
        guard mode == .calling else { return .notInTransaction }
        errorMessage = text
        return .ok
    }

    func describeItem(_ m: GuestView, _ ptr: UInt32, _ len: UInt32) throws(HostTrap) -> ABIErrorCode {
        let bytes = try m.readable(ptr, len)
        guard mode == .describing else { return .notDescribing }
        do throws(BSATNError) {
            described.append(try ModuleItem.decode(from: Array(bytes)))
            return .ok
        } catch {
            describeErrors.append("item #\(described.count + describeErrors.count) is not a valid ModuleItem: \(error)")
            return .invalidItem
        }
    }

    func logRecord(
        _ m: GuestView, _ level: UInt32, _ filePtr: UInt32, _ fileLen: UInt32, _ line: UInt32, _ msgPtr: UInt32,
        _ msgLen: UInt32
    ) throws(HostTrap) {
        let file = try m.string(filePtr, fileLen)
        let message = try m.string(msgPtr, msgLen)
        let lvl = ModuleLog.Level(rawValue: UInt8(clamping: level)) ?? .trace
        log.append(ModuleLog.Record(time: .now, level: lvl, file: file, line: line, message: message))
    }

    /// Starts a timer; 0 when ``ModuleLimits/maxOpenTimers`` are already running.
    func timerStart(_ m: GuestView, _ ptr: UInt32, _ len: UInt32) throws(HostTrap) -> UInt32 {
        let name = try m.string(ptr, len)
        guard timers.count < limits.maxOpenTimers else { return 0 }
        let id = nextTimerId
        nextTimerId = nextTimerId == UInt32.max ? 1 : nextTimerId + 1
        timers.append((id, name, ContinuousClock.now))
        return id
    }

    func timerEnd(_ id: UInt32) -> ABIErrorCode {
        guard let k = timers.firstIndex(where: { $0.id == id }) else { return .noSuchIter }
        let t = timers.remove(at: k)
        let elapsed = ContinuousClock.now - t.start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        log.append(ModuleLog.Record(time: .now, level: .info, file: "", line: 0, message: "\(t.name) took \(micros)µs"))
        return .ok
    }

    func writeDatabaseIdentity(_ m: GuestView, _ out: UInt32) throws(HostTrap) {
        try m.check(out, 32)
        let l = databaseIdentity.limbs
        m.storeU64(out, l.0)
        m.storeU64(out + 8, l.1)
        m.storeU64(out + 16, l.2)
        m.storeU64(out + 24, l.3)
    }

    func randomBytes(_ m: GuestView, _ dst: UInt32, _ len: UInt32) throws(HostTrap) {
        let out = try m.bytes(dst, len)
        var i = 0
        while i < out.count {
            var word = rng.next().littleEndian
            let n = min(8, out.count - i)
            withUnsafeBytes(of: &word) { w in
                (out.baseAddress! + i).copyMemory(from: w.baseAddress!, byteCount: n)
            }
            i += n
        }
    }
}
