public import StarlingTypes
import StarlingNetClient

/// A column of a table or a parameter of a reducer.
public struct ColumnInfo: Sendable, Hashable {
    /// The column's name as the module declared it (snake_case).
    public var name: String
    /// Its type.
    public var type: AlgebraicType

    /// Creates a column.
    public init(name: String, type: AlgebraicType) {
        self.name = name
        self.type = type
    }
}

/// One table of a database's schema, as the client needs it.
public struct TableInfo: Sendable, Hashable {
    /// The table's name.
    public var name: String
    /// Whether every client may read it (`false`: the owner only).
    public var isPublic: Bool
    /// The columns, in row order.
    public var columns: [ColumnInfo]
    /// The position of the primary-key column, if the table has one.
    public var primaryKey: Int?
    /// Positions of the columns with a single-column unique index (the primary key included).
    public var uniqueColumns: [Int]

    /// Creates a table description.
    public init(name: String, isPublic: Bool, columns: [ColumnInfo], primaryKey: Int?, uniqueColumns: [Int]) {
        self.name = name
        self.isPublic = isPublic
        self.columns = columns
        self.primaryKey = primaryKey
        self.uniqueColumns = uniqueColumns
    }

    /// The row type: the product of the columns.
    public var rowType: ProductType { ProductType(columns.map { .init($0.name, $0.type) }) }

    /// The position of the column named `name`.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }
}

/// One reducer of a database's schema.
public struct ReducerInfo: Sendable, Hashable {
    /// The reducer's name.
    public var name: String
    /// Its parameters, in call order.
    public var params: [ColumnInfo]
    /// `init`, `client_connected` or `client_disconnected` for lifecycle reducers (which
    /// clients cannot call); nil for ordinary ones.
    public var lifecycle: String?

    /// Creates a reducer description.
    public init(name: String, params: [ColumnInfo], lifecycle: String?) {
        self.name = name
        self.params = params
        self.lifecycle = lifecycle
    }

    /// The arguments' type: the product of the parameters.
    public var argsType: ProductType { ProductType(params.map { .init($0.name, $0.type) }) }
}

/// A database's schema as `GET /v1/database/:name/schema` describes it: tables (row types,
/// primary keys, unique columns) and reducers (parameter types). Loaded on every (re)connect.
public struct DatabaseSchema: Sendable, Hashable {
    /// The tables in schema order.
    public var tables: [TableInfo]
    /// The reducers in schema order.
    public var reducers: [ReducerInfo]

    /// Creates a schema from its parts.
    public init(tables: [TableInfo], reducers: [ReducerInfo]) {
        self.tables = tables
        self.reducers = reducers
    }

    /// Reads the schema JSON.
    public init(json: JSONValue) throws(StarlingError) {
        var tables: [TableInfo] = []
        for t in json["tables"]?.arrayValue ?? [] {
            guard let name = t["name"]?.stringValue else { throw Self.malformed("a table without a name") }
            let columns = try Self.columns(t["columns"], of: "table `\(name)`")
            let pk = t["primary_key"]?.stringValue.flatMap { pk in columns.firstIndex { $0.name == pk } }
            var unique: [Int] = pk.map { [$0] } ?? []
            for ix in t["indexes"]?.arrayValue ?? [] where ix["unique"]?.boolValue == true {
                let cols = ix["columns"]?.arrayValue?.compactMap(\.stringValue) ?? []
                if cols.count == 1, let c = columns.firstIndex(where: { $0.name == cols[0] }), !unique.contains(c) { unique.append(c) }
            }
            tables.append(
                TableInfo(
                    name: name, isPublic: t["access"]?.stringValue != "private", columns: columns, primaryKey: pk,
                    uniqueColumns: unique))
        }
        var reducers: [ReducerInfo] = []
        for r in json["reducers"]?.arrayValue ?? [] {
            guard let name = r["name"]?.stringValue else { throw Self.malformed("a reducer without a name") }
            reducers.append(
                ReducerInfo(name: name, params: try Self.columns(r["params"], of: "reducer `\(name)`"), lifecycle: r["lifecycle"]?.stringValue))
        }
        self.init(tables: tables, reducers: reducers)
    }

