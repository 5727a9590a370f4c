// A test module for indexes declared on the table (`@Table(indexes:)`): a two-column btree, a
// unique two-column btree and a two-column hash index, used through their typed accessors.
import StarlingModule

@Table(
    public: true,
    indexes: [
        .btree("byOwnerAndSent", columns: ["owner", "sent"]),
        .btree("byRoomSeq", columns: ["room", "seq"], unique: true),
        .hash("byOwnerRoom", columns: ["owner", "room"]),
    ])
struct Message {
    @PrimaryKey @AutoInc var id: UInt64
    var owner: UInt32
    var sent: Int64
    var room: String
    var seq: UInt32
    var text: String
}

/// For each owner `o` below `owners`, `perOwner` messages sent at 0, 10, 20 ..., in room
/// `r<o % 2>` with seq `o * 1000 + i`.
@Reducer
func seed(ctx: ReducerContext, owners: UInt32, perOwner: UInt32) throws(ReducerError) {
    let messages = ctx.db[Message.self]
    for o in 0..<owners {
        for i in 0..<perOwner {
            try messages.insert(
                Message(id: 0, owner: o, sent: Int64(i) * 10, room: "r\(o % 2)", seq: o * 1000 + i, text: "m\(o).\(i)"))
        }
    }
}

func expect(_ what: String, _ got: Int, _ want: Int) throws(ReducerError) {
    guard got == want else { throw ReducerError("\(what): got \(got), expected \(want)") }
}

/// Lookups after `seed(owners: 4, perOwner: 10)`; fails with a message on the first surprise.
@Reducer
func checkReads(ctx: ReducerContext) throws(ReducerError) {
    let m = ctx.db[Message.self]
    try expect("full key", m.byOwnerAndSent.filter(owner: 2, sent: 30).collect().count, 1)
    try expect("full key, no row", m.byOwnerAndSent.filter(owner: 2, sent: 31).collect().count, 0)
    try expect("prefix", m.byOwnerAndSent.filter(owner: 1).collect().count, 10)
    try expect("range on the first column", m.byOwnerAndSent.filter(owner: 1...2).collect().count, 20)
    try expect("open range on the first column", m.byOwnerAndSent.filter(owner: 2...).collect().count, 20)
    try expect("range up to, first column", m.byOwnerAndSent.filter(owner: ..<1).collect().count, 10)
    try expect("prefix + range", m.byOwnerAndSent.filter(owner: 3, sent: 20..<50).collect().count, 3)
    try expect("prefix + closed range", m.byOwnerAndSent.filter(owner: 3, sent: 20...50).collect().count, 4)
    try expect("prefix + open range", m.byOwnerAndSent.filter(owner: 3, sent: 70...).collect().count, 3)
    try expect("prefix + range through", m.byOwnerAndSent.filter(owner: 3, sent: ...15).collect().count, 2)
    var previous: Int64 = -1
    for row in m.byOwnerAndSent.filter(owner: 0) {
        guard row.owner == 0, row.sent > previous else { throw ReducerError("prefix scan out of key order at \(row.sent)") }
        previous = row.sent
    }
    guard let found = m.byRoomSeq.find(room: "r1", seq: 1005) else { throw ReducerError("unique find failed") }
    guard found.owner == 1, found.sent == 50 else { throw ReducerError("unique find gave \(found.text)") }
    guard m.byRoomSeq.find(room: "r1", seq: 2005) == nil else { throw ReducerError("find in the wrong room matched") }
    try expect("unique index prefix", m.byRoomSeq.filter(room: "r0").collect().count, 20)
    try expect("hash full key", m.byOwnerRoom.filter(owner: 3, room: "r1").collect().count, 10)
    try expect("hash, no row", m.byOwnerRoom.filter(owner: 3, room: "r0").collect().count, 0)
}

/// Updates and deletes after `seed(owners: 4, perOwner: 10)`.
@Reducer
func checkWrites(ctx: ReducerContext) throws(ReducerError) {
    let m = ctx.db[Message.self]
    guard var row = m.byRoomSeq.find(room: "r1", seq: 1005) else { throw ReducerError("unique find failed") }
    row.text = "edited"
    try m.byRoomSeq.update(row)
    guard m.id.find(row.id)?.text == "edited" else { throw ReducerError("update by the unique index not visible") }
    var refused = false
    do {
        try m.insert(Message(id: 0, owner: 9, sent: 0, room: "r1", seq: 1005, text: "duplicate"))
    } catch {
        refused = true
    }
    guard refused else { throw ReducerError("a duplicate (room, seq) was accepted") }
    try expect("delete by full key", Int(m.byOwnerAndSent.delete(owner: 0, sent: 0)), 1)
    try expect("delete by prefix + range", Int(m.byOwnerAndSent.delete(owner: 0, sent: 10..<40)), 3)
    try expect("delete by prefix", Int(m.byOwnerAndSent.delete(owner: 0)), 6)
    try expect("delete by range on the first column", Int(m.byOwnerAndSent.delete(owner: 1...1)), 10)
    guard m.byRoomSeq.delete(room: "r0", seq: 2003) else { throw ReducerError("unique delete found nothing") }
    guard !m.byRoomSeq.delete(room: "r0", seq: 2003) else { throw ReducerError("unique delete deleted twice") }
    try expect("delete by hash key", Int(m.byOwnerRoom.delete(owner: 3, room: "r1")), 10)
    try expect("rows left", Int(m.count), 9)
}

/// Logs the number of messages of `owner`.
@Reducer
func countOwner(ctx: ReducerContext, owner: UInt32) {
    var n = 0
    for _ in ctx.db[Message.self].byOwnerAndSent.filter(owner: owner) { n += 1 }
    Log.info("owner \(owner): \(n)")
}
