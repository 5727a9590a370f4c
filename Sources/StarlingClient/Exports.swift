// Apps import only StarlingClient: the value types (Identity, Timestamp, AlgebraicValue, BSATN
// readers and writers, ...) come with it, and so do the types generated bindings use.
@_exported public import StarlingTypes
public import StarlingProtocol

/// How the client speaks to the server: `.bsatn` (binary frames, the default) or `.json` (text frames).
public typealias WireFormat = StarlingProtocol.WireFormat
