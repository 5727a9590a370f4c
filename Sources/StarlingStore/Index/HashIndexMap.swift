/// The storage of a hash index: key → one row id, or several for a non-unique index.
final class HashIndexMap<Key: Hashable> {
    enum Bucket {
        case one(RowId)
        case many([RowId])
        /// Large buckets switch to a set so removals stay O(1).
        case set(Set<RowId>)
    }

    static var setThreshold: Int { 32 }

    private(set) var map: [Key: Bucket] = [:]
    private(set) var count = 0

    func insert(_ key: Key, _ id: RowId) {
        count += 1
        guard let b = map[key] else {
            map[key] = .one(id)
            return
        }
        switch b {
        case .one(let x): map[key] = .many([x, id])
        case .many(var xs):
            map[key] = nil
            xs.append(id)
            map[key] = xs.count > Self.setThreshold ? .set(Set(xs)) : .many(xs)
        case .set(var xs):
            map[key] = nil
            xs.insert(id)
            map[key] = .set(xs)
        }
    }

    @discardableResult func remove(_ key: Key, _ id: RowId) -> Bool {
        guard let b = map[key] else { return false }
        switch b {
        case .one(let x):
            guard x == id else { return false }
            map[key] = nil
        case .many(var xs):
            guard let i = xs.firstIndex(of: id) else { return false }
            map[key] = nil
            xs.remove(at: i)
            map[key] = xs.count == 1 ? .one(xs[0]) : .many(xs)
        case .set(var xs):
            guard xs.remove(id) != nil else { return false }
            map[key] = nil
            map[key] = xs.count <= Self.setThreshold / 2 ? .many(Array(xs)) : .set(xs)
        }
        count -= 1
        return true
    }

    @inline(__always) func first(_ key: Key) -> RowId? {
        switch map[key] {
        case .none: nil
        case .one(let x): x
        case .many(let xs): xs.first
        case .set(let xs): xs.first
        }
    }

    func forEach<E: Error>(equalTo key: Key, _ body: (RowId) throws(E) -> Bool) throws(E) {
        switch map[key] {
        case .none: return
        case .one(let x): _ = try body(x)
        case .many(let xs):
            for x in xs where !(try body(x)) { return }
        case .set(let xs):
            for x in xs where !(try body(x)) { return }
        }
    }

    func removeAll() {
        map = [:]
        count = 0
    }
}
