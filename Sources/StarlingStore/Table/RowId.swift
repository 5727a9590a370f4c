#if canImport(Glibc)
import Glibc
#endif

/// Where a row lives in its table's pages: page number (high 32 bits) and slot (low 32 bits).
///
/// A row id is stable while the row exists; after a delete the slot may be reused by another row.
public struct RowId: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var raw: UInt64

    @inlinable public init(raw: UInt64) { self.raw = raw }
    @inlinable init(page: Int, slot: Int) { raw = UInt64(page) << 32 | UInt64(slot) }

    @inlinable var page: Int { Int(raw >> 32) }
    @inlinable var slot: Int { Int(raw & 0xFFFF_FFFF) }

    @inlinable public static func < (a: RowId, b: RowId) -> Bool { a.raw < b.raw }
    public var description: String { "row(\(page):\(slot))" }
}

extension UnsafeRawBufferPointer {
    /// Whether both buffers hold the same bytes: one `memcmp` (a generic `elementsEqual` over raw
    /// bytes compares them one at a time through the `Sequence` iterator).
    @inline(__always) func hasSameBytes(as other: UnsafeRawBufferPointer) -> Bool {
        guard count == other.count else { return false }
        guard count > 0, let a = baseAddress, let b = other.baseAddress else { return true }
        return memcmp(a, b, count) == 0
    }
}
