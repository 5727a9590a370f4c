// The entry points the macros' generated exports call. Module authors do not use these directly.

/// Runs one reducer call: builds the context, reads the arguments, calls `body`, and turns a
/// thrown `ReducerError` into the ABI's failure result (code 1 plus the message).
public func __starlingInvokeReducer(
    _ s0: UInt64, _ s1: UInt64, _ s2: UInt64, _ s3: UInt64, _ c0: UInt64, _ c1: UInt64, _ ts: Int64, _ argsLen: UInt32,
    _ body: (ReducerContext, inout BSATNReader) throws(ReducerError) -> Void
) -> Int32 {
    let connection = UInt128(c1) << 64 | UInt128(c0)
    let ctx = ReducerContext(
        sender: Identity(limbs: (s0, s1, s2, s3)), connectionId: connection == 0 ? nil : ConnectionId(connection),
        timestamp: Timestamp(microsSinceUnixEpoch: ts))
    // Bit 31: the host already wrote the arguments into the buffer registered below.
    let count = Int(argsLen & 0x7FFF_FFFF)
    let buffer = Scratch.args(atLeast: count)
    let args = UnsafeMutableRawBufferPointer(rebasing: buffer[..<count])
    if argsLen & 0x8000_0000 == 0 {
        if count > 0 {
            let code = _reducerArgs(args.baseAddress?.assumingMemoryBound(to: UInt8.self))
            if code != 0 { return fail(ReducerError.host(code, "read the arguments")) }
        }
        Scratch.registerArgs(buffer)
    }
    var r = BSATNReader(UnsafeRawBufferPointer(args))
    Scratch.text.removeAll()
    do throws(ReducerError) {
        try body(ctx, &r)
    } catch {
        return fail(error)
    }
    return 0
}

/// Decodes one reducer argument (the host checked the types, so this fails only on a mismatch
/// between the module and its own description).
@inline(__always)
public func __starlingArgument<T: BSATNCodable>(_ r: inout BSATNReader, _ name: StaticString) throws(ReducerError) -> T {
    do throws(BSATNError) {
        return try T(bsatn: &r)
    } catch {
        throw argumentError(name, error)
    }
}

/// Built out of line so the success path of argument decoding stays small.
@inline(never)
func argumentError(_ name: StaticString, _ error: BSATNError) -> ReducerError {
    ReducerError("bad argument `\(name)`: \(error.message)")
}

private func fail(_ error: ReducerError) -> Int32 {
    _ = error.utf8.withUnsafeBufferPointer { _reducerError($0.baseAddress, UInt32($0.count)) }
    return 1
}

/// Writes one schema item to the host (called by the generated describers).
public func __starlingDescribe(_ item: ModuleItem) {
    let bytes = item.bsatn
    let code = bytes.withUnsafeBufferPointer { _describeItem($0.baseAddress, UInt32($0.count)) }
    if code != 0 { hostFailure(code, "describe the module") }
}

/// Writes a reducer's schema item.
public func __starlingDescribeReducer(_ name: String, _ params: [ColumnItem], _ lifecycle: Lifecycle) {
    __starlingDescribe(.reducer(ReducerItem(name: name, params: params, lifecycle: lifecycle)))
}
