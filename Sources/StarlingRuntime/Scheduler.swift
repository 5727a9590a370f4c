import StarlingStore
import StarlingTypes

/// The rows of scheduled tables, and when each is next due.
///
/// Kept in step with committed transactions (inserts add schedules, deletes remove them) and
/// rebuilt from the tables when a database opens, so schedules survive restarts.
struct ScheduleQueue {
    struct Entry: Hashable {
        var table: String
        var row: [UInt8]
        var due: Timestamp
        /// Set for repeating schedules.
        var interval: TimeDuration?
    }

    /// A scheduled table: which reducer its rows call and how to read a row's `ScheduleAt`.
    struct Source {
        var table: String
        var reducer: String
        var rowType: AlgebraicType
        var atColumn: Int
    }

    private(set) var sources: [String: Source] = [:]
    private var entries: [Key: Entry] = [:]

    struct Key: Hashable {
        var table: String
        var row: [UInt8]
    }

    init(schema: ModuleSchema) {
        for (item, table) in zip(schema.tableItems, schema.tables) {
            guard let s = item.schedule else { continue }
            sources[item.name] = Source(
                table: item.name, reducer: s.reducer, rowType: .product(table.rowType), atColumn: Int(s.atColumn))
        }
    }

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }

    /// The earliest due time, if anything is scheduled.
    var nextDue: Timestamp? { entries.values.map(\.due).min() }

    /// Entries due at or before `now`, earliest first.
    func due(at now: Timestamp) -> [Entry] {
        entries.values.filter { $0.due <= now }.sorted { ($0.due, $0.table) < ($1.due, $1.table) }
    }

    /// Loads every row of every scheduled table (on open). Interval schedules restart one interval from `now`.
    mutating func load(from tx: some StoreReading, now: Timestamp) throws(StoreError) {
        entries = [:]
        for source in sources.values {
            let id = try tx.tableId(source.table)
            for row in try tx.rows(id) { add(source, row, committedAt: now) }
        }
    }

    /// Applies a committed transaction's changes to scheduled tables.
    mutating func apply(_ delta: TxDelta, committedAt now: Timestamp, tableName: (UInt32) -> String?) {
        for t in delta.tables {
            let name = t.tableName.isEmpty ? (tableName(t.tableId) ?? "") : t.tableName
            guard let source = sources[name] else { continue }
            for row in t.deletes { entries[Key(table: name, row: Array(row))] = nil }
            for row in t.inserts { add(source, Array(row), committedAt: now) }
        }
    }

    /// Moves a repeating entry to its next time (skipping intervals missed while behind).
    mutating func reschedule(_ e: Entry, now: Timestamp) {
        guard let interval = e.interval, interval.micros > 0, entries[Key(table: e.table, row: e.row)] != nil else { return }
        var next = e.due.microsSinceUnixEpoch + interval.micros
        if next <= now.microsSinceUnixEpoch {
            let behind = now.microsSinceUnixEpoch - next
            next += (behind / interval.micros + 1) * interval.micros
        }
        entries[Key(table: e.table, row: e.row)]?.due = Timestamp(microsSinceUnixEpoch: next)
    }

    mutating func remove(_ e: Entry) { entries[Key(table: e.table, row: e.row)] = nil }

    private mutating func add(_ source: Source, _ row: [UInt8], committedAt now: Timestamp) {
        guard case .product(let fields)? = try? AlgebraicValue.decode(source.rowType, from: row),
            source.atColumn < fields.count, case .scheduleAt(let at) = fields[source.atColumn]
        else { return }
        let entry: Entry
        switch at {
        case .time(let t): entry = Entry(table: source.table, row: row, due: t, interval: nil)
        case .interval(let d):
            entry = Entry(
                table: source.table, row: row, due: Timestamp(microsSinceUnixEpoch: now.microsSinceUnixEpoch + d.micros), interval: d)
        }
        entries[Key(table: source.table, row: row)] = entry
    }
}
