import StarlingTypes

extension ModuleBenchmark {
    /// The benchmark module in WAT: table `accounts (id u64 pk, balance u64)`, reducers `noop`,
    /// `transfer(from u64, to u64, amount u64)` and `host_calls(n u32)`.
    static var wat: String {
        let accounts = ModuleItem.table(
            TableItem(name: "accounts", columns: [ColumnItem("id", .u64), ColumnItem("balance", .u64)], primaryKey: 0))
        let noop = ModuleItem.reducer(ReducerItem(name: "noop"))
        let transfer = ModuleItem.reducer(
            ReducerItem(name: "transfer", params: [ColumnItem("from", .u64), ColumnItem("to", .u64), ColumnItem("amount", .u64)]))
        let hostCalls = ModuleItem.reducer(ReducerItem(name: "host_calls", params: [ColumnItem("n", .u32)]))
        let items = [accounts, noop, transfer, hostCalls]
        var data = ""
        var describers = ""
        var at = 4096
        for (i, item) in items.enumerated() {
            let bytes = item.bsatn
            data += "(data (i32.const \(at)) \"\(bytes.map { "\\" + hex($0) }.joined())\")\n"
            describers += "(func (export \"__starling_describe__\(i)\") (drop (call $describe_item (i32.const \(at)) (i32.const \(bytes.count)))))\n"
            at += bytes.count + 8
        }
        return """
            (module
              (import "starling_1.0" "describe_item" (func $describe_item (param i32 i32) (result i32)))
              (import "starling_1.0" "reducer_args" (func $reducer_args (param i32) (result i32)))
              (import "starling_1.0" "reducer_error" (func $reducer_error (param i32 i32) (result i32)))
              (import "starling_1.0" "index_id_from_name" (func $index_id_from_name (param i32 i32 i32) (result i32)))
              (import "starling_1.0" "index_scan_point" (func $index_scan_point (param i32 i32 i32 i32) (result i32)))
              (import "starling_1.0" "row_iter_next" (func $row_iter_next (param i32 i32 i32) (result i32)))
              (import "starling_1.0" "row_iter_close" (func $row_iter_close (param i32) (result i32)))
              (import "starling_1.0" "update_by_index" (func $update_by_index (param i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 3000) "accounts_id_key")
              (data (i32.const 3100) "insufficient funds")
              \(data)\(describers)
              (func (export "__starling_reducer__noop") (param i64 i64 i64 i64 i64 i64 i64 i32) (result i32)
                (i32.const 0))
              ;; Reads the row with the u64 key at `key` into `dst` (16 bytes); traps if absent.
              (func $get (param $index i32) (param $key i32) (param $dst i32)
                (if (call $index_scan_point (local.get $index) (local.get $key) (i32.const 8) (i32.const 60)) (then unreachable))
                (i32.store (i32.const 64) (i32.const 16))
                (drop (call $row_iter_next (i32.load (i32.const 60)) (local.get $dst) (i32.const 64)))
                (if (i32.ne (i32.load (i32.const 64)) (i32.const 16)) (then unreachable)))
              (func (export "__starling_reducer__transfer") (param i64 i64 i64 i64 i64 i64 i64 i32) (result i32)
                (local $index i32) (local $amount i64)
                (drop (call $reducer_args (i32.const 0)))
                (if (call $index_id_from_name (i32.const 3000) (i32.const 15) (i32.const 56)) (then unreachable))
                (local.set $index (i32.load (i32.const 56)))
                (local.set $amount (i64.load (i32.const 16)))
                (call $get (local.get $index) (i32.const 0) (i32.const 100))
                (call $get (local.get $index) (i32.const 8) (i32.const 200))
                (if (i64.lt_u (i64.load (i32.const 108)) (local.get $amount))
                  (then (drop (call $reducer_error (i32.const 3100) (i32.const 18))) (return (i32.const 1))))
                (i64.store (i32.const 108) (i64.sub (i64.load (i32.const 108)) (local.get $amount)))
                (i64.store (i32.const 208) (i64.add (i64.load (i32.const 208)) (local.get $amount)))
                (if (call $update_by_index (local.get $index) (i32.const 100) (i32.const 16)) (then unreachable))
                (if (call $update_by_index (local.get $index) (i32.const 200) (i32.const 16)) (then unreachable))
                (i32.const 0))
              (func (export "__starling_reducer__host_calls") (param i64 i64 i64 i64 i64 i64 i64 i32) (result i32)
                (local $n i32)
                (drop (call $reducer_args (i32.const 0)))
                (local.set $n (i32.load (i32.const 0)))
                (block $done (loop $l
                  (br_if $done (i32.eqz (local.get $n)))
                  (drop (call $row_iter_close (i32.const 0)))
                  (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                  (br $l)))
                (i32.const 0))
            )
            """
    }
}

private func hex(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
}
