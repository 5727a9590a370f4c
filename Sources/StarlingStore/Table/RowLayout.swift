import StarlingTypes

/// Where each column of a row starts in its BSATN bytes.
///
/// Columns after only fixed-size columns have a fixed offset known from the schema; later ones are
/// found by walking the bytes from the last fixed offset.
struct RowLayout {
    let rowType: ProductType
    /// `fixedOffsets[i]` is the byte offset of column `i` when all columns before it are fixed-size.
    let fixedOffsets: [Int?]

    init(_ rowType: ProductType) {
        self.rowType = rowType
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
        for f in rowType.fields { try r.skip(f.type) }
        try r.expectEnd()
    }
}
