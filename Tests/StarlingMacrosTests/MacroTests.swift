import StarlingMacros
import SwiftSyntaxMacros
import SwiftSyntaxMacrosTestSupport
import XCTest

/// Expansion tests for the module SDK's macros. (That the expansions compile for wasm and run in
/// the host is tested end to end by the module host tests, which build the example modules.)
final class MacroTests: XCTestCase {
    let macros: [String: any Macro.Type] = [
        "Table": TableMacro.self, "Reducer": ReducerMacro.self, "StarlingType": StarlingTypeMacro.self,
        "PrimaryKey": ColumnMarkerMacro.self, "Index": ColumnMarkerMacro.self,
    ]

    func testReducerExportsAndDescribesItsParameters() {
        assertMacroExpansion(
            """
            @Reducer
            func sendMessage(ctx: ReducerContext, text: String) throws(ReducerError) {}
            """,
            expandedSource: """
                func sendMessage(ctx: ReducerContext, text: String) throws(ReducerError) {}

                @_expose(wasm, "__starling_reducer__send_message") @_cdecl("__starling_reducer__send_message")
                func __starling_reducer__sendMessage(_ s0: UInt64, _ s1: UInt64, _ s2: UInt64, _ s3: UInt64, _ c0: UInt64, _ c1: UInt64, _ ts: Int64, _ argsLen: UInt32) -> Int32 {
                    __starlingInvokeReducer(s0, s1, s2, s3, c0, c1, ts, argsLen) { ctx, r throws(ReducerError) in
                        try sendMessage(ctx: ctx, text: __starlingArgument(&r, "text"))
                    }
                }

                @_expose(wasm, "__starling_describe__reducer_send_message") @_cdecl("__starling_describe__reducer_send_message")
                func __starling_describe__reducer_sendMessage() {
                    __starlingDescribeReducer("send_message", [ColumnItem("text", String.algebraicType)], .none)
                }
                """,
            macros: macros)
    }

    func testTableDescribesKeysIndexesAndSnakeCaseNames() {
        assertMacroExpansion(
            """
            @Table(public: true)
            struct PlayerScore {
                @PrimaryKey var playerId: UInt64
                @Index var points: Int32
                var note: String?
            }
            """,
            expandedSource: """
                struct PlayerScore {
                    var playerId: UInt64
                    var points: Int32
                    var note: String?
                }

                @_expose(wasm, "__starling_describe__table_player_score") @_cdecl("__starling_describe__table_player_score")
                func __starling_describe__table_PlayerScore() {
                    __starlingDescribe(.table(TableItem(name: "player_score", columns: [ColumnItem("player_id", UInt64.algebraicType), ColumnItem("points", Int32.algebraicType), ColumnItem("note", Optional<String>.algebraicType)], primaryKey: 0, indexes: [IndexItem(name: "player_score_points_idx", algorithm: .btree, columns: [1])], unique: [], autoInc: [], isPublic: true, schedule: nil)))
                }

                extension PlayerScore: BSATNCodable, TableRow {
                    static var algebraicType: AlgebraicType {
                        .product(ProductType([.init("player_id", UInt64.algebraicType), .init("points", Int32.algebraicType), .init("note", Optional<String>.algebraicType)]))
                    }
                    static var bsatnFixedSize: Int? {
                        guard let s0 = UInt64.bsatnFixedSize, let s1 = Int32.bsatnFixedSize, let s2 = Optional<String>.bsatnFixedSize else {
                            return nil
                        }
                        return s0 + s1 + s2
                    }
                    func store(into p: UnsafeMutableRawPointer) {
                        var o = 0
                        self.playerId.store(into: p + o)
                        o += UInt64.bsatnFixedSize!
                        self.points.store(into: p + o)
                        o += Int32.bsatnFixedSize!
                        self.note.store(into: p + o)
                        o += Optional<String>.bsatnFixedSize!
                        _ = o
                    }
                    static var bsatnFixedLoadable: Bool {
                        bsatnFixedSize != nil && UInt64.bsatnFixedLoadable && Int32.bsatnFixedLoadable && Optional<String>.bsatnFixedLoadable
                    }
                    init(bsatnFixed p: UnsafeRawPointer) {
                        var o = 0
                        self.playerId = UInt64(bsatnFixed: p + o)
                        o += UInt64.bsatnFixedSize!
                        self.points = Int32(bsatnFixed: p + o)
                        o += Int32.bsatnFixedSize!
                        self.note = Optional<String>(bsatnFixed: p + o)
                        o += Optional<String>.bsatnFixedSize!
                        _ = o
                    }
                    func encode(to w: inout BSATNWriter) {
                        if self.encodeFixed(to: &w) {
                            return
                        }
                        self.playerId.encode(to: &w)
                        self.points.encode(to: &w)
                        self.note.encode(to: &w)
                    }
                    init(bsatn r: inout BSATNReader) throws(BSATNError) {
                        if Self.bsatnFixedLoadable, let n = Self.bsatnFixedSize {
                            self = Self(bsatnFixed: try r.fixedBytes(n))
                            return
                        }
                        self.playerId = try UInt64(bsatn: &r)
                        self.points = try Int32(bsatn: &r)
                        self.note = try Optional<String>(bsatn: &r)
                    }
                    static var tableName: String {
                        "player_score"
                    }
                    nonisolated(unsafe) static var __starling_tid: UInt32 = 0xFFFF_FFFF
                    static var __tableID: UInt32 {
                        if __starling_tid == 0xFFFF_FFFF {
                            __starling_tid = __starlingTableID("player_score")
                        }
                        return __starling_tid
                    }
                    nonisolated(unsafe) static var __starling_idx_playerId: UInt32 = 0xFFFF_FFFF
                    nonisolated(unsafe) static var __starling_idx_points: UInt32 = 0xFFFF_FFFF
                    struct Handle: TableHandle {
                        typealias Row = PlayerScore
                        init() {
                        }
                        var playerId: UniqueIndex<PlayerScore, UInt64> {
                            if PlayerScore.__starling_idx_playerId == 0xFFFF_FFFF {
                                PlayerScore.__starling_idx_playerId = __starlingIndexID("player_score_player_id_key")
                            }
                            return UniqueIndex(indexID: PlayerScore.__starling_idx_playerId, name: "player_score_player_id_key")
                        }
                        var points: RangeIndex<PlayerScore, Int32> {
                            if PlayerScore.__starling_idx_points == 0xFFFF_FFFF {
                                PlayerScore.__starling_idx_points = __starlingIndexID("player_score_points_idx")
                            }
                            return RangeIndex(indexID: PlayerScore.__starling_idx_points, name: "player_score_points_idx")
                        }
                    }
                }
                """,
            macros: macros)
    }

    func testMistakesAreReportedWhereTheyAre() {
        assertMacroExpansion(
            """
            @Reducer
            func bad(name: String) {}
            """,
            expandedSource: """
                func bad(name: String) {}
                """,
            diagnostics: [DiagnosticSpec(message: "a reducer's first parameter must be `ctx: ReducerContext`", line: 1, column: 1)],
            macros: macros)
        assertMacroExpansion(
            """
            @Table
            struct T {
                var x
            }
            """,
            expandedSource: """
                struct T {
                    var x
                }
                """,
            diagnostics: [
                DiagnosticSpec(message: "property `x` needs a type annotation (the column type)", line: 1, column: 1),
                DiagnosticSpec(message: "property `x` needs a type annotation (the column type)", line: 1, column: 1),
            ],
            macros: macros)
    }
}
