import ArgumentParser
import Foundation

/// `starling identity new|show|token`.
struct IdentityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity", abstract: "Manage your identity on a server.", subcommands: [New.self, Show.self, Token.self])

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Get a new identity from the server and use it from now on.")
        @OptionGroup var server: ServerOption
        func run() async throws {
            let saved = try await server.connect(identity: false).newIdentity()
            print(saved.identity)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the identity used with the server (getting one if needed).")
        @OptionGroup var server: ServerOption
        func run() async throws {
            let c = try await server.connect()
            print(try CLIConfig.load().identities[c.baseURL]?.identity ?? "")
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the token used with the server (getting one if needed).")
        @OptionGroup var server: ServerOption
        func run() async throws {
            let c = try await server.connect()
            print(c.token ?? "")
        }
    }
}

/// `starling server add|list|set-default`.
struct ServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Manage the servers the CLI knows.", subcommands: [Add.self, List.self, SetDefault.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remember a server under a name.")
        @Argument(help: "The server's URL, e.g. http://127.0.0.1:3000.") var url: String
        @Option(name: .long, help: "The name (default: HOST:PORT of the URL).") var name: String?
        @Flag(name: .long, help: "Make it the default server.") var `default` = false
        @Option(name: .long, help: "For an https:// server: a PEM file of CA certificates to trust besides the system's (a private CA).")
        var caFile: String?

        func run() throws {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw CLIError("the URL must start with http:// or https://") }
            let clean = url.hasSuffix("/") ? String(url.dropLast()) : url
            let serverName = name ?? String(clean.split(separator: "/").last ?? Substring(clean))
            var config = try CLIConfig.load()
            config.servers.removeAll { $0.name == serverName }
            config.servers.append(.init(name: serverName, url: clean, caFile: try caFile.map(Self.absoluteCAFile)))
            if `default` || config.defaultServer == nil { config.defaultServer = serverName }
            try config.save()
            print("added server `\(serverName)` (\(clean))" + (config.defaultServer == serverName ? " as the default" : ""))
        }

        /// The CA file as an absolute path (the config outlives the working directory); it must exist.
        static func absoluteCAFile(_ path: String) throws -> String {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            guard FileManager.default.isReadableFile(atPath: absolute) else { throw CLIError("cannot read the CA file \(absolute)") }
            return absolute
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the known servers (the default marked *).")
        func run() throws {
            let config = try CLIConfig.load()
            if config.servers.isEmpty { print("no servers configured; the default is \(CLIConfig.fallbackURL)") }
            for s in config.servers {
                print("\(config.defaultServer == s.name ? "*" : " ") \(s.name)  \(s.url)" + (s.caFile.map { "  (CA file \($0))" } ?? ""))
            }
        }
    }

    struct SetDefault: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-default", abstract: "Make a known server the default.")
        @Argument(help: "The server's name.") var name: String
        func run() throws {
            var config = try CLIConfig.load()
            guard config.servers.contains(where: { $0.name == name }) else {
                throw CLIError("no server named `\(name)`; add it with `starling server add URL --name \(name)`")
            }
            config.defaultServer = name
            try config.save()
            print("default server: \(name)")
        }
    }
}
