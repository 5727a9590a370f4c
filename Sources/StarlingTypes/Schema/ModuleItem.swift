/// One piece of a module's schema, as a module describes it to the host (see `docs/module-abi.md`,
/// "Schema items"). A module's schema is the list of items its describers write.
public enum ModuleItem: Hashable, Sendable {
    case table(TableItem)
    case reducer(ReducerItem)
    /// A row-level-security filter: `SELECT * FROM t WHERE ...` (may use `:sender`).
    case rowLevelSecurity(String)
    /// A named type, for code generation.
    case namedType(name: String, type: AlgebraicType)
    /// The default value of a table's column (tag 4; modules without defaults never write it).
    case columnDefault(ColumnDefaultItem)
}

/// The default value of one column of a table declared by the same module: what existing rows
/// receive when a module update appends the column. `value` is the BSATN of a value of the
/// column's type; the host checks it at publish.
public struct ColumnDefaultItem: Hashable, Sendable {
    public var table: String
    /// The column's position in the table.
    public var column: UInt16
    public var value: [UInt8]
    public init(table: String, column: UInt16, value: [UInt8]) {
        self.table = table
        self.column = column
        self.value = value
    }
}

/// A column: name and type.
public struct ColumnItem: Hashable, Sendable {
    public var name: String
    public var type: AlgebraicType
    public init(_ name: String, _ type: AlgebraicType) {
        self.name = name
        self.type = type
    }
}

/// An index declared by a module.
public struct IndexItem: Hashable, Sendable {
    /// Empty means "name it `<table>_<cols>_idx`".
    public var name: String
    public var algorithm: IndexAlgorithm
    public var columns: [UInt16]
    public var isUnique: Bool
    public init(name: String = "", algorithm: IndexAlgorithm = .btree, columns: [UInt16], isUnique: Bool = false) {
        self.name = name
        self.algorithm = algorithm
        self.columns = columns
        self.isUnique = isUnique
    }
}

/// A table declared by a module.
public struct TableItem: Hashable, Sendable {
    /// Makes a table's rows call a reducer at the time (or interval) in one of its columns.
    public struct Schedule: Hashable, Sendable {
        public var reducer: String
        public var atColumn: UInt16
        public init(reducer: String, atColumn: UInt16) {
            self.reducer = reducer
            self.atColumn = atColumn
        }
    }

    public var name: String
    public var columns: [ColumnItem]
    public var primaryKey: UInt16?
    public var indexes: [IndexItem]
    public var unique: [[UInt16]]
    public var autoInc: [UInt16]
    public var isPublic: Bool
    public var schedule: Schedule?

    public init(
        name: String, columns: [ColumnItem], primaryKey: UInt16? = nil, indexes: [IndexItem] = [],
        unique: [[UInt16]] = [], autoInc: [UInt16] = [], isPublic: Bool = false, schedule: Schedule? = nil
    ) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.indexes = indexes
        self.unique = unique
        self.autoInc = autoInc
        self.isPublic = isPublic
        self.schedule = schedule
    }
}

/// When the host calls a reducer by itself.
public enum Lifecycle: UInt8, Hashable, Sendable {
    /// Only when a client (or the scheduler) calls it.
    case none = 0
    /// Once, when the module is first published to a database.
    case initialize = 1
    /// When a client connects; an error refuses the connection.
    case clientConnected = 2
    /// When a client disconnects.
    case clientDisconnected = 3
}

/// A reducer declared by a module.
public struct ReducerItem: Hashable, Sendable {
    public var name: String
    public var params: [ColumnItem]
    public var lifecycle: Lifecycle
    public init(name: String, params: [ColumnItem] = [], lifecycle: Lifecycle = .none) {
        self.name = name
        self.params = params
        self.lifecycle = lifecycle
    }

    /// The arguments' type: a product of the parameters.
    public var argsType: ProductType { ProductType(params.map { .init($0.name, $0.type) }) }
}

// MARK: - BSATN

extension ModuleItem {
    /// Appends this item's BSATN.
    public func encode(to w: inout BSATNWriter) {
        switch self {
        case .table(let t):
            w.write(UInt8(0))
            t.encode(to: &w)
        case .reducer(let r):
            w.write(UInt8(1))
            r.encode(to: &w)
        case .rowLevelSecurity(let sql):
            w.write(UInt8(2))
            w.write(sql)
        case .namedType(let name, let type):
            w.write(UInt8(3))
            w.write(name)
            type.encode(to: &w)
        case .columnDefault(let d):
            w.write(UInt8(4))
            w.write(d.table)
            w.write(d.column)
            w.writeBytes(d.value)
        }
    }

    /// This item's BSATN.
    public var bsatn: [UInt8] {
        var w = BSATNWriter()
        encode(to: &w)
        return w.bytes
    }

    /// Decodes exactly one item (trailing bytes are an error).
    public static func decode(from bytes: some ContiguousBytes) throws(BSATNError) -> ModuleItem {
        try bytes.withBytes { (buf: UnsafeRawBufferPointer) throws(BSATNError) -> ModuleItem in
            var r = BSATNReader(buf)
            let item = try decode(from: &r)
            try r.expectEnd()
            return item
        }
    }

