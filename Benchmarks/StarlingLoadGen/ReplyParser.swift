import StarlingProtocol

/// What the load generator needs from one BSATN server message, read without decoding it fully.
enum Reply: Equatable {
    /// A `TransactionUpdate` answering this connection's call `requestId`.
    case outcome(requestId: UInt32, committed: Bool)
    /// The first message of every connection.
    case identityToken
    /// Any other message (subscription traffic, which the load generator does not ask for).
    case other
}

/// Reads the head of a BSATN `TransactionUpdate` (see `ServerMessage.writeTransactionHeader`) in place:
/// tag 4, status (0 committed; 1 failed + string), timestamp (8), caller identity (32), connection id (16),
/// reducer name (string), args (bytes), request id (u32). Allocation-free; the tables after it are skipped.
enum ReplyParser {
    /// Parses the message in `raw`; nil when it is empty or truncated.
    static func parse(raw: UnsafeRawBufferPointer) -> Reply? {
        guard let tag = raw.first else { return nil }
        switch tag {
        case 0: return .identityToken
        case 4: break
        default: return .other
        }
        guard raw.count > 1 else { return nil }
        let committed = raw[1] == 0
        var at = 2
        if !committed {
            guard let n = u32(raw, at) else { return nil }
            at += 4 + Int(n)
        }
        at += 8 + 32 + 16
        for _ in 0..<2 {  // reducer name, args
            guard let n = u32(raw, at) else { return nil }
            at += 4 + Int(n)
        }
        guard let requestId = u32(raw, at) else { return nil }
        return .outcome(requestId: requestId, committed: committed)
    }

    /// The failure message of a failed `TransactionUpdate` (decoded fully; only for the first few failures).
    static func failureMessage(raw: UnsafeRawBufferPointer) -> String? {
        let message = try? ServerMessage.decode(bsatn: raw)
        if case .transactionUpdate(let update) = message, case .failed(let text) = update.status { return text }
        return nil
    }

    /// ``failureMessage(raw:)`` of a message held in an array.
    static func failureMessage(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { failureMessage(raw: $0) }
    }

    private static func u32(_ raw: UnsafeRawBufferPointer, _ at: Int) -> UInt32? {
        guard at >= 0, at + 4 <= raw.count else { return nil }
        return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }
}
