/// The small part of the POSIX `ustar` format that backups use: regular files with relative
/// paths, each a 512-byte header, the file's bytes, and zero padding to a multiple of 512; two
/// zero blocks end the archive. Standard `tar` reads and writes these archives.
enum TarArchive {
    static let block = 512

    /// The header of a regular file of `size` bytes named `path` (at most 100 bytes of UTF-8).
    static func header(path: String, size: Int, mtime: Int = 0) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: block)
        func put(_ s: String, at offset: Int, width: Int) {
            for (i, b) in s.utf8.prefix(width).enumerated() { h[offset + i] = b }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        precondition(path.utf8.count <= 100, "tar path longer than 100 bytes: \(path)")
        put(path, at: 0, width: 100)
        octal(0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        h[156] = UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        // The checksum is computed with its own field as spaces.
        for i in 148..<156 { h[i] = 32 }
        let sum = h.reduce(0) { $0 + Int($1) }
        octal(sum, at: 148, width: 7)
        h[155] = 32
        return h
    }

    /// Zero bytes that pad a file of `size` bytes to the next block.
    static func padding(_ size: Int) -> [UInt8] { [UInt8](repeating: 0, count: (block - size % block) % block) }

    /// The end-of-archive marker.
    static var end: [UInt8] { [UInt8](repeating: 0, count: 2 * block) }

    /// One file of an archive: its path and where its bytes lie in the archive.
    struct Entry: Equatable {
        var path: String
        var range: Range<Int>
    }

    /// The regular files of an archive; fails with a message naming the problem and its byte
    /// offset if the archive is not one this format describes.
    static func entries(_ archive: UnsafeRawBufferPointer) throws(TarError) -> [Entry] {
        var out: [Entry] = []
        var p = 0
        while p + block <= archive.count {
            let h = UnsafeRawBufferPointer(rebasing: archive[p..<p + block])
            if h.allSatisfy({ $0 == 0 }) { return out }
            let stored = try octal(h, 148, 8, at: p)
            var sum = 0
            for i in 0..<block { sum += (148..<156).contains(i) ? 32 : Int(h[i]) }
            guard sum == stored else { throw TarError("bad header checksum at byte \(p)") }
            let nameBytes = h[0..<100].prefix { $0 != 0 }
            guard let path = String(validating: nameBytes, as: UTF8.self), !path.isEmpty else {
                throw TarError("a file name that is not UTF-8 at byte \(p)")
            }
            let size = try octal(h, 124, 12, at: p)
            let type = h[156]
            guard type == UInt8(ascii: "0") || type == 0 else {
                throw TarError("`\(path)` is not a regular file (type \(Character(UnicodeScalar(type)))); backups hold regular files only")
            }
            let start = p + block
            guard size <= archive.count - start else { throw TarError("`\(path)` is cut short: the archive ends inside it") }
            out.append(Entry(path: path, range: start..<start + size))
            p = start + size + (block - size % block) % block
        }
        throw TarError("the archive ends without its end marker (truncated at byte \(archive.count)?)")
    }

    private static func octal(_ h: UnsafeRawBufferPointer, _ offset: Int, _ width: Int, at p: Int) throws(TarError) -> Int {
        var v = 0
        for b in h[offset..<offset + width] {
            if b == 0 || b == 32 { if v > 0 { break } else { continue } }
            guard (48...55).contains(b) else { throw TarError("a bad number in the header at byte \(p + offset)") }
            v = v * 8 + Int(b - 48)
        }
        return v
    }
}

/// A malformed archive.
struct TarError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
