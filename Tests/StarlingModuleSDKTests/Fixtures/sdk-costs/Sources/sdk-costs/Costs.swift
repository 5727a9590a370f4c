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

@Reducer func args1(ctx: ReducerContext, a: UInt64) {}

@_expose(wasm, "__starling_reducer__raw3") @_cdecl("__starling_reducer__raw3")
func rawThree(_ s0: UInt64, _ s1: UInt64, _ s2: UInt64, _ s3: UInt64, _ c0: UInt64, _ c1: UInt64, _ ts: Int64, _ argsLen: UInt32) -> Int32 {
    __starlingInvokeReducer(s0, s1, s2, s3, c0, c1, ts, argsLen) { ctx, r throws(ReducerError) in
        _ = try? r.readLE(UInt64.self)
        _ = try? r.readLE(UInt64.self)
        _ = try? r.readLE(Int64.self)
    }
}
@_expose(wasm, "__starling_describe__reducer_raw3") @_cdecl("__starling_describe__reducer_raw3")
func describeRawThree() {
    __starlingDescribeReducer("raw3", [ColumnItem("a", .u64), ColumnItem("b", .u64), ColumnItem("c", .i64)], .none)
}

// Error paths: a literal message, and messages with integers interpolated.
@Reducer func failPlain(ctx: ReducerContext) throws(ReducerError) { throw ReducerError("insufficient funds") }
@Reducer func failOneInt(ctx: ReducerContext, a: Int64) throws(ReducerError) { throw ReducerError("got \(a)") }
@Reducer func failThreeInts(ctx: ReducerContext, a: UInt64, b: Int64, c: Int64) throws(ReducerError) {
    throw ReducerError("insufficient funds: account \(a) holds \(b), needs \(c)")
}
@Reducer func logOneInt(ctx: ReducerContext, a: UInt64) { Log.info("opened \(a) accounts") }
@Reducer func failMixed(ctx: ReducerContext, a: Int8, b: UInt16, c: Bool, d: String) throws(ReducerError) {
    throw ReducerError("\(a)|\(b)|\(c)|\(d)|\(Int64.min)|\(UInt64.max)|\(0)|é")
}
