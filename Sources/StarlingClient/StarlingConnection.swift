public import StarlingTypes
import StarlingNetClient
import StarlingProtocol

/// A connection to one Starling database: identity, subscriptions with a client cache, reducer
/// calls, one-off queries, and reconnection.
///
/// ```swift
/// let conn = try await StarlingConnection.connect(to: "http://127.0.0.1:3000", database: "quickstart-chat",
///                                                 token: savedToken)
/// save(conn.token)                                     // come back as the same identity
/// conn.table(Message.self).onInsert { message, _ in print(message.text) }
/// let sub = try await conn.subscribe(["SELECT * FROM message", "SELECT * FROM user"])
/// try await conn.reducers.sendMessage(text: "hello")   // generated; or conn.call("send_message", [.string("hello")])
/// try await sub.unsubscribe()
/// await conn.close()
/// ```
///
/// **Concurrency.** A final class, safe to share between tasks and threads. Its state is guarded by
/// one lock, held only briefly and never while app code runs. Server messages are applied one at a
/// time, in order, by the connection's receive task, which then runs the callbacks they cause
/// (deletes, updates, inserts, then `onApplied`, then resuming waiting calls) — one at a time,
/// outside the lock, so callbacks may read the cache and start new requests. A callback that
/// blocks delays every later message; hand long work to a task.
///
/// **Lifetime.** An open connection keeps itself alive (its receive task holds it) until
/// ``close()`` or until reconnecting gives up; call ``close()`` when done.
public final class StarlingConnection: Sendable {
    /// The server's HTTP base URL, `http://host:port` or `https://host[:port]`.
    public let baseURL: String
    /// The database name.
    public let database: String
    /// How this connection connects and reconnects.
    public let options: ConnectionOptions
    let webSocketURL: String
    let state: Locked<ConnectionState>

    private init(baseURL: String, webSocketBase: String, database: String, options: ConnectionOptions, schema: DatabaseSchema, token: String) {
        self.baseURL = baseURL
        self.database = database
        self.options = options
        self.webSocketURL = webSocketBase + "/v1/database/\(ServerHTTP.pathSegment(database))/subscribe"
        self.state = Locked(ConnectionState(schema: schema, token: token))
    }

    /// Connects: mints an identity if `token` is nil (`POST /v1/identity`), loads the schema,
    /// opens the WebSocket and returns once the server's IdentityToken arrived. The first
    /// connection is not retried: a wrong URL, database or token fails at once.
    ///
    /// - Parameters:
    ///   - url: The server, `http://host:port` or, over TLS, `https://host[:port]` (a `ws://` or `wss://` URL
    ///     works too). A TLS server's certificate must chain to the system's trust roots or to
    ///     ``ConnectionOptions/caFile``, and name the URL's host.
    ///   - database: The database name.
    ///   - token: A token saved from an earlier session (``token``), or nil for a new identity.
    public static func connect(
        to url: String, database: String, token: String? = nil, options: ConnectionOptions = ConnectionOptions()
    ) async throws(StarlingError) -> StarlingConnection {
        let (base, ws) = try parseURL(url)
        guard !database.isEmpty else { throw StarlingError(.invalidArgument, "the database name is empty") }
        var token = token
        if token == nil { token = try await ServerHTTP.mintIdentity(baseURL: base, options: options).token }
        let schema = try await ServerHTTP.schema(baseURL: base, database: database, token: token, options: options)
        let conn = StarlingConnection(baseURL: base, webSocketBase: ws, database: database, options: options, schema: schema, token: token ?? "")
        do {
            try await conn.openSocket()
        } catch {
            conn.state.withLock { $0.phase = .closed }
            throw error
        }
        return conn
    }

    /// The HTTP and WebSocket base URLs from either form: `http://`/`ws://` pair up, and so do
    /// `https://`/`wss://` (TLS).
    static func parseURL(_ url: String) throws(StarlingError) -> (http: String, ws: String) {
        var rest = Substring(url.trimmingWhitespace)
        while rest.hasSuffix("/") { rest.removeLast() }
        let pairs = [("http://", "http://", "ws://"), ("ws://", "http://", "ws://"), ("https://", "https://", "wss://"), ("wss://", "https://", "wss://")]
        for (prefix, http, ws) in pairs where rest.lowercased().hasPrefix(prefix) {
            let hostPart = rest.dropFirst(prefix.count)
            guard !hostPart.isEmpty else { break }
            return (http + hostPart, ws + hostPart)
        }
        throw StarlingError(
            .invalidArgument, "`\(url)` is not a server URL: expected http://host:port or https://host[:port] (or ws://, wss://)")
    }

    // MARK: - Identity

    /// This client's identity.
    public var identity: Identity { state.withLock { $0.identity ?? .zero } }
    /// The token; persist it to connect again as the same ``identity``.
    public var token: String { state.withLock { $0.token ?? "" } }
    /// This connection's id (a new one after every reconnect).
    public var connectionId: ConnectionId { state.withLock { $0.connectionId ?? .zero } }
    /// Whether the socket is open and identified (false while reconnecting and after ``close()``).
    public var isConnected: Bool { state.withLock { $0.phase == .connected } }
    /// Whether ``close()`` was called, or reconnecting gave up.
    public var isClosed: Bool { state.withLock { $0.phase == .closed } }
    /// The database's schema as loaded at the last (re)connect.
    public var schema: DatabaseSchema { state.withLock { $0.cache.schema } }

