import StarlingStore
import StarlingTypes
@_spi(Fuzzing) import WasmKit

/// Loading: import and export checks, instantiation, describing.
extension ModuleHost {
    static let reducerPrefix = "__starling_reducer__"
    static let describerPrefix = "__starling_describe__"
    /// `(i64 s0..s3, i64 c0, c1, i64 ts, i32 args_len) -> i32`.
    static let reducerType = FunctionType(parameters: Array(repeating: .i64, count: 7) + [.i32], results: [.i32])

    /// Every import must be a function of `starling_1.0` with the ABI's signature.
    static func checkImports(_ module: Module) throws(ModuleError) {
        for imp in module.imports {
            let what = "import `\(imp.module)`.`\(imp.name)`"
            guard imp.module == HostImport.namespace else {
                throw ModuleError(.badImport, "\(what) is not provided: modules may only import from `\(HostImport.namespace)`")
            }
            guard let def = HostImport.named(imp.name) else {
                throw ModuleError(.badImport, "\(what) is not part of the \(HostImport.namespace) ABI")
            }
            guard case .function(let typeIndex) = imp.descriptor else {
                throw ModuleError(.badImport, "\(what) must be imported as a function")
            }
            guard let type = module.functionType(at: typeIndex), type == def.type else {
                let actual = module.functionType(at: typeIndex).map(signatureText) ?? "an unknown type"
                throw ModuleError(.badImport, "\(what) has signature \(actual); the ABI defines \(signatureText(def.type))")
            }
        }
    }

    static func checkMemoryExport(_ module: Module) throws(ModuleError) {
        guard let e = module.exports.first(where: { $0.name == "memory" }) else {
            throw ModuleError(.badExport, "the module does not export its linear memory as `memory`")
        }
        guard case .memory = e.descriptor else {
            throw ModuleError(.badExport, "the module's export `memory` is not a memory")
        }
    }

    /// A new store and instance with the imports bound to `context`; runs `_initialize`.
    static func instantiate(
        _ module: Module, engine: Engine, context: HostContext, limits: ModuleLimits
    ) throws(ModuleError) -> Instantiated {
        context.argsBuffer = nil  // it pointed into the previous instance's memory
        let store = Store(engine: engine)
        store.resourceLimiter = MemoryCap(maxBytes: limits.maxMemoryBytes)
        let instance: Instance
        do {
            instance = try module.instantiate(store: store, imports: context.imports(in: store))
        } catch {
            throw ModuleError(.instantiationFailed, "the module could not be instantiated: \(firstLine(error))")
        }
        guard let memory = instance.exports[memory: "memory"] else {
            throw ModuleError(.badExport, "the module does not export its linear memory as `memory`")
        }
        context.memory = memory
        if let initialize = instance.exports[function: "_initialize"] {
            guard initialize.type == FunctionType(parameters: []) else {
                throw ModuleError(.badExport, "export `_initialize` must have signature () -> ()")
            }
            store.fuel = Fuel(remaining: limits.fuelPerCall)
            do {
                try initialize.invoke([])
            } catch {
                throw ModuleError(.instantiationFailed, "`_initialize` failed: \(describeFailure(error, limits))")
            }
        }
        return Instantiated(store: store, instance: instance, memory: memory)
    }

    /// Runs every describer in byte order of the export names and returns the items they wrote.
    static func describe(_ inst: Instantiated, context: HostContext, limits: ModuleLimits) throws(ModuleError) -> [ModuleItem] {
        let names = inst.instance.exports.compactMap { e -> String? in
            guard e.name.hasPrefix(describerPrefix), case .function = e.value else { return nil }
            return e.name
        }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        context.mode = .describing
        context.described = []
        context.describeErrors = []
        defer { context.mode = .idle }
        for name in names {
            let fn = inst.instance.exports[function: name]!
            guard fn.type == FunctionType(parameters: []) else {
                throw ModuleError(.badExport, "describer `\(name)` must have signature () -> ()")
            }
            inst.store.fuel = Fuel(remaining: limits.fuelPerCall)
            do {
                try fn.invoke([])
            } catch {
                throw ModuleError(.describeFailed, "describer `\(name)` failed: \(describeFailure(error, limits))")
            }
            if let problem = context.describeErrors.first {
                throw ModuleError(.describeFailed, "describer `\(name)` wrote an invalid item: \(problem)")
            }
        }
        return context.described
    }

