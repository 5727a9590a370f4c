/// A Swift type with a fixed algebraic type and a BSATN encoding: column types, rows, reducer
/// arguments. The module SDK's macros make structs and enums conform; the standard ones are here.
///
/// Works in Embedded Swift (no existentials, typed throws only).
public protocol BSATNCodable {
    /// The algebraic type this Swift type encodes as.
    static var algebraicType: AlgebraicType { get }
    /// Appends this value's BSATN.
    func encode(to w: inout BSATNWriter)
    /// Reads one value.
    init(bsatn r: inout BSATNReader) throws(BSATNError)
    /// The size of every value's encoding, if it is the same for all values (integers, floats,
    /// identities, timestamps, and structs made only of such); nil otherwise.
    static var bsatnFixedSize: Int? { get }
    /// Stores this value's encoding at `p` (`bsatnFixedSize` bytes). Only called when
    /// `bsatnFixedSize` is not nil: it lets a whole fixed-size row be written with one bounds check.
    func store(into p: UnsafeMutableRawPointer)
    /// Whether every `bsatnFixedSize`-byte pattern is a valid value, so decoding may load it
    /// without checks (false for `Bool`, whose byte must be 0 or 1).
    static var bsatnFixedLoadable: Bool { get }
    /// Loads a value from its fixed-size encoding at `p`. Only called when `bsatnFixedLoadable`.
    init(bsatnFixed p: UnsafeRawPointer)
}

extension BSATNCodable {
    public static var bsatnFixedSize: Int? { nil }
    public static var bsatnFixedLoadable: Bool { bsatnFixedSize != nil }
    public func store(into p: UnsafeMutableRawPointer) { fatalError("\(Self.self) has no fixed-size encoding") }
    public init(bsatnFixed p: UnsafeRawPointer) { fatalError("\(Self.self) has no fixed-size encoding") }

    /// Encodes a fixed-size value in one step; false if the type is not fixed-size.
    @inlinable public func encodeFixed(to w: inout BSATNWriter) -> Bool {
        guard let n = Self.bsatnFixedSize else { return false }
        w.withReservedSpace(n) { store(into: $0) }
        return true
    }

    /// This value's BSATN.
    @inlinable public var bsatn: [UInt8] {
        var w = BSATNWriter()
        encode(to: &w)
        return w.bytes
    }

    /// Decodes exactly one value from `bytes`.
    @inlinable public init(bsatn bytes: some ContiguousBytes) throws(BSATNError) {
        self = try bytes.withBytes { (buf: UnsafeRawBufferPointer) throws(BSATNError) -> Self in
            var r = BSATNReader(buf)
            let v = try Self(bsatn: &r)
            try r.expectEnd()
            return v
        }
    }
}

extension Bool: BSATNCodable {
    public static var algebraicType: AlgebraicType { .bool }
    @inlinable public static var bsatnFixedSize: Int? { 1 }
    @inlinable public static var bsatnFixedLoadable: Bool { false }
    @inlinable public func store(into p: UnsafeMutableRawPointer) { p.storeBytes(of: self ? 1 : 0, as: UInt8.self) }

    @inlinable public func encode(to w: inout BSATNWriter) { w.write(self) }
    @inlinable public init(bsatn r: inout BSATNReader) throws(BSATNError) { self = try r.readBool() }
}

extension String: BSATNCodable {
    public static var algebraicType: AlgebraicType { .string }
    @inlinable public func encode(to w: inout BSATNWriter) { w.write(self) }
    @inlinable public init(bsatn r: inout BSATNReader) throws(BSATNError) { self = try r.readString() }
}

extension Float: BSATNCodable {
    public static var algebraicType: AlgebraicType { .f32 }
    @inlinable public static var bsatnFixedSize: Int? { 4 }
    @inlinable public func store(into p: UnsafeMutableRawPointer) { p.storeBytes(of: bitPattern.littleEndian, as: UInt32.self) }
    @inlinable public init(bsatnFixed p: UnsafeRawPointer) { self.init(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))) }
    @inlinable public func encode(to w: inout BSATNWriter) { w.write(self) }
    @inlinable public init(bsatn r: inout BSATNReader) throws(BSATNError) { self = try r.readF32() }
}

