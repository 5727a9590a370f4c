import StarlingModule

/// A bank account. The benchmark workload: `transfer` between random accounts.
@Table(public: true)
struct Account {
    @PrimaryKey var id: UInt64
    var owner: Identity
    var balance: Int64
}

/// Opens accounts `0..<count` that do not exist yet, each with `balance`, owned by the caller.
@Reducer
func openAccounts(ctx: ReducerContext, count: UInt64, balance: Int64) throws(ReducerError) {
    guard balance >= 0 else { throw ReducerError("an opening balance cannot be negative (got \(balance))") }
    let accounts = ctx.db[Account.self]
    var opened: UInt64 = 0
    for id in 0..<count where accounts.id.find(id) == nil {
        try accounts.insert(Account(id: id, owner: ctx.sender, balance: balance))
        opened += 1
    }
    Log.info("opened \(opened) accounts")
}

/// Moves `amount` from account `from` to account `to`.
@Reducer
func transfer(ctx: ReducerContext, from: UInt64, to: UInt64, amount: Int64) throws(ReducerError) {
    guard amount > 0 else { throw ReducerError("the amount must be positive (got \(amount))") }
    let accounts = ctx.db[Account.self]
    guard var source = accounts.id.find(from) else { throw ReducerError("no such account: \(from)") }
    guard var target = accounts.id.find(to) else { throw ReducerError("no such account: \(to)") }
    guard source.balance >= amount else {
        throw ReducerError("insufficient funds: account \(from) holds \(source.balance), needs \(amount)")
    }
    if from == to { return }
    source.balance -= amount
    target.balance += amount
    try accounts.id.update(source)
    try accounts.id.update(target)
}
