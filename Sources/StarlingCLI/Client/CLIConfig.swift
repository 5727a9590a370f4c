import Foundation

/// The CLI's saved state in `$HOME/.config/starling/config.json`: known servers, the default
/// one, and the identity (token) used with each server.
struct CLIConfig: Codable {
    /// A server the CLI knows by name.
    struct Server: Codable {
        var name: String
        var url: String
        /// For an `https://` server: a PEM file of CA certificates to trust besides the system's.
        var caFile: String?
    }

    /// An identity and its token, as minted by one server.
    struct SavedIdentity: Codable {
        var identity: String
        var token: String
    }

    var servers: [Server] = []
    var defaultServer: String?
    /// Identities by server URL.
    var identities: [String: SavedIdentity] = [:]

    static let fallbackURL = "http://127.0.0.1:3000"

    /// `$HOME/.config/starling` (or `$STARLING_CONFIG_DIR`).
    static var directory: String {
        if let d = ProcessInfo.processInfo.environment["STARLING_CONFIG_DIR"] { return d }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        return home + "/.config/starling"
    }

    static var path: String { directory + "/config.json" }

    static func load() throws -> CLIConfig {
        guard let data = FileManager.default.contents(atPath: path) else { return CLIConfig() }
        do { return try JSONDecoder().decode(CLIConfig.self, from: data) } catch {
            throw CLIError("\(path) is not a valid Starling config (\(error.localizedDescription)); fix or delete it")
        }
    }

    /// Writes the config (mode 0600: it holds tokens), atomically.
    func save() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try FileManager.default.createDirectory(atPath: Self.directory, withIntermediateDirectories: true)
        let tmp = Self.path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot write \(tmp)")
        }
        guard rename(tmp, Self.path) == 0 else { throw CLIError("cannot replace \(Self.path): errno \(errno)") }
    }

    /// The CA file to trust for `baseURL`: `--ca-file`, else `$STARLING_CA_FILE`, else the one
    /// saved with the server (`starling server add URL --ca-file PATH`).
    func caFile(for baseURL: String, option: String?) -> String? {
        if let option, !option.isEmpty { return option }
        if let env = ProcessInfo.processInfo.environment["STARLING_CA_FILE"], !env.isEmpty { return env }
        return servers.first { $0.url == baseURL }?.caFile
    }

    /// The base URL for `-s`: a URL as given, a configured server's name, else the default server.
    func resolve(_ server: String?) throws -> String {
        if let s = server {
            if s.hasPrefix("http://") || s.hasPrefix("https://") { return s.hasSuffix("/") ? String(s.dropLast()) : s }
            if let known = servers.first(where: { $0.name == s }) { return known.url }
            if s.contains(":") { return "http://" + s }
            throw CLIError("unknown server `\(s)`: give a URL (http://host:port) or a name from `starling server list`")
        }
        if let d = defaultServer, let known = servers.first(where: { $0.name == d }) { return known.url }
        return Self.fallbackURL
    }
}
