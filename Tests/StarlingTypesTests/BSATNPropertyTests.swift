#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Testing

@testable import StarlingTypes

// Property-based BSATN tests over random types and values from a seeded generator. Every failure
// message carries the seed and case number; set BSATN_SEED (decimal or 0x-hex) to explore others.

typealias BSATNSplitMix64 = SplitMix64

/// Random types (depth-limited, every case) and random values of them, with edge values mixed in.
struct BSATNGenerator {
    var rng: BSATNSplitMix64
    init(seed: UInt64) { rng = BSATNSplitMix64(seed: seed) }

    mutating func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
    mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }
    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }

    static let leaves: [AlgebraicType] = [
        .bool, .i8, .u8, .i16, .u16, .i32, .u32, .i64, .u64, .i128, .u128, .f32, .f64, .string, .bytes,
        .identity, .connectionId, .timestamp, .timeDuration, .scheduleAt,
    ]

    /// A random type at most `depth` composite levels deep. With `inhabited`, every type has at
    /// least one value (no sum without variants).
    mutating func type(depth: Int, inhabited: Bool = true) -> AlgebraicType {
        guard depth > 0, !oneIn(depth >= 3 ? 6 : 3) else { return pick(Self.leaves) }
        switch below(5) {
        case 0: return .array(type(depth: depth - 1, inhabited: inhabited))
        case 1: return .option(type(depth: depth - 1, inhabited: inhabited))
        case 2:
            return .product(ProductType((0..<(oneIn(6) ? 0 : 1 + below(5))).map { _ in .init(memberName(), type(depth: depth - 1, inhabited: inhabited)) }))
        case 3:
            let n = inhabited ? 1 + below(4) : below(5)
            return .sum(SumType((0..<n).map { _ in .init(memberName(), oneIn(3) ? .unit : type(depth: depth - 1, inhabited: inhabited)) }))
        default: return .array(.u8)
        }
    }

    mutating func memberName() -> String? {
        switch below(4) {
        case 0: nil
        case 1: ""
        default: string(maxScalars: 8)
        }
    }

    mutating func value(_ t: AlgebraicType, depth: Int = 0) -> AlgebraicValue {
        switch t {
        case .bool: return .bool(oneIn(2))
        case .i8: return .i8(int())
        case .u8: return .u8(int())
        case .i16: return .i16(int())
        case .u16: return .u16(int())
        case .i32: return .i32(int())
        case .u32: return .u32(int())
        case .i64: return .i64(int())
        case .u64: return .u64(int())
        case .i128: return .i128(int())
        case .u128: return .u128(int())
        case .f32: return .f32(float32())
        case .f64: return .f64(float64())
        case .string: return .string(string(maxScalars: oneIn(20) ? 400 : 12))
        case .bytes: return .bytes((0..<count(depth)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        case .array(let e): return .array((0..<count(depth)).map { _ in value(e, depth: depth + 1) })
        case .option(let e): return .option(oneIn(3) ? nil : value(e, depth: depth + 1))
        case .product(let p): return .product(p.fields.map { value($0.type, depth: depth + 1) })
        case .sum(let s):
            let tag = below(s.variants.count)
            return .sum(tag: UInt8(tag), value: value(s.variants[tag].type, depth: depth + 1))
        case .identity:
            let l: [UInt64] = (0..<4).map { _ in oneIn(4) ? pick([0, .max]) : rng.next() }
            return .identity(Identity(limbs: (l[0], l[1], l[2], l[3])))
        case .connectionId: return .connectionId(ConnectionId(int()))
        case .timestamp: return .timestamp(Timestamp(microsSinceUnixEpoch: int()))
        case .timeDuration: return .timeDuration(TimeDuration(micros: int()))
        case .scheduleAt:
            return .scheduleAt(oneIn(2) ? .interval(TimeDuration(micros: int())) : .time(Timestamp(microsSinceUnixEpoch: int())))
        }
    }

    /// Array lengths: often empty, shorter the deeper we are.
    mutating func count(_ depth: Int) -> Int {
        if oneIn(4) { return 0 }
        return 1 + below(max(1, 8 - 2 * depth))
    }

    mutating func int<T: FixedWidthInteger>() -> T {
        switch below(8) {
        case 0: return .min
        case 1: return .max
        case 2: return 0
        case 3: return T.isSigned ? -1 : 1
        default:
            var v = T(truncatingIfNeeded: rng.next())
            if T.bitWidth > 64 { v = v << 64 | T(truncatingIfNeeded: rng.next()) }
            return v
        }
    }

    mutating func float32() -> Float {
        let edges: [Float] = [
            0, -0.0, .infinity, -.infinity, .nan, -.nan, .signalingNaN, Float(bitPattern: 0x7FC0_0001),
            Float(bitPattern: 0xFFBF_FFFF), .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.leastNormalMagnitude,
        ]
        return oneIn(3) ? pick(edges) : Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
    }

    mutating func float64() -> Double {
        let edges: [Double] = [
            0, -0.0, .infinity, -.infinity, .nan, -.nan, .signalingNaN, Double(bitPattern: 0x7FF8_0000_DEAD_BEEF),
            Double(bitPattern: 0xFFF0_0000_0000_0001), .leastNonzeroMagnitude, -.greatestFiniteMagnitude, 0.1,
        ]
        return oneIn(3) ? pick(edges) : Double(bitPattern: rng.next())
    }

    /// Strings mixing 1-, 2-, 3- and 4-byte UTF-8, boundary scalars and NUL.
    mutating func string(maxScalars: Int) -> String {
        let boundaries: [UInt32] = [0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF]
        var s = String.UnicodeScalarView()
        for _ in 0..<below(maxScalars + 1) {
            let v: UInt32 =
                switch below(6) {
                case 0: pick(boundaries)
                case 1: 0x80 + UInt32(below(0x780))
                case 2: 0x800 + UInt32(below(0xD000))
                case 3: 0x10000 + UInt32(below(0x100000))
                default: 0x20 + UInt32(below(0x5F))
                }
            s.append(Unicode.Scalar(v)!)
        }
        return String(s)
    }
}

/// Whether `t` contains an array whose elements take zero bytes (arrays of empty products). Such
/// an array's u32 count is not bounded by the input, so decoding a hostile count materializes up to
/// 2^32 − 1 elements (see the BSATN report / docs/BSATN.md); the bit-flip test avoids them.
func bsatnHasZeroSizeArray(_ t: AlgebraicType) -> Bool {
    switch t {
    case .array(let e): e.minimumSize == 0 || bsatnHasZeroSizeArray(e)
    case .option(let e): bsatnHasZeroSizeArray(e)
    case .product(let p): p.fields.contains { bsatnHasZeroSizeArray($0.type) }
    case .sum(let s): s.variants.contains { bsatnHasZeroSizeArray($0.type) }
    default: false
    }
}

struct BSATNPropertyTests {
    static let caseCount = 2_500
    static let maxTypeDepth = 4

    static var seed: UInt64 {
        guard let text = BSATNEnv.get("BSATN_SEED") else { return 0x5EED_B5A7_0000_0001 }
        return text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) ?? 0 : UInt64(text) ?? 0
    }

    /// The generated cases: (type, value, encoding), reproducible from `seed`.
    static func cases(seed: UInt64 = seed) -> [(AlgebraicType, AlgebraicValue, [UInt8])] {
        var g = BSATNGenerator(seed: seed)
        return (0..<caseCount).map { _ in
            let t = g.type(depth: maxTypeDepth)
            let v = g.value(t)
            return (t, v, v.bsatn)
        }
    }

    /// Records a failure for case `i`; returns false once too many failures were recorded.
    static func check(_ ok: Bool, _ i: Int, _ what: @autoclosure () -> String, _ t: AlgebraicType, failures: inout Int, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if !ok {
            failures += 1
            Issue.record("seed 0x\(String(seed, radix: 16)) case \(i): \(what()) — type \(t)", sourceLocation: sourceLocation)
        }
        return failures < 10
    }

    @Test func roundTrip() throws {
        var failures = 0
        var encodedBytes = 0
        for (i, (t, v, e)) in Self.cases().enumerated() {
            encodedBytes += e.count
            guard Self.check(v.conforms(to: t), i, "generated value does not conform", t, failures: &failures) else { return }
            let decoded: AlgebraicValue
            do {
                decoded = try AlgebraicValue.decode(t, from: e)
            } catch {
                guard Self.check(false, i, "decode failed: \(error)", t, failures: &failures) else { return }
                continue
            }
            let ok =
                Self.check(decoded.bsatn == e, i, "re-encoding differs", t, failures: &failures)
                && Self.check(BSATNKit.identical(decoded, v), i, "decoded \(decoded) ≠ \(v)", t, failures: &failures)
                && Self.check(decoded.conforms(to: t), i, "decoded value does not conform", t, failures: &failures)
                && Self.check((try? BSATNKit.decodePrefix(t, e))?.1 == e.count, i, "reader did not consume all", t, failures: &failures)
                && Self.check(BSATNKit.skipAll(t, e) == nil, i, "skip rejected a valid encoding", t, failures: &failures)
                && Self.check(t.fixedSize.map { $0 == e.count } ?? true, i, "fixedSize \(t.fixedSize!) ≠ \(e.count)", t, failures: &failures)
                && Self.check(t.minimumSize <= e.count, i, "minimumSize \(t.minimumSize) > \(e.count)", t, failures: &failures)
            if !ok { return }
        }
        // The generator really produces varied input (guards against a degenerate generator).
        #expect(encodedBytes > 20 * Self.caseCount, "\(encodedBytes) bytes in \(Self.caseCount) cases")
    }

    /// The generated cases cover every type case and the edge values the properties are about.
    @Test func generatorCoverage() {
        var tags = Set<UInt8>()
        var seen = Set<String>()
        func walk(_ v: AlgebraicValue) {
            switch v {
            case .f32(let x) where x.isNaN && x.bitPattern != Float.nan.bitPattern: seen.insert("f32 NaN payload")
            case .f32(let x) where x == 0 && x.sign == .minus: seen.insert("f32 -0")
            case .f64(let x) where x.isInfinite: seen.insert("f64 inf")
            case .i128(.min), .u64(.max): seen.insert("int edge")
            case .string(let s) where s.isEmpty: seen.insert("empty string")
            case .string(let s) where s.utf8.count > 255: seen.insert("long string")
            case .string(let s) where s.unicodeScalars.contains { $0.value > 0xFFFF }: seen.insert("4-byte utf8")
            case .array(let xs) where xs.isEmpty: seen.insert("empty array")
            case .array(let xs), .product(let xs): xs.forEach(walk)
            case .option(let x?), .sum(_, let x): walk(x)
            case .option(nil): seen.insert("none")
            default: break
            }
        }
        func types(_ t: AlgebraicType) {
            tags.insert(t.tag)
            switch t {
            case .array(let e), .option(let e): types(e)
            case .product(let p): p.fields.forEach { types($0.type) }
            case .sum(let s): s.variants.forEach { types($0.type) }
            default: break
            }
        }
        for (t, v, _) in Self.cases() {
            types(t)
            walk(v)
        }
        #expect(tags == Set(0...23))
        #expect(seen.count == 9, "saw \(seen.sorted())")
    }

    /// Every strict prefix is cut short (`unexpectedEnd`, in decode and in skip); one extra byte is
    /// `trailingBytes`. BSATN is self-delimiting per type, so no other outcome is correct.
    @Test func prefixesAndTrailingBytes() {
        var failures = 0
        var checked = 0
        for (i, (t, _, e)) in Self.cases().enumerated() {
            let cuts: [Int] = e.count <= 300 ? Array(0..<e.count) : Array(0..<64) + Array(e.count - 64..<e.count) + stride(from: 64, to: e.count - 64, by: 7)
            for n in cuts {
                let p = Array(e[..<n])
                checked += 1
                let d = BSATNKit.decodeError(t, p)
                let s = BSATNKit.skipAll(t, p)
                guard Self.check(d?.code == .unexpectedEnd, i, "prefix \(n)/\(e.count): decode gave \(String(describing: d))", t, failures: &failures),
                    Self.check(s?.code == .unexpectedEnd, i, "prefix \(n)/\(e.count): skip gave \(String(describing: s))", t, failures: &failures),
                    Self.check((d?.offset ?? 0) <= n, i, "error offset \(d!.offset) past the input", t, failures: &failures)
                else { return }
            }
            for extra: UInt8 in [0, 0xFF] {
                let d = BSATNKit.decodeError(t, e + [extra])
                guard Self.check(d?.code == .trailingBytes && d?.offset == e.count, i, "trailing byte: \(String(describing: d))", t, failures: &failures),
                    Self.check(BSATNKit.skipAll(t, e + [extra])?.code == .trailingBytes, i, "skip + trailing byte", t, failures: &failures)
                else { return }
            }
        }
        #expect(checked > 10 * Self.caseCount)
    }

    /// Single-bit flips: either the result is a valid value whose encoding is exactly the flipped
    /// bytes (and skip agrees), or decode and skip both throw the same kind of BSATNError.
    @Test func bitFlips() {
        var g = BSATNGenerator(seed: Self.seed ^ 0xF11B)
        var failures = 0
        var (accepted, rejected) = (0, 0)
        for (i, (t, _, e)) in Self.cases().enumerated() where !e.isEmpty && !bsatnHasZeroSizeArray(t) {
            for _ in 0..<6 {
                var f = e
                let bit = g.below(e.count * 8)
                f[bit / 8] ^= 1 << UInt8(bit % 8)
                let s = BSATNKit.skipAll(t, f)
                do {
                    let v = try AlgebraicValue.decode(t, from: f)
                    accepted += 1
                    guard Self.check(v.bsatn == f, i, "flip of bit \(bit) decoded to \(v), which re-encodes differently", t, failures: &failures),
                        Self.check(v.conforms(to: t), i, "flip of bit \(bit) decoded to a non-conforming value", t, failures: &failures),
                        Self.check(s == nil, i, "flip of bit \(bit): decode accepted, skip gave \(String(describing: s))", t, failures: &failures)
                    else { return }
                } catch {
                    rejected += 1
                    guard Self.check(s?.code == error.code, i, "flip of bit \(bit): decode \(error), skip \(String(describing: s))", t, failures: &failures)
                    else { return }
                }
            }
        }
        #expect(accepted > 1000 && rejected > 1000, "accepted \(accepted), rejected \(rejected)")
    }

    /// Random types (including sums without variants and every naming style) round-trip through
    /// their own encoding; their prefixes and bit flips never crash.
    @Test func typeEncoding() throws {
        var g = BSATNGenerator(seed: Self.seed ^ 0x7E9E)
        var failures = 0
        for i in 0..<Self.caseCount {
            let t = g.type(depth: 6, inhabited: false)
            let e = BSATNKit.encode(t)
            guard Self.check((try? BSATNKit.decodeType(e)) == t, i, "type round trip", t, failures: &failures) else { return }
            for n in stride(from: 0, to: e.count, by: max(1, e.count / 40)) {
                guard Self.check(BSATNKit.typeError(Array(e[..<n]))?.code == .unexpectedEnd, i, "type prefix \(n)", t, failures: &failures) else { return }
            }
            var f = e
            let bit = g.below(e.count * 8)
            f[bit / 8] ^= 1 << UInt8(bit % 8)
            if let u = try? BSATNKit.decodeType(f) {
                guard Self.check(BSATNKit.encode(u) == f, i, "flipped type \(u) re-encodes differently", t, failures: &failures) else { return }
            }
        }
    }

    @Test func generatorIsDeterministic() {
        var a = BSATNSplitMix64(seed: 0)
        // Reference outputs of SplitMix64 for seed 0.
        #expect(a.next() == 0xE220_A839_7B1D_CDAF)
        #expect(a.next() == 0x6E78_9E6A_A1B9_65F4)
        let x = Self.cases(seed: 42).prefix(50).map(\.2)
        let y = Self.cases(seed: 42).prefix(50).map(\.2)
        #expect(x == y)
    }

    // MARK: Hostile lengths

    /// Inputs that claim far more elements than the input could hold fail at the length, before
    /// allocating or looping: each decode must take microseconds.
    /// (name, type, input, offset of the offending length prefix).
    @Test(arguments: [
        ("array<u64> 2^32-1 elements, 1 byte", AlgebraicType.array(.u64), "ffffffff01", 0),
        ("array<string> 2^32-1 elements", .array(.string), "ffffffff0000000000", 0),
        ("array<array<u8>> 2^31 elements", .array(.array(.u8)), "00000080" + "00000000", 0),
        ("array<identity> 2^32-1 elements", .array(.identity), "ffffffff" + String(repeating: "00", count: 40), 0),
        ("array<option<u8>> 2^32-1 elements", .array(.option(.u8)), "ffffffff0101", 0),
        ("array<u64> 2^28 elements", .array(.u64), "0000001001", 0),
        ("bytes 2^32-1", .bytes, "ffffffff00", 0),
        ("string 2^32-1", .string, "ffffffff61", 0),
        ("nested array, inner count huge", .array(.array(.u64)), "01000000ffffffff00", 4),
        ("option<array<u64>> 2^31", .option(.array(.u64)), "000000008000", 1),
    ])
    func hostileLength(_ name: String, _ type: AlgebraicType, _ hex: String, _ offset: Int) throws {
        let input = try #require(BSATNKit.bytes(hex: hex))
        let clock = ContinuousClock()
        var last: BSATNError?
        let elapsed = clock.measure {
            for _ in 0..<1_000 { last = BSATNKit.decodeError(type, input) }
        }
        // Refused at the length prefix itself, before any element is read.
        #expect(last?.code == .unexpectedEnd)
        #expect(last?.offset == offset)
        let skipError = BSATNKit.skipAll(type, input)
        #expect(skipError?.code == .unexpectedEnd)
        #expect(skipError?.offset == offset)
        // 1,000 decodes in well under a second even in debug builds (each is O(1)); a decoder that
        // reserved or looped over the claimed count would take seconds per decode.
        #expect(elapsed < .milliseconds(500), "1,000 decodes took \(elapsed)")
    }

    @Test func zeroSizeElementCountsAreCapped() throws {
        // 2^32-1 units in four bytes would be a tiny input that decodes to billions of elements.
        let input: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
        #expect(BSATNKit.skipAll(.array(.unit), input)?.code == .lengthTooLarge)
        #expect(throws: BSATNError.self) { try AlgebraicValue.decode(.array(.unit), from: input) }
        // At the cap it is still accepted.
        let atCap = AlgebraicValue.array(Array(repeating: .unit, count: Int(BSATNReader.maxZeroSizeElements)))
        #expect(try AlgebraicValue.decode(.array(.unit), from: atCap.bsatn) == atCap)
    }
}

/// Reads an environment variable without Foundation.
enum BSATNEnv {
    static func get(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        return String(cString: p)
    }
}
