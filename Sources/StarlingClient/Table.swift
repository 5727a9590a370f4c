public import StarlingTypes

/// A Swift type for the rows of one table, with their BSATN encoding. `starling generate --lang
/// swift` writes one per table; ``StarlingConnection/table(_:)`` then hands out typed rows.
///
/// The conformance's `algebraicType` must be the table's row type (a product of the columns in
/// order); ``StarlingConnection/verify(_:)`` checks it against the database's schema.
public protocol StarlingRow: BSATNCodable, Sendable {
    /// The table's name in the database.
    static var tableName: String { get }
}

/// A row read without generated bindings: the column values by position and by name.
public struct DynamicRow: Sendable, Hashable, CustomStringConvertible {
    /// The column names, in row order.
    public let columnNames: [String]
    /// The column values, in row order.
    public let values: [AlgebraicValue]

    /// Creates a row.
    public init(columnNames: [String], values: [AlgebraicValue]) {
        self.columnNames = columnNames
        self.values = values
    }

    /// The value of the column named `column`, or nil if there is no such column.
    public subscript(column: String) -> AlgebraicValue? {
        columnNames.firstIndex(of: column).map { values[$0] }
    }

    /// The value of the column at `index`.
    public subscript(index: Int) -> AlgebraicValue { values[index] }

    /// The row as one product value.
    public var product: AlgebraicValue { .product(values) }

    public var description: String {
        "(" + zip(columnNames, values).map { "\($0): \($1)" }.joined(separator: ", ") + ")"
    }
}

/// The cached rows of one table and its callbacks: `Table<DynamicRow>` from
/// ``StarlingConnection/table(named:)``, or `Table<Message>` for a generated row type from
/// ``StarlingConnection/table(_:)``.
///
/// A row is in the cache while at least one of the client's queries holds it; every row is
/// seen once however many queries hold it. Reads take the connection's lock briefly and are safe
/// from any thread, callbacks included. Rows come in no particular order.
public struct Table<Row: Sendable>: Sendable {
    /// The table's name.
    public let name: String
    let connection: StarlingConnection
    let project: @Sendable (CachedRow) -> Row?

    /// Every cached row, each once.
    public var rows: [Row] {
        connection.readCache(name) { t in
            t?.entries.values.compactMap { project($0.row) } ?? []
        }
    }

    /// The number of distinct cached rows.
    public var count: Int { connection.readCache(name) { $0?.entries.count ?? 0 } }

    /// The table's description in the schema (nil if the schema has no such table).
    public var info: TableInfo? { connection.readCache(name) { $0?.info } }

    /// The cached row whose column `column` equals `value`: a lookup in the unique index for the
    /// primary key and unique columns, else the first match of a scan.
    public func find(_ column: String, equals value: some BSATNCodable) -> Row? {
        lookup(column, value.bsatn).first
    }

    /// ``find(_:equals:)`` with a generic value (of the column's type).
    public func find(_ column: String, equals value: AlgebraicValue) -> Row? {
        lookup(column, value.bsatn).first
    }

    /// The cached rows whose column `column` equals `value`.
    public func filter(_ column: String, equals value: some BSATNCodable) -> [Row] {
        lookup(column, value.bsatn, all: true)
    }

    /// ``filter(_:equals:)`` with a generic value (of the column's type).
    public func filter(_ column: String, equals value: AlgebraicValue) -> [Row] {
        lookup(column, value.bsatn, all: true)
    }

    private func lookup(_ column: String, _ bytes: [UInt8], all: Bool = false) -> [Row] {
        connection.readCache(name) { t in
            guard let t, let c = t.info.columnIndex(column) else { return [] }
            let found = all ? t.filter(column: c, value: bytes) : t.find(column: c, value: bytes).map { [$0] } ?? []
            return found.compactMap(project)
        }
    }

    /// Calls `f(row, context)` when a row enters the cache.
    @discardableResult
    public func onInsert(_ f: @escaping @Sendable (Row, EventContext) -> Void) -> CallbackHandle {
        let project = self.project
        return connection.addRowListener(name, RowListener(insert: { row, ctx in if let r = project(row) { f(r, ctx) } }))
    }

    /// Calls `f(row, context)` when a row leaves the cache.
    @discardableResult
    public func onDelete(_ f: @escaping @Sendable (Row, EventContext) -> Void) -> CallbackHandle {
        let project = self.project
        return connection.addRowListener(name, RowListener(delete: { row, ctx in if let r = project(row) { f(r, ctx) } }))
    }

    /// Calls `f(old, new, context)` when one message replaces a row by another with the same
    /// primary key (tables with a primary key only; elsewhere that is a delete and an insert).
    @discardableResult
    public func onUpdate(_ f: @escaping @Sendable (Row, Row, EventContext) -> Void) -> CallbackHandle {
        let project = self.project
        return connection.addRowListener(
            name, RowListener(update: { old, new, ctx in if let o = project(old), let n = project(new) { f(o, n, ctx) } }))
    }

    /// The table's changes as an async sequence, from now on. Ending the iteration (or dropping
    /// the stream) removes the underlying callbacks. The buffer is unbounded.
    public func changes() -> AsyncStream<RowChange<Row>> {
        let (stream, continuation) = AsyncStream<RowChange<Row>>.makeStream()
        let handle = connection.addRowListener(
            name,
            listener { change in
                switch change {
                case .insert(_, let row, let ctx): continuation.yield(.insert(row, ctx))
                case .delete(_, let row, let ctx): continuation.yield(.delete(row, ctx))
                case .update(_, _, let old, let new, let ctx): continuation.yield(.update(old: old, new: new, ctx))
                }
            } finish: { continuation.finish() })
        continuation.onTermination = { _ in handle.remove() }
        return stream
    }

    /// The rows cached now (with their keys) and the changes from then on, registered under one
    /// lock so that no change is lost or seen twice in between.
    func snapshotAndChanges() -> (rows: [(key: [UInt8], row: Row)], changes: AsyncStream<KeyedChange<Row>>) {
        let (stream, continuation) = AsyncStream<KeyedChange<Row>>.makeStream()
        let project = self.project
        let (rows, handle) = connection.addRowListener(name, listener({ continuation.yield($0) }, finish: { continuation.finish() })) { t in
            t?.entries.compactMap { key, e in project(e.row).map { (key, $0) } } ?? []
        }
        continuation.onTermination = { _ in handle.remove() }
        return (rows, stream)
    }

    /// A listener that reports every change, with the rows' cache keys, to `sink`.
    private func listener(
        _ sink: @escaping @Sendable (KeyedChange<Row>) -> Void, finish: @escaping @Sendable () -> Void
    ) -> RowListener {
        let project = self.project
        return RowListener(
            insert: { row, ctx in if let r = project(row) { sink(.insert(key: row.bytes, r, ctx)) } },
            delete: { row, ctx in if let r = project(row) { sink(.delete(key: row.bytes, r, ctx)) } },
            update: { old, new, ctx in
                if let o = project(old), let n = project(new) {
                    sink(.update(oldKey: old.bytes, newKey: new.bytes, o, n, ctx))
                }
            }, finish: finish)
    }
}

/// A change with the cache keys (row BSATN) of the rows involved.
enum KeyedChange<Row: Sendable>: Sendable {
    case insert(key: [UInt8], Row, EventContext)
    case delete(key: [UInt8], Row, EventContext)
    case update(oldKey: [UInt8], newKey: [UInt8], Row, Row, EventContext)
}
