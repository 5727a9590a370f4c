import ArgumentParser

/// `-s/--server` for every verb that talks to a server.
struct ServerOption: ParsableArguments {
    @Option(name: [.short, .long], help: "Server URL or configured name (default: the default server, else http://127.0.0.1:3000).")
    var server: String?

    /// The connection, with an identity (obtained from the server and saved if there is none yet).
    func connect(identity: Bool = true) async throws -> ServerConnection {
        var c = try ServerConnection(server: server)
        if identity { try await c.ensureIdentity() }
        return c
    }
}
