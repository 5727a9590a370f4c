import StarlingQuery
import StarlingStore
import StarlingTypes
import Testing

/// The conformance database: four tables covering integer widths, floats, strings, bools,
/// identities, options, bytes, timestamps, a private table, single- and multi-column btree
/// indexes, hash indexes, unique columns and an auto-increment key.
enum Fixture {
    static let idA = Identity(hex: "0a")!
    static let idB = Identity(hex: "0b")!
    static let idC = Identity(hex: "0c")!
    static let idD = Identity(hex: "0d")!

    static let player = TableSchema(
        name: "player",
        columns: [
            .init("id", .u64), .init("name", .string), .init("guild_id", .u32), .init("level", .u8),
            .init("score", .i32), .init("rating", .f64), .init("active", .bool), .init("owner", .identity),
            .init("nick", .option(.string)),
        ],
        primaryKey: 0,
        indexes: [
            IndexSchema(name: "player_level", columns: [3]),
            IndexSchema(name: "player_guild_level", columns: [2, 3]),
            IndexSchema(name: "player_owner", columns: [7], algorithm: .hash),
        ],
        constraints: [ConstraintSchema(name: "", columns: [1])],
        sequences: [SequenceSchema(name: "", column: 0)])

    static let guild = TableSchema(
        name: "guild",
        columns: [.init("id", .u32), .init("name", .string), .init("region", .string), .init("founded", .timestamp)],
        primaryKey: 0,
        indexes: [IndexSchema(name: "guild_region", columns: [2], algorithm: .hash)])

    static let item = TableSchema(
        name: "item",
        columns: [
            .init("item_id", .u64), .init("owner_id", .u64), .init("kind", .string), .init("weight", .f32),
            .init("value", .i64), .init("qty", .u16), .init("tiny", .i8), .init("big", .u128), .init("delta", .i128),
            .init("tag", .bytes),
        ],
        primaryKey: 0,
        indexes: [IndexSchema(name: "item_owner", columns: [1])],
        sequences: [SequenceSchema(name: "", column: 0)])

    static let secret = TableSchema(
        name: "secret",
        columns: [.init("id", .u32), .init("note", .string), .init("owner", .identity)],
        primaryKey: 0, access: .private)

    static func playerRow(
        _ name: String, _ guild: UInt32, _ level: UInt8, _ score: Int32, _ rating: Double, _ active: Bool,
        _ owner: Identity,
        _ nick: String?
    ) -> [AlgebraicValue] {
        [
            .u64(0), .string(name), .u32(guild), .u8(level), .i32(score), .f64(rating), .bool(active), .identity(owner),
            .option(nick.map { .string($0) }),
        ]
    }

    static func itemRow(
        _ owner: UInt64, _ kind: String, _ weight: Float, _ value: Int64, _ qty: UInt16, _ tiny: Int8, _ big: UInt128,
        _ delta: Int128, _ tag: [UInt8]
    ) -> [AlgebraicValue] {
        [
            .u64(0), .u64(owner), .string(kind), .f32(weight), .i64(value), .u16(qty), .i8(tiny), .u128(big),
            .i128(delta),
            .bytes(tag),
        ]
    }

    /// A fresh datastore holding the fixture (committed).
    static func make() throws -> Datastore {
        let db = Datastore()
        _ = try db.write { tx throws(StoreError) in
            let p = try tx.createTable(player)
            let g = try tx.createTable(guild)
            let i = try tx.createTable(item)
            let s = try tx.createTable(secret)
            for r in [
                playerRow("ann", 1, 10, 100, 4.5, true, idA, "annie"),
                playerRow("bob", 1, 20, -5, 3.0, false, idB, nil),
                playerRow("cat", 2, 10, 250, 4.9, true, idA, "kitty"),
                playerRow("dan", 2, 30, 0, 2.25, true, idC, nil),
                playerRow("eve", 3, 20, 75, 5.0, false, idB, "eve"),
                playerRow("fay", 3, 5, 100, 1.5, true, idD, nil),
            ] { try tx.insert(p, values: r) }
            for (id, name, region, founded) in [
                (1, "red", "eu", 1_000_000), (2, "blue", "us", 2_000_000), (3, "green", "eu", 3_000_000),
                (4, "empty", "asia", 4_000_000),
            ] as [(UInt32, String, String, Int64)] {
                try tx.insert(
                    g,
                    values: [
                        .u32(id), .string(name), .string(region), .timestamp(Timestamp(microsSinceUnixEpoch: founded)),
                    ])
            }
            for r in [
                itemRow(1, "sword", 3.5, 1000, 1, -1, 0, -5, [0xde, 0xad]),
                itemRow(1, "shield", 5.0, 500, 2, 0, .max, 0, []),
                itemRow(2, "sword", 3.5, 1200, 1, 5, 1, .max, [0x01]),
                itemRow(3, "potion", 0.25, 50, 10, -128, 2, .min, [0xff, 0x00]),
                itemRow(3, "potion", 0.25, 50, 5, 127, 3, 7, [0x01]),
                itemRow(5, "bow", 2.0, 800, 1, 3, 4, 1, []),
                itemRow(9, "orphan", 1.0, 1, 1, 0, 5, 0, [0x0a]),
            ] { try tx.insert(i, values: r) }
            try tx.insert(s, values: [.u32(1), .string("the cake"), .identity(idA)])
            try tx.insert(s, values: [.u32(2), .string("is a lie"), .identity(idB)])
        }
        return db
    }

    static let owner = QueryContext.owner(idA)
    static let client = QueryContext.client(idB)
}

/// Runs SQL in a transaction that is rolled back afterwards; returns the last result.
func run(_ db: Datastore, _ sql: String, context: QueryContext = Fixture.owner) throws(SQLError) -> [QueryResult] {
    let tx = db.begin()
    defer { tx.rollback() }
    return try QueryEngine.execute(sql, in: tx, context: context)
}