extension Double: BSATNCodable {
    public static var algebraicType: AlgebraicType { .f64 }
    @inlinable public static var bsatnFixedSize: Int? { 8 }
    @inlinable public func store(into p: UnsafeMutableRawPointer) { p.storeBytes(of: bitPattern.littleEndian, as: UInt64.self) }
    @inlinable public init(bsatnFixed p: UnsafeRawPointer) { self.init(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))) }
    @inlinable public func encode(to w: inout BSATNWriter) { w.write(self) }
    @inlinable public init(bsatn r: inout BSATNReader) throws(BSATNError) { self = try r.readF64() }
}

/// The integer conformances share one implementation: little-endian fixed width.
public protocol BSATNInteger: FixedWidthInteger, BSATNCodable {}

extension BSATNInteger {
    @inlinable public static var bsatnFixedSize: Int? { MemoryLayout<Self>.size }
    @inlinable public func store(into p: UnsafeMutableRawPointer) { p.storeBytes(of: littleEndian, as: Self.self) }
    @inlinable public init(bsatnFixed p: UnsafeRawPointer) { self.init(littleEndian: p.loadUnaligned(as: Self.self)) }
    @inlinable public func encode(to w: inout BSATNWriter) { w.writeLE(self) }
    @inlinable public init(bsatn r: inout BSATNReader) throws(BSATNError) { self = try r.readLE(Self.self) }
}

extension Int8: BSATNInteger { public static var algebraicType: AlgebraicType { .i8 } }
extension UInt8: BSATNInteger { public static var algebraicType: AlgebraicType { .u8 } }
extension Int16: BSATNInteger { public static var algebraicType: AlgebraicType { .i16 } }
extension UInt16: BSATNInteger { public static var algebraicType: AlgebraicType { .u16 } }
extension Int32: BSATNInteger { public static var algebraicType: AlgebraicType { .i32 } }
extension UInt32: BSATNInteger { public static var algebraicType: AlgebraicType { .u32 } }
extension Int64: BSATNInteger { public static var algebraicType: AlgebraicType { .i64 } }
extension UInt64: BSATNInteger { public static var algebraicType: AlgebraicType { .u64 } }
extension Int128: BSATNInteger { public static var algebraicType: AlgebraicType { .i128 } }
extension UInt128: BSATNInteger { public static var algebraicType: AlgebraicType { .u128 } }

extension Array: BSATNCodable where Element: BSATNCodable {
    public static var algebraicType: AlgebraicType { .array(Element.algebraicType) }
    @inlinable public func encode(to w: inout BSATNWriter) {
        w.writeLength(count)
        for e in self { e.encode(to: &w) }
    }
    @inlinable public init(bsatn r: inout BSATNReader) throws(BSATNError) {
        let n = try r.readLength(minElementSize: Element.algebraicType.minimumSize)
        self = []
        reserveCapacity(n)
        for _ in 0..<n { append(try Element(bsatn: &r)) }
    }
}

extension Optional: BSATNCodable where Wrapped: BSATNCodable {
    public static var algebraicType: AlgebraicType { .option(Wrapped.algebraicType) }
    @inlinable public func encode(to w: inout BSATNWriter) {
        if let v = self {
            w.write(UInt8(0))
            v.encode(to: &w)
        } else {
            w.write(UInt8(1))
        }
    }
    @inlinable public init(bsatn r: inout BSATNReader) throws(BSATNError) {
        let at = r.position
        switch try r.readU8() {
        case 0: self = .some(try Wrapped(bsatn: &r))
        case 1: self = .none
        case let tag: throw BSATNError(.invalidTag, "invalid option tag \(tag)", offset: at)
        }
    }
}

