import Foundation
import StarlingModuleHost
import StarlingStore
import StarlingTypes
import WAT

/// A module written in WAT for a test: tables, reducers (WAT bodies), and a prelude that imports
/// the whole ABI and offers `$note` (records a u64 in table `obs`, in call order).
///
/// Bodies may write `{{text}}` for "(i32.const ptr) (i32.const len)" of a UTF-8 string placed in
/// the module's data. Guest memory 0..<4096 is free scratch space for bodies.
struct Fixture {
    var tables: [TableItem] = []
    var reducers: [(item: ReducerItem, body: String)] = []
    /// Extra module fields (functions, globals).
    var extra = ""
    var memory = "1"
    /// Extra imports as WAT import fields.
    var imports = ""

    static let obsTable = TableItem(name: "obs", columns: [ColumnItem("seq", .u64), ColumnItem("v", .u64)], primaryKey: 0)

    mutating func reducer(_ name: String, params: [ColumnItem] = [], lifecycle: Lifecycle = .none, _ body: String) {
        reducers.append((ReducerItem(name: name, params: params, lifecycle: lifecycle), body))
    }

    var items: [ModuleItem] { (tables + [Self.obsTable]).map { .table($0) } + reducers.map { .reducer($0.item) } }

    var wat: String {
        var data: [(Int, [UInt8])] = []
        var next = 6000
        var strings: [String: (Int, Int)] = [:]
        func place(_ bytes: [UInt8]) -> Int {
            let at = next
            data.append((at, bytes))
            next += bytes.count + 8
            return at
        }
        func expand(_ body: String) -> String {
            var out = ""
            var rest = Substring(body)
            while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
                out += rest[..<open.lowerBound]
                let text = String(rest[open.upperBound..<close.lowerBound])
                let (at, len) = strings[text] ?? (place(Array(text.utf8)), text.utf8.count)
                strings[text] = (at, len)
                out += "(i32.const \(at)) (i32.const \(len))"
                rest = rest[close.upperBound...]
            }
            return out + rest
        }
        var fields = ""
        for (i, item) in items.enumerated() {
            let bytes = item.bsatn
            let at = place(bytes)
            fields += "(func (export \"__starling_describe__\(String(format: "%03d", i))\") (drop (call $describe_item (i32.const \(at)) (i32.const \(bytes.count)))))\n"
        }
        for r in reducers {
            fields += "(func (export \"__starling_reducer__\(r.item.name)\") (param i64 i64 i64 i64 i64 i64 i64 i32) (result i32)\n\(expand(r.body)))\n"
        }
        let note = expand(
            """
            (func $note (param $v i64)
              (drop (call $table_id_from_name {{obs}} (i32.const 5000)))
              (drop (call $table_row_count (i32.load (i32.const 5000)) (i32.const 5008)))
              (i64.store (i32.const 5016) (i64.load (i32.const 5008)))
              (i64.store (i32.const 5024) (local.get $v))
              (if (call $insert (i32.load (i32.const 5000)) (i32.const 5016) (i32.const 16)) (then unreachable)))
            """)
        let extraFields = expand(extra)
        let dataFields = data.map { "(data (i32.const \($0.0)) \"\(escape($0.1))\")" }.joined(separator: "\n")
        return "(module\n\(Self.prelude)\(imports)\n(memory (export \"memory\") \(memory))\n\(note)\n\(fields)\(extraFields)\n\(dataFields))"
    }

    func wasm() throws -> [UInt8] { try wat2wasm(wat) }

    /// Imports of the whole ABI, named `$<import>`.
    static let prelude = """
          (import "starling_1.0" "table_id_from_name" (func $table_id_from_name (param i32 i32 i32) (result i32)))
          (import "starling_1.0" "index_id_from_name" (func $index_id_from_name (param i32 i32 i32) (result i32)))
          (import "starling_1.0" "table_row_count" (func $table_row_count (param i32 i32) (result i32)))
          (import "starling_1.0" "table_scan" (func $table_scan (param i32 i32) (result i32)))
          (import "starling_1.0" "index_scan_point" (func $index_scan_point (param i32 i32 i32 i32) (result i32)))
          (import "starling_1.0" "index_scan_range" (func $index_scan_range (param i32 i32 i32 i32 i32 i32) (result i32)))
          (import "starling_1.0" "row_iter_next" (func $row_iter_next (param i32 i32 i32) (result i32)))
          (import "starling_1.0" "row_iter_close" (func $row_iter_close (param i32) (result i32)))
          (import "starling_1.0" "insert" (func $insert (param i32 i32 i32) (result i32)))
          (import "starling_1.0" "update_by_index" (func $update_by_index (param i32 i32 i32) (result i32)))
          (import "starling_1.0" "delete_by_index_point" (func $delete_by_index_point (param i32 i32 i32 i32) (result i32)))
          (import "starling_1.0" "delete_by_index_range" (func $delete_by_index_range (param i32 i32 i32 i32 i32 i32) (result i32)))
          (import "starling_1.0" "delete_by_row" (func $delete_by_row (param i32 i32 i32 i32) (result i32)))
          (import "starling_1.0" "table_clear" (func $table_clear (param i32 i32) (result i32)))
          (import "starling_1.0" "reducer_args" (func $reducer_args (param i32) (result i32)))
          (import "starling_1.0" "args_buffer" (func $args_buffer (param i32 i32) (result i32)))
          (import "starling_1.0" "reducer_error" (func $reducer_error (param i32 i32) (result i32)))
          (import "starling_1.0" "describe_item" (func $describe_item (param i32 i32) (result i32)))
          (import "starling_1.0" "log" (func $log (param i32 i32 i32 i32 i32 i32)))
          (import "starling_1.0" "timer_start" (func $timer_start (param i32 i32) (result i32)))
          (import "starling_1.0" "timer_end" (func $timer_end (param i32) (result i32)))
          (import "starling_1.0" "database_identity" (func $database_identity (param i32)))
          (import "starling_1.0" "random_bytes" (func $random_bytes (param i32 i32)))

        """
}

