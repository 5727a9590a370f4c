import StarlingProtocol

/// What the fan-out run needs from one BSATN server message, read in place without decoding it fully.
enum FanOutMessage {
    /// The first message of every connection.
    case identityToken
    /// The initial rows of a subscription: how many, their bytes, and the first 8 bytes of each row as a
    /// little-endian `u64` (the `account` table's primary key `id`) when `keepIds` was asked for.
    case subscribeApplied(requestId: UInt32, rows: Int, bytes: Int, ids: [UInt64])
    /// A failed Subscribe.
    case subscriptionError(String)
    /// A transaction: its status, its reducer call (for `transfer`: the `from` and `to` accounts) and how
    /// many rows its tables carry (inserts plus deletes over every table).
    case transactionUpdate(Update)
    /// Anything else (UnsubscribeApplied, OneOffQueryResponse).
    case other

    /// The head of a `TransactionUpdate` as the fan-out run matches it against the writer's calls.
    struct Update {
        var committed: Bool
        var isTransfer: Bool
        var from: UInt64
        var to: UInt64
        var requestId: UInt32
        var rows: Int
        /// The transaction's timestamp (the reducer's start, µs since the Unix epoch).
        var timestamp: Int64
    }
}

/// Reads ``FanOutMessage``s from BSATN server messages (see `docs/protocol.md` for the layouts).
enum FanOutParser {
    private static let transferName = Array("transfer".utf8)

    /// Parses `bytes`; throws on a malformed or truncated message.
    static func parse(_ bytes: [UInt8], keepIds: Bool) throws(LoadGenError) -> FanOutMessage {
        let parsed = bytes.withUnsafeBytes { parse(raw: $0, keepIds: keepIds) }
        guard let parsed else {
            throw LoadGenError(
                "the server sent a malformed or truncated message (\(bytes.count) bytes, tag \(bytes.first ?? 0))"
            )
        }
        return parsed
    }

    /// Parses one message in place; nil when it is empty, malformed or truncated.
    static func parse(raw: UnsafeRawBufferPointer, keepIds: Bool) -> FanOutMessage? {
        var r = Cursor(raw: raw)
        return parse(&r, keepIds: keepIds)
    }

    private static func parse(_ r: inout Cursor, keepIds: Bool) -> FanOutMessage? {
        guard let tag = r.u8() else { return nil }
        switch tag {
        case 0: return .identityToken
        case 1: return subscribeApplied(&r, keepIds: keepIds)
        case 3:
            for _ in 0..<2 {  // option<u32> request_id, option<u32> query_id
                guard let some = r.u8() else { return nil }
                if some == 0 && r.u32() == nil { return nil }
            }
            guard let length = r.u32(), let start = r.skip(Int(length)) else { return nil }
            return .subscriptionError(String(decoding: r.raw[start..<start + Int(length)], as: UTF8.self))
        case 4: return transactionUpdate(&r)
        default: return .other
        }
    }

    private static func subscribeApplied(_ r: inout Cursor, keepIds: Bool) -> FanOutMessage? {
        guard let requestId = r.u32(), r.u32() != nil, let tables = r.u32() else { return nil }
        var rows = 0
        var bytes = 0
        var ids: [UInt64] = []
        for _ in 0..<tables {
            guard r.string() != nil, let count = r.u32() else { return nil }
            if keepIds { ids.reserveCapacity(ids.count + Int(count)) }
            for _ in 0..<count {
                guard let n = r.u32(), let start = r.skip(Int(n)) else { return nil }
                rows += 1
                bytes += Int(n)
                if keepIds && n >= 8 { ids.append(r.u64(at: start)) }
            }
        }
        return .subscribeApplied(requestId: requestId, rows: rows, bytes: bytes, ids: ids)
    }

    private static func transactionUpdate(_ r: inout Cursor) -> FanOutMessage? {
        guard let status = r.u8() else { return nil }
        if status != 0 && r.string() == nil { return nil }
        guard let stamp = r.skip(8), r.skip(32 + 16) != nil, let nameLength = r.u32(), let nameStart = r.skip(Int(nameLength)),
            let argsLength = r.u32(), let argsStart = r.skip(Int(argsLength)), let requestId = r.u32()
        else { return nil }
        let isTransfer = r.equals(at: nameStart, count: Int(nameLength), transferName) && argsLength == 24
        var update = FanOutMessage.Update(
            committed: status == 0,
            isTransfer: isTransfer,
            from: isTransfer ? r.u64(at: argsStart) : 0,
            to: isTransfer ? r.u64(at: argsStart + 8) : 0,
            requestId: requestId,
            rows: 0,
            timestamp: Int64(bitPattern: r.u64(at: stamp))
        )
        guard let tables = r.u32() else { return nil }
        for _ in 0..<tables {
            guard r.string() != nil else { return nil }
            for _ in 0..<2 {  // inserts, deletes
                guard let count = r.u32() else { return nil }
                for _ in 0..<count {
                    guard let n = r.u32(), r.skip(Int(n)) != nil else { return nil }
                }
                update.rows += Int(count)
            }
        }
        return .transactionUpdate(update)
    }

    /// A bounds-checked reader over one message.
    private struct Cursor {
        let raw: UnsafeRawBufferPointer
        var at = 0

        mutating func u8() -> UInt8? {
            guard at < raw.count else { return nil }
            defer { at += 1 }
            return raw[at]
        }

        mutating func u32() -> UInt32? {
            guard at + 4 <= raw.count else { return nil }
            defer { at += 4 }
            return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))
        }

        /// Skips `n` bytes; returns where they start, or nil past the end.
        mutating func skip(_ n: Int) -> Int? {
            guard n >= 0, at + n <= raw.count else { return nil }
            defer { at += n }
            return at
        }

        /// Skips a `u32`-length string; returns its start.
        mutating func string() -> Int? {
            guard let n = u32() else { return nil }
            return skip(Int(n))
        }

        func u64(at offset: Int) -> UInt64 {
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }

        func equals(at offset: Int, count: Int, _ bytes: [UInt8]) -> Bool {
            guard count == bytes.count else { return false }
            for i in 0..<count where raw[offset + i] != bytes[i] { return false }
            return true
        }
    }

    /// The BSATN `Subscribe` message for one query in query set 1.
    static func subscribe(requestId: UInt32, query: String) -> [UInt8] {
        ClientMessage.subscribe(requestId: requestId, queryId: 1, queries: [query]).bsatn
    }

}
