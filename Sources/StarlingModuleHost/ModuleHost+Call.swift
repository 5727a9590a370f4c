public import StarlingStore
import StarlingTypes
import WasmKit

/// Reducer calls.
extension ModuleHost {
    /// Calls a reducer inside `tx`. The caller commits on ``ReducerOutcome/success`` and rolls back
    /// otherwise. Argument bytes are checked against the reducer's parameters first; bad ones
    /// fail the call without running the module.
    public func call(_ reducer: ReducerID, args: [UInt8], context call: CallContext, in tx: MutTx) -> ReducerOutcome {
        let index = Int(reducer.rawValue)
        guard index < argCheckers.count else { return .failed("no reducer with id \(reducer.rawValue)") }
        let checker = argCheckers[index]
        if let problem = checker.check(args) { return .failed(problem) }
        guard args.count <= Int(Int32.max) else { return .failed("arguments of reducer `\(checker.name)` are too large") }
        let instance: LiveInstance
        if let l = live {
            instance = l
        } else {
            do {
                instance = try reinstantiate()
                live = instance
            } catch {
                let message = "reducer `\(checker.name)` not run: the module could not be re-instantiated: \(error.message)"
                log.host(.error, message)
                return .trapped(message)
            }
        }
        context.beginCall(tx: tx, args: args, reducer: reducer, timestamp: call.timestamp)
        defer { context.endCall() }
        // Bit 31 of args_len: the arguments are already in the module's registered buffer.
        let argsLen = UInt32(args.count) | (context.placeArgs() ? 0x8000_0000 : 0)
        instance.store.fuel = Fuel(remaining: limits.fuelPerCall)
        let s = call.sender.limbs
        let c = call.connectionId.value
        callParams.withUnsafeMutableBufferPointer { p in
            (p[0], p[1], p[2], p[3]) = (.i64(s.0), .i64(s.1), .i64(s.2), .i64(s.3))
            (p[4], p[5]) = (.i64(UInt64(truncatingIfNeeded: c)), .i64(UInt64(truncatingIfNeeded: c >> 64)))
            (p[6], p[7]) = (.i64(UInt64(bitPattern: call.timestamp.microsSinceUnixEpoch)), .i32(argsLen))
        }
        let result: UInt32
        do {
            result = try instance.reducers[index].invoke(callParams, on: &stack)[0].i32
        } catch {
            return failed(checker.name, error)
        }
        lastCallFuel = limits.fuelPerCall - (instance.store.fuel.map { UInt64($0.remaining) } ?? 0)
        switch result {
        case 0: return .success
        case 1: return .failed(context.errorMessage ?? "reducer `\(checker.name)` failed (returned 1 without setting a message)")
        default: return .failed("reducer `\(checker.name)` failed with code \(Int32(bitPattern: result))")
        }
    }

    /// Classifies a failed invocation, logs it and discards the instance.
    private func failed(_ reducer: String, _ error: any Error) -> ReducerOutcome {
        live = nil
        context.memory = nil
        let outcome: ReducerOutcome
        if isOutOfFuel(error) {
            outcome = .outOfFuel(
                "reducer `\(reducer)` stopped: budget exhausted (it used all \(limits.fuelPerCall) fuel of a call; an endless loop?)")
        } else {
            outcome = .trapped("reducer `\(reducer)` \(describeFailure(error, limits))")
        }
        log.host(.error, outcome.message! + "; the module instance was discarded")
        return outcome
    }
}
