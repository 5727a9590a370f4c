/// Resource limits of one module instance. Exceeding one fails the reducer call (or the publish),
/// never the host process.
public struct ModuleLimits: Hashable, Sendable {
    /// Fuel per reducer call (and per describer / `_initialize`): roughly one unit per executed
    /// wasm operator. A call that runs out fails with "budget exhausted" and is rolled back.
    /// Default: 100 million (a few hundred milliseconds of interpretation).
    public var fuelPerCall: UInt64
    /// The largest linear memory an instance may have, in bytes. `memory.grow` past it returns
    /// -1 (the call goes on; a module may handle it or trap); a module whose *initial* memory is
    /// larger is refused. Default: 256 MiB.
    public var maxMemoryBytes: Int
    /// The interpreter's stack (wasm locals and call frames), in bytes. Deep recursion past it
    /// traps with "call stack exhausted". Default: 1 MiB.
    public var stackBytes: Int
    /// Iterators a reducer call may hold open at once (further scans return `LIMIT_EXCEEDED`).
    /// Default: 64; at most 256 whatever the setting (handles carry an 8-bit slot number).
    public var maxOpenIterators: Int
    /// Timers a reducer call may hold open at once (`timer_start` returns 0 past it). Default: 64.
    public var maxOpenTimers: Int

    public init(
        fuelPerCall: UInt64 = 100_000_000, maxMemoryBytes: Int = 256 << 20, stackBytes: Int = 1 << 20,
        maxOpenIterators: Int = 64, maxOpenTimers: Int = 64
    ) {
        self.fuelPerCall = fuelPerCall
        self.maxMemoryBytes = maxMemoryBytes
        self.stackBytes = stackBytes
        self.maxOpenIterators = maxOpenIterators
        self.maxOpenTimers = maxOpenTimers
    }
}
