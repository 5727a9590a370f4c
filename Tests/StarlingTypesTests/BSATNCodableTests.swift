import StarlingTypes
import Testing

/// The `BSATNCodable` conformances: the checked path and the fixed-size fast path must agree.
@Suite struct BSATNCodableTests {
    func fixedAgrees<T: BSATNCodable & Equatable>(_ value: T, size: Int) throws {
        #expect(T.bsatnFixedSize == size)
        let encoded = value.bsatn
        #expect(encoded.count == size)
        var stored = [UInt8](repeating: 0xAA, count: size)
        stored.withUnsafeMutableBytes { value.store(into: $0.baseAddress!) }
        #expect(stored == encoded)
        if T.bsatnFixedLoadable {
            let loaded = encoded.withUnsafeBytes { T(bsatnFixed: $0.baseAddress!) }
            #expect(loaded == value)
        }
        #expect(try T(bsatn: encoded) == value)
        var w = BSATNWriter()
        #expect(value.encodeFixed(to: &w))
        #expect(w.bytes == encoded)
    }

    @Test func fixedSizeEncodingsMatchTheCheckedOnes() throws {
        try fixedAgrees(UInt64.max - 5, size: 8)
        try fixedAgrees(Int8(-3), size: 1)
        try fixedAgrees(Int128.min + 7, size: 16)
        try fixedAgrees(Float(-1.5), size: 4)
        try fixedAgrees(Double.pi, size: 8)
        try fixedAgrees(true, size: 1)
        try fixedAgrees(Identity(limbs: (1, 2, 3, 0xFFFF_0000_0000_0001)), size: 32)
        try fixedAgrees(ConnectionId(UInt128(1) << 100 | 9), size: 16)
        try fixedAgrees(Timestamp(microsSinceUnixEpoch: -42), size: 8)
        try fixedAgrees(TimeDuration(micros: 1_000_000), size: 8)
        #expect(Bool.bsatnFixedLoadable == false)  // only 0 and 1 are valid bytes
        #expect(String.bsatnFixedSize == nil)
        #expect([UInt8].bsatnFixedSize == nil)
        #expect(Optional<Int32>.bsatnFixedSize == nil)
    }

    @Test func variableSizeValuesRoundTrip() throws {
        let values: [String?] = ["", "héllo", nil]
        #expect(try [String?](bsatn: values.bsatn) == values)
        #expect(try Bytes(bsatn: Bytes([0, 255]).bsatn) == Bytes([0, 255]))
        #expect(throws: BSATNError.self) { try Bool(bsatn: [2]) }
    }

    @Test func writerGrowsAndReuses() {
        var w = BSATNWriter(capacity: 1)
        for i in 0..<1000 { w.write(UInt32(i)) }
        #expect(w.count == 4000)
        #expect(w.bytes.count == 4000)
        #expect(Array(w.bytes[3996..<4000]) == [231, 3, 0, 0])
        w.removeAll()
        w.write("ab")
        #expect(w.bytes == [2, 0, 0, 0, 97, 98])
    }
}
