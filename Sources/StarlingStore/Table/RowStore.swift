/// The rows of one table, stored as BSATN bytes in pages of equally sized slots.
///
/// Rows are grouped by size class (slot size), so a freed slot is reused by the next row of a
/// similar size and no compaction (which would move rows and invalidate row ids) is needed.
/// Rows too large for a standard page get a page of their own.
final class RowStore {
    private(set) var pages: [Page?] = []
    private var freePageNumbers: [Int] = []
    /// Slot size → numbers of pages of that size that have a free slot.
    private var available = PagesWithRoom()
    /// Number of live rows.
    private(set) var count = 0
    /// Sum of the BSATN sizes of the live rows.
    private(set) var rowBytes = 0
    /// The page the last insert went to (most tables have one row size, so this usually hits).
    /// Unmanaged: `pages` keeps it alive, and it is cleared whenever its page leaves `pages`.
    private var lastPage: Unmanaged<Page>?
    private var lastPageNumber = 0
    /// Non-zero while a ``StoreCapture`` shares this store's pages: a page whose `frozenBy`
    /// equals it is copied before it is written (the capture keeps the original).
    private(set) var frozenEpoch: UInt64 = 0

    /// The slot size used for a row of `length` bytes (header included, rounded to a class).
    static func slotSize(forRowLength length: Int) -> Int {
        let n = length + Page.headerSize
        if n <= 8 { return 8 }
        if n <= 256 { return (n + 3) & ~3 }
        if n <= 2048 { return (n + 63) & ~63 }
        if n <= 16384 { return (n + 511) & ~511 }
        return (n + 4095) & ~4095
    }

    /// Copies `bytes` into a free slot and returns its id.
    func insert(_ bytes: UnsafeRawBufferPointer, flagged: Bool) -> RowId {
        let size = RowStore.slotSize(forRowLength: bytes.count)
        var pageNumber = lastPageNumber
        let reuse = lastPage?._withUnsafeGuaranteedRef { $0.slotSize == size && $0.hasRoom && $0.listedAsAvailable } ?? false
        if !reuse {
            pageNumber = pageWithRoom(slotSize: size)
            lastPage = Unmanaged.passUnretained(pages[pageNumber].unsafelyUnwrapped)
            lastPageNumber = pageNumber
        }
        if frozenEpoch != 0, lastPage.unsafelyUnwrapped._withUnsafeGuaranteedRef({ $0.frozenBy }) == frozenEpoch {
            _ = thaw(pageNumber)  // repoints lastPage at the copy
        }
        let (slot, full) = lastPage.unsafelyUnwrapped._withUnsafeGuaranteedRef { page in
            let slot = page.put(bytes, flagged: flagged)
            if page.hasRoom { return (slot, false) }
            page.listedAsAvailable = false
            return (slot, true)
        }
        if full { available.remove(pageNumber, slotSize: size) }
        count += 1
        rowBytes += bytes.count
        return RowId(page: pageNumber, slot: slot)
    }

    private func pageWithRoom(slotSize size: Int) -> Int {
        if let n = available.last(slotSize: size) { return n }
        let page = Page(slotSize: size)
        page.listedAsAvailable = true
        let number: Int
        if let reused = freePageNumbers.popLast() {
            number = reused
            pages[number] = page
        } else {
            number = pages.count
            pages.append(page)
        }
        available.append(number, slotSize: size)
        return number
    }

    /// Frees the slot of a live row. Pages left empty are released (except the last one of a
    /// size class, which is kept for the next insert).
    func delete(_ id: RowId) {
        let page = writablePage(id.page)
        rowBytes -= page.row(id.slot).count
        page.free(id.slot)
        count -= 1
        if !page.listedAsAvailable {
            page.listedAsAvailable = true
            available.append(id.page, slotSize: page.slotSize)
        }
        if page.live == 0, available.count(slotSize: page.slotSize) > 1 {
            available.remove(id.page, slotSize: page.slotSize)
            if lastPage?.toOpaque() == Unmanaged.passUnretained(page).toOpaque() { lastPage = nil }
            pages[id.page] = nil
            freePageNumbers.append(id.page)
        }
    }

    /// Whether `id` names a live row.
    func contains(_ id: RowId) -> Bool {
        guard id.page < pages.count, let page = pages[id.page] else { return false }
        return page.isLive(id.slot)
    }

    /// The bytes of a live row (valid until the row is deleted or the store changes).
    @inline(__always) func row(_ id: RowId) -> UnsafeRawBufferPointer {
        pages[id.page].unsafelyUnwrapped.row(id.slot)
    }

    /// Whether the row was inserted by the open transaction.
    @inline(__always) func isFlagged(_ id: RowId) -> Bool {
        pages[id.page].unsafelyUnwrapped.header(id.slot) & Page.txFlag != 0
    }

    /// Whether the row is a committed row that the open transaction overwrote in place.
    @inline(__always) func isUpdatedInPlace(_ id: RowId) -> Bool {
        pages[id.page].unsafelyUnwrapped.header(id.slot) & Page.inPlaceFlag != 0
    }

    /// Marks a row as committed.
    @inline(__always) func clearFlag(_ id: RowId) {
        let page = writablePage(id.page)
        page.setHeader(id.slot, page.header(id.slot) & ~(Page.txFlag | Page.inPlaceFlag))
    }

