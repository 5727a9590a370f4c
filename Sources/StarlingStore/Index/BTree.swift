// An in-memory B+tree of (key, value) pairs: the storage of ordered (btree) indexes.
//
// Layout (see BTree+Node.swift): every node is one hand-managed allocation holding a small header,
// the (key, value) entries and (inner nodes only) the child pointers, so nodes cost no ARC traffic
// and no exclusivity checks. Leaves are chained left to right for range scans (BTree+Cursor.swift).
// Fan-out: a leaf holds about 2 KiB of pairs, an inner node about 1.5 KiB of separators and child
// pointers: 128 and 64 for two 8-byte fields (both clamped to 16...256). On 10M random UInt64
// pairs, 64...128-pair leaves with 64-way inner nodes measured ~30% faster inserts than 170...256-way
// nodes; 128-pair leaves use ~0.5 byte/entry less memory than 64-pair ones at the same speed.
//
// Insert: a full leaf first hands pairs to a sibling with room (left, then right; only when the
// sibling has at least 1/16 of its capacity free, moving half of that room), and only then
// splits in the middle. Appending past the tree's maximum (or prepending before its minimum)
// splits off a nearly empty node instead, so ascending and descending loads fill nodes completely.
//
// Remove: a node that falls below a quarter of its capacity merges with a sibling when both fit in
// one node, and otherwise takes pairs from it so both are half full; an emptied root collapses.
// Deleting everything therefore frees every node but the root leaf.
//
// Reads (`first`, `contains`, scans) write nothing, so concurrent readers are safe while no one
// writes.

/// One end of a key range scanned by ``BTree/forEach(from:to:_:)``.
package enum BTreeBound<K> {
    /// No limit on this side.
    case unbounded
    /// Keys equal to the bound are in the range.
    case included(K)
    /// Keys equal to the bound are not in the range.
    case excluded(K)
}

extension BTreeBound: Equatable where K: Equatable {}
extension BTreeBound: Hashable where K: Hashable {}
extension BTreeBound: Sendable where K: Sendable {}

