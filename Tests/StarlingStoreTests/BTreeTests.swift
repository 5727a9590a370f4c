import StarlingTypes
import Testing

@testable import StarlingStore


/// A pair of the reference model.
private struct Pair: Comparable, CustomStringConvertible {
    var key: Int
    var value: Int
    static func < (a: Pair, b: Pair) -> Bool { (a.key, a.value) < (b.key, b.value) }
    var description: String { "(\(key), \(value))" }
}

/// The reference model: a sorted array of distinct pairs.
private struct Model {
    var pairs: [Pair] = []

    func index(of p: Pair) -> Int {
        var low = 0
        var high = pairs.count
        while low < high {
            let m = (low + high) / 2
            if pairs[m] < p { low = m + 1 } else { high = m }
        }
        return low
    }

    mutating func insert(_ p: Pair) -> Bool {
        let i = index(of: p)
        if i < pairs.count && pairs[i] == p { return false }
        pairs.insert(p, at: i)
        return true
    }

    mutating func remove(_ p: Pair) -> Bool {
        let i = index(of: p)
        guard i < pairs.count && pairs[i] == p else { return false }
        pairs.remove(at: i)
        return true
    }

    func range(_ lower: BTreeBound<Int>, _ upper: BTreeBound<Int>) -> [Pair] {
        pairs.filter { p in
            switch lower {
            case .unbounded: break
            case .included(let k): if p.key < k { return false }
            case .excluded(let k): if p.key <= k { return false }
            }
            switch upper {
            case .unbounded: return true
            case .included(let k): return p.key <= k
            case .excluded(let k): return p.key < k
            }
        }
    }
}

/// Node capacities exercised: tiny ones force deep trees, splits and merges with few pairs.
private let capacities: [(leaf: Int, inner: Int)] = [(4, 4), (5, 6), (7, 5), (16, 8), (64, 32)]

private func makeTree(_ capacity: (leaf: Int, inner: Int)?) -> BTree<Int, Int> {
    guard let capacity else { return BTree() }
    return BTree(leafCapacity: capacity.leaf, innerCapacity: capacity.inner)
}

/// The pairs in a range, read through the closure scan.
private func scan(_ tree: BTree<Int, Int>, _ lower: BTreeBound<Int>, _ upper: BTreeBound<Int>) -> [Pair] {
    var out: [Pair] = []
    tree.forEach(from: lower, to: upper) { k, v in
        out.append(Pair(key: k, value: v))
        return true
    }
    return out
}

/// The pairs in a range, read through the `Sequence`.
private func iterate(_ tree: BTree<Int, Int>, _ lower: BTreeBound<Int>, _ upper: BTreeBound<Int>) -> [Pair] {
    tree.entries(from: lower, to: upper).map { Pair(key: $0.key, value: $0.value) }
}

private func bounds(around keys: [Int]) -> [BTreeBound<Int>] {
    [.unbounded] + keys.flatMap { [BTreeBound<Int>.included($0), .excluded($0)] }
}

private struct Boom: Error, Equatable {
    var at: Int
}

struct BTreeTests {
    @Test func emptyTree() {
        for capacity in capacities.map(Optional.some) + [nil] {
            let tree = makeTree(capacity)
            #expect(tree.count == 0)
            #expect(tree.isEmpty)
            #expect(tree.first(0) == nil)
            #expect(!tree.contains(0))
            #expect(!tree.contains(0, 0))
            #expect(tree.values(equalTo: 0).isEmpty)
            #expect(!tree.remove(0, 0))
            for lower in bounds(around: [0]) {
                for upper in bounds(around: [0]) {
                    #expect(scan(tree, lower, upper).isEmpty)
                    #expect(iterate(tree, lower, upper).isEmpty)
                }
            }
            var iterator = tree.entries().makeIterator()
            #expect(iterator.next() == nil)
            #expect(iterator.next() == nil)
            #expect(tree.invariantViolation() == nil)
        }
    }

    @Test func singlePair() {
        let tree = BTree<Int, Int>()
        #expect(tree.insert(7, 70))
        #expect(tree.count == 1)
        #expect(!tree.isEmpty)
        #expect(tree.first(7) == 70)
        #expect(tree.first(6) == nil)
        #expect(tree.first(8) == nil)
        #expect(tree.contains(7))
        #expect(tree.contains(7, 70))
        #expect(!tree.contains(7, 71))
        #expect(tree.values(equalTo: 7) == [70])
        #expect(iterate(tree, .unbounded, .unbounded) == [Pair(key: 7, value: 70)])
        #expect(tree.remove(7, 70))
        #expect(tree.isEmpty)
        #expect(tree.first(7) == nil)
        #expect(tree.invariantViolation() == nil)
    }