    /// Copies `bytes`, exactly as long as the row `id` (live or a tombstone), over it and gives
    /// it the header flags `flags` (a tombstone stays one only if `flags` says so).
    func overwrite(_ id: RowId, with bytes: UnsafeRawBufferPointer, flags: UInt32) {
        let page = writablePage(id.page)
        precondition(Int(page.header(id.slot) & Page.lengthMask) == bytes.count, "overwrite with a row of another length")
        page.overwrite(id.slot, with: bytes, flags: flags)
    }

    /// The header flags of a live row or tombstone.
    @inline(__always) func flags(_ id: RowId) -> UInt32 {
        pages[id.page].unsafelyUnwrapped.header(id.slot) & ~Page.lengthMask
    }

    /// Hides a live row (deleted by the open transaction) but keeps its slot and bytes.
    func tombstone(_ id: RowId) {
        let page = writablePage(id.page)
        let h = page.header(id.slot)
        page.setHeader(id.slot, h | Page.tombstoneFlag)
        count -= 1
        rowBytes -= Int(h & Page.lengthMask)
    }

    /// Makes a tombstoned row live again (rollback).
    func restore(_ id: RowId) {
        let page = writablePage(id.page)
        let h = page.header(id.slot)
        page.setHeader(id.slot, h & ~Page.tombstoneFlag)
        count += 1
        rowBytes += Int(h & Page.lengthMask)
    }

    /// Frees the slot of a tombstoned row (commit).
    func freeTombstone(_ id: RowId) {
        count += 1
        rowBytes += Int(pages[id.page].unsafelyUnwrapped.header(id.slot) & Page.lengthMask)
        delete(id)
    }

    /// Calls `body` for every live row in page order; stops when it returns false.
    func forEach<E: Error>(_ body: (RowId, UnsafeRawBufferPointer) throws(E) -> Bool) throws(E) {
        for (n, page) in pages.enumerated() {
            guard let page, page.live > 0 else { continue }
            for slot in 0..<page.highWater where page.isLive(slot) {
                guard try body(RowId(page: n, slot: slot), page.row(slot)) else { return }
            }
        }
    }

    /// Bytes of page memory held (live or free slots).
    var allocatedBytes: Int { pages.reduce(0) { $0 + ($1?.byteCount ?? 0) } }

    // MARK: copy-on-write for captures

    /// The page `n`, copied first if a capture shares it.
    @inline(__always) private func writablePage(_ n: Int) -> Page {
        let page = pages[n].unsafelyUnwrapped
        if frozenEpoch != 0, page.frozenBy == frozenEpoch { return thaw(n) }
        return page
    }

    /// Replaces the shared page `n` by a private copy (the capture keeps the original).
    @inline(never) private func thaw(_ n: Int) -> Page {
        let shared = pages[n].unsafelyUnwrapped
        let copy = shared.copy()
        pages[n] = copy
        if lastPage?.toOpaque() == Unmanaged.passUnretained(shared).toOpaque() { lastPage = Unmanaged.passUnretained(copy) }
        return copy
    }

    /// Shares every page with the capture `epoch` (non-zero) and returns them: from now until
    /// ``unfreeze(_:)``, writes go to copies and the returned pages never change.
    func freeze(_ epoch: UInt64) -> [Page?] {
        precondition(epoch != 0)
        for page in pages { page?.frozenBy = epoch }
        frozenEpoch = epoch
        return pages
    }

    /// Ends the sharing started by ``freeze(_:)`` with the same epoch (a later capture's is kept).
    func unfreeze(_ epoch: UInt64) {
        if frozenEpoch == epoch { frozenEpoch = 0 }
    }

    /// Drops every row.
    func removeAll() {
        pages = []
        lastPage = nil
        freePageNumbers = []
        available = PagesWithRoom()
        count = 0
        rowBytes = 0
    }
}

/// Per size class, the numbers of pages that have a free slot. Classes up to 16 KiB are array
/// slots (no hashing on the insert/delete path); larger slot sizes go to a dictionary.
struct PagesWithRoom {
    private var small: [[Int]] = Array(repeating: [], count: 125)
    private var large: [Int: [Int]] = [:]

    /// The array position of a slot size produced by `RowStore.slotSize(forRowLength:)`, or nil.
    @inline(__always) private static func classIndex(_ size: Int) -> Int? {
        if size <= 256 { return size >> 2 }
        if size <= 2048 { return 64 + (size - 256) >> 6 }
        if size <= 16384 { return 92 + (size - 2048) >> 9 }
        return nil
    }

    func last(slotSize: Int) -> Int? {
        if let c = Self.classIndex(slotSize) { return small[c].last }
        return large[slotSize]?.last
    }

    func count(slotSize: Int) -> Int {
        if let c = Self.classIndex(slotSize) { return small[c].count }
        return large[slotSize]?.count ?? 0
    }

    mutating func append(_ page: Int, slotSize: Int) {
        if let c = Self.classIndex(slotSize) { small[c].append(page) } else { large[slotSize, default: []].append(page) }
    }

    /// Removes `page` (searching from the end, where recently used pages are).
    mutating func remove(_ page: Int, slotSize: Int) {
        if let c = Self.classIndex(slotSize) {
            if let i = small[c].lastIndex(of: page) { small[c].remove(at: i) }
        } else if let i = large[slotSize]?.lastIndex(of: page) {
            large[slotSize]!.remove(at: i)
        }
    }
}
