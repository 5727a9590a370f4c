import ArgumentParser
import Foundation
import StarlingNetClient

/// `starling logs`: prints (and follows) a database's module log. Owner only.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a database's module log (owner only).")

    @Argument(help: "The database.") var database: String
    @Option(name: [.short, .customLong("num-lines")], help: "How many of the last lines to print.") var n = 100
    @Flag(name: [.short, .long], help: "Keep printing new lines as they come.") var follow = false
    @OptionGroup var server: ServerOption

    func run() async throws {
        let c = try await server.connect()
        let path = "/v1/database/\(ServerConnection.segment(database))/logs?num_lines=\(n)"
        guard follow else {
            let r = try await c.send("GET", path)
            FileHandle.standardOutput.write(Data(r.body))
            return
        }
        let stream = try await c.stream(path + "&follow=true")
        do {
            for try await chunk in stream.body { FileHandle.standardOutput.write(Data(chunk)) }
        } catch {
            throw CLIError("the log stream ended: \(error.message)")
        }
    }
}