    /// Every reducer export needs a `ReducerItem` and vice versa, with the call-reducer signature.
    static func checkReducerExports(_ instance: Instance, module: Module, schema: ModuleSchema) throws(ModuleError) {
        let exported = Set(
            module.exports.compactMap { e -> String? in
                guard e.name.hasPrefix(reducerPrefix) else { return nil }
                return String(e.name.dropFirst(reducerPrefix.count))
            })
        let declared = Set(schema.reducers.map(\.name))
        if let extra = exported.subtracting(declared).sorted().first {
            throw ModuleError(
                .reducerMismatch, "export `\(reducerPrefix)\(extra)` has no ReducerItem: describe reducer `\(extra)` or remove the export")
        }
        if let missing = schema.reducers.first(where: { !exported.contains($0.name) }) {
            throw ModuleError(
                .reducerMismatch, "reducer `\(missing.name)` is described but the module has no export `\(reducerPrefix)\(missing.name)`")
        }
        for r in schema.reducers {
            let name = reducerPrefix + r.name
            guard let fn = instance.exports[function: name] else {
                throw ModuleError(.badExport, "export `\(name)` is not a function")
            }
            guard fn.type == reducerType else {
                throw ModuleError(
                    .badExport, "export `\(name)` has signature \(signatureText(fn.type)); a reducer must be \(signatureText(reducerType))")
            }
        }
    }

    /// Resolves the reducer functions of an instance.
    static func bind(_ inst: Instantiated, reducerExports: [String]) throws(ModuleError) -> LiveInstance {
        var fns: [Function] = []
        for name in reducerExports {
            guard let fn = inst.instance.exports[function: name] else {
                throw ModuleError(.badExport, "export `\(name)` is missing")
            }
            fns.append(fn)
        }
        return LiveInstance(store: inst.store, memory: inst.memory, reducers: fns)
    }

    /// A fresh instance for the next call (after a trap).
    func reinstantiate() throws(ModuleError) -> LiveInstance {
        let inst = try Self.instantiate(module, engine: engine, context: context, limits: limits)
        return try Self.bind(inst, reducerExports: reducerExports)
    }
}

/// Denies linear-memory growth past a byte limit (`memory.grow` then returns -1).
final class MemoryCap: ResourceLimiter {
    let maxBytes: Int
    init(maxBytes: Int) { self.maxBytes = maxBytes }
    func limitMemoryGrowth(to desired: Int) throws -> Bool { desired <= maxBytes }
    func limitTableGrowth(to desired: Int) throws -> Bool { desired <= 1 << 20 }
}

/// `(i32, i32) -> i32` style text for a signature.
func signatureText(_ t: FunctionType) -> String {
    func list(_ ts: [ValueType]) -> String { ts.map { "\($0)" }.joined(separator: ", ") }
    return "(\(list(t.parameters))) -> (\(list(t.results)))"
}

/// The first line of an error's description (WasmKit appends backtraces).
func firstLine(_ error: any Error) -> String {
    let text = "\(error)"
    return text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? text
}

/// Whether a WasmKit error is its out-of-fuel trap (the reason enum is not public; its text is).
func isOutOfFuel(_ error: any Error) -> Bool {
    error is Trap && firstLine(error).hasSuffix("out of fuel")
}

/// A message for a failed wasm invocation.
func describeFailure(_ error: any Error, _ limits: ModuleLimits) -> String {
    if isOutOfFuel(error) { return "budget exhausted: used all \(limits.fuelPerCall) fuel of the call" }
    if let t = error as? HostTrap { return "trapped: \(t.message)" }
    return "trapped: \(firstLine(error).replacingPrefix("Trap: ", with: ""))"
}

extension String {
    func replacingPrefix(_ prefix: String, with s: String) -> String {
        hasPrefix(prefix) ? s + dropFirst(prefix.count) : self
    }
}
