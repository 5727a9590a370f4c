// Reducers that each do one SDK operation, so the tests can pin its cost in fuel (wasm instructions).
import StarlingModule

@Table(public: true)
struct Account {
    @PrimaryKey var id: UInt64
    var owner: Identity
    var balance: Int64
}

@Reducer func empty(ctx: ReducerContext) {}
@Reducer func args3(ctx: ReducerContext, a: UInt64, b: UInt64, c: Int64) {}
@Reducer func findOne(ctx: ReducerContext, id: UInt64) { _ = ctx.db[Account.self].id.find(id) }
@Reducer func encodeOnly(ctx: ReducerContext) { _ = Account(id: 1, owner: ctx.sender, balance: 5).bsatn }
@Reducer func updateOne(ctx: ReducerContext, id: UInt64) throws(ReducerError) {
    try ctx.db[Account.self].id.update(Account(id: id, owner: ctx.sender, balance: 7))
}
@Reducer func seed(ctx: ReducerContext) throws(ReducerError) {
    try ctx.db[Account.self].insert(Account(id: 1, owner: ctx.sender, balance: 5))
}
