import StarlingStore
import StarlingTypes
import WasmKit

/// The state the `starling_1.0` import functions share: the module's memory, the reducer call in
/// progress (transaction, arguments, error message, iterators, timers, random source) and caches
/// of name and index lookups. One per ``ModuleHost``; used by one thread at a time.
final class HostContext {
    enum Mode {
        /// Outside any call: `_initialize`, or between calls.
        case idle
        /// Running the describers: only `describe_item` (and misc imports) work.
        case describing
        /// Running a reducer: the data imports work on ``tx``.
        case calling
    }

    let log: ModuleLog
    let databaseIdentity: Identity
    let limits: ModuleLimits
    /// Table and index names of the module's schema (set once described).
    var schemaTables: [TableSchema] = []

    var mode: Mode = .idle
    /// The memory of the live instance.
    var memory: Memory?

    // Call state.
    var tx: MutTx?
    var args: [UInt8] = []
    /// Where the module asked for its calls' arguments to be written (`args_buffer`), if it did.
    /// Belongs to one instance's memory: cleared whenever an instance is created.
    var argsBuffer: (ptr: UInt32, capacity: UInt32)?
    var errorMessage: String?
    var rng = SplitMix64(seed: 0)
    var iterators = IteratorTable()
    var timers: [(id: UInt32, name: String, start: ContinuousClock.Instant)] = []
    var nextTimerId: UInt32 = 1

    // Describe state.
    var described: [ModuleItem] = []
    var describeErrors: [String] = []

    // Caches (see `HostContext+Lookup.swift`).
    var lookup = LookupCache()
    /// Reused buffer for rows the store API takes as arrays.
    var scratch: [UInt8] = []
    /// Reused buffer for row ids collected before deleting them.
    var rowIds: [RowId] = []

    init(log: ModuleLog, databaseIdentity: Identity, limits: ModuleLimits) {
        self.log = log
        self.databaseIdentity = databaseIdentity
        self.limits = limits
    }

    /// The memory for one host call.
    @inline(__always) func view(_ importName: StaticString) -> GuestView {
        guard let memory else { return GuestView(base: nil, count: 0, importName: importName) }
        let count = memory.byteCount
        if count == 0 { return GuestView(base: nil, count: 0, importName: importName) }
        let base = memory.withUnsafeMutableBufferPointer(offset: 0, count: count) { $0.baseAddress }
        return GuestView(base: base, count: count, importName: importName)
    }

    /// Starts a reducer call: its transaction, arguments and a random source seeded from the
    /// timestamp and the reducer.
    func beginCall(tx: MutTx, args: [UInt8], reducer: ReducerID, timestamp: Timestamp) {
        mode = .calling
        self.tx = tx
        self.args = args
        errorMessage = nil
        let seed = UInt64(bitPattern: timestamp.microsSinceUnixEpoch) ^ (UInt64(reducer.rawValue) &+ 1) &* 0x9E37_79B9_7F4A_7C15
        rng = SplitMix64(seed: seed)
    }

    /// Ends a call: drops the transaction, the arguments and every iterator and timer it opened.
    func endCall() {
        mode = .idle
        tx = nil
        args = []
        iterators.closeAll()
        timers.removeAll(keepingCapacity: true)
        if scratch.capacity > 1 << 20 { scratch = [] }
        rng = SplitMix64(seed: 0)
    }

    /// Forgets cached ids (the schema of the datastore changed).
    func invalidateLookups() { lookup = LookupCache() }
}

/// The open row iterators of one call. Handles are `serial << 8 | slot`, so a stale or forged
/// handle is recognized instead of reading another iterator.
struct IteratorTable {
    /// One iterator's materialized rows: bytes back to back plus each row's end offset, in
    /// buffers kept across calls (growing only), so opening an iterator does not allocate.
    final class Slot {
        var handle: UInt32 = 0
        private(set) var bytes = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
        private(set) var byteCapacity = 256
        private(set) var byteCount = 0
        private(set) var ends = UnsafeMutablePointer<Int>.allocate(capacity: 16)
        private(set) var endCapacity = 16
        private(set) var rowCount = 0
        /// The next row to hand out.
        var next = 0

        deinit {
            bytes.deallocate()
            ends.deallocate()
        }

        func reset(handle: UInt32) {
            self.handle = handle
            byteCount = 0
            rowCount = 0
            next = 0
        }

        @inline(__always) func append(_ row: UnsafeRawBufferPointer) {
            if byteCount + row.count > byteCapacity { growBytes(byteCount + row.count) }
            if rowCount == endCapacity { growEnds() }
            if row.count > 0 { (bytes + byteCount).copyMemory(from: row.baseAddress!, byteCount: row.count) }
            byteCount += row.count
            ends[rowCount] = byteCount
            rowCount += 1
        }

        /// Start offset of row `i`.
        @inline(__always) func start(_ i: Int) -> Int { i == 0 ? 0 : ends[i - 1] }

        private func growBytes(_ needed: Int) {
            let capacity = max(needed, byteCapacity * 2)
            let new = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            new.copyMemory(from: bytes, byteCount: byteCount)
            bytes.deallocate()
            bytes = new
            byteCapacity = capacity
        }

        private func growEnds() {
            let new = UnsafeMutablePointer<Int>.allocate(capacity: endCapacity * 2)
            new.update(from: ends, count: rowCount)
            ends.deallocate()
            ends = new
            endCapacity *= 2
        }

        /// Gives back buffers a large scan grew.
        func shrinkIfLarge() {
            if byteCapacity > 1 << 20 {
                bytes.deallocate()
                bytes = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
                byteCapacity = 256
            }
            if endCapacity > 1 << 16 {
                ends.deallocate()
                ends = UnsafeMutablePointer<Int>.allocate(capacity: 16)
                endCapacity = 16
            }
            byteCount = 0
            rowCount = 0
        }
    }

    private(set) var slots: [Slot] = []
    private(set) var openCount = 0
    private var serial: UInt32 = 0

    /// Opens an iterator (nil when `limit` are already open).
    mutating func open(limit: Int) -> Slot? {
        guard openCount < limit else { return nil }
        serial = serial & 0xFF_FFFF == 0xFF_FFFF ? 1 : serial + 1
        var index = slots.firstIndex { $0.handle == 0 }
        if index == nil, slots.count < 256 {
            slots.append(Slot())
            index = slots.count - 1
        }
        guard let index else { return nil }
        slots[index].reset(handle: serial << 8 | UInt32(index))
        openCount += 1
        return slots[index]
    }

    /// The open iterator with this handle.
    @inline(__always) func find(_ handle: UInt32) -> Slot? {
        let index = Int(handle & 0xFF)
        guard index < slots.count, handle != 0, slots[index].handle == handle else { return nil }
        return slots[index]
    }

    mutating func close(_ slot: Slot) {
        slot.handle = 0
        openCount -= 1
    }

    mutating func closeAll() {
        guard openCount > 0 else { return }
        for s in slots where s.handle != 0 {
            s.handle = 0
            s.shrinkIfLarge()
        }
        openCount = 0
    }
}
