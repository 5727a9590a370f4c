/// The text of an error message or a log line, written as UTF-8 bytes straight from a string
/// literal and its interpolations: `ReducerError("account \(id) holds \(balance)")`,
/// `Log.info("opened \(n) accounts")`.
///
/// Building a `String` costs thousands of wasm instructions in Embedded Swift (an interpolated
/// integer ~4,000, decoding a few bytes into a `String` ~2,000), ten times the rest of a reducer's
/// error path. Literal parts here are copied from the program's data, integers are written as
/// digits, strings as their UTF-8; other values fall back to their `description`.
public struct MessageText: ExpressibleByStringInterpolation, Sendable {
    public typealias StringLiteralType = StaticString

    /// The text's UTF-8 bytes.
    public var utf8: [UInt8]

    public init(stringLiteral value: StaticString) {
        utf8 = value.withUTF8Buffer { Array($0) }
    }

    public init(stringInterpolation: Interpolation) {
        utf8 = stringInterpolation.take()
    }

    /// Collects the literal parts and interpolated values of a ``MessageText`` literal at the end
    /// of ``Scratch/text`` (no allocation once warm); the text takes them when it is made.
    public struct Interpolation: StringInterpolationProtocol {
        public typealias StringLiteralType = StaticString
        /// Where this text starts in the scratch stack.
        let start: Int

        // Out of line: messages are built on error paths, and inlined, this code made the bank's
        // `transfer` success path ~200 fuel slower without ever running (measured).
        @inline(never)
        public init(literalCapacity: Int, interpolationCount: Int) {
            start = Scratch.text.count
            Scratch.text.reserve(literalCapacity + 20 * interpolationCount)
        }

        /// The bytes appended since `start`, removed from the scratch stack.
        func take() -> [UInt8] { Scratch.text.pop(to: start) }

        @inline(never)
        public mutating func appendLiteral(_ literal: StaticString) {
            literal.withUTF8Buffer { Scratch.text.append($0) }
        }

        public mutating func appendInterpolation(_ value: StaticString) { appendLiteral(value) }
        @inline(never)
        public mutating func appendInterpolation(_ value: String) {
            var value = value
            value.withUTF8 { Scratch.text.append($0) }
        }
        public mutating func appendInterpolation(_ value: Substring) { appendInterpolation(String(value)) }
        public mutating func appendInterpolation(_ value: Bool) { appendLiteral(value ? "true" : "false") }
        public mutating func appendInterpolation(_ value: Int) { appendDecimal(Int64(value)) }
        public mutating func appendInterpolation(_ value: Int64) { appendDecimal(value) }
        public mutating func appendInterpolation(_ value: Int32) { appendDecimal(Int64(value)) }
        public mutating func appendInterpolation(_ value: Int16) { appendDecimal(Int64(value)) }
        public mutating func appendInterpolation(_ value: Int8) { appendDecimal(Int64(value)) }
        public mutating func appendInterpolation(_ value: UInt) { Scratch.text.appendDecimal(UInt64(value), negative: false) }
        public mutating func appendInterpolation(_ value: UInt64) { Scratch.text.appendDecimal(value, negative: false) }
        public mutating func appendInterpolation(_ value: UInt32) { Scratch.text.appendDecimal(UInt64(value), negative: false) }
        public mutating func appendInterpolation(_ value: UInt16) { Scratch.text.appendDecimal(UInt64(value), negative: false) }
        public mutating func appendInterpolation(_ value: UInt8) { Scratch.text.appendDecimal(UInt64(value), negative: false) }
        public mutating func appendInterpolation<T: CustomStringConvertible>(_ value: T) {
            appendInterpolation(value.description)
        }

        private mutating func appendDecimal(_ value: Int64) {
            Scratch.text.appendDecimal(value.magnitude, negative: value < 0)
        }
    }
}

/// A stack of bytes where texts are built: each ``MessageText/Interpolation`` appends at the top
/// and takes its bytes off when done, so a text built while another is (an interpolated value's
/// `description` that interpolates) leaves the outer one's bytes alone.
struct TextStack {
    private var base: UnsafeMutablePointer<UInt8>? = nil
    private var capacity = 0
    private(set) var count = 0

    mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let size = Swift.max(count + extra, capacity * 2, 256)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        if let base {
            UnsafeMutableRawPointer(grown).copyMemory(from: base, byteCount: count)
            base.deallocate()
        }
        (base, capacity) = (grown, size)
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let from = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        // A raw copy is one `memory.copy`; a typed `update(from:count:)` copies byte by byte in wasm.
        UnsafeMutableRawPointer(base! + count).copyMemory(from: from, byteCount: bytes.count)
        count += bytes.count
    }

    /// Appends `magnitude` in decimal, after a minus sign if `negative`.
    @inline(never)
    mutating func appendDecimal(_ magnitude: UInt64, negative: Bool) {
        reserve(21)  // a sign and the 20 digits of UInt64.max
        let p = base!
        if negative {
            p[count] = 0x2D  // "-"
            count += 1
        }
        var digits = 0
        var rest = magnitude
        repeat {
            p[count + digits] = 0x30 &+ UInt8(truncatingIfNeeded: rest % 10)
            digits += 1
            rest /= 10
        } while rest != 0
        var (i, j) = (count, count + digits - 1)
        while i < j {
            (p[i], p[j]) = (p[j], p[i])
            (i, j) = (i + 1, j - 1)
        }
        count += digits
    }

    /// The bytes above `start`, which are then removed.
    @inline(never)
    mutating func pop(to start: Int) -> [UInt8] {
        let start = Swift.min(start, count)
        let n = count - start
        count = start
        guard let base, n > 0 else { return [] }
        // Sized and copied in one step (`Array(UnsafeBufferPointer)` costs ~600 fuel for a few bytes).
        return [UInt8](unsafeUninitializedCapacity: n) { buffer, initialized in
            UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: base + start, byteCount: n)
            initialized = n
        }
    }

    /// Drops everything (a reducer call starts empty, whatever a failed one left behind).
    mutating func removeAll() { count = 0 }
}
