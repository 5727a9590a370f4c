// The module author's declarations. The implementations live in the `starling-macros` compiler
// plugin (built with the `starling` tools; `starling build` passes it to the compiler).

/// A struct whose values are the rows of a table. Stored properties are the columns, in order.
///
///     @Table(public: true)
///     struct Player {
///         @PrimaryKey @AutoInc var id: UInt64
///         @Unique var name: String
///         @Index var score: Int32
///     }
///
/// - Parameters:
///   - name: the table's name; default: the type name in snake_case (`Player` → `player`).
///   - public: whether every client may read it (default: owner only).
///   - scheduled: a reducer the host calls with each row at the time in its `ScheduleAt` column.
///   - rowFilters: row-level-security filters: `SELECT * FROM t WHERE ... :sender ...`.
///   - indexes: indexes on one or more columns, each with a typed accessor on the table handle:
///     `[.btree("byOwnerAndSent", columns: ["owner", "sent"])]` gives
///     `ctx.db[Message.self].byOwnerAndSent.filter(owner: o, sent: t)`, `.filter(owner: o)`,
///     `.filter(owner: o, sent: t0...)`, `.filter(owner: a...b)` and the same `delete`s.
///     `.btree(..., unique: true)` adds `find`/`update`; `.hash(...)` supports the full key only.
///
/// A stored property's initial value (`var level: UInt32 = 1`) is its column's default: the value
/// existing rows receive when a module update appends the column.
@attached(extension, conformances: TableRow, BSATNCodable, names: arbitrary)
@attached(peer, names: prefixed(__starling_describe__table_))
public macro Table(
    name: String? = nil, public: Bool = false, scheduled: String? = nil, rowFilters: [String] = [],
    indexes: [IndexDeclaration] = []
) = #externalMacro(module: "StarlingMacros", type: "TableMacro")

/// A reducer: a transactional function clients call by name. The first parameter is the
/// `ReducerContext`; the others are the arguments. Throwing `ReducerError` rolls back.
@attached(peer, names: prefixed(__starling_reducer__), prefixed(__starling_describe__reducer_))
public macro Reducer(name: String? = nil) = #externalMacro(module: "StarlingMacros", type: "ReducerMacro")

/// A lifecycle reducer: `.initialize` (first publish), `.clientConnected` (a failure refuses the
/// connection) or `.clientDisconnected`. Clients cannot call these.
@attached(peer, names: prefixed(__starling_reducer__), prefixed(__starling_describe__reducer_))
public macro Reducer(_ lifecycle: Lifecycle, name: String? = nil) = #externalMacro(module: "StarlingMacros", type: "ReducerMacro")

/// A struct or enum used as a column type or reducer argument.
@attached(extension, conformances: BSATNCodable, names: arbitrary)
@attached(peer, names: prefixed(__starling_describe__type_))
public macro StarlingType() = #externalMacro(module: "StarlingMacros", type: "StarlingTypeMacro")

/// The table's primary key (unique; `ctx.db[T.self].<column>.find/update/delete`).
@attached(peer) public macro PrimaryKey() = #externalMacro(module: "StarlingMacros", type: "ColumnMarkerMacro")
/// A unique column (`ctx.db[T.self].<column>.find/update/delete`).
@attached(peer) public macro Unique() = #externalMacro(module: "StarlingMacros", type: "ColumnMarkerMacro")
/// An integer column filled from a sequence when a row is inserted with 0.
@attached(peer) public macro AutoInc() = #externalMacro(module: "StarlingMacros", type: "ColumnMarkerMacro")
/// An indexed column (`ctx.db[T.self].<column>.filter(...)`); btree by default, `.hash` for
/// equality-only lookups.
@attached(peer) public macro Index(_ algorithm: IndexAlgorithm = .btree) =
    #externalMacro(module: "StarlingMacros", type: "ColumnMarkerMacro")
