// Apps import only StarlingClient: the value types (Identity, Timestamp, AlgebraicValue, BSATN
// readers and writers, ...) and the protocol's types (WireFormat, ServerMessage, ...) come with
// it, and so do the types generated bindings use.
@_exported public import StarlingProtocol
@_exported public import StarlingTypes
