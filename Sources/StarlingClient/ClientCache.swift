import StarlingTypes

/// Work to do after the connection's lock is released: app callbacks and continuations.
typealias Effect = @Sendable () -> Void

/// The callbacks one registration put on a table.
struct RowListener: Sendable {
    var insert: (@Sendable (CachedRow, EventContext) -> Void)?
    var delete: (@Sendable (CachedRow, EventContext) -> Void)?
    var update: (@Sendable (CachedRow, CachedRow, EventContext) -> Void)?
    /// Called once when the connection closes for good (ends async streams).
    var finish: (@Sendable () -> Void)? = nil
}

/// The caches of all tables, the apps' row callbacks, and how server messages change them.
/// Used only under the connection's lock; callbacks come back as ``Effect``s to run after it.
final class ClientCache {
    private(set) var schema: DatabaseSchema
    private(set) var tables: [String: TableCache] = [:]
    /// Row callbacks by table name, in registration order (kept across schema reloads).
    private var listeners: [String: [(id: UInt64, listener: RowListener)]] = [:]
    /// Typed bindings by table name.
    private var bindings: [String: TypedBinding] = [:]
    /// The Swift type each table was last asked for (also when it did not match the schema).
    private var boundTypes: [String: ObjectIdentifier] = [:]

    init(schema: DatabaseSchema) { self.schema = schema }

    /// The cache of table `name`, created on first use; nil if the schema has no such table.
    func table(_ name: String) -> TableCache? {
        if let t = tables[name] { return t }
        guard let info = try? schema.table(name) else { return nil }
        let t = TableCache(info: info)
        if let b = bindings[name] { try? t.bind(b) }
        tables[name] = t
        return t
    }

    /// Points every table cache at the current schema's description of its table.
    func setSchema(_ schema: DatabaseSchema) {
        self.schema = schema
        for (name, t) in tables {
            if let info = try? schema.table(name) { t.setInfo(info) }
        }
    }

    /// Decodes `name`'s rows with `binding` from now on.
    func bind(_ name: String, _ binding: TypedBinding) throws(StarlingError) {
        boundTypes[name] = binding.type
        bindings[name] = binding
        try table(name)?.bind(binding)
    }

    /// Whether table `name` was already asked for as the Swift type `type`.
    func isBound(_ name: String, to type: ObjectIdentifier) -> Bool { boundTypes[name] == type }

    /// Remembers that table `name` was asked for as `binding`'s type without decoding with it
    /// (the type does not match the schema; the mismatch was reported once).
    func markBound(_ name: String, _ binding: TypedBinding) { boundTypes[name] = binding.type }

    func addListener(_ table: String, id: UInt64, _ listener: RowListener) {
        listeners[table, default: []].append((id, listener))
    }

    /// Removes a registration; returns it so that it is released after the lock (its closures
    /// may hold objects whose deinit uses the connection).
    func removeListener(_ table: String, id: UInt64) -> [RowListener] {
        guard let i = listeners[table]?.firstIndex(where: { $0.id == id }) else { return [] }
        return [listeners[table]!.remove(at: i).listener]
    }

    /// Applies the rows one message inserts into and deletes from one table. Returns the
    /// callbacks to run (none when `silent`, while resynchronizing after a reconnect).
    func apply(
        table name: String, inserts: [[UInt8]], deletes: [[UInt8]], context: EventContext, silent: Bool
    ) throws(StarlingError) -> [Effect] {
        guard let table = table(name) else {
            throw StarlingError(.protocolError, "the server sent rows of table `\(name)`, which the schema does not have")
        }
        let (added, removed) = try table.apply(inserts: inserts, deletes: deletes)
        return silent ? [] : emit(table, added: added, removed: removed, context: context)
    }

    /// The callbacks for rows that appeared and disappeared together: deletes, then updates
    /// (same primary key), then inserts.
    func emit(_ table: TableCache, added: [CachedRow], removed: [CachedRow], context: EventContext) -> [Effect] {
        let registered = listeners[table.info.name] ?? []
        guard !registered.isEmpty, !(added.isEmpty && removed.isEmpty) else { return [] }
        let (inserts, deletes, updates) = table.pair(added: added, removed: removed)
        var effects: [Effect] = []
        for row in deletes {
            for (_, l) in registered { if let f = l.delete { effects.append { f(row, context) } } }
        }
        for (old, new) in updates {
            for (_, l) in registered { if let f = l.update { effects.append { f(old, new, context) } } }
        }
        for row in inserts {
            for (_, l) in registered { if let f = l.insert { effects.append { f(row, context) } } }
        }
        return effects
    }

    /// Removes every callback; returns the `finish` calls of the streams among them.
    func removeAllListeners() -> [Effect] {
        let removed = listeners
        listeners = [:]
        // The last effect releases the callbacks, outside the lock.
        return removed.values.flatMap { $0.compactMap(\.listener.finish) } + [{ withExtendedLifetime(removed) {} }]
    }

    /// Every table's rows, for ``reconcile(_:context:)`` after a resynchronization.
    func snapshot() -> [String: [[UInt8]: CachedRow]] {
        tables.mapValues { $0.entries.mapValues(\.row) }
    }

    /// Empties every table without callbacks (callbacks stay registered).
    func clear() {
        for t in tables.values { t.clear() }
    }

    /// The callbacks that take the app from the rows of `before` to the rows cached now: rows
    /// gone are deleted, new rows inserted, pairs with the same primary key updated.
    func reconcile(_ before: [String: [[UInt8]: CachedRow]], context: EventContext) -> [Effect] {
        var effects: [Effect] = []
        for name in Set(before.keys).union(tables.keys).sorted() {
            guard let t = tables[name] ?? table(name) else { continue }
            let old = before[name] ?? [:]
            let added = t.entries.filter { old[$0.key] == nil }.map(\.value.row)
            let removed = old.filter { t.entries[$0.key] == nil }.map(\.value)
            effects += emit(t, added: added, removed: removed, context: context)
        }
        return effects
    }
}
