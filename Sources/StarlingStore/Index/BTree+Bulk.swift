// Bulk construction of a `BTree` from sorted pairs (snapshot loads, index builds): leaves are
// filled left to right and the inner levels built on top, instead of one descent per pair.

extension BTree {
    /// Fills an empty tree with `pairs`, which must be sorted by (key, value) and free of
    /// duplicate pairs. Nodes are filled evenly and nearly full (every node keeps at least half of
    /// its capacity when there is more than one), like an ascending load would fill them.
    func bulkLoad(sorted pairs: UnsafeBufferPointer<Entry>) {
        precondition(isEmpty, "bulk load into a non-empty BTree")
        guard let base = pairs.baseAddress, pairs.count > 0 else { return }
        // The level being built: each node with the smallest pair of its subtree.
        var level: [(node: Node, first: Entry)] = []
        let leafCount = (pairs.count + leafCapacity - 1) / leafCapacity
        level.reserveCapacity(leafCount)
        var start = 0
        var previous: Node?
        for i in 0..<leafCount {
            let end = pairs.count * (i + 1) / leafCount
            let leaf = Node.allocate(capacity: leafCapacity, inner: false)
            leaf.entries.initialize(from: base + start, count: end - start)
            leaf.count = end - start
            previous?.next = leaf
            previous = leaf
            level.append((leaf, base[start]))
            start = end
        }
        while level.count > 1 {
            let fanOut = innerCapacity + 1
            let nodeCount = (level.count + fanOut - 1) / fanOut
            var upper: [(node: Node, first: Entry)] = []
            upper.reserveCapacity(nodeCount)
            var s = 0
            for i in 0..<nodeCount {
                let e = level.count * (i + 1) / nodeCount
                let node = Node.allocate(capacity: innerCapacity, inner: true)
                for j in s..<e { (node.children + (j - s)).initialize(to: level[j].node) }
                for j in (s + 1)..<e { (node.entries + (j - s - 1)).initialize(to: level[j].first) }
                node.count = e - s - 1
                upper.append((node, level[s].first))
                s = e
            }
            level = upper
        }
        Self.deallocateSubtree(root)
        root = level[0].node
        state.pointee.count = pairs.count
        version &+= 1
    }
}
