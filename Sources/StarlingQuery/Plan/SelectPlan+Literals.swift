import StarlingTypes

// The constants a plan took from the query text (see ``LiteralOrigin``): listed for
// ``QueryCache`` and replaced by new ones when the same query shape comes with other literals.

extension SelectPlan {
    /// Every constant written as a literal in the query, by its byte offset in the text.
    var literalOrigins: [Int: LiteralOrigin] {
        var out: [Int: LiteralOrigin] = [:]
        func note(_ o: LiteralOrigin) { if let at = o.offset { out[at] = o } }
        for t in tables {
            t.access.visitOrigins(note)
            for e in t.localFilters + t.joinFilters { e.visitOrigins(note) }
        }
        return out
    }

    /// The plan with the literal at each offset of `values` replaced by its value there.
    func substituting(_ values: [Int: AlgebraicValue]) -> SelectPlan {
        var plan = self
        for i in plan.tables.indices {
            plan.tables[i].access = plan.tables[i].access.substituting(values)
            plan.tables[i].localFilters = plan.tables[i].localFilters.map { $0.substituting(values) }
            plan.tables[i].joinFilters = plan.tables[i].joinFilters.map { $0.substituting(values) }
        }
        return plan
    }
}

extension AccessPath {
    func visitOrigins(_ visit: (LiteralOrigin) -> Void) {
        switch self {
        case .scan: break
        case .seek(_, let key): for case .value(_, let o) in key { visit(o) }
        case .range(_, let prefix, let lower, let upper):
            for case .value(_, let o) in prefix { visit(o) }
            if let lower { visit(lower.origin) }
            if let upper { visit(upper.origin) }
        }
    }

    func substituting(_ values: [Int: AlgebraicValue]) -> AccessPath {
        switch self {
        case .scan: return .scan
        case .seek(let index, let key): return .seek(index, key: key.map { $0.substituting(values) })
        case .range(let index, let prefix, let lower, let upper):
            return .range(
                index, prefix: prefix.map { $0.substituting(values) }, lower: lower?.substituting(values),
                upper: upper?.substituting(values))
        }
    }
}

extension KeySource {
    func substituting(_ values: [Int: AlgebraicValue]) -> KeySource {
        guard case .value(_, let o) = self, let at = o.offset, let v = values[at] else { return self }
        return .value(v, o)
    }
}

extension RangeBound {
    func substituting(_ values: [Int: AlgebraicValue]) -> RangeBound {
        guard let at = origin.offset, let v = values[at] else { return self }
        return RangeBound(value: v, inclusive: inclusive, origin: origin)
    }
}

extension BoundOperand {
    func substituting(_ values: [Int: AlgebraicValue]) -> BoundOperand {
        guard case .value(_, let t, let o) = self, let at = o.offset, let v = values[at] else { return self }
        return .value(v, t, o)
    }
}

extension BoundExpr {
    func visitOrigins(_ visit: (LiteralOrigin) -> Void) {
        switch self {
        case .compare(let l, _, let r):
            for case .value(_, _, let o) in [l, r] { visit(o) }
        case .isNull(let o, _), .truth(let o):
            if case .value(_, _, let origin) = o { visit(origin) }
        case .and(let xs), .or(let xs): for x in xs { x.visitOrigins(visit) }
        case .not(let x): x.visitOrigins(visit)
        }
    }

    func substituting(_ values: [Int: AlgebraicValue]) -> BoundExpr {
        switch self {
        case .compare(let l, let op, let r): .compare(l.substituting(values), op, r.substituting(values))
        case .isNull(let o, let negated): .isNull(o.substituting(values), negated: negated)
        case .truth(let o): .truth(o.substituting(values))
        case .and(let xs): .and(xs.map { $0.substituting(values) })
        case .or(let xs): .or(xs.map { $0.substituting(values) })
        case .not(let x): .not(x.substituting(values))
        }
    }
}
