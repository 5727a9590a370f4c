extension AlgebraicValue {
    /// Appends this value's BSATN encoding. The encoding of a value does not depend on its type
    /// (the type only decides how to read it back).
    public func encode(to w: inout BSATNWriter) {
        switch self {
        case .bool(let v): w.write(v)
        case .i8(let v): w.write(v)
        case .u8(let v): w.write(v)
        case .i16(let v): w.write(v)
        case .u16(let v): w.write(v)
        case .i32(let v): w.write(v)
        case .u32(let v): w.write(v)
        case .i64(let v): w.write(v)
        case .u64(let v): w.write(v)
        case .i128(let v): w.write(v)
        case .u128(let v): w.write(v)
        case .f32(let v): w.write(v)
        case .f64(let v): w.write(v)
        case .string(let v): w.write(v)
        case .bytes(let v): w.writeBytes(v)
        case .array(let xs):
            w.writeLength(xs.count)
            for x in xs { x.encode(to: &w) }
        case .option(let x):
            if let x {
                w.write(UInt8(0))
                x.encode(to: &w)
            } else {
                w.write(UInt8(1))
            }
        case .product(let xs):
            for x in xs { x.encode(to: &w) }
        case .sum(let tag, let x):
            w.write(tag)
            x.encode(to: &w)
        case .identity(let v): v.encode(to: &w)
        case .connectionId(let v): w.write(v.value)
        case .timestamp(let v): w.write(v.microsSinceUnixEpoch)
        case .timeDuration(let v): w.write(v.micros)
        case .scheduleAt(let v): v.encode(to: &w)
        }
    }

    /// This value's BSATN encoding.
    public var bsatn: [UInt8] {
        var w = BSATNWriter()
        encode(to: &w)
        return w.bytes
    }

    /// Decodes exactly one value of `type` from `bytes` (trailing bytes are an error).
    public static func decode(_ type: AlgebraicType, from bytes: some ContiguousBytes) throws(BSATNError) -> AlgebraicValue {
        try bytes.withBytes { (buf: UnsafeRawBufferPointer) throws(BSATNError) -> AlgebraicValue in
            var r = BSATNReader(buf)
            let v = try AlgebraicValue.decode(type, from: &r)
            try r.expectEnd()
            return v
        }
    }

    /// Decodes one value of `type` from the reader, advancing it.
    public static func decode(_ type: AlgebraicType, from r: inout BSATNReader) throws(BSATNError) -> AlgebraicValue {
        switch type {
        case .bool: return .bool(try r.readBool())
        case .i8: return .i8(Int8(bitPattern: try r.readU8()))
        case .u8: return .u8(try r.readU8())
        case .i16: return .i16(try r.readLE())
        case .u16: return .u16(try r.readLE())
        case .i32: return .i32(try r.readLE())
        case .u32: return .u32(try r.readLE())
        case .i64: return .i64(try r.readLE())
        case .u64: return .u64(try r.readLE())
        case .i128: return .i128(try r.readLE())
        case .u128: return .u128(try r.readLE())
        case .f32: return .f32(try r.readF32())
        case .f64: return .f64(try r.readF64())
        case .string: return .string(try r.readString())
        case .bytes: return .bytes(try r.readBytes())
        case .array(let t):
            let n = try r.readLength(minElementSize: t.minimumSize)
            var xs: [AlgebraicValue] = []
            xs.reserveCapacity(min(n, r.remaining + 1))
            for _ in 0..<n { xs.append(try decode(t, from: &r)) }
            return .array(xs)
        case .option(let t):
            let at = r.position
            switch try r.readU8() {
            case 0: return .option(try decode(t, from: &r))
            case 1: return .option(nil)
            case let tag: throw BSATNError(.invalidTag, "invalid option tag \(tag) (0 = some, 1 = none)", offset: at)
            }
        case .product(let p):
            var xs: [AlgebraicValue] = []
            xs.reserveCapacity(p.fields.count)
            for f in p.fields { xs.append(try decode(f.type, from: &r)) }
            return .product(xs)
        case .sum(let s):
            let at = r.position
            let tag = try r.readU8()
            guard Int(tag) < s.variants.count else {
                throw BSATNError(.invalidTag, "invalid sum tag \(tag): the type has \(s.variants.count) variants", offset: at)
            }
            return .sum(tag: tag, value: try decode(s.variants[Int(tag)].type, from: &r))
        case .identity: return .identity(try Identity.decode(from: &r))
        case .connectionId: return .connectionId(ConnectionId(try r.readLE()))
        case .timestamp: return .timestamp(Timestamp(microsSinceUnixEpoch: try r.readLE()))
        case .timeDuration: return .timeDuration(TimeDuration(micros: try r.readLE()))
        case .scheduleAt: return .scheduleAt(try ScheduleAt.decode(from: &r))
        }
    }
}

