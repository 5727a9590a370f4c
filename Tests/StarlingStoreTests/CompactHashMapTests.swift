import StarlingTypes
import Testing

@testable import StarlingStore

/// The open-addressing map behind unique compact-key indexes, checked against `Dictionary`.
struct CompactHashMapTests {
    @Test(arguments: [8, 64, 5000])
    func matchesADictionaryUnderChurn(keySpace: Int) {
        var rng = SplitMix64(seed: UInt64(keySpace))
        let map = CompactHashMap()
        var model: [UInt64: RowId] = [:]
        for step in 0..<60_000 {
            // Keys include 0 and UInt64.max neighbours, so no key value is special.
            let raw = rng.next() % UInt64(keySpace)
            let key = raw.isMultiple(of: 2) ? raw : UInt64.max - raw
            if rng.next() % 3 == 0, let id = model[key] {
                #expect(map.remove(key, RowId(raw: id.raw + 1)) == false, "wrong row id must not remove")
                #expect(map.remove(key, id))
                model[key] = nil
            } else {
                let id = RowId(raw: UInt64(step))
                let existing = map.insertIfAbsent(key, id)
                #expect(existing == model[key])
                if existing == nil { model[key] = id }
            }
            if step % 997 == 0 {
                #expect(map.count == model.count)
                for k in 0..<UInt64(keySpace) {
                    let key = k.isMultiple(of: 2) ? k : UInt64.max - k
                    #expect(map.get(key) == model[key], "step \(step) key \(key)")
                }
            }
        }
        for (k, id) in model { #expect(map.remove(k, id)) }
        #expect(map.count == 0)
        #expect(map.get(0) == nil)
    }

    @Test func growsPastManyDoublings() {
        let map = CompactHashMap()
        for k in 0..<200_000 { #expect(map.insertIfAbsent(UInt64(k) << 20, RowId(raw: UInt64(k))) == nil) }
        #expect(map.count == 200_000)
        for k in stride(from: 0, to: 200_000, by: 7) { #expect(map.get(UInt64(k) << 20) == RowId(raw: UInt64(k))) }
        #expect(map.get(1) == nil)
        map.removeAll()
        #expect(map.count == 0 && map.get(0) == nil)
    }
}
