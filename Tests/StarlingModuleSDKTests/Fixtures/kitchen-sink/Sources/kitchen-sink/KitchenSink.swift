// A test module that exercises every SDK feature: column types, enums, nested structs, keys,
// indexes, auto-increment, iteration, deletes, failures, traps and limits.
import StarlingModule

@StarlingType
struct Position {
    var x: Float
    var y: Float
}

@StarlingType
enum Shape {
    case circle(radius: Double)
    case rect(width: Double, height: Double)
    case point
}

/// Every column type.
@Table(public: true)
struct Everything {
    @PrimaryKey @AutoInc var id: UInt64
    var flag: Bool
    var i8: Int8
    var u16: UInt16
    var i32: Int32
    var i64: Int64
    var u128: UInt128
    var i128: Int128
    var f32: Float
    var f64: Double
    var text: String
    var blob: Bytes
    var numbers: [Int32]
    var maybe: String?
    var who: Identity
    var when: Timestamp
    var duration: TimeDuration
    var position: Position
    var shape: Shape
    var path: [Position]
}

@Table
struct Player {
    @PrimaryKey @AutoInc var id: UInt32
    @Unique var name: String
    @Index var score: Int64
    @Index(.hash) var team: UInt8
}

@Reducer
func insertEverything(ctx: ReducerContext, text: String, shape: Shape, maybe: String?) throws(ReducerError) {
    let row = try ctx.db[Everything.self].insert(
        Everything(
            id: 0, flag: true, i8: -8, u16: 16, i32: -32, i64: -64, u128: UInt128.max, i128: Int128.min, f32: 1.5, f64: -2.25,
            text: text, blob: Bytes([0, 1, 255]), numbers: [1, -2, 3], maybe: maybe, who: ctx.sender, when: ctx.timestamp,
            duration: TimeDuration(micros: 1_000_000), position: Position(x: 1, y: 2), shape: shape,
            path: [Position(x: 0, y: 0), Position(x: 3, y: 4)]))
    guard row.id > 0 else { throw ReducerError("auto-increment did not fill the id") }
    Log.info("inserted everything #\(row.id)")
}

/// Inserts `count` players named `prefix0...`, scores 0, 10, 20..., teams i % 3.
@Reducer
func addPlayers(ctx: ReducerContext, prefix: String, count: UInt32) throws(ReducerError) {
    let players = ctx.db[Player.self]
    for i in 0..<count {
        let p = try players.insert(Player(id: 0, name: "\(prefix)\(i)", score: Int64(i) * 10, team: UInt8(i % 3)))
        if p.id == 0 { throw ReducerError("no id generated") }
    }
}

/// Checks lookups, ranges, hash filters, iteration, update and deletes; fails with a message on
/// the first thing that is wrong (so the test sees exactly what).
@Reducer
func checkQueries(ctx: ReducerContext, expectedCount: UInt64) throws(ReducerError) {
    let players = ctx.db[Player.self]
    guard players.count == expectedCount else { throw ReducerError("count \(players.count) != \(expectedCount)") }
    var n: UInt64 = 0
    for _ in players.iter() { n += 1 }
    guard n == expectedCount else { throw ReducerError("iterated \(n) rows, expected \(expectedCount)") }
    guard let p3 = players.name.find("p3") else { throw ReducerError("find by unique name failed") }
    guard p3.score == 30 else { throw ReducerError("p3 has score \(p3.score)") }
    var inRange = players.score.filter(100...190).collect()
    guard inRange.count == 10 else { throw ReducerError("range 100...190 gave \(inRange.count) rows") }
    inRange = players.score.filter(..<50).collect()
    guard inRange.count == 5 else { throw ReducerError("range ..<50 gave \(inRange.count) rows") }
    let team0 = players.team.filter(0).collect()
    guard team0.count == Int((expectedCount + 2) / 3) else { throw ReducerError("team 0 has \(team0.count) players") }
    var renamed = p3
    renamed.score = 31
    try players.id.update(renamed)
    guard players.id.find(p3.id)?.score == 31 else { throw ReducerError("update by primary key not visible") }
    guard players.name.delete("p4") else { throw ReducerError("delete by unique name found nothing") }
    guard players.name.find("p4") == nil else { throw ReducerError("deleted row still visible") }
    let removed = players.score.delete(200...290)
    guard removed == 10 else { throw ReducerError("range delete removed \(removed)") }
}

/// Inserts a duplicate unique name: the insert error must surface as the reducer's error.
@Reducer
func duplicateName(ctx: ReducerContext) throws(ReducerError) {
    let players = ctx.db[Player.self]
    try players.insert(Player(id: 0, name: "dup", score: 0, team: 0))
    try players.insert(Player(id: 0, name: "dup", score: 1, team: 1))
}

