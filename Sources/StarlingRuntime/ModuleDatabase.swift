import Foundation
import StarlingDatabase
import StarlingDurability
import StarlingModuleHost
import StarlingStore
import StarlingTypes

/// How a database with a module is kept and limited.
public struct RuntimeOptions: Sendable {
    /// Where the database keeps its log and snapshots; nil keeps everything in memory.
    public var directory: String?
    public var fsync: FsyncPolicy = .batch
    public var limits = ModuleLimits()
    /// How many module log records stay in memory (the rest are in the log file, if any).
    public var logCapacity = 10_000
    /// Take a snapshot every this many transactions (nil: only on demand).
    public var snapshotEvery: UInt64? = 100_000
    /// Sleeps this long in every commitlog fsync: simulates a slower disk (tests, benchmarks).
    public var syncDelayMicros: UInt32 = 0

    public init(directory: String? = nil) { self.directory = directory }
}

/// The outcome of one reducer call as the caller sees it.
public struct CallResult: Sendable {
    public var reducer: String
    public var outcome: ReducerOutcome
    /// What the transaction changed (nil unless it committed).
    public var delta: TxDelta?
    /// The commitlog offset of the transaction (nil when not logged: in memory, or no changes).
    public var offset: UInt64?
    public var timestamp: Timestamp
    /// Time spent in the reducer and commit.
    public var duration: Duration

    public init(
        reducer: String, outcome: ReducerOutcome, delta: TxDelta? = nil, offset: UInt64? = nil, timestamp: Timestamp,
        duration: Duration
    ) {
        self.reducer = reducer
        self.outcome = outcome
        self.delta = delta
        self.offset = offset
        self.timestamp = timestamp
        self.duration = duration
    }
}

/// One database and its module: publish, update, reducer calls (with durability), lifecycle
/// reducers and schedules. Not thread-safe: owned by one writer (see ``DatabaseWorker``).
public final class ModuleDatabase {
    public let database: Database
    public private(set) var host: ModuleHost
    public private(set) var info: ProgramInfo
    public let log: ModuleLog
    let options: RuntimeOptions
    var schedules: ScheduleQueue

    private init(database: Database, host: ModuleHost, info: ProgramInfo, log: ModuleLog, options: RuntimeOptions) {
        self.database = database
        self.host = host
        self.info = info
        self.log = log
        self.options = options
        schedules = ScheduleQueue(schema: host.schema)
        // Snapshots are written in the background; a failure must not go unnoticed.
        database.onSnapshotFinished = { [log] result in
            if case .failure(let e) = result {
                log.host(.error, "snapshot failed (the database keeps running; the log is kept until one succeeds): \(e.message)")
            }
        }
    }

    /// The datastore.
    public var store: Datastore { database.store }
    public var schema: ModuleSchema { host.schema }

    /// Creates a database from `wasm`: its tables, the stored program, and the `init` reducer's
    /// changes, all in the first transaction. If anything fails nothing is kept.
    public static func publish(
        wasm: [UInt8], owner: Identity, identity: Identity, options: RuntimeOptions, now: Timestamp = .now
    ) throws(RuntimeError) -> ModuleDatabase {
        if let dir = options.directory, FileManager.default.fileExists(atPath: dir + "/log") {
            throw RuntimeError(.storage, "\(dir) already holds a database; update it instead")
        }
        let log = try makeLog(options)
        let host: ModuleHost
        do { host = try ModuleHost(wasm: wasm, limits: options.limits, log: log, databaseIdentity: identity) } catch {
            throw .module(error)
        }
        let database = try openDatabase(options)
        let info = ProgramInfo(
            databaseIdentity: identity, owner: owner, publishedAt: now, size: UInt64(wasm.count), checksum: ProgramStore.checksum(wasm))
        let db = ModuleDatabase(database: database, host: host, info: info, log: log, options: options)
        let tx = database.store.begin()
        do throws(StoreError) {
            try ProgramStore.createTables(in: tx)
            try ProgramStore.write(wasm, info: info, in: tx)
            try host.createTables(in: tx)
        } catch {
            tx.rollback()
            db.discard()
            throw RuntimeError(.invalidModule, "creating the module's tables failed: \(error.message)")
        }
        if let initReducer = host.schema.reducer(for: .initialize), let id = host.reducerID(named: initReducer.name) {
            let outcome = host.call(id, args: [], context: CallContext(sender: owner, timestamp: now), in: tx)
            guard outcome.isSuccess else {
                tx.rollback()
                db.discard()
                throw RuntimeError(.initFailed, "the init reducer `\(initReducer.name)` failed: \(outcome.message ?? "")")
            }
        }
        do {
            let (delta, _) = try database.commit(
                tx, reducer: ReducerCall(name: "__publish__", caller: owner, connectionId: .zero, args: []), timestamp: now)
            db.schedules.apply(delta, committedAt: now, tableName: db.tableName)
        } catch {
            db.discard()
            throw .storage(error)
        }
        log.host(.info, "published module (\(wasm.count) bytes) with \(host.schema.tables.count) tables and \(host.schema.reducers.count) reducers")
        return db
    }