/// An ordered multimap stored as a B+tree of `(key, value)` pairs, sorted by key, then value.
///
/// One key may hold many values (a non-unique index maps a key to row ids), but an identical
/// pair is stored once. A reference type without copy-on-write, owned by one table and mutated
/// only by the database's writer; it is deliberately not `Sendable`.
///
/// Scans (``forEach(from:to:_:)`` and ``entries(from:to:)``) must not mutate the tree they walk;
/// doing so traps.
package final class BTree<Key: Comparable, Value: Comparable> {
    /// The mutable state, kept behind a pointer so that hot paths pay no exclusivity checks.
    @usableFromInline
    struct State {
        @usableFromInline var root: Node
        @usableFromInline var count: Int
        /// Bumped by every mutation; scans trap when it changes under them.
        @usableFromInline var version: UInt
        /// The rightmost leaf, valid while `appendVersion == version`: the last insert went there
        /// and nothing changed since, so an insert past the maximum can append to it directly.
        @usableFromInline var appendLeaf: Node?
        @usableFromInline var appendVersion: UInt
    }

    @usableFromInline let state: UnsafeMutablePointer<State>
    @usableFromInline let leafCapacity: Int
    @usableFromInline let innerCapacity: Int
    /// A non-root node with fewer entries than this is rebalanced when a removal passes through it.
    @usableFromInline let leafMinimum: Int
    @usableFromInline let innerMinimum: Int

    /// Creates an empty tree with node sizes chosen from the sizes of `Key` and `Value`.
    @inlinable
    package convenience init() {
        self.init(leafCapacity: Self.defaultLeafCapacity, innerCapacity: Self.defaultInnerCapacity)
    }

    /// Creates an empty tree with explicit node capacities (at least 4; tests use small ones).
    @inlinable
    init(leafCapacity: Int, innerCapacity: Int) {
        precondition(
            (4...1 << 16).contains(leafCapacity) && (4...1 << 16).contains(innerCapacity),
            "BTree node capacities must be in 4...65536")
        self.leafCapacity = leafCapacity
        self.innerCapacity = innerCapacity
        self.leafMinimum = leafCapacity / 4
        self.innerMinimum = innerCapacity / 4
        state = .allocate(capacity: 1)
        state.initialize(
            to: State(root: .allocate(capacity: leafCapacity, inner: false), count: 0, version: 0, appendLeaf: nil, appendVersion: 0))
    }

    deinit {
        Self.deallocateSubtree(state.pointee.root)
        state.deallocate()
    }

    @inlinable
    var root: Node {
        get { state.pointee.root }
        set { state.pointee.root = newValue }
    }

    @inlinable
    var version: UInt {
        get { state.pointee.version }
        set { state.pointee.version = newValue }
    }

    /// Pairs per leaf: about 2 KiB of pairs, clamped to 16...256 (128 for two 8-byte fields).
    @inlinable
    static var defaultLeafCapacity: Int {
        let pair = MemoryLayout<Entry>.stride
        return min(256, max(16, 2048 / max(pair, 1)))
    }

    /// Separators per inner node: about 1.5 KiB of separators and child references, clamped to
    /// 16...256 (64 for two 8-byte fields).
    @inlinable
    static var defaultInnerCapacity: Int {
        let entry = MemoryLayout<Entry>.stride + MemoryLayout<Node>.stride
        return min(256, max(16, 1536 / entry))
    }

    /// The number of stored pairs.
    @inlinable
    package var count: Int { state.pointee.count }

    /// Whether the tree stores no pair.
    @inlinable
    package var isEmpty: Bool { state.pointee.count == 0 }

    // MARK: Lookup

    /// The smallest value stored under exactly `key`, or `nil` when the key is absent.
    @inlinable
    package func first(_ key: Key) -> Value? {
        var node = root
        while !node.isLeaf { node = node.children[node.lowerBound(key: key)] }
        var i = node.lowerBound(key: key)
        while i == node.count {
            guard let next = node.next else { return nil }
            node = next
            i = 0
        }
        let entry = node.entries[i]
        return entry.key == key ? entry.value : nil
    }

    /// Whether at least one pair is stored under `key`.
    @inlinable
    package func contains(_ key: Key) -> Bool { first(key) != nil }

    /// Whether exactly the pair `(key, value)` is stored.
    @inlinable
    package func contains(_ key: Key, _ value: Value) -> Bool {
        var node = root
        while !node.isLeaf { node = node.children[node.upperBound(key, value)] }
        return node.holds(key, value, at: node.lowerBound(key, value))
    }

    // MARK: Insert

    /// Stores the pair `(key, value)`; returns `false` (changing nothing) when it is already stored.
    @inlinable
    @discardableResult
    package func insert(_ key: Key, _ value: Value) -> Bool {
        // Ascending loads (auto-increment keys, replay) append to the rightmost leaf in O(1).
        if let leaf = state.pointee.appendLeaf, state.pointee.appendVersion == version {
            let n = leaf.count
            if n < leaf.capacity, n > 0 {
                let last = leaf.entries[n &- 1]
                if last.key < key || (last.key == key && last.value < value) {
                    (leaf.entries + n).initialize(to: (key, value))
                    leaf.count = n &+ 1
                    state.pointee.count &+= 1
                    version &+= 1
                    state.pointee.appendVersion = version
                    return true
                }
            }
        }
        state.pointee.appendLeaf = nil
        let root = self.root
        let outcome =
            root.isLeaf
            ? insert(key, value, intoLeaf: root, parent: nil, at: 0, leftEdge: true, rightEdge: true)
            : insert(key, value, into: root, leftEdge: true, rightEdge: true)
        switch outcome {
        case .duplicate:
            return false
        case .inserted:
            break
        case .split(let separatorKey, let separatorValue, let right):
            let newRoot = Node.allocate(capacity: innerCapacity, inner: true)
            newRoot.children.initialize(to: root)
            newRoot.insertSeparator(separatorKey, separatorValue, right: right, at: 0)
            self.root = newRoot
        }
        state.pointee.count &+= 1
        version &+= 1
        if state.pointee.appendLeaf != nil { state.pointee.appendVersion = version }
        return true
    }

    /// What an insertion did to the subtree it went into.
    @usableFromInline
    enum InsertOutcome {
        case duplicate
        case inserted
        /// The subtree's node split: the parent must add `right` after it, separated by the pair.
        case split(Key, Value, Node)
    }

    /// Inserts into the subtree of the inner `node`. `leftEdge`/`rightEdge`: `node` is the
    /// leftmost/rightmost node of its level.
    @inlinable
    func insert(_ key: Key, _ value: Value, into node: Node, leftEdge: Bool, rightEdge: Bool) -> InsertOutcome {
        let i = node.upperBound(key, value)
        let child = node.children[i]
        let leftmost = leftEdge && i == 0
        let rightmost = rightEdge && i == node.count
        let outcome =
            child.isLeaf
            ? insert(key, value, intoLeaf: child, parent: node, at: i, leftEdge: leftmost, rightEdge: rightmost)
            : insert(key, value, into: child, leftEdge: leftmost, rightEdge: rightmost)
        guard case .split(let separatorKey, let separatorValue, let right) = outcome else { return outcome }
        if !node.isFull {
            node.insertSeparator(separatorKey, separatorValue, right: right, at: i)
            return .inserted
        }
        let capacity = node.capacity
        let promoted = rightmost ? capacity - 1 : leftmost ? 1 : capacity / 2
        return splitInner(node, separatorKey, separatorValue, right: right, at: i, promoting: promoted)
    }

    /// Inserts into `leaf`, child `i` of `parent` (nil for a root leaf).
    @inlinable
    func insert(
        _ key: Key, _ value: Value, intoLeaf leaf: Node, parent: Node?, at i: Int, leftEdge: Bool, rightEdge: Bool
    ) -> InsertOutcome {
        let j = leaf.lowerBound(key, value)
        if leaf.holds(key, value, at: j) { return .duplicate }
        if !leaf.isFull {
            leaf.insertPair(key, value, at: j)
            if rightEdge { state.pointee.appendLeaf = leaf }
            return .inserted
        }
        let capacity = leaf.capacity
        if rightEdge && j == capacity { return splitLeaf(leaf, key, value, at: j, keepingLeft: capacity) }
        if leftEdge && j == 0 { return splitLeaf(leaf, key, value, at: j, keepingLeft: 1) }
        if let parent, shareFullLeaf(leaf, parent: parent, at: i, key, value, at: j) { return .inserted }
        return splitLeaf(leaf, key, value, at: j, keepingLeft: (capacity + 1) / 2)
    }

    /// Makes room in the full `leaf` (child `i` of `parent`) by moving pairs to a sibling with
    /// enough free room, then inserts the pair that belongs at `j`. Returns `false` (changing
    /// nothing) when neither sibling has room.
    @inlinable
    func shareFullLeaf(_ leaf: Node, parent: Node, at i: Int, _ key: Key, _ value: Value, at j: Int) -> Bool {
        let capacity = leaf.capacity
        let minimumFree = max(2, capacity / 16)
        let children = parent.children
        if i > 0 {
            let left = children[i - 1]
            let free = capacity - left.count
            if free >= minimumFree {
                let n = free / 2
                left.moveEntries(from: leaf, at: 0, to: left.count, count: n)
                left.count += n
                leaf.shiftLeft(by: n)
                if j <= n {
                    left.insertPair(key, value, at: left.count - n + j)
                } else {
                    leaf.insertPair(key, value, at: j - n)
                }
                parent.setSeparator(i - 1, toFirstOf: leaf)
                return true
            }
        }
        if i < parent.count {
            let right = children[i + 1]
            let free = capacity - right.count
            if free >= minimumFree {
                let n = free / 2
                right.shiftRight(by: n)
                right.moveEntries(from: leaf, at: capacity - n, to: 0, count: n)
                right.count += n
                leaf.count -= n
                if j <= capacity - n {
                    leaf.insertPair(key, value, at: j)
                } else {
                    right.insertPair(key, value, at: j - (capacity - n))
                }
                parent.setSeparator(i, toFirstOf: right)
                return true
            }
        }
        return false
    }

    /// Splits the full `leaf` while inserting the pair that belongs at `j`: of the `capacity + 1`
    /// pairs, the first `s` stay, the rest move to a new right sibling.
    @inlinable
    func splitLeaf(_ leaf: Node, _ key: Key, _ value: Value, at j: Int, keepingLeft s: Int) -> InsertOutcome {
        let capacity = leaf.capacity
        let right = Node.allocate(capacity: capacity, inner: false)
        if j < s {
            let n = capacity - s + 1
            right.moveEntries(from: leaf, at: s - 1, to: 0, count: n)
            right.count = n
            leaf.count = s - 1
            leaf.insertPair(key, value, at: j)
        } else {
            let n = capacity - s
            right.moveEntries(from: leaf, at: s, to: 0, count: n)
            right.count = n
            leaf.count = s
            right.insertPair(key, value, at: j - s)
        }
        right.next = leaf.next
        leaf.next = right
        return .split(right.entries[0].key, right.entries[0].value, right)
    }

    /// Splits the full inner `node` while inserting separator `(key, value)` at `i` (with `child`
    /// after it). Of the `capacity + 1` separators, the one at `m` moves up to the parent.
    @inlinable
    func splitInner(
        _ node: Node, _ key: Key, _ value: Value, right child: Node, at i: Int, promoting m: Int
    ) -> InsertOutcome {
        let capacity = node.capacity
        let right = Node.allocate(capacity: capacity, inner: true)
        let upKey: Key
        let upValue: Value
        if i < m {
            right.moveEntries(from: node, at: m, to: 0, count: capacity - m)
            right.moveChildren(from: node, at: m, to: 0, count: capacity - m + 1)
            right.count = capacity - m
            (upKey, upValue) = (node.entries + m - 1).move()
            node.count = m - 1
            node.insertSeparator(key, value, right: child, at: i)
        } else if i == m {
            right.moveEntries(from: node, at: m, to: 0, count: capacity - m)
            right.children.initialize(to: child)
            right.moveChildren(from: node, at: m + 1, to: 1, count: capacity - m)
            right.count = capacity - m
            node.count = m
            upKey = key
            upValue = value
        } else {
            right.moveEntries(from: node, at: m + 1, to: 0, count: capacity - m - 1)
            right.moveChildren(from: node, at: m + 1, to: 0, count: capacity - m)
            right.count = capacity - m - 1
            (upKey, upValue) = (node.entries + m).move()
            node.count = m
            right.insertSeparator(key, value, right: child, at: i - m - 1)
        }
        return .split(upKey, upValue, right)
    }

    // MARK: Replace

    /// Changes the value of the pair `(key, old)` to `new` in place, for a tree that stores no
    /// other pair with `key` (a unique index whose row was replaced). Returns `false`, changing
    /// nothing, when the pair is absent or an inner separator on its path has `key` (then the
    /// new value could break the order the separators promise; remove and insert instead).
    ///
    /// Safe with no other pair of `key`: every descent for `key` follows the same path whatever
    /// the value, and that path holds no separator with `key`. The version is not bumped: no
    /// pair moves, so running iterations stay valid.
    @inlinable
    package func replaceValue(_ key: Key, _ old: Value, with new: Value) -> Bool {
        var node = root
        while !node.isLeaf {
            let i = node.upperBound(key, old)
            if i > 0, node.entries[i &- 1].key == key { return false }
            if i < node.count, node.entries[i].key == key { return false }
            node = node.children[i]
        }
        let j = node.lowerBound(key, old)
        guard node.holds(key, old, at: j) else { return false }
        if j > 0, node.entries[j &- 1].key == key { return false }
        if j &+ 1 < node.count, node.entries[j &+ 1].key == key { return false }
        node.entries[j].value = new
        return true
    }

    // MARK: Remove

    /// Removes the pair `(key, value)`; returns `false` when it was not stored.
    @inlinable
    @discardableResult
    package func remove(_ key: Key, _ value: Value) -> Bool {
        let root = self.root
        if root.isLeaf {
            let j = root.lowerBound(key, value)
            guard root.holds(key, value, at: j) else { return false }
            root.removePair(at: j)
        } else {
            guard remove(key, value, from: root) else { return false }
            if root.count == 0 {
                self.root = root.children[0]
                root.deallocate()
            }
        }
        state.pointee.count &-= 1
        version &+= 1
        return true
    }

    /// Removes from the subtree of the inner `node`, rebalancing the child it went through.
    @inlinable
    func remove(_ key: Key, _ value: Value, from node: Node) -> Bool {
        let i = node.upperBound(key, value)
        let child = node.children[i]
        if child.isLeaf {
            let j = child.lowerBound(key, value)
            guard child.holds(key, value, at: j) else { return false }
            child.removePair(at: j)
            if child.count < leafMinimum { rebalanceLeaf(in: node, at: i) }
        } else {
            guard remove(key, value, from: child) else { return false }
            if child.count < innerMinimum { rebalanceInner(in: node, at: i) }
        }
        return true
    }

    /// Fixes the underfull leaf child `i` of `parent`: merges it with a sibling when both fit in
    /// one leaf, otherwise evens out the two.
    @inlinable
    func rebalanceLeaf(in parent: Node, at i: Int) {
        let separator = i > 0 ? i - 1 : i
        let children = parent.children
        let a = children[separator]
        let b = children[separator + 1]
        if a.count + b.count <= a.capacity {
            a.moveEntries(from: b, at: 0, to: a.count, count: b.count)
            a.count += b.count
            b.count = 0
            a.next = b.next
            parent.removeSeparator(at: separator).deallocate()
            return
        }
        let target = (a.count + b.count) / 2
        if a.count < target {
            let n = target - a.count
            a.moveEntries(from: b, at: 0, to: a.count, count: n)
            a.count += n
            b.shiftLeft(by: n)
        } else if a.count > target {
            let n = a.count - target
            b.shiftRight(by: n)
            b.moveEntries(from: a, at: a.count - n, to: 0, count: n)
            b.count += n
            a.count -= n
        }
        parent.setSeparator(separator, toFirstOf: b)
    }

    /// Fixes the underfull inner child `i` of `parent`: merges it with a sibling (pulling their
    /// separator down) when both fit in one node, otherwise rotates entries through the parent.
    @inlinable
    func rebalanceInner(in parent: Node, at i: Int) {
        let separator = i > 0 ? i - 1 : i
        let children = parent.children
        let a = children[separator]
        let b = children[separator + 1]
        if a.count + 1 + b.count <= a.capacity {
            (a.entries + a.count).initialize(to: parent.entries[separator])
            a.moveEntries(from: b, at: 0, to: a.count + 1, count: b.count)
            a.moveChildren(from: b, at: 0, to: a.count + 1, count: b.count + 1)
            a.count += 1 + b.count
            b.count = 0
            parent.removeSeparator(at: separator).deallocate()
            return
        }
        let target = (a.count + b.count) / 2
        if a.count < target {
            let n = target - a.count
            (a.entries + a.count).initialize(to: parent.entries[separator])
            a.moveEntries(from: b, at: 0, to: a.count + 1, count: n - 1)
            a.moveChildren(from: b, at: 0, to: a.count + 1, count: n)
            a.count += n
            parent.entries[separator] = (b.entries + n - 1).move()
            b.shiftLeft(by: n)
        } else if a.count > target {
            let n = a.count - target
            b.shiftRight(by: n)
            (b.entries + n - 1).initialize(to: parent.entries[separator])
            b.moveEntries(from: a, at: a.count - n + 1, to: 0, count: n - 1)
            b.moveChildren(from: a, at: a.count - n + 1, to: 0, count: n)
            b.count += n
            parent.entries[separator] = (a.entries + a.count - n).move()
            a.count -= n
        }
    }

    /// Removes every pair, releasing all nodes.
    @inlinable
    package func removeAll() {
        Self.deallocateSubtree(root)
        root = .allocate(capacity: leafCapacity, inner: false)
        state.pointee.count = 0
        version &+= 1
    }
}

/// Owned by one table behind the database's writer; never shared across isolation domains.
@available(*, unavailable)
extension BTree: Sendable {}
