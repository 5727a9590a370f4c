import CStarlingSupport

/// An open-addressing hash map from `UInt64` keys to row ids, for unique indexes on compact keys.
///
/// Linear probing over one array of 16-byte (key, row id) slots with a power-of-two capacity and
/// a load factor of at most 7/8; deletion shifts later entries back (no tombstones), so probe
/// sequences stay short under churn. An empty slot holds the row id `UInt64.max`, which no row
/// can have. Compared with `Dictionary<UInt64, RowId>` this avoids SipHash (a multiplicative
/// hash suffices: keys are not attacker-chosen bucket indexes, the table grows before probes get
/// long) and uses ~60% of the memory.
///
/// Keys are hashed in groups of four consecutive values: a key's home is the multiplicative hash of
/// `key >> 2` (which picks a 64-byte line of four slots) plus its low two bits (the slot in that
/// line). Random keys spread exactly as with a plain multiplicative hash, but ascending keys (auto-
/// increment ids, the common primary key) fill each cache line four at a time, so inserting or
/// replaying them costs one cache miss per four rows instead of one per row.
final class CompactHashMap {
    private static let empty = UInt64.max

    private var slots: UnsafeMutablePointer<(key: UInt64, value: UInt64)>
    private var capacity: Int
    /// 64 minus the bits of a line number (capacity / 4 lines).
    private var shift: UInt64
    private(set) var count = 0

    init(capacity minimum: Int = 16) {
        var c = 16
        while c < minimum { c <<= 1 }
        capacity = c
        shift = UInt64(64 - (c.trailingZeroBitCount - 2))
        slots = .allocate(capacity: c)
        slots.initialize(repeating: (0, Self.empty), count: c)
    }

    deinit { slots.deallocate() }

    /// The hash of the line of four slots `key` belongs in; its top bits number the line.
    @inline(__always) private static func lineHash(_ key: UInt64) -> UInt64 { (key >> 2) &* 0x9E37_79B9_7F4A_7C15 }

    @inline(__always) private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (Self.lineHash(key) >> shift) << 2 | (key & 3))
    }

    /// Starts loading the slot where `key` would be found (see `starling_prefetch`).
    @inline(__always) func prefetch(_ key: UInt64) {
        starling_prefetch(UnsafeRawPointer(slots + home(key)))
    }

    /// The row stored under `key`.
    @inline(__always) func get(_ key: UInt64) -> RowId? {
        slot(of: key).map { RowId(raw: slots[$0].value) }
    }

    /// Stores `id` under `key` unless the key is present; returns the row already stored, if any.
    @discardableResult
    func insertIfAbsent(_ key: UInt64, _ id: RowId) -> RowId? {
        if (count &+ 1) &* 8 > capacity &* 7 { grow() }
        let mask = capacity &- 1
        var i = home(key)
        while true {
            let s = slots[i]
            if s.value == Self.empty {
                slots[i] = (key, id.raw)
                count &+= 1
                return nil
            }
            if s.key == key { return RowId(raw: s.value) }
            i = (i &+ 1) & mask
        }
    }

    /// The slot holding `key`, if any.
    @inline(__always) private func slot(of key: UInt64) -> Int? {
        let mask = capacity &- 1
        var i = home(key)
        while true {
            let s = slots[i]
            if s.value == Self.empty { return nil }
            if s.key == key { return i }
            i = (i &+ 1) & mask
        }
    }

    /// Makes `key`, mapped to `old`, map to `new`; returns whether `key` mapped to `old`.
    @discardableResult
    func replace(_ key: UInt64, _ old: RowId, with new: RowId) -> Bool {
        guard let i = slot(of: key), slots[i].value == old.raw else { return false }
        slots[i].value = new.raw
        return true
    }

    /// Removes `key` if it maps to `id`; returns whether it did.
    @discardableResult
    func remove(_ key: UInt64, _ id: RowId) -> Bool {
        guard let i = slot(of: key), slots[i].value == id.raw else { return false }
        let mask = capacity &- 1
        // Backward-shift deletion: move later entries of the cluster into the hole when their
        // home position allows it.
        var hole = i
        var j = (i &+ 1) & mask
        while slots[j].value != Self.empty {
            let h = home(slots[j].key)
            // Entry j may move to `hole` if its home is not cyclically within (hole, j].
            let inRange = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
            if !inRange {
                slots[hole] = slots[j]
                hole = j
            }
            j = (j &+ 1) & mask
        }
        slots[hole] = (0, Self.empty)
        count &-= 1
        return true
    }

    func removeAll() {
        slots.update(repeating: (0, Self.empty), count: capacity)
        count = 0
    }

    /// Inserts many (key, row) pairs at once, in the order of their home slots, so the writes
    /// sweep the table instead of landing at random (a counting sort on the top 16 bits of the
    /// home slot). Returns a pair whose key was already present, if any (nothing is inserted
    /// for it).
    func bulkInsert(_ pairs: UnsafeBufferPointer<(key: UInt64, value: RowId)>) -> (key: UInt64, value: RowId)? {
        reserve(count + pairs.count)
        let bucketBits = min(16, 64 - Int(shift))
        let bucketShift = UInt64(64 - bucketBits)
        var counts = [Int](repeating: 0, count: (1 << bucketBits) + 1)
        @inline(__always) func bucket(_ key: UInt64) -> Int { Int(Self.lineHash(key) >> bucketShift) }  // top bits of `home`
        for p in pairs { counts[bucket(p.key) + 1] += 1 }
        for i in 1..<counts.count { counts[i] += counts[i - 1] }
        var sorted = [(key: UInt64, value: RowId)](repeating: (0, RowId(raw: 0)), count: pairs.count)
        for p in pairs {
            let b = bucket(p.key)
            sorted[counts[b]] = p
            counts[b] += 1
        }
        var duplicate: (key: UInt64, value: RowId)?
        for p in sorted where insertIfAbsent(p.key, p.value) != nil { duplicate = duplicate ?? p }
        return duplicate
    }

    /// Makes room for `total` entries without further growth (one reallocation at most).
    func reserve(_ total: Int) {
        guard total &* 8 > capacity &* 7 else { return }
        var c = capacity
        while total &* 8 > c &* 7 { c <<= 1 }
        grow(to: c)
    }

    private func grow() { grow(to: capacity << 1) }

    private func grow(to newCapacity: Int) {
        let old = slots
        let oldCapacity = capacity
        shift -= UInt64((newCapacity / capacity).trailingZeroBitCount)
        capacity = newCapacity
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: (0, Self.empty), count: capacity)
        let mask = capacity &- 1
        for k in 0..<oldCapacity where old[k].value != Self.empty {
            var i = home(old[k].key)
            while slots[i].value != Self.empty { i = (i &+ 1) & mask }
            slots[i] = old[k]
        }
        old.deallocate()
    }

    /// Bytes of slot memory.
    var allocatedBytes: Int { capacity * MemoryLayout<(key: UInt64, value: UInt64)>.stride }
}
