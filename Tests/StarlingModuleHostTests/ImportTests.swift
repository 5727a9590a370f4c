import StarlingModuleHost
import StarlingStore
import StarlingTypes
import Testing

/// The data imports, driven by WAT fixtures that `$note` what the host returned.
@Suite struct ImportTests {
    /// `people (id u32 pk, name string)` and `scores (id u32 pk, score u32; btree on score;
    /// hash on score named scores_hash)`.
    static let tables = [
        TableItem(name: "people", columns: [ColumnItem("id", .u32), ColumnItem("name", .string)], primaryKey: 0),
        TableItem(
            name: "scores", columns: [ColumnItem("id", .u32), ColumnItem("score", .u32)], primaryKey: 0,
            indexes: [IndexItem(columns: [1]), IndexItem(name: "scores_hash", algorithm: .hash, columns: [1])]),
        TableItem(name: "seq", columns: [ColumnItem("id", .u64), ColumnItem("v", .u32)], primaryKey: 0, autoInc: [0]),
    ]

    func harness(_ reducers: [(String, String)]) throws -> Harness {
        var f = Fixture()
        f.tables = Self.tables
        for (name, body) in reducers { f.reducer(name, body) }
        return try Harness(f)
    }

    @Test func iteratorBatchesWithATinyBuffer() throws {
        let h = try harness([
            (
                "scan",
                """
                (drop (call $table_id_from_name {{people}} (i32.const 16)))
                (call $note (i64.extend_i32_u (call $table_scan (i32.load (i32.const 16)) (i32.const 20))))
                ;; capacity 2: too small for any row
                (i32.store (i32.const 24) (i32.const 2))
                (call $note (i64.extend_i32_u (call $row_iter_next (i32.load (i32.const 20)) (i32.const 100) (i32.const 24))))
                (call $note (i64.extend_i32_u (i32.load (i32.const 24))))
                ;; capacity = the size needed: exactly one row
                (call $note (i64.extend_i32_u (call $row_iter_next (i32.load (i32.const 20)) (i32.const 100) (i32.const 24))))
                (call $note (i64.extend_i32_u (i32.load (i32.const 24))))
                (call $note (i64.extend_i32_u (i32.load (i32.const 100))))
                ;; a large buffer: the rest, and the iterator is exhausted (closed)
                (i32.store (i32.const 24) (i32.const 1000))
                (call $note (i64.extend_i32_u (call $row_iter_next (i32.load (i32.const 20)) (i32.const 100) (i32.const 24))))
                (call $note (i64.extend_i32_u (i32.load (i32.const 24))))
                (call $note (i64.extend_i32_u (call $row_iter_next (i32.load (i32.const 20)) (i32.const 100) (i32.const 24))))
                (i32.const 0)
                """
            )
        ])
        try h.insert("people", [[.u32(1), .string("a")], [.u32(2), .string("bb")], [.u32(3), .string("ccc")]])
        let stored = try h.store.read { tx throws(StoreError) in try tx.rows(try tx.tableId("people")) }
        #expect(try h.run("scan") == .success)
        let first = UInt64(stored[0].count)
        let firstId = UInt64(stored[0][0])
        let rest = UInt64(stored[1].count + stored[2].count)
        #expect(try h.notes() == [0, 7, first, 0, first, firstId, 8, rest, 3])
    }

    @Test func iteratorsSeeTheStateAtTheirCreation() throws {
        let h = try harness([
            (
                "snapshot",
                """
                (drop (call $table_id_from_name {{scores}} (i32.const 16)))
                (drop (call $table_scan (i32.load (i32.const 16)) (i32.const 20)))
                (i32.store (i32.const 40) (i32.const 9)) (i32.store (i32.const 44) (i32.const 90))
                (call $note (i64.extend_i32_u (call $insert (i32.load (i32.const 16)) (i32.const 40) (i32.const 8))))
                (i32.store (i32.const 24) (i32.const 1000))
                (call $note (i64.extend_i32_u (call $row_iter_next (i32.load (i32.const 20)) (i32.const 100) (i32.const 24))))
                (call $note (i64.extend_i32_u (i32.load (i32.const 24))))
                (call $note (i64.extend_i32_u (call $row_iter_close (i32.load (i32.const 20)))))
                (i32.const 0)
                """
            )
        ])
        try h.insert("scores", [[.u32(1), .u32(10)]])
        #expect(try h.run("snapshot") == .success)
        #expect(try h.notes() == [0, 8, 8, 3])
        #expect(try h.rows("scores").count == 2)
    }

