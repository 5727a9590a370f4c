import StarlingTypes
import Testing

@testable import StarlingStore

/// Bulk construction from sorted pairs and the O(1) append to the rightmost leaf: the tree stays
/// sound and holds exactly the model's pairs, whatever mutations follow.
struct BTreeBulkTests {
    static let shapes: [(leaf: Int, inner: Int)] = [(4, 4), (5, 6), (16, 8), (128, 64)]

    static func pairs(_ tree: BTree<Int, Int>) -> [[Int]] {
        var out: [[Int]] = []
        tree.forEach(from: .unbounded, to: .unbounded) { k, v in
            out.append([k, v])
            return true
        }
        return out
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 9, 17, 100, 1_000, 4_321])
    func bulkLoadBuildsASoundTree(count: Int) {
        for shape in Self.shapes {
            let tree = BTree<Int, Int>(leafCapacity: shape.leaf, innerCapacity: shape.inner)
            let sorted = (0..<count).map { (key: $0 / 3, value: $0) }
            sorted.withUnsafeBufferPointer { tree.bulkLoad(sorted: $0) }
            #expect(tree.invariantViolation() == nil, "\(shape) \(count)")
            #expect(tree.count == count)
            #expect(Self.pairs(tree) == sorted.map { [$0.key, $0.value] })
            // Then ordinary inserts and removes keep it sound.
            var rng = SplitMix64(seed: UInt64(count))
            var model = Set(sorted.map { [$0.key, $0.value] })
            for _ in 0..<300 {
                let k = Int(rng.next() % UInt64(count / 3 + 5))
                let v = Int(rng.next() % 7)
                if rng.next() % 2 == 0 {
                    #expect(tree.insert(k, v) == model.insert([k, v]).inserted)
                } else {
                    #expect(tree.remove(k, v) == (model.remove([k, v]) != nil))
                }
            }
            #expect(tree.invariantViolation() == nil)
            #expect(Self.pairs(tree) == model.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) })
        }
    }

    @Test func appendsInterleavedWithOtherChangesMatchTheModel() {
        for shape in Self.shapes {
            let tree = BTree<Int, Int>(leafCapacity: shape.leaf, innerCapacity: shape.inner)
            var model = Set<[Int]>()
            var rng = SplitMix64(seed: 7)
            var next = 0
            for _ in 0..<5_000 {
                switch rng.next() % 10 {
                case 0..<6:  // ascending appends (the fast path)
                    #expect(tree.insert(next, 0))
                    model.insert([next, 0])
                    next += 1
                case 6:  // the last appended pair again: refused unless it was removed since
                    if next > 0 { #expect(tree.insert(next - 1, 0) == model.insert([next - 1, 0]).inserted) }
                case 7:  // same key as the maximum, larger value: still an append
                    if next > 0 { #expect(tree.insert(next - 1, 1) == model.insert([next - 1, 1]).inserted) }
                case 8:  // an insert in the middle
                    let k = Int(rng.next() % UInt64(next + 1))
                    #expect(tree.insert(k, 2) == model.insert([k, 2]).inserted)
                default:  // a removal, possibly of the maximum
                    guard next > 0 else { continue }
                    let k = rng.next() % 3 == 0 ? next - 1 : Int(rng.next() % UInt64(next))
                    #expect(tree.remove(k, 0) == (model.remove([k, 0]) != nil))
                }
            }
            #expect(tree.invariantViolation() == nil, "\(shape)")
            #expect(tree.count == model.count)
            #expect(Self.pairs(tree) == model.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) })
        }
    }
}