/// A byte string (`bytes`), distinct from an array of `u8` on the wire's type level.
public struct Bytes: Hashable, Sendable, BSATNCodable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public static var algebraicType: AlgebraicType { .bytes }
    @inlinable public func encode(to w: inout BSATNWriter) { w.writeBytes(bytes) }
    @inlinable public init(bsatn r: inout BSATNReader) throws(BSATNError) { bytes = try r.readBytes() }
}

extension Identity: BSATNCodable {
    public static var algebraicType: AlgebraicType { .identity }
    @inlinable public static var bsatnFixedSize: Int? { 32 }
    @inlinable public func store(into p: UnsafeMutableRawPointer) {
        p.storeBytes(of: limbs.0.littleEndian, as: UInt64.self)
        p.storeBytes(of: limbs.1.littleEndian, toByteOffset: 8, as: UInt64.self)
        p.storeBytes(of: limbs.2.littleEndian, toByteOffset: 16, as: UInt64.self)
        p.storeBytes(of: limbs.3.littleEndian, toByteOffset: 24, as: UInt64.self)
    }
    @inlinable public init(bsatnFixed p: UnsafeRawPointer) {
        self.init(limbs: (
            UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)),
            UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self))))
    }
    public init(bsatn r: inout BSATNReader) throws(BSATNError) { self = try Identity.decode(from: &r) }
}

extension ConnectionId: BSATNCodable {
    public static var algebraicType: AlgebraicType { .connectionId }
    @inlinable public static var bsatnFixedSize: Int? { 16 }
    @inlinable public func store(into p: UnsafeMutableRawPointer) { p.storeBytes(of: value.littleEndian, as: UInt128.self) }
    @inlinable public init(bsatnFixed p: UnsafeRawPointer) { self.init(UInt128(littleEndian: p.loadUnaligned(as: UInt128.self))) }
    @inlinable public func encode(to w: inout BSATNWriter) { w.write(value) }
    @inlinable public init(bsatn r: inout BSATNReader) throws(BSATNError) { value = try r.readLE(UInt128.self) }
}

extension Timestamp: BSATNCodable {
    public static var algebraicType: AlgebraicType { .timestamp }
    @inlinable public static var bsatnFixedSize: Int? { 8 }
    @inlinable public func store(into p: UnsafeMutableRawPointer) { p.storeBytes(of: microsSinceUnixEpoch.littleEndian, as: Int64.self) }
    @inlinable public init(bsatnFixed p: UnsafeRawPointer) { self.init(microsSinceUnixEpoch: Int64(littleEndian: p.loadUnaligned(as: Int64.self))) }
    @inlinable public func encode(to w: inout BSATNWriter) { w.write(microsSinceUnixEpoch) }
    @inlinable public init(bsatn r: inout BSATNReader) throws(BSATNError) { microsSinceUnixEpoch = try r.readLE(Int64.self) }
}

extension TimeDuration: BSATNCodable {
    public static var algebraicType: AlgebraicType { .timeDuration }
    @inlinable public static var bsatnFixedSize: Int? { 8 }
    @inlinable public func store(into p: UnsafeMutableRawPointer) { p.storeBytes(of: micros.littleEndian, as: Int64.self) }
    @inlinable public init(bsatnFixed p: UnsafeRawPointer) { self.init(micros: Int64(littleEndian: p.loadUnaligned(as: Int64.self))) }
    @inlinable public func encode(to w: inout BSATNWriter) { w.write(micros) }
    @inlinable public init(bsatn r: inout BSATNReader) throws(BSATNError) { micros = try r.readLE(Int64.self) }
}

extension ScheduleAt: BSATNCodable {
    public static var algebraicType: AlgebraicType { .scheduleAt }
    public init(bsatn r: inout BSATNReader) throws(BSATNError) { self = try ScheduleAt.decode(from: &r) }
}