extension BSATNReader {
    /// Checks that a valid value of `type` starts here and moves past it, without building it.
    public mutating func skip(_ type: AlgebraicType) throws(BSATNError) {
        switch type {
        case .bool: _ = try readBool()
        case .string: try skipString()
        case .bytes: _ = try readByteSlice()
        case .array(let t):
            let n = try readLength(minElementSize: t.minimumSize)
            if let size = t.fixedSize, t != .bool, !t.containsSum {
                try skip(n * size)
            } else {
                for _ in 0..<n { try skip(t) }
            }
        case .option(let t):
            let at = position
            switch try readU8() {
            case 0: try skip(t)
            case 1: break
            case let tag: throw BSATNError(.invalidTag, "invalid option tag \(tag) (0 = some, 1 = none)", offset: at)
            }
        case .product(let p):
            for f in p.fields { try skip(f.type) }
        case .sum(let s):
            let at = position
            let tag = try readU8()
            guard Int(tag) < s.variants.count else {
                throw BSATNError(.invalidTag, "invalid sum tag \(tag): the type has \(s.variants.count) variants", offset: at)
            }
            try skip(s.variants[Int(tag)].type)
        case .scheduleAt: _ = try ScheduleAt.decode(from: &self)
        default: try skip(type.fixedSize!)
        }
    }
}

extension AlgebraicType {
    /// Whether validating a value of this type needs more than a length check (it contains a
    /// bool, a string, a sum or an option whose bytes must be checked).
    public var containsSum: Bool {
        switch self {
        case .bool, .sum, .option, .scheduleAt, .string: true
        case .array(let t): t.containsSum
        case .product(let p): p.fields.contains { $0.type.containsSum }
        default: false
        }
    }
}

extension Identity {
    /// Appends the 32 little-endian bytes.
    public func encode(to w: inout BSATNWriter) {
        w.write(limbs.0)
        w.write(limbs.1)
        w.write(limbs.2)
        w.write(limbs.3)
    }

    /// Reads 32 little-endian bytes.
    public static func decode(from r: inout BSATNReader) throws(BSATNError) -> Identity {
        Identity(limbs: (try r.readLE(), try r.readLE(), try r.readLE(), try r.readLE()))
    }
}

extension ScheduleAt {
    /// Appends tag (0 interval, 1 time) and the i64 payload.
    public func encode(to w: inout BSATNWriter) {
        switch self {
        case .interval(let d):
            w.write(UInt8(0))
            w.write(d.micros)
        case .time(let t):
            w.write(UInt8(1))
            w.write(t.microsSinceUnixEpoch)
        }
    }

    /// Reads tag and payload.
    public static func decode(from r: inout BSATNReader) throws(BSATNError) -> ScheduleAt {
        let at = r.position
        switch try r.readU8() {
        case 0: return .interval(TimeDuration(micros: try r.readLE()))
        case 1: return .time(Timestamp(microsSinceUnixEpoch: try r.readLE()))
        case let tag: throw BSATNError(.invalidTag, "invalid ScheduleAt tag \(tag) (0 = interval, 1 = time)", offset: at)
        }
    }
}
