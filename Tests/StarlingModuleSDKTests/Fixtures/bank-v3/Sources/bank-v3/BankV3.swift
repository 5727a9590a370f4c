// Version 3 of the bank: `account` gains a column (at the end) and an index on `balance` — a
// compatible update that migrates the existing rows.
import StarlingModule

@Table(public: true)
struct Account {
    @PrimaryKey var id: UInt64
    var owner: Identity
    @Index var balance: Int64
    var frozen: Bool
}

@Reducer
func transfer(ctx: ReducerContext, from: UInt64, to: UInt64, amount: Int64) throws(ReducerError) {
    let accounts = ctx.db[Account.self]
    guard var source = accounts.id.find(from), var target = accounts.id.find(to) else {
        throw ReducerError("no such account")
    }
    guard !source.frozen else { throw ReducerError("account \(from) is frozen") }
    guard source.balance >= amount else { throw ReducerError("insufficient funds") }
    source.balance -= amount
    target.balance += amount
    try accounts.id.update(source)
    try accounts.id.update(target)
}

@Reducer
func freeze(ctx: ReducerContext, id: UInt64) throws(ReducerError) {
    let accounts = ctx.db[Account.self]
    guard var a = accounts.id.find(id) else { throw ReducerError("no such account") }
    a.frozen = true
    try accounts.id.update(a)
}

/// Logs how many accounts hold at least `minimum` (uses the new index).
@Reducer
func countRich(ctx: ReducerContext, minimum: Int64) {
    var n = 0
    for _ in ctx.db[Account.self].balance.filter(minimum...) { n += 1 }
    Log.info("rich: \(n)")
}
