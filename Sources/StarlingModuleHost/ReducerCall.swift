public import StarlingTypes

/// Identifies a reducer of one loaded module: its position in ``ModuleSchema/reducers``.
public struct ReducerID: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public var description: String { "reducer #\(rawValue)" }
}

/// Who called a reducer, over which connection, and the transaction's time.
public struct CallContext: Hashable, Sendable {
    /// The caller's identity (for lifecycle and scheduled calls: the database's own identity).
    public var sender: Identity
    /// The caller's connection, or zero when the call did not come over a connection.
    public var connectionId: ConnectionId
    /// The transaction timestamp.
    public var timestamp: Timestamp

    public init(sender: Identity, connectionId: ConnectionId = .zero, timestamp: Timestamp) {
        self.sender = sender
        self.connectionId = connectionId
        self.timestamp = timestamp
    }
}

/// How a reducer call ended. Only ``success`` commits; the caller rolls back otherwise.
public enum ReducerOutcome: Hashable, Sendable {
    /// The reducer returned 0.
    case success
    /// The reducer returned an error (its `reducer_error` message, or a generic one naming the
    /// code), or its arguments were refused before it ran.
    case failed(String)
    /// The module trapped (unreachable, out-of-bounds access, stack overflow, a bad pointer
    /// passed to an import). The instance was discarded.
    case trapped(String)
    /// The call ran out of fuel. The instance was discarded.
    case outOfFuel(String)

    /// Whether the transaction should be committed.
    public var isSuccess: Bool { self == .success }

    /// A message for a failure, nil on success.
    public var message: String? {
        switch self {
        case .success: nil
        case .failed(let m), .trapped(let m), .outOfFuel(let m): m
        }
    }
}
