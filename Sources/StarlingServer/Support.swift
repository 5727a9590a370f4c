import StarlingTypes

extension Duration {
    /// Whole microseconds (negative durations count as zero).
    var wholeMicroseconds: UInt64 {
        let c = components  // one 128-bit division, not one per field
        return UInt64(max(0, c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000))
    }

    /// Whole nanoseconds.
    var wholeNanoseconds: Int64 {
        let c = components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}

extension ConnectionId {
    /// A new random connection id (one per WebSocket connection or HTTP call).
    static func random() -> ConnectionId {
        var rng = SystemRandomNumberGenerator()
        return ConnectionId(UInt128(rng.next() as UInt64) << 64 | UInt128(rng.next() as UInt64))
    }
}
