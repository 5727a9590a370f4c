import StarlingTypes

/// Payloads appended but not yet taken by the writer thread, stored back to back in one buffer.
///
/// Committers encode straight into it (under the log's mutex) and the writer swaps the whole
/// thing for its emptied spare, so a record costs no allocation of its own once the two buffers
/// have grown to a round's size — and no buffer is freed on a thread other than the one that
/// allocated it, which glibc's allocator makes slow.
struct PendingRecords {
    /// The payloads, back to back.
    private(set) var bytes = BSATNWriter(capacity: 4096)
    /// Where each payload ends in `bytes`.
    private(set) var ends: [Int] = []

    var count: Int { ends.count }
    var isEmpty: Bool { ends.isEmpty }

    /// Appends one payload that `encode` writes; returns its size. A payload of 4 GiB or more
    /// is taken back out and refused.
    mutating func append<E: Error>(_ encode: (inout BSATNWriter) throws(E) -> Void) throws(CommitlogError) -> Int {
        let start = bytes.count
        do { try encode(&bytes) } catch {
            bytes.truncate(to: start)
            throw CommitlogError(.invalidArgument, "the payload could not be encoded: \(error)")
        }
        let size = bytes.count - start
        guard size <= Int(UInt32.max) else {
            bytes.truncate(to: start)
            throw CommitlogError(.invalidArgument, "payload of \(size) bytes exceeds the 4 GiB record limit")
        }
        ends.append(bytes.count)
        return size
    }

    /// Calls `body` with each payload in order.
    func forEach<E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        try bytes.withBytes { (all) throws(E) in
            var start = 0
            for end in ends {
                try body(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
    }

    /// Empties the buffer, keeping its memory unless it grew past `keepBytes`.
    mutating func removeAll(keepBytes: Int) {
        if bytes.capacity > keepBytes { bytes = BSATNWriter(capacity: 4096) } else { bytes.removeAll() }
        ends.removeAll(keepingCapacity: ends.capacity <= keepBytes / 64)
    }
}
