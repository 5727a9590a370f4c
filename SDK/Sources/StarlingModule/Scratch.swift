/// Reusable memory for the hot paths (encoding keys and rows, receiving rows and arguments), so a
/// lookup or update allocates nothing once warm. Module instances are single-threaded and a fresh
/// instance starts with fresh globals, so plain globals are safe here.
enum Scratch {
    nonisolated(unsafe) private static var writer: BSATNWriter? = nil
    nonisolated(unsafe) private static var rowBuffer: UnsafeMutableRawBufferPointer? = nil
    nonisolated(unsafe) private static var argsBuffer: UnsafeMutableRawBufferPointer? = nil
    /// Where error messages and log lines are built (see ``MessageText``).
    nonisolated(unsafe) static var text = TextStack()

    /// Encodes with a reused writer (nested uses get a fresh one).
    @inline(__always)
    static func encode<R>(_ body: (inout BSATNWriter) -> Void, _ use: (UnsafeMutableBufferPointer<UInt8>) -> R) -> R {
        var w = writer.take() ?? BSATNWriter(capacity: 256)
        w.removeAll()
        body(&w)
        let result = w.withMutableBytes { use($0.assumingMemoryBound(to: UInt8.self)) }
        writer = w
        return result
    }

    /// Calls `use` with the encoding of `value`: stored straight into stack memory when the type
    /// has a fixed-size encoding (no writer, no bounds check per field), else via the reused writer.
    @inline(__always)
    static func bytes<T: BSATNCodable, R>(of value: T, _ use: (UnsafeMutableBufferPointer<UInt8>) -> R) -> R {
        if let n = T.bsatnFixedSize {
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { buf in
                value.store(into: UnsafeMutableRawPointer(buf.baseAddress!))
                return use(buf)
            }
        }
        return encode({ value.encode(to: &$0) }, use)
    }

    /// A buffer of at least `count` bytes for rows coming from the host (valid until the next call).
    static func rows(atLeast count: Int) -> UnsafeMutableRawBufferPointer { grow(&rowBuffer, count) }

    /// A buffer of at least `count` bytes for a call's arguments.
    static func args(atLeast count: Int) -> UnsafeMutableRawBufferPointer { grow(&argsBuffer, count) }

    nonisolated(unsafe) private static var registeredArgs: UnsafeMutableRawPointer? = nil

    /// Tells the host to write later calls' arguments straight into `buffer` (the current
    /// arguments buffer), once per buffer: each call then saves a `reducer_args` host call.
    static func registerArgs(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, base != registeredArgs else { return }
        if _argsBuffer(base.assumingMemoryBound(to: UInt8.self), UInt32(buffer.count)) == 0 { registeredArgs = base }
    }

    private static func grow(_ slot: inout UnsafeMutableRawBufferPointer?, _ count: Int) -> UnsafeMutableRawBufferPointer {
        if let b = slot, b.count >= count { return b }
        slot?.deallocate()
        let size = Swift.max(count, 1024)
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        slot = b
        return b
    }
}
