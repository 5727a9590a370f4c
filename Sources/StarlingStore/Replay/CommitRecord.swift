public import StarlingTypes

/// The reducer call that produced a transaction (kept in the log so it can be audited).
public struct ReducerCall: Sendable, Hashable {
    public var name: String
    public var caller: Identity
    public var connectionId: ConnectionId
    /// The arguments as the module received them (BSATN).
    public var args: [UInt8]

    public init(name: String, caller: Identity, connectionId: ConnectionId, args: [UInt8]) {
        self.name = name
        self.caller = caller
        self.connectionId = connectionId
        self.args = args
    }
}

/// One committed transaction as the commitlog stores it: when, why, and what changed.
///
/// The payload format is specified in `docs/commitlog.md` ("Payload"). Decoded deltas carry table
/// ids only (`tableName` is empty); replay resolves ids against the datastore.
public struct CommitRecord: Sendable, Hashable {
    public var timestamp: Timestamp
    public var reducer: ReducerCall?
    public var delta: TxDelta

    public init(timestamp: Timestamp, reducer: ReducerCall? = nil, delta: TxDelta) {
        self.timestamp = timestamp
        self.reducer = reducer
        self.delta = delta
    }

    /// The exact length of ``encode()``'s bytes.
    public var encodedSize: Int {
        var n = 8 + 1 + 4
        if let r = reducer { n += 4 + r.name.utf8.count + 32 + 16 + 4 + r.args.count }
        for t in delta.tables { n += 4 + 8 + 4 * (t.inserts.count + t.deletes.count) + t.inserts.bytes.count + t.deletes.bytes.count }
        return n
    }

    /// The record's payload bytes.
    public func encode() -> [UInt8] {
        // Exactly sized, so the writer's buffer is the result (no copy).
        var w = BSATNWriter(capacity: encodedSize)
        encode(to: &w)
        return w.bytes
    }

    /// Appends the record's payload bytes to `w`.
    public func encode(to w: inout BSATNWriter) {
        w.write(timestamp.microsSinceUnixEpoch)
        if let r = reducer {
            w.write(UInt8(0))
            w.write(r.name)
            r.caller.encode(to: &w)
            w.write(r.connectionId.value)
            w.writeBytes(r.args)
        } else {
            w.write(UInt8(1))
        }
        w.writeLength(delta.tables.count)
        for t in delta.tables {
            w.write(t.tableId)
            Self.encode(t.inserts, to: &w)
            Self.encode(t.deletes, to: &w)
        }
    }

    private static func encode(_ rows: RowList, to w: inout BSATNWriter) {
        w.writeLength(rows.count)
        rows.bytes.withUnsafeBytes { all in
            for i in rows.indices {
                let (start, end) = rows.bounds(i)
                w.writeLength(end - start)
                w.writeRaw(UnsafeRawBufferPointer(rebasing: all[start..<end]))
            }
        }
    }

    /// Decodes a payload; malformed bytes give a `typeMismatch` error naming the problem.
    public static func decode(_ payload: UnsafeRawBufferPointer) throws(StoreError) -> CommitRecord {
        do throws(BSATNError) {
            var r = BSATNReader(payload)
            let timestamp = Timestamp(microsSinceUnixEpoch: try r.readLE())
            var reducer: ReducerCall?
            let at = r.position
            switch try r.readU8() {
            case 0:
                reducer = ReducerCall(
                    name: try r.readString(), caller: try Identity.decode(from: &r), connectionId: ConnectionId(try r.readLE()),
                    args: try r.readBytes())
            case 1: reducer = nil
            case let tag: throw BSATNError(.invalidTag, "invalid option tag \(tag) for the reducer", offset: at)
            }
            let n = try r.readLength(minElementSize: 12)
            var tables: [TableDelta] = []
            tables.reserveCapacity(n)
            for _ in 0..<n {
                let id: UInt32 = try r.readLE()
                let inserts = try decodeRows(&r)
                let deletes = try decodeRows(&r)
                tables.append(TableDelta(tableId: id, tableName: "", inserts: inserts, deletes: deletes))
            }
            try r.expectEnd()
            return CommitRecord(timestamp: timestamp, reducer: reducer, delta: TxDelta(tables: tables))
        } catch {
            throw StoreError(.typeMismatch, "malformed commit record: \(error.message) (byte \(error.offset))")
        }
    }

    private static func decodeRows(_ r: inout BSATNReader) throws(BSATNError) -> RowList {
        let n = try r.readLength(minElementSize: 4)
        var rows = RowList()
        for _ in 0..<n { rows.append(try r.readByteSlice()) }
        return rows
    }
}
