// Version 2 of the bank: the same tables plus an audit trail (a compatible update), and an init
// reducer (which runs only when this version is the first one published).
import StarlingModule

@Table
struct Audit {
    @PrimaryKey @AutoInc var id: UInt64
    var event: String
}

@Reducer(.initialize)
func setup(ctx: ReducerContext) throws(ReducerError) {
    try ctx.db[Audit.self].insert(Audit(id: 0, event: "created"))
}

@Reducer
func audit(ctx: ReducerContext, event: String) throws(ReducerError) {
    try ctx.db[Audit.self].insert(Audit(id: 0, event: event))
}
