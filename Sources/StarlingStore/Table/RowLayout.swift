import StarlingTypes

/// Where each column of a row starts in its BSATN bytes.
///
/// Columns after only fixed-size columns have a fixed offset known from the schema; later ones are
/// found by walking the bytes from the last fixed offset.
final class RowLayout {
    let rowType: ProductType
    /// `fixedOffsets[i]` is the byte offset of column `i` when all columns before it are fixed-size.
    let fixedOffsets: [Int?]
    /// The validation program: runs of fixed-size columns merged into one length check. Kept as
    /// trivial values (no reference counting while validating); complex types are in `others`.
    private let checks: [FieldCheck]
    private let others: [AlgebraicType]
    /// The length of every row when all columns have fixed-size encodings (then validating is
    /// one comparison), else nil.
    private let fixedRowSize: Int?

    struct FieldCheck {
        enum Kind: UInt8 { case fixed, string, other }
        var kind: Kind
        /// Bytes for `fixed`; index into `others` for `other`.
        var operand: Int
    }

    init(_ rowType: ProductType) {
        self.rowType = rowType
        var checks: [FieldCheck] = []
        var others: [AlgebraicType] = []
        for f in rowType.fields {
            switch f.type {
            case .string: checks.append(FieldCheck(kind: .string, operand: 0))
            case let t where t.fixedSize != nil && !t.containsSum:
                if let last = checks.last, last.kind == .fixed {
                    checks[checks.count - 1].operand += t.fixedSize!
                } else {
                    checks.append(FieldCheck(kind: .fixed, operand: t.fixedSize!))
                }
            case let t:
                checks.append(FieldCheck(kind: .other, operand: others.count))
                others.append(t)
            }
        }
        self.checks = checks
        self.others = others
        switch (checks.count, checks.first?.kind) {
        case (0, _): fixedRowSize = 0
        case (1, .fixed): fixedRowSize = checks[0].operand
        default: fixedRowSize = nil
        }
        var offsets: [Int?] = []
        var at: Int? = 0
        for f in rowType.fields {
            offsets.append(at)
            if let a = at, let s = f.type.fixedSize { at = a + s } else { at = nil }
        }
        fixedOffsets = offsets
    }

    /// The byte offset of column `column` in a valid row.
    @inline(__always) func offset(of column: Int, in row: UnsafeRawBufferPointer) -> Int {
        if let o = fixedOffsets[column] { return o }
        var start = column
        while fixedOffsets[start] == nil { start -= 1 }
        var r = BSATNReader(row, position: fixedOffsets[start]!)
        for c in start..<column {
            // The row was validated on insert, so skipping cannot fail.
            try! r.skip(rowType.fields[c].type)
        }
        return r.position
    }

    /// Checks that `row` is exactly one valid value of the row type.
    func validate(_ row: UnsafeRawBufferPointer) throws(BSATNError) {
        if let n = fixedRowSize, row.count == n { return }  // otherwise the walk below names the problem
        var r = BSATNReader(row)
        for c in checks {
            switch c.kind {
            case .fixed: try r.skip(c.operand)
            case .string: try r.skipString()
            case .other: try r.skip(others[c.operand])
            }
        }
        try r.expectEnd()
    }
}