    @Test func duplicateKeysWithManyValues() {
        for capacity in capacities.map(Optional.some) + [nil] {
            let tree = makeTree(capacity)
            var rng = SplitMix64(seed: 42)
            let values = Array(0..<1000).shuffled(using: &rng)
            for v in values {
                #expect(tree.insert(5, v))
                #expect(tree.insert(4, v * 2))
                #expect(tree.insert(6, -v))
            }
            #expect(tree.count == 3000)
            #expect(tree.first(5) == 0)
            #expect(tree.first(4) == 0)
            #expect(tree.first(6) == -999)
            #expect(tree.first(3) == nil)
            #expect(tree.first(7) == nil)
            #expect(tree.values(equalTo: 5) == Array(0..<1000))
            #expect(tree.values(equalTo: 4) == Array(0..<1000).map { $0 * 2 })
            #expect(Array(tree.entries(equalTo: 6).map(\.value)) == Array((-999...0)))
            var seen: [Int] = []
            tree.forEach(equalTo: 5) { v in
                seen.append(v)
                return seen.count < 10
            }
            #expect(seen == Array(0..<10))
            // Remove every other value of key 5: the rest stays in order.
            for v in stride(from: 0, to: 1000, by: 2) { #expect(tree.remove(5, v)) }
            #expect(tree.first(5) == 1)
            #expect(tree.values(equalTo: 5) == Array(stride(from: 1, to: 1000, by: 2)))
            #expect(tree.values(equalTo: 4).count == 1000)
            #expect(tree.invariantViolation() == nil)
        }
    }

    @Test func duplicatePairIsRejected() {
        let tree = BTree<Int, Int>(leafCapacity: 4, innerCapacity: 4)
        for i in 0..<100 { #expect(tree.insert(i % 10, i / 10)) }
        for i in 0..<100 { #expect(!tree.insert(i % 10, i / 10)) }
        #expect(tree.count == 100)
        #expect(tree.values(equalTo: 3) == Array(0..<10))
        #expect(tree.invariantViolation() == nil)
    }

    @Test func removingMissingPairsChangesNothing() {
        let tree = BTree<Int, Int>(leafCapacity: 4, innerCapacity: 4)
        #expect(!tree.remove(1, 1))
        for k in 0..<50 { tree.insert(k * 2, k) }
        #expect(!tree.remove(1, 0))  // absent key
        #expect(!tree.remove(2, 2))  // present key, absent value
        #expect(!tree.remove(-1, 0))
        #expect(!tree.remove(1000, 0))
        #expect(tree.count == 50)
        #expect(tree.remove(2, 1))
        #expect(!tree.remove(2, 1))
        #expect(tree.count == 49)
        #expect(tree.invariantViolation() == nil)
    }

    @Test func everyBoundCombination() {
        for capacity in capacities.map(Optional.some) + [nil] {
            let tree = makeTree(capacity)
            var model = Model()
            for k in stride(from: 0, through: 40, by: 2) {
                for v in 0..<3 {
                    tree.insert(k, v)
                    _ = model.insert(Pair(key: k, value: v))
                }
            }
            // Present keys, absent keys in between, and keys outside the stored range.
            let all = bounds(around: Array(-2...42))
            for lower in all {
                for upper in all {
                    let expected = model.range(lower, upper)
                    #expect(scan(tree, lower, upper) == expected, "\(lower) ..< \(upper)")
                    #expect(iterate(tree, lower, upper) == expected, "\(lower) ..< \(upper)")
                }
            }
            // Lower above upper, and empty ranges around one key.
            #expect(scan(tree, .included(10), .included(8)).isEmpty)
            #expect(scan(tree, .included(10), .excluded(10)).isEmpty)
            #expect(scan(tree, .excluded(10), .included(10)).isEmpty)
            #expect(scan(tree, .excluded(10), .excluded(12)).isEmpty)
            #expect(scan(tree, .included(11), .included(11)).isEmpty)
            #expect(scan(tree, .included(10), .included(10)).count == 3)
            #expect(scan(tree, .excluded(9), .excluded(11)).count == 3)
        }
    }

    @Test func earlyStop() {
        let tree = BTree<Int, Int>(leafCapacity: 4, innerCapacity: 4)
        for i in 0..<200 { tree.insert(i / 4, i % 4) }
        for limit in [1, 2, 3, 4, 5, 17, 199] {
            var visited = 0
            tree.forEach(from: .unbounded, to: .unbounded) { _, _ in
                visited += 1
                return visited < limit
            }
            #expect(visited == limit)
        }
        var visited: [Int] = []
        tree.forEach(from: .excluded(10), to: .included(20)) { k, _ in
            visited.append(k)
            return k < 13
        }
        #expect(visited == [11, 11, 11, 11, 12, 12, 12, 12, 13])
        // Sequences stop early too.
        #expect(Array(tree.entries(from: .included(30)).prefix(3).map(\.key)) == [30, 30, 30])
    }

    @Test func typedThrowsPropagateAndStop() {
        let tree = BTree<Int, Int>(leafCapacity: 4, innerCapacity: 4)
        for i in 0..<100 { tree.insert(i, i) }
        var visited = 0
        #expect(throws: Boom(at: 42)) {
            try tree.forEach(from: .included(30), to: .unbounded) { (k, _) throws(Boom) -> Bool in
                visited += 1
                if k == 42 { throw Boom(at: k) }
                return true
            }
        }
        #expect(visited == 13)
        #expect(throws: Boom(at: 9)) {
            try tree.forEach(equalTo: 9) { (v) throws(Boom) -> Bool in throw Boom(at: v) }
        }
    }

    @Test func sequentialLoadsStayDense() {
        for descending in [false, true] {
            let tree = BTree<UInt64, UInt64>()
            let n: UInt64 = 100_000
            for i in 0..<n {
                let k = descending ? n - 1 - i : i
                tree.insert(k, k &* 7)
            }
            #expect(tree.count == Int(n))
            #expect(tree.invariantViolation() == nil)
            let stats = tree.statistics()
            let perLeaf = Double(n) / Double(stats.leaves)
            #expect(perLeaf > 0.95 * Double(tree.leafCapacity), "\(perLeaf) pairs per leaf")
            #expect(tree.first(12345) == 12345 * 7)
        }
    }

    @Test func ascendingValuesUnderManyKeysStayDense() {
        // A non-unique index receiving rows with increasing ids: every insert goes to the end of
        // one key's run, in the middle of the tree.
        let tree = BTree<UInt64, UInt64>()
        var rng = SplitMix64(seed: 7)
        let n = 100_000
        for row in 0..<UInt64(n) { tree.insert(rng.next() % 64, row) }
        #expect(tree.invariantViolation() == nil)
        let perLeaf = Double(n) / Double(tree.statistics().leaves)
        #expect(perLeaf > 0.8 * Double(tree.leafCapacity), "\(perLeaf) pairs per leaf")
    }

    @Test func randomLoadDensity() {
        let tree = BTree<UInt64, UInt64>()
        var rng = SplitMix64(seed: 11)
        for _ in 0..<100_000 { tree.insert(rng.next(), rng.next()) }
        #expect(tree.invariantViolation() == nil)
        let perLeaf = Double(tree.count) / Double(tree.statistics().leaves)
        #expect(perLeaf > 0.7 * Double(tree.leafCapacity), "\(perLeaf) pairs per leaf")
    }

    @Test func deletingEverythingFreesNodes() {
        for capacity in capacities.map(Optional.some) + [nil] {
            let tree = makeTree(capacity)
            var rng = SplitMix64(seed: 3)
            var pairs: [(Int, Int)] = []
            for i in 0..<5000 {
                let p = (Int(rng.next() % 100), i)
                pairs.append(p)
                tree.insert(p.0, p.1)
            }
            pairs.shuffle(using: &rng)
            for (i, p) in pairs.enumerated() {
                #expect(tree.remove(p.0, p.1))
                if i % 500 == 0 { #expect(tree.invariantViolation() == nil) }
            }
            #expect(tree.isEmpty)
            let stats = tree.statistics()
            #expect(stats.height == 1 && stats.leaves == 1 && stats.innerNodes == 0)
            #expect(tree.invariantViolation() == nil)
            #expect(tree.insert(1, 1))
            #expect(tree.first(1) == 1)
        }
    }

    @Test func underfullLeftmostLeafBorrowsFromItsRightSibling() {
        let tree = BTree<Int, Int>(leafCapacity: 8, innerCapacity: 4)
        for i in 0..<16 { tree.insert(i, i) }  // two full leaves
        #expect(tree.statistics().leaves == 2)
        for i in 0..<7 { #expect(tree.remove(i, i)) }
        #expect(tree.invariantViolation() == nil)
        #expect(tree.statistics().leaves == 2)
        #expect(scan(tree, .unbounded, .unbounded).map(\.key) == Array(7..<16))
        #expect(tree.first(7) == 7 && tree.first(11) == 11)
    }

    @Test func removeAllResets() {
        let tree = BTree<Int, Int>(leafCapacity: 4, innerCapacity: 4)
        for i in 0..<1000 { tree.insert(i % 37, i) }
        tree.removeAll()
        #expect(tree.isEmpty)
        #expect(tree.first(3) == nil)
        #expect(scan(tree, .unbounded, .unbounded).isEmpty)
        #expect(tree.statistics().leaves == 1)
        tree.insert(3, 3)
        #expect(tree.values(equalTo: 3) == [3])
        #expect(tree.invariantViolation() == nil)
    }

    @Test func nonTrivialKeys() {
        // Reference-counted keys and values exercise the moves between nodes under ARC.
        let tree = BTree<String, String>(leafCapacity: 4, innerCapacity: 4)
        var model = Set<[String]>()
        var rng = SplitMix64(seed: 5)
        for _ in 0..<4000 {
            let k = "key-\(rng.next() % 50)"
            let v = "value-\(rng.next() % 20)"
            if rng.next() % 3 == 0 {
                #expect(tree.remove(k, v) == (model.remove([k, v]) != nil))
            } else {
                #expect(tree.insert(k, v) == model.insert([k, v]).inserted)
            }
        }
        #expect(tree.invariantViolation() == nil)
        let expected = model.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
        #expect(tree.entries().map { [$0.key, $0.value] } == expected)
        for pair in expected { #expect(tree.remove(pair[0], pair[1])) }
        #expect(tree.isEmpty && tree.invariantViolation() == nil)
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5])
    func randomizedDifferential(configuration: Int) {
        let capacity: (leaf: Int, inner: Int)? = configuration < capacities.count ? capacities[configuration] : nil
        let tree = makeTree(capacity)
        var model = Model()
        var rng = SplitMix64(seed: 0xB7EE + UInt64(configuration))
        let keySpace = 64
        let valueSpace = 48
        func check(_ step: Int) {
            #expect(tree.invariantViolation() == nil, "step \(step)")
            #expect(tree.count == model.pairs.count, "step \(step)")
            #expect(scan(tree, .unbounded, .unbounded) == model.pairs, "step \(step)")
            for _ in 0..<8 {
                let a = Int(rng.next() % UInt64(keySpace + 4)) - 2
                let b = Int(rng.next() % UInt64(keySpace + 4)) - 2
                let lower = ([.unbounded, .included(a), .excluded(a)] as [BTreeBound<Int>])[Int(rng.next() % 3)]
                let upper = ([.unbounded, .included(b), .excluded(b)] as [BTreeBound<Int>])[Int(rng.next() % 3)]
                let expected = model.range(lower, upper)
                #expect(scan(tree, lower, upper) == expected, "step \(step): \(lower) ..< \(upper)")
                #expect(iterate(tree, lower, upper) == expected, "step \(step): \(lower) ..< \(upper)")
            }
            for _ in 0..<8 {
                let k = Int(rng.next() % UInt64(keySpace + 2)) - 1
                let values = model.range(.included(k), .included(k)).map(\.value)
                #expect(tree.first(k) == values.first, "step \(step): first(\(k))")
                #expect(tree.contains(k) == !values.isEmpty, "step \(step)")
                #expect(tree.values(equalTo: k) == values, "step \(step)")
            }
        }
        // Phases: grow (insert-heavy), churn, shrink (remove-heavy).
        let phases: [(steps: Int, insertPercent: UInt64)] = [(8000, 80), (8000, 50), (8000, 25)]
        var step = 0
        for phase in phases {
            for _ in 0..<phase.steps {
                let p = Pair(key: Int(rng.next() % UInt64(keySpace)), value: Int(rng.next() % UInt64(valueSpace)))
                if rng.next() % 100 < phase.insertPercent {
                    #expect(tree.insert(p.key, p.value) == model.insert(p), "step \(step): insert \(p)")
                } else {
                    #expect(tree.remove(p.key, p.value) == model.remove(p), "step \(step): remove \(p)")
                }
                step += 1
                if step % 300 == 0 { check(step) }
            }
        }
        check(step)
        // Delete down to empty in random order.
        var rest = model.pairs
        rest.shuffle(using: &rng)
        for (i, p) in rest.enumerated() {
            #expect(tree.remove(p.key, p.value))
            _ = model.remove(p)
            if i % 300 == 0 { check(step + i) }
        }
        #expect(tree.isEmpty)
        #expect(tree.statistics().leaves == 1)
        check(-1)
    }

    @Test func mutationDuringScanTraps() async {
        await #expect(processExitsWith: .failure) {
            let tree = BTree<Int, Int>()
            for i in 0..<10 { tree.insert(i, i) }
            tree.forEach(from: .unbounded, to: .unbounded) { k, _ in
                tree.insert(k + 100, 0)
                return true
            }
        }
        await #expect(processExitsWith: .failure) {
            let tree = BTree<Int, Int>()
            for i in 0..<10 { tree.insert(i, i) }
            var iterator = tree.entries().makeIterator()
            _ = iterator.next()
            tree.remove(5, 5)
            _ = iterator.next()
        }
    }
}