    /// Reads one item.
    public static func decode(from r: inout BSATNReader) throws(BSATNError) -> ModuleItem {
        let at = r.position
        switch try r.readU8() {
        case 0: return .table(try TableItem.decode(from: &r))
        case 1: return .reducer(try ReducerItem.decode(from: &r))
        case 2: return .rowLevelSecurity(try r.readString())
        case 3:
            let name = try r.readString()
            return .namedType(name: name, type: try AlgebraicType.decode(from: &r))
        case 4:
            let table = try r.readString()
            let column = try r.readLE(UInt16.self)
            return .columnDefault(ColumnDefaultItem(table: table, column: column, value: try r.readBytes()))
        case let tag: throw BSATNError(.invalidTag, "invalid module item tag \(tag)", offset: at)
        }
    }
}

extension ColumnItem {
    func encode(to w: inout BSATNWriter) {
        w.write(name)
        type.encode(to: &w)
    }

    static func decode(from r: inout BSATNReader) throws(BSATNError) -> ColumnItem {
        let name = try r.readString()
        return ColumnItem(name, try AlgebraicType.decode(from: &r))
    }
}

extension TableItem {
    func encode(to w: inout BSATNWriter) {
        w.write(name)
        w.writeLength(columns.count)
        for c in columns { c.encode(to: &w) }
        writeOptional(primaryKey, to: &w)
        w.writeLength(indexes.count)
        for i in indexes {
            w.write(i.name)
            w.write(i.algorithm == .btree ? UInt8(0) : UInt8(1))
            writePositions(i.columns, to: &w)
            w.write(i.isUnique)
        }
        w.writeLength(unique.count)
        for u in unique { writePositions(u, to: &w) }
        writePositions(autoInc, to: &w)
        w.write(isPublic)
        if let schedule {
            w.write(UInt8(0))
            w.write(schedule.reducer)
            w.write(schedule.atColumn)
        } else {
            w.write(UInt8(1))
        }
    }

    static func decode(from r: inout BSATNReader) throws(BSATNError) -> TableItem {
        let name = try r.readString()
        var columns: [ColumnItem] = []
        for _ in 0..<(try r.readLength(minElementSize: 5)) { columns.append(try ColumnItem.decode(from: &r)) }
        let primaryKey = try readOptionalU16(from: &r)
        var indexes: [IndexItem] = []
        for _ in 0..<(try r.readLength(minElementSize: 10)) {
            let indexName = try r.readString()
            let at = r.position
            let algorithm: IndexAlgorithm
            switch try r.readU8() {
            case 0: algorithm = .btree
            case 1: algorithm = .hash
            case let tag: throw BSATNError(.invalidTag, "invalid index algorithm \(tag)", offset: at)
            }
            let cols = try readPositions(from: &r)
            indexes.append(IndexItem(name: indexName, algorithm: algorithm, columns: cols, isUnique: try r.readBool()))
        }
        var unique: [[UInt16]] = []
        for _ in 0..<(try r.readLength(minElementSize: 4)) { unique.append(try readPositions(from: &r)) }
        let autoInc = try readPositions(from: &r)
        let isPublic = try r.readBool()
        let at = r.position
        var schedule: Schedule?
        switch try r.readU8() {
        case 0:
            let reducer = try r.readString()
            schedule = Schedule(reducer: reducer, atColumn: try r.readLE(UInt16.self))
        case 1: schedule = nil
        case let tag: throw BSATNError(.invalidTag, "invalid option tag \(tag)", offset: at)
        }
        return TableItem(
            name: name, columns: columns, primaryKey: primaryKey, indexes: indexes, unique: unique, autoInc: autoInc,
            isPublic: isPublic, schedule: schedule)
    }
}

extension ReducerItem {
    func encode(to w: inout BSATNWriter) {
        w.write(name)
        w.writeLength(params.count)
        for p in params { p.encode(to: &w) }
        w.write(lifecycle.rawValue)
    }

    static func decode(from r: inout BSATNReader) throws(BSATNError) -> ReducerItem {
        let name = try r.readString()
        var params: [ColumnItem] = []
        for _ in 0..<(try r.readLength(minElementSize: 5)) { params.append(try ColumnItem.decode(from: &r)) }
        let at = r.position
        let raw = try r.readU8()
        guard let lifecycle = Lifecycle(rawValue: raw) else {
            throw BSATNError(.invalidTag, "invalid lifecycle \(raw)", offset: at)
        }
        return ReducerItem(name: name, params: params, lifecycle: lifecycle)
    }
}

private func writeOptional(_ v: UInt16?, to w: inout BSATNWriter) {
    if let v {
        w.write(UInt8(0))
        w.write(v)
    } else {
        w.write(UInt8(1))
    }
}

private func readOptionalU16(from r: inout BSATNReader) throws(BSATNError) -> UInt16? {
    let at = r.position
    switch try r.readU8() {
    case 0: return try r.readLE(UInt16.self)
    case 1: return nil
    case let tag: throw BSATNError(.invalidTag, "invalid option tag \(tag)", offset: at)
    }
}

private func writePositions(_ p: [UInt16], to w: inout BSATNWriter) {
    w.writeLength(p.count)
    for c in p { w.write(c) }
}

private func readPositions(from r: inout BSATNReader) throws(BSATNError) -> [UInt16] {
    var out: [UInt16] = []
    for _ in 0..<(try r.readLength(minElementSize: 2)) { out.append(try r.readLE(UInt16.self)) }
    return out
}
