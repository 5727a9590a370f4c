import StarlingTypes

/// An unchanging view of every table's committed rows at one moment, taken by
/// ``Datastore/capture()`` in time proportional to the number of pages (not rows), and readable
/// from any thread while the datastore's writer goes on.
///
/// The capture shares the tables' row pages copy-on-write: until it is released
/// (``Datastore/release(_:)``, on the writer), the datastore copies a shared page before writing
/// to it, so the pages the capture holds never change. Snapshots serialize a capture on a
/// background thread.
public final class StoreCapture: @unchecked Sendable {
    /// One table's shared pages.
    struct TableRows {
        let id: TableId
        let rows: RowStore
        let pages: [Page?]
        let rowCount: Int
    }

    let epoch: UInt64
    let tables: [TableRows]
    /// Set by ``Datastore/release(_:)``; reading afterwards is a programming error.
    private(set) var released = false

    init(epoch: UInt64, tables: [TableRows]) {
        self.epoch = epoch
        self.tables = tables
    }

    /// The captured tables' ids, ascending (system tables first).
    public var tableIds: [TableId] { tables.map(\.id) }

    /// The number of rows captured in table `i` (position in ``tableIds``).
    public func rowCount(ofTable i: Int) -> Int { tables[i].rowCount }

    /// The total number of captured rows.
    public var rowCount: Int { tables.reduce(0) { $0 + $1.rowCount } }

    /// Calls `body` with every row of table `i` (position in ``tableIds``) in storage order; stops
    /// when it returns false. Safe on any thread until the capture is released.
    public func forEachRow<E: Error>(
        ofTable i: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> Bool
    ) throws(E) {
        precondition(!released, "a released capture was read")
        for page in tables[i].pages {
            guard let page, page.live > 0 else { continue }
            for slot in 0..<page.highWater where page.isLive(slot) {
                guard try body(page.row(slot)) else { return }
            }
        }
    }

    func markReleased() { released = true }
}

extension Datastore {
    /// Captures the committed state of every table (see ``StoreCapture``). Costs a pass over the
    /// page tables, not a copy of the rows. Only between transactions, on the writer.
    public func capture() -> StoreCapture {
        precondition(tx == nil, "capture while a transaction is open")
        captureCounter += 1
        let epoch = captureCounter
        let captured = tables.values.sorted { $0.id < $1.id }.map { t in
            StoreCapture.TableRows(id: t.id, rows: t.rows, pages: t.rows.freeze(epoch), rowCount: t.rows.count)
        }
        return StoreCapture(epoch: epoch, tables: captured)
    }

    /// Ends a capture's sharing: writes stop copying its pages. On the writer, once no thread
    /// reads the capture any more; the capture's pages are freed when the last reference goes.
    public func release(_ capture: StoreCapture) {
        for t in capture.tables { t.rows.unfreeze(capture.epoch) }
        capture.markReleased()
    }
}