/// Inserts a row, then fails: nothing may remain.
@Reducer
func insertThenFail(ctx: ReducerContext) throws(ReducerError) {
    try ctx.db[Player.self].insert(Player(id: 0, name: "ghost", score: 0, team: 0))
    throw ReducerError("failing on purpose")
}

/// Inserts a row, then traps (array index out of range): nothing may remain.
@Reducer
func insertThenTrap(ctx: ReducerContext, index: UInt32) throws(ReducerError) {
    try ctx.db[Player.self].insert(Player(id: 0, name: "trap-ghost", score: 0, team: 0))
    let small = [1, 2, 3]
    Log.info("value \(small[Int(index)])")
}

/// Never returns: the fuel budget must stop it.
@Reducer
func spin(ctx: ReducerContext) {
    var x: UInt64 = 1
    while true {
        x = x &* 6364136223846793005 &+ 1
        if x & 0xFFFF == 0 { _ = ctx.db[Player.self].count }  // a side effect, so the loop stays
    }
}

/// Allocates without bound: the memory cap must stop it.
@Reducer
func hog(ctx: ReducerContext) {
    var chunks: [[UInt8]] = []
    while true { chunks.append([UInt8](repeating: 1, count: 1 << 20)) }
}

/// Logs random numbers and uses a Dictionary (hash seeding comes from the host).
@Reducer
func randomness(ctx: ReducerContext) {
    var seen: [UInt64: Int] = [:]
    for _ in 0..<3 { seen[ctx.rng.next() % 1000, default: 0] += 1 }
    Log.info("random \(ctx.random(in: 0..<1_000_000)) \(seen.count)")
}

@Reducer
func clearPlayers(ctx: ReducerContext) {
    let n = ctx.db[Player.self].clear()
    Log.info("cleared \(n)")
}

/// Rows here call `tick` at their `scheduledAt` (once, or repeatedly for an interval).
@Table(scheduled: "tick")
struct TickTimer {
    @PrimaryKey @AutoInc var scheduledId: UInt64
    var scheduledAt: ScheduleAt
    var label: String
}

/// What `tick` saw, one row per call.
@Table(public: true)
struct TickLog {
    @PrimaryKey @AutoInc var id: UInt64
    var label: String
    var at: Timestamp
}

@Reducer
func tick(ctx: ReducerContext, timer: TickTimer) throws(ReducerError) {
    try ctx.db[TickLog.self].insert(TickLog(id: 0, label: timer.label, at: ctx.timestamp))
}

/// Schedules `tick` after `delayMicros` (once) or every `delayMicros` (repeating).
@Reducer
func scheduleTick(ctx: ReducerContext, label: String, delayMicros: Int64, repeating: Bool) throws(ReducerError) {
    let at: ScheduleAt =
        repeating
        ? .interval(TimeDuration(micros: delayMicros))
        : .time(Timestamp(microsSinceUnixEpoch: ctx.timestamp.microsSinceUnixEpoch + delayMicros))
    try ctx.db[TickTimer.self].insert(TickTimer(scheduledId: 0, scheduledAt: at, label: label))
}

/// Stops every schedule.
@Reducer
func cancelTicks(ctx: ReducerContext) {
    ctx.db[TickTimer.self].clear()
}

/// Notes: each client sees its own and the shared ones (row-level security, two filters OR-ed).
@Table(
    public: true,
    rowFilters: ["SELECT * FROM note WHERE owner = :sender", "SELECT * FROM note WHERE note.shared = true"])
struct Note {
    @PrimaryKey @AutoInc var id: UInt64
    @Index var owner: Identity
    @Index var team: UInt8
    var text: String
    var shared: Bool
}

/// Teams, joined with notes and players in subscription tests.
@Table(public: true)
struct Team {
    @PrimaryKey var id: UInt8
    var name: String
}

@Reducer
func addNote(ctx: ReducerContext, team: UInt8, text: String, shared: Bool) throws(ReducerError) {
    try ctx.db[Note.self].insert(Note(id: 0, owner: ctx.sender, team: team, text: text, shared: shared))
}

/// Shares or unshares a note of the caller's.
@Reducer
func shareNote(ctx: ReducerContext, id: UInt64, shared: Bool) throws(ReducerError) {
    let notes = ctx.db[Note.self]
    guard var note = notes.id.find(id), note.owner == ctx.sender else { throw ReducerError("no note \(id) of yours") }
    note.shared = shared
    try notes.id.update(note)
}

@Reducer
func deleteNote(ctx: ReducerContext, id: UInt64) throws(ReducerError) {
    guard ctx.db[Note.self].id.delete(id) else { throw ReducerError("no note \(id)") }
}

@Reducer
func setTeam(ctx: ReducerContext, id: UInt8, name: String) throws(ReducerError) {
    let teams = ctx.db[Team.self]
    if teams.id.find(id) != nil {
        try teams.id.update(Team(id: id, name: name))
    } else {
        try teams.insert(Team(id: id, name: name))
    }
}
