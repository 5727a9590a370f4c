import StarlingTypes

/// The live state of an auto-increment sequence.
///
/// Values are handed out from `next`; `allocated` is the highest value reserved in the
/// `st_sequence` system table. Reservations go in blocks of ``blockSize`` so the system table is
/// written once per block, not once per insert (after a restart numbering resumes after the
/// reserved block: values may skip, never repeat).
struct SequenceState {
    static let blockSize: Int128 = 4096

    let id: SequenceId
    let schema: SequenceSchema
    /// Bounds of the column's type intersected with the sequence's.
    let min: Int128
    let max: Int128
    var next: Int128
    /// `next + increment` overflowed Int128: the value in `next` was handed out, none is left.
    var pastInt128 = false
    var allocated: Int128
    /// The transaction that last saved this state for undo.
    var savedBy: UInt64 = 0

    init(id: SequenceId, schema: SequenceSchema, type: AlgebraicType) {
        self.id = id
        self.schema = schema
        let (tmin, tmax) = SequenceState.range(of: type)
        min = Swift.max(schema.min, tmin)
        max = Swift.min(schema.max, tmax)
        next = schema.start
        allocated = schema.start - schema.increment
    }

    /// The representable range of an integer column type (u128 capped at Int128.max).
    static func range(of type: AlgebraicType) -> (Int128, Int128) {
        switch type {
        case .i8: (Int128(Int8.min), Int128(Int8.max))
        case .u8: (0, Int128(UInt8.max))
        case .i16: (Int128(Int16.min), Int128(Int16.max))
        case .u16: (0, Int128(UInt16.max))
        case .i32: (Int128(Int32.min), Int128(Int32.max))
        case .u32: (0, Int128(UInt32.max))
        case .i64: (Int128(Int64.min), Int128(Int64.max))
        case .u64: (0, Int128(UInt64.max))
        case .i128: (Int128.min, Int128.max)
        case .u128: (0, Int128.max)
        default: (0, -1)
        }
    }
}
