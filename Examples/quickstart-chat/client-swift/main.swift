// The quickstart's terminal chat client: talks to the `quickstart-chat` module through the
// StarlingClient SDK and the bindings `starling generate --lang swift` wrote (StarlingBindings.swift).
//
//   quickstart-chat-client --server http://127.0.0.1:3000 --database quickstart-chat [--token-file chat.token]
//
// Prints the last messages and then new ones as `name: text`, and users coming online and going
// offline. Reads lines from stdin: `/name NEW` sets your name, `/quit` (or end of input) leaves,
// anything else is sent as a message.
import Foundation
import StarlingClient

/// Command-line options.
struct Options {
    var server = "http://127.0.0.1:3000"
    var database = "quickstart-chat"
    var tokenFile: String?
    var history = 20

    static let usage = """
        usage: quickstart-chat-client --server URL --database NAME [--token-file PATH] [--history N]

          --server URL        the Starling server (default http://127.0.0.1:3000)
          --database NAME     the chat database (default quickstart-chat)
          --token-file PATH   keep your identity: read the token from PATH, write it back after connecting
          --history N         how many earlier messages to show (default 20)

        Type a line to send it; `/name NEW` sets your name; `/quit` or end of input leaves.
        """

    static func parse(_ args: [String]) throws -> Options {
        var o = Options()
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw UsageError("\(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--server", "-s": o.server = try value()
            case "--database", "-d": o.database = try value()
            case "--token-file": o.tokenFile = try value()
            case "--history":
                guard let n = Int(try value()), n >= 0 else { throw UsageError("--history takes a count") }
                o.history = n
            case "--help", "-h":
                print(usage)
                exit(0)
            default: throw UsageError("unknown argument `\(args[i])`")
            }
            i += 1
        }
        return o
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Writes one line to stdout unbuffered (stdout is a pipe when the client is scripted).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// The name to show for a user: their chosen name, or the start of their identity.
func displayName(_ identity: Identity, _ conn: StarlingConnection) -> String {
    conn.db.user.find(identity: identity)?.name ?? String(identity.hexString.prefix(8))
}

func displayName(_ user: User) -> String {
    user.name ?? String(user.identity.hexString.prefix(8))
}

/// Shows messages, renames and users coming and going as they happen.
func follow(_ conn: StarlingConnection) {
    conn.db.message.onInsert { message, ctx in
        // The initial rows are printed sorted once the subscription is applied.
        guard ctx.kind != .subscribeApplied else { return }
        say("\(displayName(message.sender, conn)): \(message.text)")
    }
    conn.db.user.onInsert { user, ctx in
        guard ctx.kind != .subscribeApplied, user.online, user.identity != conn.identity else { return }
        say("* \(displayName(user)) is online")
    }
    conn.db.user.onUpdate { old, new, _ in
        if old.name != new.name {
            say("* \(displayName(old)) is now known as \(displayName(new))")
        }
        if old.online != new.online && new.identity != conn.identity {
            say("* \(displayName(new)) is \(new.online ? "online" : "offline")")
        }
    }
    conn.onEvent { event in
        switch event {
        case .disconnected(let error, let willReconnect):
            say("* disconnected (\(error.message))" + (willReconnect ? "; reconnecting..." : ""))
        case .connected(let info) where info.reconnected:
            say("* reconnected")
        case .error(let error):
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        default:
            break
        }
    }
}

/// Lines from stdin, read on a thread of their own (reading blocks).
func inputLines() -> AsyncStream<String> {
    AsyncStream { continuation in
        let thread = Thread {
            while let line = readLine(strippingNewline: true) { continuation.yield(line) }
            continuation.finish()
        }
        thread.start()
    }
}

/// Handles one typed line; false to quit.
func handle(_ line: String, _ conn: StarlingConnection) async -> Bool {
    let text = line.trimmingCharacters(in: .whitespaces)
    if text.isEmpty { return true }
    if text == "/quit" { return false }
    do {
        if text.hasPrefix("/name") {
            let name = text.dropFirst(5).trimmingCharacters(in: .whitespaces)
            try await conn.reducers.setName(name: name)
        } else {
            try await conn.reducers.sendMessage(text: text)
        }
    } catch {
        say("! \(error.reason ?? error.message)")
    }
    return true
}

func run() async -> Int32 {
    let options: Options
    do {
        options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
    } catch {
        FileHandle.standardError.write(Data("\(error)\n\n\(Options.usage)\n".utf8))
        return 2
    }
    let saved = options.tokenFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }?.trimmingCharacters(in: .whitespacesAndNewlines)
    let conn: StarlingConnection
    do {
        conn = try await StarlingConnection.connect(to: options.server, database: options.database, token: saved?.isEmpty == false ? saved : nil)
        try conn.db.verify()
    } catch {
        FileHandle.standardError.write(Data("cannot connect: \(error.message)\n".utf8))
        return 1
    }
    if let path = options.tokenFile {
        do { try conn.token.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            FileHandle.standardError.write(Data("cannot save the token to \(path): \(error.localizedDescription)\n".utf8))
        }
    }
    follow(conn)
    do {
        _ = try await conn.subscribe(RemoteTables.allPublicQueries)
    } catch {
        FileHandle.standardError.write(Data("cannot subscribe: \(error.message)\n".utf8))
        await conn.close()
        return 1
    }
    let earlier = conn.db.message.rows.sorted { $0.sent < $1.sent }.suffix(options.history)
    for m in earlier { say("\(displayName(m.sender, conn)): \(m.text)") }
    let online = conn.db.user.rows.filter { $0.online && $0.identity != conn.identity }.map(displayName).sorted()
    say("* connected as \(displayName(conn.identity, conn)); online: \(online.isEmpty ? "nobody else" : online.joined(separator: ", "))")
    for await line in inputLines() {
        guard await handle(line, conn) else { break }
    }
    await conn.close()
    return 0
}

exit(await run())