    /// Opens an existing database: recovers its data and loads the module stored in it.
    public static func open(options: RuntimeOptions, now: Timestamp = .now) throws(RuntimeError) -> ModuleDatabase {
        let database = try openDatabase(options)
        let stored: (wasm: [UInt8], info: ProgramInfo)?
        do { stored = try database.store.read { tx throws(StoreError) in try ProgramStore.read(tx) } } catch {
            throw .storage(error)
        }
        guard let stored else {
            try? database.close()
            throw RuntimeError(.noModule, "\(options.directory ?? "the database") holds no published module")
        }
        let log = try makeLog(options)
        let host: ModuleHost
        do {
            host = try ModuleHost(wasm: stored.wasm, limits: options.limits, log: log, databaseIdentity: stored.info.databaseIdentity)
        } catch {
            try? database.close()
            throw .module(error)
        }
        let db = ModuleDatabase(database: database, host: host, info: stored.info, log: log, options: options)
        do { try database.store.read { tx throws(StoreError) in try db.schedules.load(from: tx, now: now) } } catch {
            throw .storage(error)
        }
        for w in database.recovery.warnings { log.host(.warn, w) }
        return db
    }

    /// Replaces the module with `wasm` if its schema is compatible (see ``Migration``): new tables
    /// are created and the program replaced in one transaction. Returns what changed.
    @discardableResult
    public func update(wasm: [UInt8], by caller: Identity, now: Timestamp = .now) throws(RuntimeError) -> MigrationPlan {
        guard caller == info.owner else {
            throw RuntimeError(.notOwner, "only the database's owner (\(info.owner.hexString)) may update its module")
        }
        let next: ModuleHost
        do { next = try ModuleHost(wasm: wasm, limits: options.limits, log: log, databaseIdentity: info.databaseIdentity) } catch {
            throw .module(error)
        }
        let plan = try Migration.plan(
            current: host.schema.tables, new: next.schema.tables, oldReducers: host.schema.reducers.map(\.name),
            newReducers: next.schema.reducers.map(\.name), defaults: next.schema.defaultValues(of:))
        var newInfo = info
        newInfo.publishedAt = now
        newInfo.size = UInt64(wasm.count)
        newInfo.checksum = ProgramStore.checksum(wasm)
        let tx = store.begin()
        do throws(StoreError) {
            for (table, columns) in plan.newColumns.sorted(by: { $0.key < $1.key }) {
                try tx.addColumns(try tx.tableId(table), columns, defaults: plan.newColumnDefaults[table] ?? [:])
            }
            for (table, indexes) in plan.newIndexes.sorted(by: { $0.key < $1.key }) {
                let id = try tx.tableId(table)
                for ix in indexes { try tx.addIndex(id, ix) }
            }
            for t in plan.newTables { _ = try tx.createTable(t) }
            try ProgramStore.write(wasm, info: newInfo, in: tx)
        } catch {
            tx.rollback()
            throw RuntimeError(.incompatibleSchema, "applying the update failed: \(error.message)")
        }
        do {
            try database.commit(tx, reducer: ReducerCall(name: "__update__", caller: caller, connectionId: .zero, args: []), timestamp: now)
        } catch {
            throw .storage(error)
        }
        host = next
        info = newInfo
        schedules = ScheduleQueue(schema: next.schema)
        do { try store.read { tx throws(StoreError) in try schedules.load(from: tx, now: now) } } catch { throw .storage(error) }
        log.host(.info, "updated module (\(wasm.count) bytes): " + plan.summary.joined(separator: "; "))
        return plan
    }

    /// Calls a reducer by name with BSATN arguments. Clients cannot call lifecycle reducers.
    public func call(
        _ name: String, args: [UInt8], caller: Identity, connectionId: ConnectionId = .zero, timestamp: Timestamp = .now,
        fromClient: Bool = true
    ) -> CallResult {
        guard let id = host.reducerID(named: name) else {
            return CallResult(
                reducer: name, outcome: .failed("no such reducer `\(name)`"), timestamp: timestamp, duration: .zero)
        }
        if fromClient, host.lifecycle(of: id) != .none {
            return CallResult(
                reducer: name, outcome: .failed("`\(name)` is the \(host.reducer(id).lifecycle.label) reducer; clients cannot call it"),
                timestamp: timestamp, duration: .zero)
        }
        return run(id, name: name, args: args, context: CallContext(sender: caller, connectionId: connectionId, timestamp: timestamp))
    }

    /// Whether the module has a reducer with this name.
    public func hasReducer(_ name: String) -> Bool { host.reducerID(named: name) != nil }

    /// Runs `client_connected` for a new connection (success when the module has none).
    public func clientConnected(_ identity: Identity, connectionId: ConnectionId, timestamp: Timestamp = .now) -> CallResult {
        lifecycle(.clientConnected, identity, connectionId, timestamp)
    }