    @Test func autoIncrementValueIsWrittenBack() throws {
        let h = try harness([
            (
                "add",
                """
                (drop (call $table_id_from_name {{seq}} (i32.const 16)))
                (i64.store (i32.const 40) (i64.const 0)) (i32.store (i32.const 48) (i32.const 7))
                (call $note (i64.extend_i32_u (call $insert (i32.load (i32.const 16)) (i32.const 40) (i32.const 12))))
                (call $note (i64.load (i32.const 40)))
                (i64.store (i32.const 40) (i64.const 0)) (i32.store (i32.const 48) (i32.const 8))
                (call $note (i64.extend_i32_u (call $insert (i32.load (i32.const 16)) (i32.const 40) (i32.const 12))))
                (call $note (i64.load (i32.const 40)))
                (i32.const 0)
                """
            )
        ])
        #expect(try h.run("add") == .success)
        #expect(try h.notes() == [0, 1, 0, 2])
        #expect(try Set(h.rows("seq").map { "\($0)" }) == ["[StarlingTypes.AlgebraicValue.u64(1), StarlingTypes.AlgebraicValue.u32(7)]", "[StarlingTypes.AlgebraicValue.u64(2), StarlingTypes.AlgebraicValue.u32(8)]"])
    }

    @Test func constraintAndKindErrorsSurfaceAsCodes() throws {
        let h = try harness([
            (
                "errors",
                """
                (drop (call $table_id_from_name {{scores}} (i32.const 16)))
                (i32.store (i32.const 40) (i32.const 1)) (i32.store (i32.const 44) (i32.const 10))
                (call $note (i64.extend_i32_u (call $insert (i32.load (i32.const 16)) (i32.const 40) (i32.const 8))))
                (i32.store (i32.const 44) (i32.const 11))
                ;; same primary key, different row: UNIQUE_VIOLATION
                (call $note (i64.extend_i32_u (call $insert (i32.load (i32.const 16)) (i32.const 40) (i32.const 8))))
                ;; update through the non-unique score index: INDEX_NOT_UNIQUE
                (drop (call $index_id_from_name {{scores_score_idx}} (i32.const 20)))
                (call $note (i64.extend_i32_u (call $update_by_index (i32.load (i32.const 20)) (i32.const 40) (i32.const 8))))
                ;; range scan on the hash index: WRONG_INDEX_KIND
                (drop (call $index_id_from_name {{scores_hash}} (i32.const 24)))
                (i32.store8 (i32.const 60) (i32.const 2))
                (call $note (i64.extend_i32_u (call $index_scan_range (i32.load (i32.const 24)) (i32.const 60) (i32.const 1) (i32.const 60) (i32.const 1) (i32.const 28))))
                ;; update by primary key with no such row: NOT_FOUND
                (drop (call $index_id_from_name {{scores_id_key}} (i32.const 32)))
                (i32.store (i32.const 40) (i32.const 77))
                (call $note (i64.extend_i32_u (call $update_by_index (i32.load (i32.const 32)) (i32.const 40) (i32.const 8))))
                ;; a row that is too short: BSATN_DECODE; unknown names and handles
                (call $note (i64.extend_i32_u (call $insert (i32.load (i32.const 16)) (i32.const 40) (i32.const 3))))
                (call $note (i64.extend_i32_u (call $table_id_from_name {{nope}} (i32.const 36))))
                (call $note (i64.extend_i32_u (call $index_id_from_name {{nope}} (i32.const 36))))
                (call $note (i64.extend_i32_u (call $row_iter_close (i32.const 12345))))
                (call $note (i64.extend_i32_u (call $insert (i32.const 999999) (i32.const 40) (i32.const 8))))
                (i32.const 0)
                """
            )
        ])
        #expect(try h.run("errors") == .success)
        #expect(try h.notes() == [0, 5, 11, 12, 6, 4, 1, 2, 3, 1])
        #expect(try h.rows("scores") == [[.u32(1), .u32(10)]])
    }

