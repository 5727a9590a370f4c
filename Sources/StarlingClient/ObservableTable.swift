import Observation

/// A table's rows for SwiftUI: an `@Observable` model whose ``rows`` follow the client cache.
///
/// ```swift
/// @State var messages = ObservableTable(conn.table(Message.self), sortedBy: { $0.sent < $1.sent })
/// var body: some View { List(messages.rows, id: \.sent) { Text($0.text) } }
/// ```
///
/// It lives on the main actor: changes are delivered there in order, after the cache applied
/// them. It starts with the rows cached at creation and stops following when ``stop()`` is
/// called, the model is released, or the connection closes.
@available(macOS 14, iOS 17, tvOS 17, watchOS 10, *)
@MainActor
@Observable
public final class ObservableTable<Row: Sendable> {
    /// The cached rows, sorted by the model's ordering (insertion order without one).
    public private(set) var rows: [Row] = []
    /// How many changes were applied since the model was created (handy to trigger work on change).
    public private(set) var version = 0

    @ObservationIgnored private var keys: [[UInt8]] = []
    @ObservationIgnored private let following = Following()
    @ObservationIgnored private let areInIncreasingOrder: (@Sendable (Row, Row) -> Bool)?

    /// Follows `table`, keeping ``rows`` sorted by `areInIncreasingOrder` if given.
    public init(_ table: Table<Row>, sortedBy areInIncreasingOrder: (@Sendable (Row, Row) -> Bool)? = nil) {
        self.areInIncreasingOrder = areInIncreasingOrder
        let (initial, changes) = table.snapshotAndChanges()
        keys = initial.map(\.key)
        rows = initial.map(\.row)
        sort()
        following.start(
            Task { [weak self] in
                for await change in changes {
                    guard let self else { return }
                    self.apply(change)
                }
            })
    }

    /// Stops following the table; ``rows`` keeps its last value.
    public func stop() { following.cancel() }

    private func apply(_ change: KeyedChange<Row>) {
        switch change {
        case .insert(let key, let row, _):
            keys.append(key)
            rows.append(row)
        case .delete(let key, _, _):
            if let i = keys.firstIndex(of: key) {
                keys.remove(at: i)
                rows.remove(at: i)
            }
        case .update(let oldKey, let newKey, _, let row, _):
            if let i = keys.firstIndex(of: oldKey) {
                keys[i] = newKey
                rows[i] = row
            } else {
                keys.append(newKey)
                rows.append(row)
            }
        }
        sort()
        version += 1
    }

    private func sort() {
        guard let areInIncreasingOrder, rows.count > 1 else { return }
        let order = rows.indices.sorted { areInIncreasingOrder(rows[$0], rows[$1]) }
        rows = order.map { rows[$0] }
        keys = order.map { keys[$0] }
    }
}

/// The task that applies a table's changes; cancelled when the model (which owns this) goes away.
final class Following: Sendable {
    private let task = Locked<Task<Void, Never>?>(nil)

    func start(_ t: Task<Void, Never>) { task.withLock { $0 = t } }

    func cancel() { task.withLock { $0?.cancel() } }

    deinit { cancel() }
}
