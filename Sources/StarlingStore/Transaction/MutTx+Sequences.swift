import StarlingTypes

extension MutTx {
    /// Replaces zero in each auto-increment column of `row` with the sequence's next value.
    func applySequences(_ t: Table, _ row: inout [UInt8]) throws(StoreError) {
        for i in t.sequences.indices {
            let column = t.sequences[i].schema.column
            let type = t.schema.columns[column].type
            let offset = t.layout.fixedOffsets[column] ?? row.withUnsafeBytes { t.layout.offset(of: column, in: $0) }
            guard readInteger(type, row, at: offset) == 0 else { continue }
            let value = try nextValue(t, i)
            writeInteger(type, value, &row, at: offset)
        }
    }

    /// Takes the next value of sequence `i` of `t`, reserving a new block in `st_sequence` when needed.
    private func nextValue(_ t: Table, _ i: Int) throws(StoreError) -> Int128 {
        var seq = t.sequences[i]
        let value = seq.next
        guard !seq.pastInt128, value >= seq.min, value <= seq.max else {
            let c = t.schema.columns[seq.schema.column]
            let shown = seq.pastInt128 ? "\(value) + \(seq.schema.increment) (past the 128-bit range)" : "\(value)"
            throw StoreError(
                .sequenceOverflow,
                "sequence `\(seq.schema.name)` of table `\(t.name)` is exhausted: next value \(shown) is outside \(seq.min)...\(seq.max) (column `\(c.name)` of type \(c.type))"
            )
        }
        if seq.savedBy != id {
            store.tx!.undo.append(.sequence(table: t.id, index: i, state: seq))
            seq.savedBy = id
        }
        let increment = seq.schema.increment
        if increment > 0 ? value > seq.allocated : value < seq.allocated {
            let (reach, overflow) = increment.multipliedReportingOverflow(by: SequenceState.blockSize - 1)
            let (end, overflow2) = value.addingReportingOverflow(reach)
            seq.allocated =
                increment > 0
                ? (overflow || overflow2 ? seq.max : min(end, seq.max))
                : (overflow || overflow2 ? seq.min : max(end, seq.min))
            t.sequences[i] = seq
            try SystemTables.recordAllocation(self, sequence: seq)
        }
        let (next, overflow) = value.addingReportingOverflow(increment)
        // On overflow keep `next` and mark the sequence exhausted: saturating to Int128.max/min
        // would hand out that bound again and again.
        if overflow { seq.pastInt128 = true } else { seq.next = next }
        t.sequences[i] = seq
        return value
    }
}

/// Reads an integer column of any width as Int128.
func readInteger(_ type: AlgebraicType, _ row: [UInt8], at o: Int) -> Int128 {
    row.withUnsafeBytes { b in
        switch type {
        case .i8: Int128(Int8(bitPattern: b[o]))
        case .u8: Int128(b[o])
        case .i16: Int128(Int16(littleEndian: b.loadUnaligned(fromByteOffset: o, as: Int16.self)))
        case .u16: Int128(UInt16(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
        case .i32: Int128(Int32(littleEndian: b.loadUnaligned(fromByteOffset: o, as: Int32.self)))
        case .u32: Int128(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
        case .i64: Int128(Int64(littleEndian: b.loadUnaligned(fromByteOffset: o, as: Int64.self)))
        case .u64: Int128(UInt64(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
        case .i128: Int128(littleEndian: b.loadUnaligned(fromByteOffset: o, as: Int128.self))
        case .u128: Int128(truncatingIfNeeded: UInt128(littleEndian: b.loadUnaligned(fromByteOffset: o, as: UInt128.self)))
        default: -1
        }
    }
}

/// Writes `v` (already checked to fit) into an integer column.
func writeInteger(_ type: AlgebraicType, _ v: Int128, _ row: inout [UInt8], at o: Int) {
    row.withUnsafeMutableBytes { b in
        switch type {
        case .i8, .u8: b[o] = UInt8(truncatingIfNeeded: v)
        case .i16, .u16: b.storeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian, toByteOffset: o, as: UInt16.self)
        case .i32, .u32: b.storeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian, toByteOffset: o, as: UInt32.self)
        case .i64, .u64: b.storeBytes(of: UInt64(truncatingIfNeeded: v).littleEndian, toByteOffset: o, as: UInt64.self)
        case .i128, .u128: b.storeBytes(of: UInt128(truncatingIfNeeded: v).littleEndian, toByteOffset: o, as: UInt128.self)
        default: break
        }
    }
}
