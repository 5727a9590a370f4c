import Foundation
import StarlingNetClient
import StarlingTypes

/// The CLI's view of one server: its base URL, how to check it over TLS, and the saved identity to act as.
struct ServerConnection {
    let baseURL: String
    /// For `https://` servers: the system's trust roots plus the CA file, if one is configured.
    let tls: TLSOptions
    private(set) var token: String?

    /// Resolves `-s` and loads the saved token for that server (none yet is fine). `caFile` is
    /// `--ca-file`; see ``CLIConfig/caFile(for:option:)`` for the fallbacks.
    init(server: String?, caFile: String? = nil) throws {
        let config = try CLIConfig.load()
        baseURL = try config.resolve(server)
        tls = TLSOptions(caFile: config.caFile(for: baseURL, option: caFile))
        token = config.identities[baseURL]?.token
    }

    /// Makes sure an identity exists for this server: asks the server for one and saves it.
    mutating func ensureIdentity() async throws {
        if token != nil { return }
        let saved = try await newIdentity()
        token = saved.token
    }

    /// Mints a new identity on the server and saves it as the one to use there.
    func newIdentity() async throws -> CLIConfig.SavedIdentity {
        let r = try await send("POST", "/v1/identity", authenticated: false)
        guard let json = try? JSONValue.parse(utf8: r.body), let id = json["identity"]?.stringValue, let token = json["token"]?.stringValue else {
            throw CLIError("the server at \(baseURL) answered POST /v1/identity with something that is not an identity")
        }
        var config = try CLIConfig.load()
        let saved = CLIConfig.SavedIdentity(identity: id, token: token)
        config.identities[baseURL] = saved
        try config.save()
        return saved
    }

    private var authHeaders: [(String, String)] { token.map { [("Authorization", "Bearer \($0)")] } ?? [] }

    /// Sends a request; a non-2xx answer becomes a ``CLIError`` with the server's message.
    @discardableResult
    func send(
        _ method: String, _ path: String, body: [UInt8]? = nil, authenticated: Bool = true, timeout: Duration = .seconds(60)
    ) async throws -> HTTPResponse {
        let r: HTTPResponse
        do {
            r = try await HTTPClient.request(
                method, url: baseURL + path, headers: authenticated ? authHeaders : [], body: body, timeout: timeout, tls: tls)
        } catch {
            throw CLIError(error.message)
        }
        guard r.isSuccess else {
            let text = r.text.trimmingCharacters(in: .whitespacesAndNewlines)
            throw CLIError("\(r.status) \(text.isEmpty ? r.reason : text)")
        }
        return r
    }

    /// Sends a request and parses the JSON answer.
    func json(_ method: String, _ path: String, body: [UInt8]? = nil) async throws -> JSONValue {
        let r = try await send(method, path, body: body)
        do { return try JSONValue.parse(utf8: r.body) } catch {
            throw CLIError("the server answered \(method) \(path) with invalid JSON: \(error)")
        }
    }

    /// Opens a streaming request (`logs -f`).
    func stream(_ path: String) async throws -> HTTPStreamingResponse {
        do {
            let r = try await HTTPClient.stream("GET", url: baseURL + path, headers: authHeaders, tls: tls)
            guard r.isSuccess else {
                let text = String(decoding: (try? await r.collectBody()) ?? [], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                throw CLIError("\(r.status) \(text)")
            }
            return r
        } catch let e as NetError {
            throw CLIError(e.message)
        }
    }

    /// The WebSocket URL of a path on this server.
    func webSocketURL(_ path: String) -> String {
        (baseURL.hasPrefix("https://") ? "wss://" + baseURL.dropFirst(8) : "ws://" + baseURL.dropFirst(7)) + path
    }

    var webSocketHeaders: [(String, String)] { authHeaders }

    /// Percent-encodes one path segment.
    static func segment(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? s
    }
}

/// Writes a line to stderr (progress and diagnostics; stdout is for results).
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
