import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import StarlingDurability
import StarlingServer
import UnixSignals

/// `starling start`: runs the server.
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start a Starling server (HTTP API and WebSocket on one port).",
        discussion: """
            Serves every database in the data directory; `starling publish` adds more. Stops cleanly \
            on SIGINT/SIGTERM (flushes every database's log, closes client connections). Prints \
            `listening on http://HOST:PORT` on stdout once it accepts connections (with \
            --listen-addr HOST:0 the port is picked by the system).
            """
    )

    @Option(name: .long, help: "Address to listen on (HOST:PORT).")
    var listenAddr = "127.0.0.1:3000"

    @Option(name: .long, help: "Where databases live (default: ~/.local/share/starling).")
    var dataDir: String?

    @Flag(name: .long, help: "Keep everything in memory (nothing survives a restart).")
    var inMemory = false

    @Option(name: .long, help: "When commits are fsynced: every-commit, batch (default) or off.")
    var fsync: String = "batch"

    @Option(name: .long, help: "Event loop threads (default: one per core).")
    var threads: Int?

    @Flag(name: .long, help: "Also build and publish the quickstart-chat example as `quickstart-chat` (if not there yet).")
    var demo = false

    @Option(name: .long, help: "The largest WebSocket message a client may send, in bytes (default 16 MiB).")
    var maxMessageSize: Int?

    @Option(name: .long, help: "Disconnect a client with more than this many bytes of updates unsent (default 64 MiB).")
    var maxClientBacklog: Int?

    func validate() throws {
        guard FsyncPolicy(rawValue: fsync) != nil else { throw ValidationError("--fsync must be every-commit, batch or off, not `\(fsync)`") }
        guard Self.parseAddress(listenAddr) != nil else { throw ValidationError("--listen-addr must be HOST:PORT, not `\(listenAddr)`") }
    }

    static func parseAddress(_ s: String) -> (String, Int)? {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = String(s[..<colon])
        return (host.isEmpty ? "0.0.0.0" : host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = ProcessInfo.processInfo.environment["STARLING_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return h
        }
        let logger = Logger(label: "starling")
        var options = ServerOptions()
        (options.host, options.port) = Self.parseAddress(listenAddr)!
        options.fsync = FsyncPolicy(rawValue: fsync)!
        if let threads { options.eventLoopThreads = threads }
        if let delay = ProcessInfo.processInfo.environment["STARLING_FSYNC_DELAY_MICROS"].flatMap({ UInt32($0) }) {
            options.fsyncDelayMicros = delay
        }
        if let maxMessageSize { options.maxMessageBytes = maxMessageSize }
        if let maxClientBacklog { options.maxQueuedBytesPerClient = maxClientBacklog }
        if !inMemory {
            options.dataDirectory = dataDir ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.local/share/starling")
        }
        let server: StarlingServer
        do { server = try StarlingServer(options: options, logger: logger) } catch {
            throw CLIError("cannot start: \(error)")
        }
        Task {
            guard let port = try? await server.boundPort() else { return }
            FileHandle.standardOutput.write(Data("listening on http://\(options.host):\(port)\n".utf8))
            if demo {
                do { try await Self.publishDemo("http://\(options.host == "0.0.0.0" ? "127.0.0.1" : options.host):\(port)") } catch {
                    note("demo: \(error)")
                }
            }
        }
        let group = ServiceGroup(
            configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

extension StartCommand {
    /// Builds `Examples/quickstart-chat` and publishes it as `quickstart-chat` with the saved identity.
    static func publishDemo(_ url: String) async throws {
        var c = try ServerConnection(server: url)
        try await c.ensureIdentity()
        if (try? await c.send("GET", "/v1/database/quickstart-chat")) != nil {
            note("demo: `quickstart-chat` is already published")
            return
        }
        guard let manifest = InitCommand.checkoutPath("Examples/quickstart-chat/Package.swift") else {
            throw CLIError("--demo needs a source checkout (Examples/quickstart-chat next to this starling)")
        }
        let project = URL(fileURLWithPath: manifest).deletingLastPathComponent()
        note("demo: building \(project.path) (the first build takes a minute)...")
        let wasm: URL = try await Task.detached {
            do throws(ModuleBuildError) { return try ModuleBuilder(projectPath: project).build() } catch { throw CLIError(error.message) }
        }.value
        guard let bytes = FileManager.default.contents(atPath: wasm.path) else { throw CLIError("cannot read \(wasm.path)") }
        try await c.send("POST", "/v1/database/quickstart-chat", body: Array(bytes))
        note("demo: published `quickstart-chat`; try `starling call quickstart-chat send_message hello`")
    }
}

/// A CLI failure: printed as one line on stderr, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
