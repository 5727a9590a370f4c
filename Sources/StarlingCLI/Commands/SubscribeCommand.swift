import ArgumentParser
import Foundation
import StarlingNetClient
import StarlingProtocol
import StarlingTypes

/// `starling subscribe`: subscribes to queries and prints each message as one JSON line.
struct SubscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "Subscribe to SQL queries and print every update as a JSON line.",
        discussion: """
            Prints one JSON line per TransactionUpdate (and the SubscribeApplied with its rows with \
            --print-initial-update). Exits 0 after -n updates; exits non-zero if -t seconds pass first.
            """
    )

    @Argument(help: "The database.") var database: String
    @Argument(help: "One or more queries, e.g. \"SELECT * FROM player\".") var queries: [String]
    @Option(name: [.short, .customLong("num-updates")], help: "Exit after this many transaction updates.") var n: Int?
    @Option(name: [.short, .customLong("timeout")], help: "Give up (non-zero exit) after this many seconds.") var t: Double?
    @Flag(name: .customLong("print-initial-update"), help: "Also print the initial rows (SubscribeApplied).") var printInitialUpdate = false
    @Flag(help: "Show only transactions that are durable (confirmed reads): with --fsync batch, updates come after their fsync.")
    var confirmed = false
    @OptionGroup var server: ServerOption

    func run() async throws {
        let c = try await server.connect()
        let url = c.webSocketURL("/v1/database/\(ServerConnection.segment(database))/subscribe" + (confirmed ? "?confirmed=true" : ""))
        let ws: WebSocketConnection
        do {
            ws = try await WebSocketClient.connect(url: url, subprotocol: WireFormat.json.subprotocol, headers: c.webSocketHeaders, tls: c.tls)
        } catch {
            throw CLIError(error.message)
        }
        let subscribe = ClientMessage.subscribe(requestId: 1, queryId: 1, queries: queries)
        try await ws.send(text: subscribe.json.text)
        let limit = n
        let work = Task { () throws -> Void in try await Self.printUpdates(ws, limit: limit, initial: printInitialUpdate) }
        if let t {
            let timer = Task {
                try await Task.sleep(for: .milliseconds(Int(t * 1000)))
                work.cancel()
                try? await ws.close(code: .normalClosure, reason: "")
            }
            defer { timer.cancel() }
            do { try await work.value } catch is CancellationError {
                throw CLIError("timed out after \(t) s")
            }
        } else {
            try await work.value
        }
        try? await ws.close(code: .normalClosure, reason: "")
    }

    private static func printUpdates(_ ws: WebSocketConnection, limit: Int?, initial: Bool) async throws {
        var updates = 0
        if limit == 0 { return }
        do {
            for try await message in ws.messages {
                try Task.checkCancellation()
                guard case .text(let text) = message, let json = try? JSONValue.parse(text), let kind = json.objectMembers?.first?.key else {
                    continue
                }
                switch kind {
                case "SubscribeApplied": if initial { emit(text) }
                case "SubscriptionError":
                    throw CLIError("subscription failed: \(json[kind]?["error"]?.stringValue ?? text)")
                case "TransactionUpdate":
                    emit(text)
                    updates += 1
                    if let limit, updates >= limit { return }
                default: break
                }
            }
        } catch let e as NetError {
            throw CLIError("connection lost: \(e.message)")
        }
        try Task.checkCancellation()
        let why = ws.closeInfo.map { "\($0.code) \($0.reason)" } ?? "no close frame"
        throw CLIError("the server closed the subscription (\(why))")
    }

    private static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