private func escape(_ bytes: [UInt8]) -> String {
    let hex = Array("0123456789abcdef")
    var s = ""
    for b in bytes { s += "\\" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)]) }
    return s
}

/// A host and a datastore with the module's tables created.
struct Harness {
    let host: ModuleHost
    let store: Datastore
    let log: ModuleLog
    static let dbIdentity = Identity(limbs: (0x1111, 0x2222, 0x3333, 0x4444))
    static let sender = Identity(limbs: (1, 2, 3, 4))

    init(wasm: [UInt8], limits: ModuleLimits = .init()) throws {
        log = ModuleLog(capacity: 100)
        host = try ModuleHost(wasm: wasm, limits: limits, log: log, databaseIdentity: Self.dbIdentity)
        store = Datastore()
        let tx = store.begin()
        try host.createTables(in: tx)
        try tx.commit()
    }

    init(_ fixture: Fixture, limits: ModuleLimits = .init()) throws {
        try self.init(wasm: try fixture.wasm(), limits: limits)
    }

    /// Runs a reducer by name with BSATN arguments.
    @discardableResult
    func run(_ name: String, _ args: [AlgebraicValue] = [], at micros: Int64 = 1_000) throws -> ReducerOutcome {
        guard let id = host.reducerID(named: name) else { throw TestFailure("no reducer `\(name)`") }
        var w = BSATNWriter()
        for a in args { a.encode(to: &w) }
        let context = CallContext(sender: Self.sender, timestamp: Timestamp(microsSinceUnixEpoch: micros))
        return host.run(id, args: w.bytes, context: context, in: store).0
    }

    /// Inserts rows (as values) into a table, committed.
    func insert(_ table: String, _ rows: [[AlgebraicValue]]) throws {
        _ = try store.write { tx throws(StoreError) in
            let id = try tx.tableId(table)
            for r in rows { try tx.insert(id, values: r) }
        }
    }

    /// Every row of a table, decoded.
    func rows(_ table: String) throws -> [[AlgebraicValue]] {
        try store.read { tx throws(StoreError) in
            try tx.values(try tx.tableId(table)).map { v -> [AlgebraicValue] in
                guard case .product(let xs) = v else { return [] }
                return xs
            }
        }
    }

    /// The values `$note` recorded, in order.
    func notes() throws -> [UInt64] {
        try rows("obs").compactMap { r -> (UInt64, UInt64)? in
            guard case .u64(let seq) = r[0], case .u64(let v) = r[1] else { return nil }
            return (seq, v)
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Compiles `Examples/c-counter/counter.c` with clang into a temporary directory (once per run).
enum CCounter {
    static let wasm: Result<[UInt8], TestFailure> = build()

    private static func build() -> Result<[UInt8], TestFailure> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let source = root.appendingPathComponent("Examples/c-counter/counter.c").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("c-counter-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("counter.wasm").path
        let clang = ProcessInfo.processInfo.environment["CLANG"] ?? "/opt/swift/usr/bin/clang"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: clang)
        p.arguments = ["--target=wasm32", "-nostdlib", "-O2", "-Wl,--no-entry", "-Wl,--export-memory", "-o", out, source]
        let err = Pipe()
        p.standardError = err
        do { try p.run() } catch { return .failure(TestFailure("cannot run \(clang): \(error)")) }
        p.waitUntilExit()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard p.terminationStatus == 0, let bytes = FileManager.default.contents(atPath: out) else {
            return .failure(TestFailure("clang failed (\(p.terminationStatus)): \(text)"))
        }
        return .success([UInt8](bytes))
    }
}
