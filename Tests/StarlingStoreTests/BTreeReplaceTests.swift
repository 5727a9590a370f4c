import StarlingTypes
import Testing

@testable import StarlingStore

/// `BTree.replaceValue` on trees with unique keys (how unique indexes use it when a row is
/// replaced and its key stays): against a dictionary model, with the tree's invariants checked,
/// on node capacities small enough to make inner separators with the replaced key common.
struct BTreeReplaceTests {
    @Test(arguments: [(4, 4), (5, 6), (16, 8), (64, 32)])
    func replacingValuesOfUniqueKeysKeepsTheTreeValid(leaf: Int, inner: Int) {
        let tree = BTree<Int, Int>(leafCapacity: leaf, innerCapacity: inner)
        var model: [Int: Int] = [:]
        var rng = SplitMix64(seed: UInt64(leaf * 100 + inner))
        var nextValue = 0
        var replaced = 0
        var declined = 0
        func check(_ step: Int) {
            #expect(tree.invariantViolation() == nil, "step \(step)")
            let pairs = tree.entries(from: .unbounded, to: .unbounded).map { [$0.key, $0.value] }
            #expect(pairs == model.sorted { $0.key < $1.key }.map { [$0.key, $0.value] }, "step \(step)")
        }
        for step in 0..<6000 {
            let key = Int(rng.next() % 400)
            nextValue += 1
            switch rng.next() % 10 {
            case 0..<4:  // insert a new key
                if model[key] == nil {
                    #expect(tree.insert(key, nextValue))
                    model[key] = nextValue
                }
            case 4..<6:  // remove
                if let v = model[key] {
                    #expect(tree.remove(key, v), "step \(step): remove \(key)")
                    model[key] = nil
                }
            default:  // replace the value (smaller or larger than before), as an update would
                guard let old = model[key] else { continue }
                let new = rng.next() % 2 == 0 ? nextValue : -nextValue
                #expect(!tree.replaceValue(key, old &+ 1_000_000, with: new), "a pair that is not stored is not replaced")
                if tree.replaceValue(key, old, with: new) {
                    replaced += 1
                } else {
                    declined += 1
                    #expect(tree.remove(key, old))
                    #expect(tree.insert(key, new))
                }
                model[key] = new
                #expect(tree.first(key) == new, "step \(step)")
                #expect(tree.contains(key, new), "step \(step)")
            }
            if step % 250 == 0 { check(step) }
        }
        check(-1)
        // Everything can still be found and removed by its (key, value) pair.
        for (k, v) in model { #expect(tree.remove(k, v), "final remove (\(k), \(v))") }
        #expect(tree.isEmpty)
        #expect(replaced > 500, "the in-place path ran (\(replaced) replaced, \(declined) declined)")
        if leaf <= 5 { #expect(declined > 0, "the fallback ran on small nodes (\(replaced) replaced, \(declined) declined)") }
    }
}
