public import StarlingStore
public import StarlingTypes

/// Remembers the plans of recent SELECTs by their *shape* (the text with its number, string and
/// hex literals left out), so that a query seen before with other literals skips parsing,
/// name resolution and planning: `SELECT * FROM account WHERE id = 7` reuses the plan of
/// `... WHERE id = 3` with 7 put in.
///
/// ```swift
/// let cache = QueryCache()
/// switch try cache.run(text, in: reader, context: context) {
/// case .read(let results): ...                 // the SELECTs' results
/// case .write(let statements): ...             // run them in a write transaction
/// }
/// ```
///
/// Results and errors are exactly those of ``QueryEngine``: a new literal that does not fit
/// where the old one went (`300` for a `u8` column) runs the query the ordinary way, which
/// reports the error. The plan of a shape depends on the schema, so a cache serves one database
/// and must be emptied (``removeAll()``) when its tables, indexes or row-level security change.
/// Not thread-safe: use it from the thread that reads the database.
public final class QueryCache {
    /// What ``run(_:in:context:)`` did.
    public enum Outcome {
        /// The text held only SELECT / EXPLAIN statements: their results.
        case read([QueryResult])
        /// The text writes: its statements, parsed, for the caller to run in a write transaction.
        case write([SQL.Statement])
    }

    private struct Key: Hashable {
        var shape: String
        var isOwner: Bool
        /// The caller, when the plan holds values that depend on it (`:sender`, row filters).
        var caller: Identity?
        var useIndexes: Bool
    }

    /// One literal of a cached query: which token carries it and where its value goes.
    private struct Slot {
        var token: Int
        /// Whether a `-` token before the number belongs to the literal.
        var negative: Bool
        /// The literal's byte offset in the text the plan was made from (its ``LiteralOrigin``).
        var offset: Int
        var type: AlgebraicType
        var natural: Bool
    }

    private struct Entry {
        var plan: SelectPlan
        var slots: [Slot]
    }

    private var entries: [Key: Entry] = [:]
    /// How many shapes are kept; when full, the cache starts over.
    public let capacity: Int
    /// Queries answered from a cached plan, and queries that were parsed and planned.
    public private(set) var hits = 0, misses = 0

    public init(capacity: Int = 512) { self.capacity = max(1, capacity) }

    /// Forgets every plan (call when the schema or the row-level security changes).
    public func removeAll() { entries.removeAll() }

    /// Runs the read-only statements of `text` on `reader`, or hands back the statements when the
    /// text writes (nothing has run then).
    public func run(_ text: String, in reader: some StoreReading, context: QueryContext) throws(SQLError) -> Outcome {
        let tokens = try Lexer.tokenize(text)
        let (shape, parameters, usesSender) = Self.shape(tokens)
        let key = Key(
            shape: shape, isOwner: context.isOwner,
            caller: usesSender || !context.rowFilters.isEmpty ? context.caller : nil, useIndexes: context.useIndexes)
        if let entry = entries[key], let plan = Self.bind(entry, tokens, context) {
            hits += 1
            return .read([try QueryEngine.runSelect(plan, reader)])
        }
        misses += 1
        var parser = Parser(tokens: tokens)
        let statements = try parser.statements()
        if statements.contains(where: \.isDML) { return .write(statements) }
        guard statements.count == 1, case .select(let select) = statements[0] else {
            return .read(try QueryEngine.query(statements, in: reader, context: context))
        }
        let plan = try Planner(reader: reader, context: context).plan(select)
        if let slots = Self.slots(plan, tokens, parameters) {
            if entries.count >= capacity { entries.removeAll() }
            entries[key] = Entry(plan: plan, slots: slots)
        }
        return .read([try QueryEngine.runSelect(plan, reader)])
    }

    /// The text's shape (tokens with number, string and hex literals replaced by their kind;
    /// LIMIT's count kept), the indexes of the left-out literal tokens, and whether `:sender` appears.
    private static func shape(_ tokens: [Token]) -> (String, [Int], Bool) {
        var shape = ""
        var parameters: [Int] = []
        var usesSender = false
        for (i, t) in tokens.enumerated() {
            switch t.kind {
            case .integer(let d) where i > 0 && tokens[i - 1].isKeyword("LIMIT"): shape += "n\(d)|"
            case .integer: shape += "#i|"
            case .float: shape += "#f|"
            case .string: shape += "#s|"
            case .hex(_, let isNumber): shape += isNumber ? "#x|" : "#b|"
            case .word(let w): shape += "w\(w.utf8.count):\(w)|"
            case .quotedIdentifier(let q): shape += "q\(q.utf8.count):\(q)|"
            case .parameter(let p):
                usesSender = true
                shape += "p\(p.utf8.count):\(p)|"
            case .symbol(let s): shape += "s\(s)|"
            case .end: shape += "$"
            }
            switch t.kind {
            case .integer where i > 0 && tokens[i - 1].isKeyword("LIMIT"): break
            case .integer, .float, .string, .hex: parameters.append(i)
            default: break
            }
        }
        return (shape, parameters, usesSender)
    }

    /// Where each literal token went in `plan`, or nil when some literal cannot be traced to
    /// exactly one constant of the plan (then the shape is not cached).
    private static func slots(_ plan: SelectPlan, _ tokens: [Token], _ parameters: [Int]) -> [Slot]? {
        let origins = plan.literalOrigins
        guard origins.count == parameters.count else { return nil }
        var slots: [Slot] = []
        for i in parameters {
            let negative = i > 0 && tokens[i - 1].isSymbol("-")
            let offset = negative ? tokens[i - 1].position.offset : tokens[i].position.offset
            guard let origin = origins[offset], let type = origin.type else { return nil }
            slots.append(Slot(token: i, negative: negative, offset: offset, type: type, natural: origin.natural))
        }
        return slots
    }

    /// The cached plan with this text's literals put in, or nil when one does not fit.
    private static func bind(_ entry: Entry, _ tokens: [Token], _ context: QueryContext) -> SelectPlan? {
        var values: [Int: AlgebraicValue] = [:]
        for slot in entry.slots {
            let t = tokens[slot.token]
            let sign = slot.negative ? "-" : ""
            let kind: Literal.Kind
            switch t.kind {
            case .integer(let d): kind = .integer(sign + d)
            case .float(let d): kind = .float(sign + d)
            case .string(let s): kind = .string(s)
            case .hex(let d, let isNumber): kind = .hex(d, isNumber: isNumber)
            default: return nil
            }
            let literal = Literal(kind: kind, position: t.position)
            if slot.natural {
                guard let (v, type) = try? literal.defaultValue(sender: context.caller), type == slot.type else {
                    return nil
                }
                values[slot.offset] = v
            } else {
                guard let v = try? literal.coerce(to: slot.type, sender: context.caller) else { return nil }
                values[slot.offset] = v
            }
        }
        return entry.plan.substituting(values)
    }
}
