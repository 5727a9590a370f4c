import ArgumentParser

/// `-s/--server` for every verb that talks to a server.
struct ServerOption: ParsableArguments {
    @Option(name: [.short, .long], help: "Server URL or configured name (default: the default server, else http://127.0.0.1:3000).")
    var server: String?

    @Option(
        name: .long,
        help: """
            For an https:// server: a PEM file of CA certificates to trust besides the system's \
            (default: $STARLING_CA_FILE, else the one saved with `starling server add --ca-file`).
            """)
    var caFile: String?

    /// The connection, with an identity (obtained from the server and saved if there is none yet).
    func connect(identity: Bool = true) async throws -> ServerConnection {
        var c = try ServerConnection(server: server, caFile: caFile)
        if identity { try await c.ensureIdentity() }
        return c
    }
}
