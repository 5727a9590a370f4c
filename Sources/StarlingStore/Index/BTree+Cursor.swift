// Range scans of `BTree`: the closure-based `forEach` (allocation-free) and the `Entries`
// sequence. Both position themselves at the first pair at or after the lower bound, then walk the
// leaf chain. In the first leaf every key is checked against the upper bound (short scans touch
// only the slots they return); a later leaf whose last key is within the bound is returned whole
// without per-key checks.

extension BTree {
    // MARK: Closure scans

    /// Calls `body` with every pair whose key lies between `lower` and `upper`, in ascending
    /// (key, value) order, until `body` returns `false`. A lower bound above the upper bound
    /// yields nothing. `body` must not mutate the tree (that traps).
    @inlinable
    package func forEach<E: Error>(
        from lower: BTreeBound<Key> = .unbounded,
        to upper: BTreeBound<Key> = .unbounded,
        _ body: (Key, Value) throws(E) -> Bool
    ) throws(E) {
        var (leaf, i) = seek(lower)
        var checked = true
        let stamp = version
        while true {
            let n = leaf.count
            let entries = leaf.entries
            if checked {
                while i < n {
                    let entry = entries[i]
                    guard Self.precedes(entry.key, upper), try body(entry.key, entry.value) else { return }
                    precondition(version == stamp, "BTree mutated during forEach")
                    i &+= 1
                }
            } else {
                while i < n {
                    guard try body(entries[i].key, entries[i].value) else { return }
                    precondition(version == stamp, "BTree mutated during forEach")
                    i &+= 1
                }
            }
            guard let next = leaf.next else { return }
            leaf = next
            i = 0
            checked = !Self.holdsOnlyKeys(next, before: upper)
        }
    }

    /// Calls `body` with every value stored under exactly `key`, in ascending order, until
    /// `body` returns `false`. `body` must not mutate the tree (that traps).
    @inlinable
    package func forEach<E: Error>(equalTo key: Key, _ body: (Value) throws(E) -> Bool) throws(E) {
        try forEach(from: .included(key), to: .included(key)) { (_, value) throws(E) -> Bool in try body(value) }
    }

    /// Every value stored under exactly `key`, ascending.
    @inlinable
    package func values(equalTo key: Key) -> [Value] {
        var result: [Value] = []
        forEach(equalTo: key) { value in
            result.append(value)
            return true
        }
        return result
    }

    // MARK: Sequence

    /// The pairs whose key lies between `lower` and `upper`, ascending, as a sequence.
    ///
    /// Each iterator positions itself when created; mutating the tree while one is in use traps.
    @inlinable
    package func entries(from lower: BTreeBound<Key> = .unbounded, to upper: BTreeBound<Key> = .unbounded)
        -> Entries
    {
        Entries(tree: self, lower: lower, upper: upper)
    }

    /// Every pair stored under exactly `key`, ascending, as a sequence.
    @inlinable
    package func entries(equalTo key: Key) -> Entries {
        Entries(tree: self, lower: .included(key), upper: .included(key))
    }

    /// A key range of a ``BTree`` as a `Sequence` of `(key, value)` pairs in ascending order.
    package struct Entries: Sequence {
        @usableFromInline let tree: BTree
        @usableFromInline let lower: BTreeBound<Key>
        @usableFromInline let upper: BTreeBound<Key>

        @inlinable
        init(tree: BTree, lower: BTreeBound<Key>, upper: BTreeBound<Key>) {
            self.tree = tree
            self.lower = lower
            self.upper = upper
        }

        /// An iterator positioned at the first pair of the range.
        @inlinable
        package func makeIterator() -> Iterator {
            let (leaf, index) = tree.seek(lower)
            return Iterator(tree: tree, leaf: leaf, index: index, upper: upper)
        }
    }

    /// Walks the leaf chain of a ``BTree`` through a key range. Traps if the tree is mutated
    /// after the iterator was created. Keeps the tree alive.
    package struct Iterator: IteratorProtocol {
        @usableFromInline let tree: BTree
        /// `nil` once exhausted.
        @usableFromInline var leaf: Node?
        @usableFromInline var index: Int
        /// Whether keys of `leaf` must be checked against `upper`.
        @usableFromInline var checked: Bool
        @usableFromInline let upper: BTreeBound<Key>
        @usableFromInline let version: UInt

        @inlinable
        init(tree: BTree, leaf: Node, index: Int, upper: BTreeBound<Key>) {
            self.tree = tree
            self.leaf = leaf
            self.index = index
            self.checked = true
            self.upper = upper
            self.version = tree.version
        }

        /// The next pair of the range, or `nil` past its end.
        @inlinable
        package mutating func next() -> (key: Key, value: Value)? {
            guard var node = leaf else { return nil }
            precondition(tree.version == version, "BTree mutated during iteration")
            while index == node.count {
                guard let following = node.next else {
                    leaf = nil
                    return nil
                }
                node = following
                leaf = following
                index = 0
                checked = !BTree.holdsOnlyKeys(following, before: upper)
            }
            let entry = node.entries[index]
            if checked && !BTree.precedes(entry.key, upper) {
                leaf = nil
                return nil
            }
            index &+= 1
            return entry
        }
    }

    // MARK: Positioning

    /// The leaf and index of the first pair at or after `lower` (the index may equal the leaf's
    /// count: the pair is then the first of a following leaf, if any).
    @inlinable
    func seek(_ lower: BTreeBound<Key>) -> (Node, Int) {
        var node = root
        switch lower {
        case .unbounded:
            while !node.isLeaf { node = node.children[0] }
            return (node, 0)
        case .included(let key):
            while !node.isLeaf { node = node.children[node.lowerBound(key: key)] }
            return (node, node.lowerBound(key: key))
        case .excluded(let key):
            while !node.isLeaf { node = node.children[node.upperBound(key: key)] }
            return (node, node.upperBound(key: key))
        }
    }

    /// Whether `key` is within `upper`.
    @inlinable
    static func precedes(_ key: Key, _ upper: BTreeBound<Key>) -> Bool {
        switch upper {
        case .unbounded: true
        case .included(let bound): !(bound < key)
        case .excluded(let bound): key < bound
        }
    }

    /// Whether every key of `leaf` is within `upper` (judged by its last key).
    @inlinable
    static func holdsOnlyKeys(_ leaf: Node, before upper: BTreeBound<Key>) -> Bool {
        if case .unbounded = upper { return true }
        let n = leaf.count
        return n > 0 && precedes(leaf.entries[n - 1].key, upper)
    }
}
