public import StarlingTypes

/// Who runs a query, which decides what it may see and do.
///
/// - Non-owners do not see private tables (``TableAccess/private``): they are reported exactly as
///   missing tables. Non-owners may not run INSERT, UPDATE or DELETE.
/// - System tables (`st_*`) are readable by everyone.
/// - `:sender` in a query is ``caller``.
public struct QueryContext: Sendable {
    /// The identity of the caller (the value of `:sender`).
    public var caller: Identity
    /// Whether the caller owns the database.
    public var isOwner: Bool
    /// Extra conditions per table name, AND-ed into every SELECT reference of that table (each is
    /// checked with the table's columns in scope, unqualified).
    ///
    /// This is the hook for row-level security: whoever builds the context decides the filters;
    /// the engine applies them in SELECTs (not in DML, which only owners may run). Nothing sets
    /// them yet.
    public var rowFilters: [String: [SQL.Expr]]
    /// When false, the planner ignores indexes and scans every table (for tests and diagnosis).
    public var useIndexes: Bool

    public init(caller: Identity, isOwner: Bool, rowFilters: [String: [SQL.Expr]] = [:], useIndexes: Bool = true) {
        self.caller = caller
        self.isOwner = isOwner
        self.rowFilters = rowFilters
        self.useIndexes = useIndexes
    }

    /// The database owner.
    public static func owner(_ identity: Identity) -> QueryContext { QueryContext(caller: identity, isOwner: true) }

    /// A client that does not own the database.
    public static func client(_ identity: Identity) -> QueryContext { QueryContext(caller: identity, isOwner: false) }
}
