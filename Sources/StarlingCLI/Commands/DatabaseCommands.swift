import ArgumentParser
import StarlingTypes

/// `starling describe`: a database's tables and reducers.
struct DescribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "describe", abstract: "Show a database's tables and reducers.")

    @Argument(help: "The database.") var database: String
    @Flag(name: .long, help: "Print the schema as JSON.") var json = false
    @OptionGroup var server: ServerOption

    func run() async throws {
        let c = try await server.connect(identity: false)
        let schema = try await c.json("GET", "/v1/database/\(ServerConnection.segment(database))/schema")
        if json {
            print(schema.text)
            return
        }
        for t in schema["tables"]?.arrayValue ?? [] {
            let name = t["name"]?.stringValue ?? "?"
            print("table \(name) (\(t["access"]?.stringValue ?? "public"))")
            let pk = t["primary_key"]?.stringValue
            for col in t["columns"]?.arrayValue ?? [] {
                let n = col["name"]?.stringValue ?? "?"
                let initial = col["default"].map { " = \($0.text)" } ?? ""
                print("  \(n): \(col["type"]?.stringValue ?? "?")\(initial)" + (n == pk ? "  [primary key]" : ""))
            }
            for ix in t["indexes"]?.arrayValue ?? [] {
                let cols = ix["columns"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? ""
                let unique = ix["unique"]?.boolValue == true ? "unique " : ""
                print("  index \(ix["name"]?.stringValue ?? "?"): \(unique)\(ix["algorithm"]?.stringValue ?? "") (\(cols))")
            }
        }
        for r in schema["reducers"]?.arrayValue ?? [] {
            let params = r["params"]?.arrayValue?.map { "\($0["name"]?.stringValue ?? "?"): \($0["type"]?.stringValue ?? "?")" } ?? []
            let lifecycle = r["lifecycle"]?.stringValue.map { "  [\($0)]" } ?? ""
            print("reducer \(r["name"]?.stringValue ?? "?")(\(params.joined(separator: ", ")))\(lifecycle)")
        }
    }
}

/// `starling list`: the databases on a server.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the databases on a server (yours marked *).")

    @OptionGroup var server: ServerOption

    func run() async throws {
        let c = try await server.connect()
        let me = try CLIConfig.load().identities[c.baseURL]?.identity
        let all = try await c.json("GET", "/v1/database").arrayValue ?? []
        if all.isEmpty { note("no databases on \(c.baseURL)") }
        for db in all {
            let mine = db["owner_identity"]?.stringValue == me
            print("\(mine ? "*" : " ") \(db["name"]?.stringValue ?? "?")  \(db["identity"]?.stringValue ?? "")")
        }
    }
}

/// `starling delete`: deletes a database and its data (owner only).
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a database and all its data (owner only).")

    @Argument(help: "The database.") var database: String
    @OptionGroup var server: ServerOption

    func run() async throws {
        let c = try await server.connect()
        try await c.send("DELETE", "/v1/database/\(ServerConnection.segment(database))")
        print("deleted database `\(database)`")
    }
}
