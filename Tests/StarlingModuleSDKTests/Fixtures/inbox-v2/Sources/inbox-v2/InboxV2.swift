// Version 2 of the inbox: `message` gains columns at the end — three with defaults (the stored
// properties' initial values), one without (existing rows get its zero value) — and an index on
// (priority, sent). A compatible update that fills the existing rows with the defaults.
import StarlingModule

@Table(
    public: true,
    indexes: [
        .btree("byOwnerAndSent", columns: ["owner", "sent"]),
        .btree("byRoomSeq", columns: ["room", "seq"], unique: true),
        .hash("byOwnerRoom", columns: ["owner", "room"]),
        .btree("byPriorityAndSent", columns: ["priority", "sent"]),
    ])
struct Message {
    @PrimaryKey @AutoInc var id: UInt64
    var owner: UInt32
    var sent: Int64
    var room: String
    var seq: UInt32
    var text: String
    var priority: UInt8 = 3
    var label: String = Self.defaultLabel
    var note: String? = "imported"
    var archived: Bool

    static let defaultLabel = "inbox"
}

/// Posts a message with its own priority (the other new columns take their defaults).
@Reducer
func post(ctx: ReducerContext, owner: UInt32, sent: Int64, priority: UInt8) throws(ReducerError) {
    try ctx.db[Message.self].insert(
        Message(id: 0, owner: owner, sent: sent, room: "new", seq: UInt32(sent), text: "posted", priority: priority, archived: true))
}

/// Checks the migrated rows through the new index: `expected` rows have the default priority.
@Reducer
func checkMigrated(ctx: ReducerContext, expected: UInt32) throws(ReducerError) {
    let m = ctx.db[Message.self]
    var n: UInt32 = 0
    for row in m.byPriorityAndSent.filter(priority: 3) {
        guard row.label == "inbox", row.note == "imported", !row.archived else {
            throw ReducerError("row \(row.id) has \(row.label), \(row.note ?? "nil"), \(row.archived)")
        }
        n += 1
    }
    guard n == expected else { throw ReducerError("\(n) rows have priority 3, expected \(expected)") }
    let urgent = m.byPriorityAndSent.filter(priority: 9, sent: 0...).collect()
    guard urgent.count == 1, urgent[0].label == "inbox", urgent[0].archived else {
        throw ReducerError("the posted row is not found by (priority, sent)")
    }
}
