import CoreMetrics
import Foundation
import NIOWebSocket
import StarlingDatabase
import StarlingDurability
import StarlingModuleHost
import StarlingProtocol
import StarlingQuery
import StarlingRuntime
import StarlingStore
import StarlingTypes
import Synchronization

/// What any thread may know about a served database (kept current by its worker).
public struct DatabaseInfo: Sendable {
    public var name: String
    public var identity: Identity
    public var owner: Identity
    public var schema: ModuleSchema
    public var publishedAt: Timestamp
    public var moduleSize: UInt64
}

/// One database on the server: its single writer (``DatabaseWorker``), the WebSocket clients
/// connected to it and their subscriptions. Everything that touches the data or the clients
/// runs on the worker thread, in the order it was submitted; what a batch of jobs sends is
/// handed to the event loops once per batch (``Outbox``).
final class DatabaseHost: DatabaseWorkerObserver, @unchecked Sendable {
    let name: String
    let log: ModuleLog
    let metrics: DatabaseMetrics
    private let infoBox: Mutex<DatabaseInfo>
    /// A constant, so handing it a job (each client message) takes no reference count on it.
    private let worker: DatabaseWorker

    // Worker thread only.
    var clients: [ConnectionId: ClientSession] = [:]
    /// Every client's live queries.
    let subscriptions = SubscriptionRegistry()
    /// The module's row-level security, or why it does not parse.
    var rowSecurity: Result<RowLevelSecurity, SQLError>
    /// Plans of recent SQL reads by shape (emptied when the module changes).
    let queryCache = QueryCache()
    var outbox: Outbox
    /// Reused for every BSATN message the worker encodes (no allocation per reply).
    var scratch = BSATNWriter(capacity: 512)
    var render: JSONRendering
    /// Clients with confirmed reads whose updates wait for the commitlog to make them durable.
    var confirmedHeld: [ConnectionId: ClientSession] = [:]
    /// The database's commitlog (nil in memory: then every transaction counts as confirmed).
    let commitlog: Commitlog?
    private var watcher: DurabilityWatcher?

    init(name: String, db: ModuleDatabase, maxQueuedBytes: Int) {
        self.name = name
        log = db.log
        metrics = DatabaseMetrics(database: name)
        let info = DatabaseInfo(
            name: name, identity: db.info.databaseIdentity, owner: db.info.owner, schema: db.schema,
            publishedAt: db.info.publishedAt, moduleSize: db.info.size)
        infoBox = Mutex(info)
        outbox = Outbox(maxQueuedBytes: maxQueuedBytes)
        commitlog = db.database.log
        render = Self.rendering(db.schema)
        rowSecurity = Self.rowSecurity(db)
        // Group commit: with every-commit, a batch's commits are fsynced once before its replies go out.
        db.database.defersDurabilityWait = true
        worker = DatabaseWorker(unstarted: db, name: "db.\(name)")
        worker.start(observer: self)
    }

    /// The database's current description.
    var info: DatabaseInfo { infoBox.withLock { $0 } }

    /// Runs `job` on the worker and returns its result.
    func perform<T: Sendable>(_ job: @escaping @Sendable (ModuleDatabase) -> T) async -> T {
        await withCheckedContinuation { c in worker.submit { db in c.resume(returning: job(db)) } }
    }

    /// Runs `job` on the worker without waiting.
    func submit(_ job: @escaping @Sendable (ModuleDatabase) -> Void) { worker.submit(job) }

    /// Disconnects every client, finishes queued work and closes the database.
    func stop(reason: String) {
        worker.submit { [self] db in
            sendEverything(db)
            for c in clients.values { c.outlet.close(code: .goingAway, reason: reason) }
            clients.removeAll()
            subscriptions.removeAll()
            metrics.clients.record(0)
            recordSubscriptionCount()
            confirmedHeld.removeAll()
            watcher?.stop()
        }
        worker.stop()
    }

