/// A trap raised by the host inside an import: the module passed a pointer/length outside its
/// memory, or broke the ABI in a way that is a bug rather than an error to handle. Thrown from
/// the host function, it unwinds the wasm call, which then fails as trapped.
struct HostTrap: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// The module's linear memory during one host call: bounds-checked access to guest byte ranges.
///
/// Valid only while the host function runs (no wasm code runs then, so the memory cannot grow
/// or move).
struct GuestView {
    let base: UnsafeMutableRawPointer?
    let count: Int
    /// The import being served, for trap messages.
    let importName: StaticString

    /// The guest bytes `[ptr, ptr + len)`; traps if they are not all inside the memory.
    @inline(__always) func bytes(_ ptr: UInt32, _ len: UInt32) throws(HostTrap) -> UnsafeMutableRawBufferPointer {
        let end = UInt64(ptr) + UInt64(len)
        guard end <= UInt64(count) else { throw outOfBounds(ptr, len) }
        if len == 0 { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
        return UnsafeMutableRawBufferPointer(start: base! + Int(ptr), count: Int(len))
    }

    /// Read-only view of `[ptr, ptr + len)`.
    @inline(__always) func readable(_ ptr: UInt32, _ len: UInt32) throws(HostTrap) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(try bytes(ptr, len))
    }

    /// Checks that `[ptr, ptr + len)` is inside the memory (for out-parameters written later).
    @inline(__always) func check(_ ptr: UInt32, _ len: UInt32) throws(HostTrap) {
        guard UInt64(ptr) + UInt64(len) <= UInt64(count) else { throw outOfBounds(ptr, len) }
    }

    @inline(__always) func loadU32(_ ptr: UInt32) throws(HostTrap) -> UInt32 {
        try check(ptr, 4)
        return UInt32(littleEndian: base!.loadUnaligned(fromByteOffset: Int(ptr), as: UInt32.self))
    }

    /// Stores a value; ``check(_:_:)`` or ``loadU32(_:)`` must have covered the range.
    @inline(__always) func storeU32(_ ptr: UInt32, _ v: UInt32) {
        assert(UInt64(ptr) + 4 <= UInt64(count))
        base!.storeBytes(of: v.littleEndian, toByteOffset: Int(ptr), as: UInt32.self)
    }

    /// Stores a value; ``check(_:_:)`` must have covered the range.
    @inline(__always) func storeU64(_ ptr: UInt32, _ v: UInt64) {
        assert(UInt64(ptr) + 8 <= UInt64(count))
        base!.storeBytes(of: v.littleEndian, toByteOffset: Int(ptr), as: UInt64.self)
    }

    /// Lossy UTF-8 text of `[ptr, ptr + len)` (names, messages, file names).
    func string(_ ptr: UInt32, _ len: UInt32) throws(HostTrap) -> String {
        String(decoding: try readable(ptr, len), as: UTF8.self)
    }

    private func outOfBounds(_ ptr: UInt32, _ len: UInt32) -> HostTrap {
        HostTrap(
            "`\(importName)` was passed an out-of-bounds pointer: bytes \(ptr)..<\(UInt64(ptr) + UInt64(len)) are outside the module's \(count)-byte memory"
        )
    }
}
