/// Byte containers BSATN can be decoded from without copying.
public protocol ContiguousBytes {
    /// Calls `body` with the bytes.
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R
}

// The standard library's `withUnsafeBytes` only `rethrows`; these keep the error type by
// carrying it out in a `Result`.

extension Array: ContiguousBytes where Element == UInt8 {
    @inlinable public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        withUnsafeBytes { buf in result = Result { () throws(E) -> R in try body(buf) } }
        return try result!.get()
    }
}

extension ArraySlice: ContiguousBytes where Element == UInt8 {
    @inlinable public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        withUnsafeBytes { buf in result = Result { () throws(E) -> R in try body(buf) } }
        return try result!.get()
    }
}

extension UnsafeRawBufferPointer: ContiguousBytes {
    @inlinable public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(self)
    }
}
