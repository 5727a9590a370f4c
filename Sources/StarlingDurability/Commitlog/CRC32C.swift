import CStarlingSupport

/// CRC32C (Castagnoli): polynomial 0x1EDC6F41 (reflected 0x82F63B78), initial value 0xFFFFFFFF,
/// final XOR 0xFFFFFFFF. Uses the CPU's CRC32C instruction where there is one (SSE 4.2), else a
/// table-driven slice-by-8.
///
/// Incremental use: `checksum(b, seed: checksum(a)) == checksum(a + b)`; the seed is a previous
/// (finalized) result, and 0 starts a new checksum.
package enum CRC32C {
    /// The reflected Castagnoli polynomial.
    static let polynomial: UInt32 = 0x82F6_3B78

    /// 8 tables of 256 entries, flat: table `k` at `k * 256`. Table 0 is the classic byte table;
    /// table `k` advances a byte that is followed by `k` more bytes.
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ polynomial : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// Whether the hardware path is used on this machine.
    static let hardware = starling_crc32c_hardware() != 0

    /// The CRC32C of `bytes`, continuing from `seed` (a previous result; 0 for a fresh checksum).
    package static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        if hardware, let base = bytes.baseAddress { return ~starling_crc32c_update(~seed, base, bytes.count) }
        return software(bytes, seed: seed)
    }

    /// The table-driven implementation (also the reference the tests compare the hardware path to).
    package static func software(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var crc = ~seed
        tables.withUnsafeBufferPointer { t in
            var i = 0
            let n = bytes.count
            // Bytes one at a time, little-endian loads of 8 at a time in between.
            while i + 8 <= n {
                let lo = bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ crc
                let hi = bytes.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
                crc =
                    t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                crc = (crc >> 8) ^ t[Int((crc ^ UInt32(bytes[i])) & 0xFF)]
                i += 1
            }
        }
        return ~crc
    }

    /// The CRC32C of a byte array (convenience for tests and small buffers).
    package static func checksum(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, seed: seed) }
    }
}