    @Test func rangeScanOnABtreeIndex() throws {
        let h = try harness([
            (
                "range",
                """
                (drop (call $index_id_from_name {{scores_score_idx}} (i32.const 16)))
                ;; 20 <= score < 40
                (i32.store8 (i32.const 40) (i32.const 0)) (i32.store (i32.const 41) (i32.const 20))
                (i32.store8 (i32.const 50) (i32.const 1)) (i32.store (i32.const 51) (i32.const 40))
                (call $note (i64.extend_i32_u (call $index_scan_range (i32.load (i32.const 16)) (i32.const 40) (i32.const 5) (i32.const 50) (i32.const 5) (i32.const 20))))
                (i32.store (i32.const 24) (i32.const 1000))
                (call $note (i64.extend_i32_u (call $row_iter_next (i32.load (i32.const 20)) (i32.const 100) (i32.const 24))))
                (call $note (i64.extend_i32_u (i32.load (i32.const 24))))
                (call $note (i64.extend_i32_u (i32.load (i32.const 104))))
                (call $note (i64.extend_i32_u (i32.load (i32.const 112))))
                ;; delete score > 30 (unbounded above): two rows
                (i32.store8 (i32.const 40) (i32.const 1)) (i32.store (i32.const 41) (i32.const 30))
                (i32.store8 (i32.const 50) (i32.const 2))
                (call $note (i64.extend_i32_u (call $delete_by_index_range (i32.load (i32.const 16)) (i32.const 40) (i32.const 5) (i32.const 50) (i32.const 1) (i32.const 60))))
                (call $note (i64.extend_i32_u (i32.load (i32.const 60))))
                ;; point delete of score 10 through the hash index
                (drop (call $index_id_from_name {{scores_hash}} (i32.const 28)))
                (i32.store (i32.const 70) (i32.const 10))
                (call $note (i64.extend_i32_u (call $delete_by_index_point (i32.load (i32.const 28)) (i32.const 70) (i32.const 4) (i32.const 60))))
                (call $note (i64.extend_i32_u (i32.load (i32.const 60))))
                (i32.const 0)
                """
            )
        ])
        try h.insert("scores", (1...5).map { [.u32(UInt32($0)), .u32(UInt32($0 * 10))] })
        #expect(try h.run("range") == .success)
        #expect(try h.notes() == [0, 8, 16, 20, 30, 0, 2, 0, 1])
        let left = try h.rows("scores").map { $0[1] }
        #expect(Set(left.map { "\($0)" }) == Set([AlgebraicValue.u32(20), .u32(30)].map { "\($0)" }))
    }

    @Test func randomBytesAreDeterministicPerCallAndIdentityIsTheDatabases() throws {
        let h = try harness([
            (
                "rand",
                """
                (call $random_bytes (i32.const 100) (i32.const 8))
                (call $note (i64.load (i32.const 100)))
                (call $database_identity (i32.const 200))
                (call $note (i64.load (i32.const 200)))
                (call $note (i64.load (i32.const 224)))
                (i32.const 0)
                """
            )
        ])
        #expect(try h.run("rand", at: 77) == .success)
        #expect(try h.run("rand", at: 77) == .success)
        #expect(try h.run("rand", at: 78) == .success)
        let n = try h.notes()
        #expect(n.count == 9)
        #expect(n[0] == n[3])
        #expect(n[0] != n[6])
        #expect(n[1] == 0x1111 && n[2] == 0x4444)
    }

    @Test func dataImportsOutsideACallAreRefused() throws {
        // A describer that tries to read a table gets NOT_IN_TRANSACTION; describe_item inside a
        // reducer gets NOT_DESCRIBING.
        var f = Fixture()
        f.tables = Self.tables
        f.extra = """
            (global $seen (mut i32) (i32.const -1))
            (func (export "__starling_describe__zz") (global.set $seen (call $table_id_from_name {{people}} (i32.const 16))))
            """
        f.reducer(
            "check",
            """
            (call $note (i64.extend_i32_u (global.get $seen)))
            (call $note (i64.extend_i32_u (call $describe_item (i32.const 0) (i32.const 0))))
            (i32.const 0)
            """)
        let h = try Harness(f)
        #expect(try h.run("check") == .success)
        #expect(try h.notes() == [9, 13])
    }
}
