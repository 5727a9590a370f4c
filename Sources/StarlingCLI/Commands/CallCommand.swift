import ArgumentParser
import StarlingTypes

/// `starling call`: calls a reducer over HTTP.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a reducer.",
        discussion: """
            Each argument is a JSON value (`42`, `"ann"`, `[1,2]`, `{"some": 3}`); where the reducer \
            expects a string, a bare word is taken as that string: `starling call chat send_message hello`.
            """
    )

    @Argument(help: "The database.") var database: String
    @Argument(help: "The reducer.") var reducer: String
    @Argument(parsing: .allUnrecognized, help: "The arguments, one JSON value each.") var arguments: [String] = []
    @OptionGroup var server: ServerOption

    func run() async throws {
        let c = try await server.connect()
        let db = ServerConnection.segment(database)
        let schema = try await c.json("GET", "/v1/database/\(db)/schema")
        guard let params = schema["reducers"]?.arrayValue?.first(where: { $0["name"]?.stringValue == reducer })?["params"]?.arrayValue else {
            let names = schema["reducers"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            throw CLIError("no reducer `\(reducer)` in `\(database)` (reducers: \(names.joined(separator: ", ")))")
        }
        if arguments.count != params.count {
            let list = params.map { "\($0["name"]?.stringValue ?? "?"): \($0["type"]?.stringValue ?? "?")" }.joined(separator: ", ")
            throw CLIError("`\(reducer)` takes \(params.count) argument\(params.count == 1 ? "" : "s") (\(list)), got \(arguments.count)")
        }
        var values: [JSONValue] = []
        for (i, text) in arguments.enumerated() {
            let wantsString = i < params.count && params[i]["type"]?.stringValue == "string"
            if let v = try? JSONValue.parse(text), !(wantsString && v.stringValue == nil) {
                values.append(v)
            } else if wantsString {
                values.append(.string(text))
            } else {
                throw CLIError("argument \(i + 1) (`\(text)`) is not a JSON value")
            }
        }
        try await c.send("POST", "/v1/database/\(db)/call/\(ServerConnection.segment(reducer))", body: JSONValue.array(values).utf8)
    }
}
