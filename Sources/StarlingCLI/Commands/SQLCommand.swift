import ArgumentParser
import Foundation
import StarlingNetClient
import StarlingTypes

/// `starling sql`: runs SQL and prints aligned tables (or the server's JSON).
struct SQLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql", abstract: "Run SQL against a database (SELECT for everyone; INSERT/UPDATE/DELETE for the owner).")

    @Argument(help: "The database.") var database: String
    @Argument(help: "The SQL; several statements separated by `;`.") var query: String
    @Flag(name: .long, help: "Print the server's JSON answer as is.") var json = false
    @OptionGroup var server: ServerOption

    func run() async throws {
        let c = try await server.connect()
        let r = try await c.send("POST", "/v1/database/\(ServerConnection.segment(database))/sql", body: Array(query.utf8))
        if json {
            print(r.text.trimmingCharacters(in: .newlines))
            return
        }
        guard let results = (try? JSONValue.parse(utf8: r.body))?.arrayValue else { throw CLIError("the server's answer is not a JSON array") }
        for (i, result) in results.enumerated() {
            if i > 0 { print("") }
            print(TableRenderer.render(result), terminator: "")
        }
    }
}

/// Renders one SQL result (`{"schema": [...], "rows": [...]}`) as an aligned text table like psql.
enum TableRenderer {
    static func render(_ result: JSONValue) -> String {
        let columns = result["schema"]?.arrayValue?.map { $0["name"]?.stringValue ?? "?" } ?? []
        let rows = result["rows"]?.arrayValue?.map { $0.arrayValue?.map(cell) ?? [] } ?? []
        if columns.isEmpty {
            if let n = result["affected_rows"]?.numberText { return "\(n) row\(n == "1" ? "" : "s") affected\n" }
            return "OK\n"
        }
        var widths = columns.map(\.count)
        for row in rows { for (i, v) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], v.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, v in " " + v + String(repeating: " ", count: widths[i] - v.count) + " " }.joined(separator: "|")
                .replacing(/\s+$/, with: "")
        }
        var out = line(columns) + "\n"
        out += widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "\n"
        for row in rows { out += line(row + Array(repeating: "", count: max(0, columns.count - row.count))) + "\n" }
        out += "(\(rows.count) row\(rows.count == 1 ? "" : "s"))\n"
        return out
    }

    private static func cell(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): s
        case .null: ""
        default: v.text
        }
    }
}
