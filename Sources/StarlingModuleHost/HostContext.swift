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
    final class Slot {
        var handle: UInt32 = 0
        var bytes: [UInt8] = []
        var ends: [Int] = []
        var next = 0

        func reset(handle: UInt32) {
            self.handle = handle
            bytes.removeAll(keepingCapacity: bytes.capacity <= 1 << 20)
            ends.removeAll(keepingCapacity: ends.capacity <= 1 << 16)
            next = 0
        }

        @inline(__always) func append(_ row: UnsafeRawBufferPointer) {
            bytes.append(contentsOf: row)
            ends.append(bytes.count)
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
        for s in slots { s.handle = 0 }
        openCount = 0
    }
}
