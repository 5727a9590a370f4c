@_exported import StarlingTypes

/// Why a reducer failed. Throwing one rolls the reducer's transaction back and reports `message`
/// to the caller.
public struct ReducerError: Error, Sendable {
    /// The message's UTF-8 bytes (what the host receives).
    public var utf8: [UInt8]
    /// The message.
    public var message: String {
        get { String(decoding: utf8, as: UTF8.self) }
        set { utf8 = Array(newValue.utf8) }
    }
    /// `ReducerError("no such account: \(id)")`: the message is written without building a `String`
    /// (see ``MessageText``).
    public init(_ message: MessageText) { utf8 = message.utf8 }
    @_disfavoredOverload
    public init(_ message: String) { utf8 = Array(message.utf8) }
}

/// What a reducer knows about its call, and its handle to the database.
public struct ReducerContext {
    /// The identity of the caller (a client, or the database itself for scheduled reducers).
    public let sender: Identity
    /// The caller's connection, if the call came over one.
    public let connectionId: ConnectionId?
    /// The transaction's timestamp: the same for every read of it within one call.
    public let timestamp: Timestamp
    /// The tables: `ctx.db[Player.self]`.
    public var db: LocalDatabase { LocalDatabase() }
    /// Deterministic randomness, seeded per call by the host (replays give the same numbers).
    /// `ctx.rng.next()`, or `Int.random(in: 0..<10, using: &ctx.rng)`.
    public var rng: ReducerRNG {
        get { ReducerRNG() }
        nonmutating set {}
    }

    init(sender: Identity, connectionId: ConnectionId?, timestamp: Timestamp) {
        self.sender = sender
        self.connectionId = connectionId
        self.timestamp = timestamp
        ReducerRNG.state = nil  // seeded on first use in this call
    }

    /// The identity of this database.
    public var databaseIdentity: Identity {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBufferPointer { _databaseIdentity($0.baseAddress) }
        return Identity(littleEndianBytes: bytes)!
    }

    /// A random integer in `range`.
    public func random<T: FixedWidthInteger>(in range: Range<T>) -> T {
        var g = ReducerRNG()
        return T.random(in: range, using: &g)
    }

    /// A random integer in `range`.
    public func random<T: FixedWidthInteger>(in range: ClosedRange<T>) -> T {
        var g = ReducerRNG()
        return T.random(in: range, using: &g)
    }

    /// A random float in `[0, 1)`.
    public func randomUnit() -> Double { Double(ReducerRNG.nextValue() >> 11) * 0x1p-53 }
}

/// A random source seeded from the host's per-call random bytes (SplitMix64 underneath). Every
/// copy draws from the same per-call stream.
public struct ReducerRNG: RandomNumberGenerator {
    nonisolated(unsafe) static var state: SplitMix64? = nil

    init() {}

    /// The next 64 random bits of this call's stream.
    static func nextValue() -> UInt64 {
        if state == nil {
            var seed: UInt64 = 0
            withUnsafeMutableBytes(of: &seed) { _randomBytes($0.baseAddress, 8) }
            state = SplitMix64(seed: seed)
        }
        return state!.next()
    }

    public mutating func next() -> UInt64 { Self.nextValue() }
}

/// The database as a reducer sees it: `ctx.db[Player.self]` is the typed handle of table `Player`.
public struct LocalDatabase {
    init() {}

    /// The handle of the table whose rows are `Row`.
    public subscript<Row: TableRow>(_: Row.Type) -> Row.Handle { Row.Handle() }
}
