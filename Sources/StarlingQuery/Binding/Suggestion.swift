/// "; did you mean `x`?" for the known name closest to `name`, or "" when none is close.
///
/// Closeness is the optimal-string-alignment distance (insertions, deletions, substitutions and
/// swaps of neighbours each cost 1; a letter in another case is a substitution),
/// accepted up to a third of the name's length (at least 1): `scroe` → `score`, `Player` →
/// `player`, but not `lvl` → `level`.
func suggestion(for name: String, among known: [String]) -> String {
    let target = Array(name.unicodeScalars)
    var best: (name: String, distance: Int)?
    for k in known {
        let d = osaDistance(target, Array(k.unicodeScalars))
        if d < (best?.distance ?? Int.max) { best = (k, d) }
    }
    guard let best, best.distance <= max(1, target.count / 3) else { return "" }
    return "; did you mean `\(best.name)`?"
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
func osaDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], previous2[j - 2] + 1)
            }
        }
        (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
}