    /// Waits until the commits so far are durable (`every-commit`; nothing to wait for otherwise).
    /// A failed log fails the database's later commits, which callers then see.
    func awaitDurability(_ db: ModuleDatabase) {
        do { try db.database.waitUntilDurable() } catch { db.log.host(.error, error.message) }
    }

    /// Refreshes ``info``, the JSON rendering and row-level security after the module changed
    /// (worker thread). When the schema changed, clients are disconnected (code 1012) so that they
    /// reconnect and subscribe against the new one: their queries and caches may no longer fit it.
    func moduleChanged(_ db: ModuleDatabase, schemaChanged: Bool) {
        if schemaChanged {
            sendEverything(db)
            for c in clients.values {
                c.outlet.close(code: .unknown(1012), reason: "the module was updated with schema changes; reconnect")
            }
            subscriptions.removeAll()
            recordSubscriptionCount()
        }
        rowSecurity = Self.rowSecurity(db)
        queryCache.removeAll()
        render = Self.rendering(db.schema)
        infoBox.withLock {
            $0.schema = db.schema
            $0.publishedAt = db.info.publishedAt
            $0.moduleSize = db.info.size
        }
    }

    // MARK: DatabaseWorkerObserver

    func workerRanSchedule(_ result: CallResult, in db: ModuleDatabase) {
        metrics.recordCall(result)
        broadcast(result, db, caller: db.info.databaseIdentity, connection: .zero, args: [], requestId: 0, callerSession: nil)
    }

    func workerFinishedBatch(_ db: ModuleDatabase) {
        if !confirmedHeld.isEmpty { releaseConfirmed() }
        sendBatch(db)
        if let log = commitlog, let wait = confirmedHeld.values.compactMap({ $0.held.last?.offset }).max() {
            durabilityWatcher(log).request(wait)
        }
        metrics.refresh(db)
    }

    /// How many batches' frames may wait for the log at once (`every-commit`); past it the worker
    /// waits for the fsync itself, so a slow disk slows the callers instead of growing memory.
    static let maxParkedBatches = 16

    /// Hands the batch's frames to the event loops. With `every-commit`, frames that report
    /// commits not yet durable — or that follow such frames — are parked until the log has them
    /// (``DurabilityWatcher``) while the worker goes on; a batch with nothing to send just starts
    /// the log writing its commits.
    private func sendBatch(_ db: ModuleDatabase) {
        guard let log = commitlog, repliesWaitForDurability else { return outbox.flush() }
        guard !outbox.isEmpty else { return db.database.writeDeferredCommits() }
        let pending = log.lastOffsetNotDurable
        let parked = watcher?.parkedCount ?? 0
        guard pending != nil || parked > 0 else { return outbox.flush() }
        if parked >= Self.maxParkedBatches { return sendEverything(db) }
        if let batch = outbox.seal() { durabilityWatcher(log).park(batch, until: pending ?? 0) }
    }

    /// Waits until every commit is durable, then hands over every parked batch and the current one.
    func sendEverything(_ db: ModuleDatabase) {
        guard repliesWaitForDurability else { return outbox.flush() }
        awaitDurability(db)
        watcher?.drain()
        outbox.flush()
    }

    /// Whether the frames the worker sends wait until the commits they report are durable
    /// (`every-commit`); then confirmed-read clients need no holding of their own.
    var repliesWaitForDurability: Bool { commitlog?.fsyncPolicy == .everyCommit }

    /// The thread that waits for the log on the worker's behalf (started on first use).
    private func durabilityWatcher(_ log: Commitlog) -> DurabilityWatcher {
        if let watcher { return watcher }
        let w = DurabilityWatcher(log: log, name: "durable.\(name)") { [weak self] in self?.submit { _ in } }
        watcher = w
        return w
    }

    // MARK: Calls

