/// The typed accessor `@Table` generates for each index declared with `@Table(indexes:)`.
///
/// For a btree index on `(owner, sent)` of `Message` it is a struct `ByOwnerAndSentIndex` inside
/// the table's `Handle` with, for each prefix of the key, an equality `filter`/`delete` on it and a
/// range `filter`/`delete` on its last column:
///
///     filter(owner:) · filter(owner:sent:) · filter(owner: a...b) · filter(owner:sent: t0..<t1)
///
/// plus `find`/`update` and a `Bool`-returning full-key `delete` when the index is unique. A hash
/// index gets only the full-key `filter` and `delete`.
struct IndexAccessorGenerator {
    var index: DeclaredIndex
    var props: [StoredProperty]
    var rowType: String
    var access: String

    /// The slot caching the index id: a static member of the row type.
    var slot: String { "__starling_cidx_\(index.accessor)" }

    /// The handle's computed property returning the accessor.
    func property(indexName: String) -> String {
        """
        \(access)var \(index.accessor): \(index.typeName) {
        if \(rowType).\(slot) == 0xFFFF_FFFF { \(rowType).\(slot) = __starlingIndexID(\(literal(indexName))) }
        return \(index.typeName)(__index: CompositeIndex(indexID: \(rowType).\(slot), name: \(literal(indexName))))
        }
        """
    }

    /// The accessor struct.
    var structDecl: String {
        var methods: [String] = []
        let keys = index.columns.map { props[$0] }
        let n = keys.count
        for k in 1...n where !index.isHash || k == n {
            let params = keys[..<k].map { "\($0.name): \($0.type)" }.joined(separator: ", ")
            let write = encoder(keys[..<k])
            methods.append("\(access)func filter(\(params)) -> RowIterator<\(rowType)> { __index.scan \(write) }")
            if index.isUnique && k == n {
                methods.append("\(access)func find(\(params)) -> \(rowType)? { __index.find \(write) }")
                methods.append("@discardableResult \(access)func delete(\(params)) -> Bool { __index.delete \(write) > 0 }")
            } else {
                methods.append("@discardableResult \(access)func delete(\(params)) -> UInt32 { __index.delete \(write) }")
            }
            if index.isHash { continue }
            let last = keys[k - 1]
            let prefix = keys[..<(k - 1)].map { "\($0.name): \($0.type), " }.joined()
            let rangeParams = "\(prefix)\(last.name): KeyRange"
            let generic = "<KeyRange: IndexRange<\(last.type)>>"
            let prefixWrite = encoder(keys[..<(k - 1)])
            methods.append(
                "\(access)func filter\(generic)(\(rangeParams)) -> RowIterator<\(rowType)> { __index.scan(\(prefixWrite), \(last.name)) }")
            methods.append(
                "@discardableResult \(access)func delete\(generic)(\(rangeParams)) -> UInt32 { __index.delete(\(prefixWrite), \(last.name)) }")
        }
        if index.isUnique {
            methods.append(
                "@discardableResult \(access)func update(_ row: \(rowType)) throws(ReducerError) -> \(rowType) { try __index.update(row) }")
        }
        return """
            \(access)struct \(index.typeName) {
            let __index: CompositeIndex<\(rowType)>
            \(methods.joined(separator: "\n"))
            }
            """
    }

    /// A closure writing the key columns `keys` (by their parameter names) to a BSATN writer.
    private func encoder(_ keys: ArraySlice<StoredProperty>) -> String {
        keys.isEmpty ? "{ _ in }" : "{ " + keys.map { "\($0.name).encode(to: &$0)" }.joined(separator: "; ") + " }"
    }
}
