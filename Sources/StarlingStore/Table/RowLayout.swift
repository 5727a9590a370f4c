import StarlingTypes

/// Where each column of a row starts in its BSATN bytes.
///
/// Columns after only fixed-size columns have a fixed offset known from the schema; later ones are
/// found by walking the bytes from the last fixed offset.
struct RowLayout {
    let rowType: ProductType
    /// `fixedOffsets[i]` is the byte offset of column `i` when all columns before it are fixed-size.
    let fixedOffsets: [Int?]
    /// The validation program: runs of fixed-size columns merged into one length check.
    private let checks: [FieldCheck]

    enum FieldCheck {
        case fixed(Int)
        case string
        case other(AlgebraicType)
    }

    init(_ rowType: ProductType) {
        self.rowType = rowType
        var checks: [FieldCheck] = []
        for f in rowType.fields {
            switch f.type {
            case .string: checks.append(.string)
            case let t where t.fixedSize != nil && !t.containsSum:
                if case .fixed(let n) = checks.last {
                    checks[checks.count - 1] = .fixed(n + t.fixedSize!)
                } else {
                    checks.append(.fixed(t.fixedSize!))
                }
            case let t: checks.append(.other(t))
            }
        }
        self.checks = checks
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
        var r = BSATNReader(row)
        for c in checks {
            switch c {
            case .fixed(let n): try r.skip(n)
            case .string: try r.skipString()
            case .other(let t): try r.skip(t)
            }
        }
        try r.expectEnd()
    }
}
