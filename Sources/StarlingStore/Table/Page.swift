/// A page of equally sized slots holding rows of one table.
///
/// Slot layout: a u32 header, then the row's BSATN bytes. The header holds the row length in its
/// low 29 bits; bit 31 marks a row inserted by the transaction that is still open (so the
/// transaction knows which rows are its own without a side table); bit 30 marks a committed row
/// that the open transaction deleted (a tombstone: out of every index and scan, but its slot and
/// bytes stay until commit, so rollback restores it in place); bit 29 (with bit 31) marks a
/// committed row that the open transaction overwrote in place (its committed bytes wait in the
/// table's `txBefore`). A free slot has the header ``freeMarker`` and the index of the next free
/// slot in the following 4 bytes.
final class Page {
    /// Bytes in an ordinary page.
    static let standardSize = 64 * 1024
    static let headerSize = 4
    static let freeMarker: UInt32 = 0x3FFF_FFFF
    static let txFlag: UInt32 = 0x8000_0000
    static let tombstoneFlag: UInt32 = 0x4000_0000
    static let inPlaceFlag: UInt32 = 0x2000_0000
    static let lengthMask: UInt32 = 0x1FFF_FFFF
    /// The largest row a slot can hold.
    static let maxRowLength = Int(lengthMask) - 1

    let slotSize: Int
    let capacity: Int
    let base: UnsafeMutableRawPointer
    /// Slots `0..<highWater` have been used at least once; later ones were never touched.
    var highWater = 0
    /// First free slot below `highWater`, or -1.
    var freeHead: Int32 = -1
    /// Number of live rows.
    var live = 0
    /// Whether this page is in its size class's list of pages with room.
    var listedAsAvailable = false
    /// The capture (see ``StoreCapture``) that shares this page, or 0: while that capture is
    /// open, the row store copies the page before writing to it (copy-on-write).
    var frozenBy: UInt64 = 0

    init(slotSize: Int) {
        self.slotSize = slotSize
        let bytes = max(Page.standardSize, slotSize)
        capacity = bytes / slotSize
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity * slotSize, alignment: 16)
    }

    deinit { base.deallocate() }

    /// A private copy of this page (slots, free list, counters), not frozen.
    func copy() -> Page {
        let c = Page(slotSize: slotSize)
        c.base.copyMemory(from: base, byteCount: highWater * slotSize)
        c.highWater = highWater
        c.freeHead = freeHead
        c.live = live
        c.listedAsAvailable = listedAsAvailable
        return c
    }

    var hasRoom: Bool { freeHead >= 0 || highWater < capacity }
    var byteCount: Int { capacity * slotSize }

    @inline(__always) func header(_ slot: Int) -> UInt32 {
        base.loadUnaligned(fromByteOffset: slot * slotSize, as: UInt32.self)
    }

    @inline(__always) func setHeader(_ slot: Int, _ h: UInt32) {
        base.storeBytes(of: h, toByteOffset: slot * slotSize, as: UInt32.self)
    }

    /// Whether the slot holds a row that is neither free nor a tombstone.
    @inline(__always) func isLive(_ slot: Int) -> Bool {
        slot < highWater && header(slot) != Page.freeMarker && header(slot) & Page.tombstoneFlag == 0
    }

    /// The row bytes in a live slot.
    @inline(__always) func row(_ slot: Int) -> UnsafeRawBufferPointer {
        let len = Int(header(slot) & Page.lengthMask)
        return UnsafeRawBufferPointer(start: base + slot * slotSize + Page.headerSize, count: len)
    }

    /// Takes a free slot, copies `bytes` into it, and returns the slot. The page must have room.
    func put(_ bytes: UnsafeRawBufferPointer, flagged: Bool) -> Int {
        let slot: Int
        if freeHead >= 0 {
            slot = Int(freeHead)
            freeHead = base.loadUnaligned(fromByteOffset: slot * slotSize + 4, as: Int32.self)
        } else {
            slot = highWater
            highWater += 1
        }
        setHeader(slot, UInt32(bytes.count) | (flagged ? Page.txFlag : 0))
        if let src = bytes.baseAddress, bytes.count > 0 {
            (base + slot * slotSize + Page.headerSize).copyMemory(from: src, byteCount: bytes.count)
        }
        live += 1
        return slot
    }

    /// Copies `bytes` (as many as the row there has) over the row in `slot` and sets its flags.
    @inline(__always) func overwrite(_ slot: Int, with bytes: UnsafeRawBufferPointer, flags: UInt32) {
        if let src = bytes.baseAddress, bytes.count > 0 {
            (base + slot * slotSize + Page.headerSize).copyMemory(from: src, byteCount: bytes.count)
        }
        setHeader(slot, UInt32(bytes.count) | flags)
    }

    /// Frees a live slot.
    func free(_ slot: Int) {
        setHeader(slot, Page.freeMarker)
        base.storeBytes(of: freeHead, toByteOffset: slot * slotSize + 4, as: Int32.self)
        freeHead = Int32(slot)
        live -= 1
    }
}
