import StarlingTypes

/// One row in the client cache: its BSATN (the key), its column values, and — once generated
/// bindings were asked for the table — the typed row decoded once.
struct CachedRow: Sendable {
    /// The row's BSATN, the product of its columns: the cache key.
    let bytes: [UInt8]
    /// The column values.
    let fields: [AlgebraicValue]
    /// The column names (shared by every row of the table).
    let names: [String]
    /// The row decoded by the table's typed binding, if it has one.
    var typed: (any Sendable)?
}

/// How a table's rows are turned into a generated Swift type.
struct TypedBinding: Sendable {
    let type: ObjectIdentifier
    let typeName: String
    let decode: @Sendable ([UInt8]) throws -> any Sendable
}

/// The cached rows of one table with their reference counts.
///
/// Counting rules (the server's semantics, see docs/protocol.md "Subscriptions"): each row a
/// SubscribeApplied or a TransactionUpdate's `inserts` carries adds one to the row's count; each
/// row an UnsubscribeApplied or `deletes` carries takes one away. A row in several of the
/// client's queries arrives once per query; the app sees it once, while its count is above zero.
///
/// Used only under the connection's lock.
final class TableCache {
    private(set) var info: TableInfo
    private(set) var entries: [[UInt8]: (row: CachedRow, count: Int)] = [:]
    /// Single-column unique indexes (the primary key included): column → value bytes → row key.
    private var unique: [Int: [[UInt8]: [UInt8]]] = [:]
    private(set) var binding: TypedBinding?
    private var columnNames: [String]

    init(info: TableInfo) {
        self.info = info
        columnNames = info.columns.map(\.name)
        for c in info.uniqueColumns { unique[c] = [:] }
    }

    /// Swaps in the table's description from a newer schema (after a reconnect) and rebuilds the indexes.
    func setInfo(_ info: TableInfo) {
        self.info = info
        columnNames = info.columns.map(\.name)
        unique = [:]
        for c in info.uniqueColumns { unique[c] = [:] }
        for key in entries.keys { index(key, adding: true) }
    }

    /// Decodes rows with `binding` from now on (and the rows already cached).
    func bind(_ binding: TypedBinding) throws(StarlingError) {
        guard self.binding?.type != binding.type else { return }
        self.binding = binding
        for (key, e) in entries {
            var row = e.row
            row.typed = try decodeTyped(key)
            entries[key] = (row, e.count)
        }
    }

    private func decodeTyped(_ bytes: [UInt8]) throws(StarlingError) -> (any Sendable)? {
        guard let binding else { return nil }
        do {
            return try binding.decode(bytes)
        } catch {
            throw StarlingError(
                .schemaMismatch, "a row of table `\(info.name)` does not decode as \(binding.typeName): \(error); regenerate the bindings")
        }
    }

    /// Decodes a row as it came off the wire.
    func makeRow(_ bytes: [UInt8]) throws(StarlingError) -> CachedRow {
        let value: AlgebraicValue
        do {
            value = try AlgebraicValue.decode(.product(info.rowType), from: bytes)
        } catch {
            throw StarlingError(.protocolError, "a row of table `\(info.name)` does not match its schema: \(error.message)")
        }
        guard case .product(let fields) = value else { throw StarlingError(.protocolError, "a row of `\(info.name)` is not a product") }
        return CachedRow(bytes: bytes, fields: fields, names: columnNames, typed: try decodeTyped(bytes))
    }

    /// The bytes of column `column` within a row's BSATN.
    func columnBytes(_ row: [UInt8], _ column: Int) -> [UInt8]? {
        let fields = info.rowType.fields
        guard column < fields.count else { return nil }
        return row.withUnsafeBytes { buf -> [UInt8]? in
            var r = BSATNReader(buf)
            do throws(BSATNError) {
                for f in fields[..<column] { try r.skip(f.type) }
                let start = r.position
                try r.skip(fields[column].type)
                return Array(buf[start..<r.position])
            } catch {
                return nil
            }
        }
    }

    private func index(_ key: [UInt8], adding: Bool) {
        for c in unique.keys {
            guard let v = columnBytes(key, c) else { continue }
            if adding {
                unique[c]![v] = key
            } else if unique[c]![v] == key {
                unique[c]![v] = nil
            }
        }
    }

    /// Applies one message's rows for this table; returns the rows that appeared (count 0 → n)
    /// and disappeared (n → 0), in message order. Deleting a row the cache does not hold is ignored.
    func apply(inserts: [[UInt8]], deletes: [[UInt8]]) throws(StarlingError) -> (added: [CachedRow], removed: [CachedRow]) {
        var order: [[UInt8]] = []
        var deltas: [[UInt8]: Int] = [:]
        for (rows, sign) in [(deletes, -1), (inserts, 1)] {
            for r in rows {
                if deltas[r] == nil { order.append(r) }
                deltas[r, default: 0] += sign
            }
        }
        // Decode every new row before changing anything, so a bad row leaves the cache untouched.
        var fresh: [[UInt8]: CachedRow] = [:]
        for key in order where (deltas[key] ?? 0) > 0 && entries[key] == nil { fresh[key] = try makeRow(key) }
        var added: [CachedRow] = []
        var removed: [CachedRow] = []
        for key in order {
            let delta = deltas[key] ?? 0
            guard delta != 0 else { continue }
            if let e = entries[key] {
                let after = e.count + delta
                if after > 0 {
                    entries[key] = (e.row, after)
                } else {
                    entries[key] = nil
                    index(key, adding: false)
                    removed.append(e.row)
                }
            } else if delta > 0, let row = fresh[key] {
                entries[key] = (row, delta)
                index(key, adding: true)
                added.append(row)
            }
        }
        return (added, removed)
    }

    /// Empties the table without callbacks.
    func clear() {
        entries = [:]
        for c in unique.keys { unique[c] = [:] }
    }

    /// The row whose unique column `column` holds the value with BSATN `value`.
    func find(column: Int, value: [UInt8]) -> CachedRow? {
        if let index = unique[column] { return index[value].flatMap { entries[$0]?.row } }
        return entries.values.first { columnBytes($0.row.bytes, column) == value }?.row
    }

    /// The rows whose column `column` holds the value with BSATN `value`.
    func filter(column: Int, value: [UInt8]) -> [CachedRow] {
        if let index = unique[column] { return index[value].flatMap { entries[$0]?.row }.map { [$0] } ?? [] }
        return entries.values.filter { columnBytes($0.row.bytes, column) == value }.map(\.row)
    }

    /// Pairs rows that left and entered in one message by primary key: such a pair is an update;
    /// the rest are deletes and inserts.
    func pair(added: [CachedRow], removed: [CachedRow]) -> (inserts: [CachedRow], deletes: [CachedRow], updates: [(CachedRow, CachedRow)]) {
        guard let pk = info.primaryKey, !added.isEmpty, !removed.isEmpty else { return (added, removed, []) }
        var gone: [[UInt8]: Int] = [:]
        for (i, r) in removed.enumerated() {
            if let k = columnBytes(r.bytes, pk) { gone[k] = i }
        }
        var inserts: [CachedRow] = []
        var updates: [(CachedRow, CachedRow)] = []
        var paired = Set<Int>()
        for row in added {
            if let k = columnBytes(row.bytes, pk), let i = gone[k], !paired.contains(i) {
                paired.insert(i)
                updates.append((removed[i], row))
            } else {
                inserts.append(row)
            }
        }
        let deletes = removed.indices.filter { !paired.contains($0) }.map { removed[$0] }
        return (inserts, deletes, updates)
    }
}