    /// Calls a reducer for an HTTP client (JSON arguments) and tells subscribers. Like a
    /// WebSocket client, the caller is connected for the call: `client_connected` runs before
    /// (its failure refuses the call) and `client_disconnected` after.
    func callFromHTTP(_ reducer: String, args: JSONValue, caller: Identity) async -> HTTPCallOutcome {
        await perform { [self] db in
            guard let item = db.schema.reducers.first(where: { $0.name == reducer }) else { return .unknownReducer }
            let bytes: [UInt8]
            switch Self.encodeArgs(args, for: item) {
            case .success(let b): bytes = b
            case .failure(let e): return .badArguments(e.message)
            }
            let connection = ConnectionId.random()
            let connected = db.clientConnected(caller, connectionId: connection)
            if let refused = connected.outcome.message { return .refused(refused) }
            if connected.delta != nil { broadcast(connected, db, caller: caller, connection: connection, args: [], requestId: 0, callerSession: nil) }
            let result = db.call(reducer, args: bytes, caller: caller, connectionId: connection)
            metrics.recordCall(result)
            broadcast(result, db, caller: caller, connection: connection, args: bytes, requestId: 0, callerSession: nil)
            let gone = db.clientDisconnected(caller, connectionId: connection)
            if gone.delta != nil { broadcast(gone, db, caller: caller, connection: connection, args: [], requestId: 0, callerSession: nil) }
            awaitDurability(db)
            if let message = result.outcome.message { return .failed(message) }
            return .committed
        }
    }

    /// JSON arguments (an array in parameter order, or an object keyed by parameter name) in BSATN.
    static func encodeArgs(_ json: JSONValue, for reducer: ReducerItem) -> Result<[UInt8], ProtocolError> {
        let type = reducer.argsType
        if case .array(let xs) = json, xs.count != type.fields.count {
            let list = reducer.params.map { "\($0.name): \($0.type)" }.joined(separator: ", ")
            return .failure(ProtocolError("`\(reducer.name)` takes \(type.fields.count) argument(s) (\(list)), got \(xs.count)"))
        }
        do {
            return .success(try AlgebraicValue.productFromJSON(json, as: type).bsatn)
        } catch {
            return .failure(ProtocolError("invalid arguments for `\(reducer.name)`: \(error)"))
        }
    }

    /// The module's row-level security, checked against its tables (each filter must bind:
    /// its table and columns exist, its types fit). A module whose filters do not apply is still
    /// served, to its owner only; the reason goes to its log.
    static func rowSecurity(_ db: ModuleDatabase) -> Result<RowLevelSecurity, SQLError> {
        let result = Result { () throws(SQLError) -> RowLevelSecurity in
            let rls = try RowLevelSecurity(db.schema.rowLevelSecurity)
            let context = QueryContext(caller: .zero, isOwner: true, rowFilters: rls.rowFilters)
            try db.store.read { tx throws(SQLError) in
                for table in rls.filters.keys.sorted() {
                    do throws(SQLError) { _ = try LiveQuery.compile("SELECT * FROM \"\(table)\"", in: tx, context: context) } catch {
                        throw SQLError(.invalid, "row-level security of table `\(table)`: \(error.message)")
                    }
                }
            }
            return rls
        }
        if case .failure(let e) = result {
            db.log.host(.error, "\(e.message); only the owner can query this database until the module fixes it")
        }
        return result
    }

    /// How JSON clients see rows and reducer arguments of this schema.
    static func rendering(_ schema: ModuleSchema) -> JSONRendering {
        var rowTypes: [String: ProductType] = [:]
        for t in schema.tables { rowTypes[t.name] = ProductType(t.columns.map { .init($0.name, $0.type) }) }
        var argTypes: [String: ProductType] = [:]
        for r in schema.reducers { argTypes[r.name] = r.argsType }
        let rows = rowTypes
        let args = argTypes
        return JSONRendering(
            rowType: { rows[$0] },
            reducerArgs: { name, bytes in
                guard let t = args[name], case .product(let xs)? = try? AlgebraicValue.decode(.product(t), from: bytes) else {
                    return .array([])
                }
                return .array(zip(xs, t.fields).map { $0.json($1.type) })
            })
    }
}

/// The outcome of an HTTP reducer call.
enum HTTPCallOutcome: Sendable {
    case committed
    case unknownReducer
    case badArguments(String)
    /// `client_connected` refused the caller.
    case refused(String)
    case failed(String)
}
