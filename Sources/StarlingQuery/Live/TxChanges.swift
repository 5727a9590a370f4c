public import StarlingStore
public import StarlingTypes

/// One committed transaction's delta, decoded once however many queries look at it.
///
/// Not thread-safe: build one per transaction on the thread that evaluates subscriptions.
public final class TxChanges {
    /// A changed row: its BSATN bytes and its column values.
    struct Row {
        var bytes: [UInt8]
        var values: [AlgebraicValue]
    }

    /// One table's changes, decoded.
    struct Table {
        var inserts: [Row]
        var deletes: [Row]
        var inserted: Set<[UInt8]>
        var deleted: Set<[UInt8]>
    }

    public let delta: TxDelta
    private var decoded: [TableId: Table] = [:]

    public init(_ delta: TxDelta) { self.delta = delta }

    /// The ids of the tables the transaction changed.
    public var tableIds: [TableId] { delta.tables.map(\.tableId) }

    /// The changes to table `id`, decoded with its column types (nil if it did not change).
    func table(_ id: TableId, types: [AlgebraicType]) throws(SQLError) -> Table? {
        if let t = decoded[id] { return t }
        guard let d = delta.tables.first(where: { $0.tableId == id }) else { return nil }
        func rows(_ list: RowList) throws(SQLError) -> [Row] {
            var out: [Row] = []
            out.reserveCapacity(list.count)
            for r in list {
                let values = r.withUnsafeBytes { SelectExecutor<ReadTx>.decodeRow($0, types) }
                guard let values else { throw SQLError(.store, "a changed row of table `\(d.tableName)` does not decode") }
                out.append(Row(bytes: Array(r), values: values))
            }
            return out
        }
        let inserts = try rows(d.inserts)
        let deletes = try rows(d.deletes)
        let t = Table(
            inserts: inserts, deletes: deletes, inserted: Set(inserts.map(\.bytes)), deleted: Set(deletes.map(\.bytes)))
        decoded[id] = t
        return t
    }
}
