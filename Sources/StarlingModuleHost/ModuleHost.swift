public import StarlingStore
public import StarlingTypes
@_spi(Fuzzing) import WasmKit

/// Runs one module (a WebAssembly binary) for one database: loads and validates it, creates its
/// tables, and calls its reducers inside the caller's transactions (see `docs/module-abi.md`).
///
/// Used by one thread at a time (the database's writer). Every call runs under the
/// ``ModuleLimits``: a call that traps or runs out of fuel fails, and the instance is discarded;
/// a fresh one is instantiated before the next call, so no half-updated wasm state survives.
public final class ModuleHost {
    /// The module's validated schema.
    public let schema: ModuleSchema
    public let limits: ModuleLimits
    /// Where the module's `log` records and the host's messages about the module go.
    public let log: ModuleLog

    let module: Module
    let engine: Engine
    let context: HostContext
    /// The export name of each reducer, by ``ReducerID``.
    let reducerExports: [String]
    let reducerIDs: [String: ReducerID]
    /// How to check each reducer's argument bytes, by ``ReducerID``.
    let argCheckers: [ArgsChecker]
    /// The instance reducer calls run in; nil after a trap until the next call.
    var live: LiveInstance?
    /// Fuel (≈ wasm instructions) used by the last call that returned normally: a deterministic
    /// cost measure for metrics and for tests that guard the SDK's per-call overhead.
    public internal(set) var lastCallFuel: UInt64 = 0
    var stack: ExecutionStack
    /// The reducer export's eight parameters, rewritten in place by each call (no array per call).
    var callParams = [Value](repeating: .i64(0), count: 8)

    /// Loads a module: parses `wasm`, checks its imports against `starling_1.0`, instantiates it,
    /// runs `_initialize` and the describers and validates the schema they describe.
    public init(
        wasm: [UInt8], limits: ModuleLimits = .init(), log: ModuleLog, databaseIdentity: Identity
    ) throws(ModuleError) {
        self.limits = limits
        self.log = log
        let module: Module
        do {
            module = try parseWasm(bytes: wasm)
        } catch {
            throw ModuleError(.invalidWasm, "the module is not valid WebAssembly: \(error)")
        }
        try Self.checkImports(module)
        try Self.checkMemoryExport(module)
        self.module = module
        // Software bounds checks rather than guard pages: with guard pages every call into the
        // module saves the signal mask (a syscall) for its trap handler, and each instance reserves
        // 4 GiB of address space. Measured here (`starling-bench module`, 16 alternating runs): the
        // bank's transfer 12% and an empty reducer 20% faster per call with software checks.
        engine = Engine(
            configuration: EngineConfiguration(stackSize: limits.stackBytes, memoryBoundsChecking: .software, fuelMetering: true))
        stack = ExecutionStack(engine: engine)
        context = HostContext(log: log, databaseIdentity: databaseIdentity, limits: limits)
        let instance = try Self.instantiate(module, engine: engine, context: context, limits: limits)
        let items = try Self.describe(instance, context: context, limits: limits)
        do {
            schema = try ModuleSchema(items: items)
        } catch {
            throw ModuleError(.invalidSchema, "the module's schema is invalid: \(error.message)")
        }
        context.schemaTables = schema.tables
        reducerExports = schema.reducers.map { Self.reducerPrefix + $0.name }
        var ids: [String: ReducerID] = [:]
        for (i, r) in schema.reducers.enumerated() { ids[r.name] = ReducerID(rawValue: UInt32(i)) }
        reducerIDs = ids
        argCheckers = schema.reducers.map { ArgsChecker($0) }
        try Self.checkReducerExports(instance.instance, module: module, schema: schema)
        live = try Self.bind(instance, reducerExports: reducerExports)
    }

    /// The id of the reducer with this name.
    public func reducerID(named name: String) -> ReducerID? { reducerIDs[name] }

    /// The reducer item of an id.
    public func reducer(_ id: ReducerID) -> ReducerItem { schema.reducers[Int(id.rawValue)] }

    /// The lifecycle role of a reducer (read in place: no copy of its item per call).
    public func lifecycle(of id: ReducerID) -> Lifecycle { schema.reducers[Int(id.rawValue)].lifecycle }

    /// Creates the schema's tables in `tx` (on first publish).
    public func createTables(in tx: MutTx) throws(StoreError) {
        for t in schema.tables { try tx.createTable(t) }
        context.invalidateLookups()
    }

    /// Begins a transaction on `store`, calls the reducer, commits on success and rolls back
    /// otherwise. Returns the outcome and, on success, what the transaction changed.
    public func run(_ reducer: ReducerID, args: [UInt8], context: CallContext, in store: Datastore) -> (ReducerOutcome, TxDelta?) {
        let tx = store.begin()
        let outcome = call(reducer, args: args, context: context, in: tx)
        guard outcome == .success else {
            tx.rollback()
            return (outcome, nil)
        }
        do {
            return (outcome, try tx.commit())
        } catch {
            tx.rollback()
            return (.failed("commit failed: \(error.message)"), nil)
        }
    }
}

/// A live instance and the handles a call needs, resolved once per instantiation.
struct LiveInstance {
    let store: Store
    let memory: Memory
    /// Reducer export functions, by ``ReducerID``.
    let reducers: [Function]
}

/// An instantiated module before its reducers are bound.
struct Instantiated {
    let store: Store
    let instance: Instance
    let memory: Memory
}

/// Checks a reducer's argument bytes against its parameter types.
struct ArgsChecker {
    let name: String
    let params: [ColumnItem]
    /// For parameters that are all fixed-size with no validity rules: the exact byte length.
    let fixedLength: Int?

    init(_ r: ReducerItem) {
        name = r.name
        params = r.params
        let type = AlgebraicType.product(r.argsType)
        fixedLength = type.containsSum ? nil : type.fixedSize
    }

    /// Nil if `args` is a valid encoding of the parameters, else why not.
    func check(_ args: [UInt8]) -> String? {
        if let fixedLength, args.count == fixedLength { return nil }
        return args.withUnsafeBytes { b -> String? in
            var r = BSATNReader(b)
            for p in params {
                do throws(BSATNError) {
                    try r.skip(p.type)
                } catch {
                    return "arguments of reducer `\(name)` do not match its parameters: parameter `\(p.name)` (\(p.type)): \(error.message) at byte \(error.offset)"
                }
            }
            if !r.isAtEnd {
                return "arguments of reducer `\(name)` do not match its parameters: \(r.remaining) bytes left after the last parameter"
            }
            return nil
        }
    }
}