    // MARK: - Tables

    /// The cached rows of the table `Row` was generated for, decoded as `Row`.
    ///
    /// The first call checks `Row` against the schema; a mismatch (stale generated code) is
    /// reported as a ``ConnectionEvent/error(_:)`` and such rows are left out. Use ``verify(_:)``
    /// to check up front.
    public func table<Row: StarlingRow>(_ type: Row.Type) -> Table<Row> {
        bind(type)
        return Table(name: Row.tableName, connection: self) { row in row.typed as? Row ?? (try? Row(bsatn: row.bytes)) }
    }

    /// The cached rows of table `name`, as ``DynamicRow``s.
    public func table(named name: String) throws(StarlingError) -> Table<DynamicRow> {
        _ = try schema.table(name)
        return Table(name: name, connection: self) { DynamicRow(columnNames: $0.names, values: $0.fields) }
    }

    /// Checks generated row types against the database's schema: each type's table must exist
    /// and have the type's columns (same types, same order).
    public func verify(_ types: [any StarlingRow.Type]) throws(StarlingError) {
        let schema = self.schema
        for t in types { try Self.check(t, against: schema) }
    }

    static func check(_ type: any StarlingRow.Type, against schema: DatabaseSchema) throws(StarlingError) {
        let info = try schema.table(type.tableName)
        guard type.algebraicType.sameShape(as: .product(info.rowType)) else {
            throw StarlingError(
                .schemaMismatch,
                "\(type) was generated for table `\(type.tableName)` as \(type.algebraicType), but the database's table is "
                    + "\(AlgebraicType.product(info.rowType)); regenerate the bindings with `starling generate`")
        }
    }

    private func bind<Row: StarlingRow>(_ type: Row.Type) {
        let binding = TypedBinding(type: ObjectIdentifier(type), typeName: "\(type)") { try Row(bsatn: $0) }
        let effects = state.withLock { s -> [Effect] in
            guard !s.cache.isBound(Row.tableName, to: binding.type) else { return [] }
            do throws(StarlingError) {
                try Self.check(type, against: s.cache.schema)
                try s.cache.bind(Row.tableName, binding)
                return []
            } catch {
                s.cache.markBound(Row.tableName, binding)
                return s.emit(.error(error))
            }
        }
        run(effects)
    }

    /// Runs `body` on the cache of table `name` under the lock.
    func readCache<R>(_ name: String, _ body: (TableCache?) -> R) -> R {
        state.withLock { body($0.cache.table(name)) }
    }

    /// Registers row callbacks on table `name`.
    func addRowListener(_ name: String, _ listener: RowListener) -> CallbackHandle {
        addRowListener(name, listener) { _ in () }.1
    }

    /// Registers row callbacks and reads the table under the same lock.
    func addRowListener<T>(_ name: String, _ listener: RowListener, snapshot: (TableCache?) -> T) -> (T, CallbackHandle) {
        let (id, value, closed) = state.withLock { s in
            let id = s.listenerId()
            if s.phase != .closed { s.cache.addListener(name, id: id, listener) }
            return (id, snapshot(s.cache.table(name)), s.phase == .closed)
        }
        if closed { listener.finish?() }
        return (value, CallbackHandle { [weak self] in _ = self?.state.withLock { $0.cache.removeListener(name, id: id) } })
    }

    // MARK: - Client events

    /// Calls `f` for every client-level event: (re)connections, drops, transactions, errors.
    @discardableResult
    public func onEvent(_ f: @escaping @Sendable (ConnectionEvent) -> Void) -> CallbackHandle {
        addEventListener(f, finish: nil)
    }

    /// The client-level events from now on, as an async sequence that ends when the connection
    /// closes for good (or the iteration stops).
    public func events() -> AsyncStream<ConnectionEvent> {
        let (stream, continuation) = AsyncStream<ConnectionEvent>.makeStream()
        let handle = addEventListener({ continuation.yield($0) }, finish: { continuation.finish() })
        continuation.onTermination = { _ in handle.remove() }
        return stream
    }

    private func addEventListener(
        _ f: @escaping @Sendable (ConnectionEvent) -> Void, finish: (@Sendable () -> Void)?
    ) -> CallbackHandle {
        let (id, closed) = state.withLock { s in
            let id = s.listenerId()
            if s.phase != .closed { s.eventListeners.append((id, f, finish)) }
            return (id, s.phase == .closed)
        }
        if closed { finish?() }
        return CallbackHandle { [weak self] in
            // Returned so that the callback is released after the lock.
            _ = self?.state.withLock { s in s.eventListeners.firstIndex { $0.id == id }.map { s.eventListeners.remove(at: $0) } }
        }
    }

    /// Runs callbacks collected under the lock, in order.
    func run(_ effects: [Effect]) {
        for e in effects { e() }
    }
}
