import WasmKit

/// One import of the `starling_1.0` namespace: its signature and how it is served.
struct HostImport: Sendable {
    typealias Body = @Sendable (HostContext, UnsafeBufferPointer<Value>, UnsafeMutableBufferPointer<Value>) throws -> Void

    let name: String
    let parameters: [ValueType]
    let results: [ValueType]
    let body: Body

    /// The namespace every import of a module must come from.
    static let namespace = "starling_1.0"

    init(_ name: String, params: Int, returnsCode: Bool = true, _ body: @escaping Body) {
        self.name = name
        parameters = Array(repeating: .i32, count: params)
        results = returnsCode ? [.i32] : []
        self.body = body
    }

    var type: FunctionType { FunctionType(parameters: parameters, results: results) }

    /// The import with this name, if the ABI has one.
    static func named(_ name: String) -> HostImport? { all.first { $0.name == name } }

    /// Every import of the ABI (see `docs/module-abi.md`, "Imports").
    static let all: [HostImport] = [
        HostImport("table_id_from_name", params: 3) { c, p, r in
            r[0] = code(try c.tableIdFromName(c.view("table_id_from_name"), p[0].i32, p[1].i32, p[2].i32))
        },
        HostImport("index_id_from_name", params: 3) { c, p, r in
            r[0] = code(try c.indexIdFromName(c.view("index_id_from_name"), p[0].i32, p[1].i32, p[2].i32))
        },
        HostImport("table_row_count", params: 2) { c, p, r in
            r[0] = code(try c.tableRowCount(c.view("table_row_count"), p[0].i32, p[1].i32))
        },
        HostImport("table_scan", params: 2) { c, p, r in
            r[0] = code(try c.tableScan(c.view("table_scan"), p[0].i32, p[1].i32))
        },
        HostImport("index_scan_point", params: 4) { c, p, r in
            r[0] = code(try c.indexScanPoint(c.view("index_scan_point"), p[0].i32, p[1].i32, p[2].i32, p[3].i32))
        },
        HostImport("index_find", params: 5) { c, p, r in
            r[0] = code(try c.indexFind(c.view("index_find"), p[0].i32, p[1].i32, p[2].i32, p[3].i32, p[4].i32))
        },
        HostImport("index_scan_range", params: 6) { c, p, r in
            r[0] = code(
                try c.indexScanRange(
                    c.view("index_scan_range"), p[0].i32, p[1].i32, p[2].i32, p[3].i32, p[4].i32, p[5].i32))
        },
        HostImport("row_iter_next", params: 3) { c, p, r in
            r[0] = code(try c.rowIterNext(c.view("row_iter_next"), p[0].i32, p[1].i32, p[2].i32))
        },
        HostImport("row_iter_close", params: 1) { c, p, r in
            r[0] = code(c.rowIterClose(p[0].i32))
        },
        HostImport("insert", params: 3) { c, p, r in
            r[0] = code(try c.insert(c.view("insert"), p[0].i32, p[1].i32, p[2].i32))
        },
        HostImport("update_by_index", params: 3) { c, p, r in
            r[0] = code(try c.updateByIndex(c.view("update_by_index"), p[0].i32, p[1].i32, p[2].i32))
        },
        HostImport("delete_by_index_point", params: 4) { c, p, r in
            r[0] = code(
                try c.deleteByIndexPoint(c.view("delete_by_index_point"), p[0].i32, p[1].i32, p[2].i32, p[3].i32))
        },
        HostImport("delete_by_index_range", params: 6) { c, p, r in
            r[0] = code(
                try c.deleteByIndexRange(
                    c.view("delete_by_index_range"), p[0].i32, p[1].i32, p[2].i32, p[3].i32, p[4].i32, p[5].i32))
        },
        HostImport("delete_by_row", params: 4) { c, p, r in
            r[0] = code(try c.deleteByRow(c.view("delete_by_row"), p[0].i32, p[1].i32, p[2].i32, p[3].i32))
        },
        HostImport("table_clear", params: 2) { c, p, r in
            r[0] = code(try c.tableClear(c.view("table_clear"), p[0].i32, p[1].i32))
        },
        HostImport("reducer_args", params: 1) { c, p, r in
            r[0] = code(try c.reducerArgs(c.view("reducer_args"), p[0].i32))
        },
        HostImport("args_buffer", params: 2) { c, p, r in
            r[0] = code(try c.registerArgsBuffer(c.view("args_buffer"), p[0].i32, p[1].i32))
        },
        HostImport("reducer_error", params: 2) { c, p, r in
            r[0] = code(try c.reducerError(c.view("reducer_error"), p[0].i32, p[1].i32))
        },
        HostImport("describe_item", params: 2) { c, p, r in
            r[0] = code(try c.describeItem(c.view("describe_item"), p[0].i32, p[1].i32))
        },
        HostImport("log", params: 6, returnsCode: false) { c, p, _ in
            try c.logRecord(c.view("log"), p[0].i32, p[1].i32, p[2].i32, p[3].i32, p[4].i32, p[5].i32)
        },
        HostImport("timer_start", params: 2) { c, p, r in
            r[0] = .i32(try c.timerStart(c.view("timer_start"), p[0].i32, p[1].i32))
        },
        HostImport("timer_end", params: 1) { c, p, r in
            r[0] = code(c.timerEnd(p[0].i32))
        },
        HostImport("database_identity", params: 1, returnsCode: false) { c, p, _ in
            try c.writeDatabaseIdentity(c.view("database_identity"), p[0].i32)
        },
        HostImport("random_bytes", params: 2, returnsCode: false) { c, p, _ in
            try c.randomBytes(c.view("random_bytes"), p[0].i32, p[1].i32)
        },
    ]
}

@inline(__always) private func code(_ c: ABIErrorCode) -> Value { .i32(UInt32(bitPattern: c.rawValue)) }

extension HostContext {
    /// The import functions, allocated in `store` and bound to this context.
    func imports(in store: Store) -> Imports {
        var imports = Imports()
        // A strong capture: the store (which holds these closures) does not own the context, so
        // there is no cycle, and calls pay no unowned-reference checks.
        let context = self
        for def in HostImport.all {
            let body = def.body
            let fn = Function(store: store, parameters: def.parameters, results: def.results, raw: { _, p, r in
                try body(context, p, r)
            })
            imports.define(module: HostImport.namespace, name: def.name, fn)
        }
        return imports
    }
}