    private static func columns(_ json: JSONValue?, of owner: String) throws(StarlingError) -> [ColumnInfo] {
        var out: [ColumnInfo] = []
        for c in json?.arrayValue ?? [] {
            guard let name = c["name"]?.stringValue, let type = c["type"]?.stringValue else {
                throw malformed("a column or parameter of \(owner) without a name or type")
            }
            out.append(ColumnInfo(name: name, type: try TypeString.parse(type)))
        }
        return out
    }

    private static func malformed(_ what: String) -> StarlingError {
        StarlingError(.protocolError, "the schema JSON is malformed: \(what)")
    }

    /// The table named `name`.
    public func table(_ name: String) throws(StarlingError) -> TableInfo {
        guard let t = tables.first(where: { $0.name == name }) else {
            let names = tables.map(\.name).joined(separator: ", ")
            throw StarlingError(.schemaMismatch, "no table `\(name)` in the schema (tables: \(names.isEmpty ? "none" : names))")
        }
        return t
    }

    /// The reducer named `name`.
    public func reducer(_ name: String) throws(StarlingError) -> ReducerInfo {
        guard let r = reducers.first(where: { $0.name == name }) else {
            let names = reducers.map(\.name).joined(separator: ", ")
            throw StarlingError(.unknownReducer, "no reducer `\(name)` in the schema (reducers: \(names.isEmpty ? "none" : names))")
        }
        return r
    }
}

/// The HTTP side of the protocol the client uses: minting identities and loading schemas.
enum ServerHTTP {
    /// `POST /v1/identity`: a new identity and its token.
    static func mintIdentity(baseURL: String, options: ConnectionOptions) async throws(StarlingError) -> (identity: Identity, token: String) {
        let json = try await requestJSON("POST", baseURL + "/v1/identity", token: nil, options: options)
        guard let hex = json["identity"]?.stringValue, let identity = Identity(hex: hex), let token = json["token"]?.stringValue else {
            throw StarlingError(.protocolError, "POST /v1/identity answered with something that is not an identity: \(json.briefDescription)")
        }
        return (identity, token)
    }

    /// `GET /v1/database/:name/schema`.
    static func schema(baseURL: String, database: String, token: String?, options: ConnectionOptions) async throws(StarlingError) -> DatabaseSchema {
        try DatabaseSchema(json: try await requestJSON("GET", baseURL + "/v1/database/\(pathSegment(database))/schema", token: token, options: options))
    }

    /// `connectTimeout` limits the request; `caFile` applies to `https://` URLs.
    static func requestJSON(_ method: String, _ url: String, token: String?, options: ConnectionOptions) async throws(StarlingError) -> JSONValue {
        let response: HTTPResponse
        do {
            response = try await HTTPClient.request(
                method, url: url, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [], timeout: options.connectTimeout,
                tls: options.tlsOptions)
        } catch {
            throw StarlingError(.connectFailed, "\(method) \(url) failed: \(error.message)")
        }
        guard response.isSuccess else {
            let body = response.text.trimmingWhitespace
            throw StarlingError(
                .httpError, "\(method) \(url) failed with HTTP \(response.status)\(body.isEmpty ? "" : ": \(body)")",
                reason: body.isEmpty ? nil : body, httpStatus: response.status)
        }
        do {
            return try JSONValue.parse(utf8: response.body)
        } catch {
            throw StarlingError(.protocolError, "\(method) \(url) answered with invalid JSON: \(error)")
        }
    }

    /// Percent-encodes one path segment (everything but unreserved characters).
    static func pathSegment(_ s: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in s.utf8 {
            let unreserved = (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E || b == 0x7E
            if unreserved {
                out.append(b)
            } else {
                out += [0x25, hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    var trimmingWhitespace: String {
        let ws: Set<Character> = [" ", "\t", "\n", "\r"]
        guard let first = firstIndex(where: { !ws.contains($0) }), let last = lastIndex(where: { !ws.contains($0) }) else { return "" }
        return String(self[first...last])
    }
}
