/// How a WebSocket client speaks: JSON in text frames or BSATN in binary frames. The messages are
/// the same in both (see `docs/protocol.md`).
public enum WireFormat: String, Sendable, Hashable, CaseIterable {
    case json
    case bsatn

    /// The WebSocket subprotocol that selects this format.
    public var subprotocol: String {
        switch self {
        case .json: "v1.json.starling"
        case .bsatn: "v1.bsatn.starling"
        }
    }

    /// The format a subprotocol names, if any.
    public init?(subprotocol: String) {
        guard let f = WireFormat.allCases.first(where: { $0.subprotocol == subprotocol }) else { return nil }
        self = f
    }
}

/// Why a protocol message could not be read.
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