    /// Runs `client_disconnected` when a connection ends.
    public func clientDisconnected(_ identity: Identity, connectionId: ConnectionId, timestamp: Timestamp = .now) -> CallResult {
        lifecycle(.clientDisconnected, identity, connectionId, timestamp)
    }

    private func lifecycle(_ kind: Lifecycle, _ identity: Identity, _ connection: ConnectionId, _ at: Timestamp) -> CallResult {
        guard let r = host.schema.reducer(for: kind), let id = host.reducerID(named: r.name) else {
            return CallResult(reducer: kind.label, outcome: .success, timestamp: at, duration: .zero)
        }
        return run(id, name: r.name, args: [], context: CallContext(sender: identity, connectionId: connection, timestamp: at))
    }

    /// Runs one reducer in its own transaction; commits (and logs) on success.
    func run(_ id: ReducerID, name: String, args: [UInt8], context: CallContext, before: ((MutTx) -> Bool)? = nil) -> CallResult {
        let clock = ContinuousClock()
        let start = clock.now
        let tx = store.begin()
        if let before, !before(tx) {
            tx.rollback()
            return CallResult(reducer: name, outcome: .failed("skipped"), timestamp: context.timestamp, duration: .zero)
        }
        let outcome = host.call(id, args: args, context: context, in: tx)
        guard outcome.isSuccess else {
            tx.rollback()
            if case .failed = outcome {} else { log.host(.error, "reducer `\(name)` \(outcome.message ?? "failed")") }
            return CallResult(reducer: name, outcome: outcome, timestamp: context.timestamp, duration: clock.now - start)
        }
        do {
            let (delta, offset) = try database.commit(
                tx, reducer: ReducerCall(name: name, caller: context.sender, connectionId: context.connectionId, args: args),
                timestamp: context.timestamp)
            if !schedules.sources.isEmpty { schedules.apply(delta, committedAt: context.timestamp, tableName: tableName) }
            return CallResult(
                reducer: name, outcome: .success, delta: delta, offset: offset, timestamp: context.timestamp, duration: clock.now - start)
        } catch {
            return CallResult(
                reducer: name, outcome: .failed("commit failed: \(error.message)"), timestamp: context.timestamp,
                duration: clock.now - start)
        }
    }

    /// Runs `body` in one transaction on behalf of `caller` (SQL DML, admin changes): commits
    /// and logs it (as `name`) if `body` returns, rolls back if it throws.
    public func transaction<T, E: Error>(
        _ name: String, caller: Identity, timestamp: Timestamp = .now, _ body: (MutTx) throws(E) -> T
    ) -> (result: Result<T, E>, call: CallResult) {
        let clock = ContinuousClock()
        let start = clock.now
        let tx = store.begin()
        let value: T
        do { value = try body(tx) } catch {
            tx.rollback()
            let call = CallResult(reducer: name, outcome: .failed("\(error)"), timestamp: timestamp, duration: clock.now - start)
            return (.failure(error), call)
        }
        do {
            let (delta, offset) = try database.commit(
                tx, reducer: ReducerCall(name: name, caller: caller, connectionId: .zero, args: []), timestamp: timestamp)
            if !schedules.sources.isEmpty { schedules.apply(delta, committedAt: timestamp, tableName: tableName) }
            let call = CallResult(reducer: name, outcome: .success, delta: delta, offset: offset, timestamp: timestamp, duration: clock.now - start)
            return (.success(value), call)
        } catch {
            let call = CallResult(
                reducer: name, outcome: .failed("commit failed: \(error.message)"), timestamp: timestamp, duration: clock.now - start)
            return (.success(value), call)
        }
    }

    func tableName(_ id: UInt32) -> String? {
        try? store.read { tx throws(StoreError) in try tx.schema(id).name }
    }

    /// Flushes the log and closes the database.
    public func close() throws(RuntimeError) {
        do { try database.close() } catch { throw .storage(error) }
    }

    /// Closes and, for a database on disk, removes what a failed publish created.
    private func discard() {
        try? database.close()
        if let dir = options.directory { try? FileManager.default.removeItem(atPath: dir) }
    }

    private static func makeLog(_ options: RuntimeOptions) throws(RuntimeError) -> ModuleLog {
        guard let dir = options.directory else { return ModuleLog(capacity: options.logCapacity) }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw RuntimeError(.storage, "cannot create \(dir): \(error.localizedDescription)")
        }
        do { return try ModuleLog(capacity: options.logCapacity, filePath: dir + "/module.log") } catch {
            throw RuntimeError(.storage, error.message)
        }
    }

    private static func openDatabase(_ options: RuntimeOptions) throws(RuntimeError) -> Database {
        guard let dir = options.directory else { return Database.inMemory() }
        do {
            let db = try Database.open(directory: dir, fsync: options.fsync, syncDelayMicros: options.syncDelayMicros)
            db.snapshotEvery = options.snapshotEvery
            return db
        } catch {
            throw .storage(error)
        }
    }
}
