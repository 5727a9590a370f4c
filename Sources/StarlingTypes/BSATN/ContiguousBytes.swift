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

extension Array where Element == UInt8 {
    /// Appends raw bytes with one copy. (`append(contentsOf:)` with an `UnsafeRawBufferPointer`
    /// goes element by element: it offers no typed contiguous storage.)
    @inlinable public mutating func append(bytes raw: UnsafeRawBufferPointer) {
        guard let base = raw.baseAddress, raw.count > 0 else { return }
        append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: raw.count))
    }
}
