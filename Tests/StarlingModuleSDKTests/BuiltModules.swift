import Foundation
import StarlingCLI
import StarlingModuleHost
import StarlingStore
import StarlingTypes
import Synchronization

/// Builds module packages with the SDK once per test process (each in its own `.build`, as
/// `starling build` does) and loads them into a fresh datastore for each test.
enum BuiltModules {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    private static let cache = Mutex<[String: [UInt8]]>([:])
    private static let buildLock = NSLock()

    /// The wasm of the package at `path` (relative to the repository).
    static func wasm(_ path: String) throws -> [UInt8] {
        buildLock.lock()
        defer { buildLock.unlock() }
        if let bytes = cache.withLock({ $0[path] }) { return bytes }
        let builder = try ModuleBuilder(projectPath: repository.appendingPathComponent(path))
        var output = ""
        let url: URL
        do {
            url = try builder.build(log: { output += $0 })
        } catch {
            throw ModuleBuildError("\(error.message)\n\(output)")
        }
        let bytes = try [UInt8](Data(contentsOf: url))
        cache.withLock { $0[path] = bytes }
        return bytes
    }
}

/// A module loaded into a new datastore with its tables created, ready for reducer calls.
final class LoadedModule {
    let host: ModuleHost
    let store = Datastore()
    let log = ModuleLog()
    let owner = Identity(limbs: (1, 2, 3, 4))

    init(_ path: String, limits: ModuleLimits = .init()) throws {
        host = try ModuleHost(wasm: try BuiltModules.wasm(path), limits: limits, log: log, databaseIdentity: owner)
        let tx = store.begin()
        try host.createTables(in: tx)
        _ = try tx.commit()
    }

    /// Calls `reducer` with BSATN-encoded `args` as `sender`.
    @discardableResult
    func call(_ reducer: String, _ args: [any BSATNCodable] = [], sender: Identity? = nil, connection: UInt128 = 0) throws
        -> ReducerOutcome
    {
        guard let id = host.reducerID(named: reducer) else { throw ModuleBuildError("no reducer \(reducer)") }
        var w = BSATNWriter()
        for a in args { a.encode(to: &w) }
        let context = CallContext(
            sender: sender ?? owner, connectionId: ConnectionId(connection), timestamp: Timestamp(microsSinceUnixEpoch: 1_700_000_000_000_000))
        return host.run(id, args: w.bytes, context: context, in: store).0
    }

    /// All rows of `table` as values.
    func rows(_ table: String) throws -> [AlgebraicValue] {
        try store.read { tx in try tx.values(try tx.tableId(table)) }
    }

    /// The module log's messages, oldest first.
    var messages: [String] { log.recent(1000).map(\.message) }
}

extension AlgebraicValue {
    var product: [AlgebraicValue]? { if case .product(let f) = self { f } else { nil } }
    var u64: UInt64? { if case .u64(let v) = self { v } else { nil } }
    var i64: Int64? { if case .i64(let v) = self { v } else { nil } }
}
