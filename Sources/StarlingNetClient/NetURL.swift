/// A parsed `http://`, `https://`, `ws://` or `wss://` URL: what the client needs to open a connection and send
/// a request line.
///
/// `https` and `wss` connect over TLS (see ``TLSOptions``). IPv6 literals are written in brackets
/// (`http://[::1]:3000/v1/ping`). A fragment (`#...`) is dropped.
public struct NetURL: Sendable, Hashable, CustomStringConvertible {
    /// The URL scheme.
    public enum Scheme: String, Sendable, Hashable {
        /// `http://`: an HTTP/1.1 request.
        case http
        /// `https://`: an HTTP/1.1 request over TLS.
        case https
        /// `ws://`: a WebSocket connection.
        case ws
        /// `wss://`: a WebSocket connection over TLS.
        case wss

        /// Whether connections for this scheme use TLS.
        public var isSecure: Bool { self == .https || self == .wss }

        /// Whether this is an HTTP scheme (`http`, `https`) rather than a WebSocket one.
        public var isHTTP: Bool { self == .http || self == .https }

        /// The port used when the URL names none: 443 with TLS, 80 without.
        public var defaultPort: Int { self.isSecure ? 443 : 80 }
    }

    /// The scheme.
    public var scheme: Scheme
    /// The host name or IP literal, without brackets.
    public var host: String
    /// The TCP port; the scheme's ``Scheme/defaultPort`` (80 or 443) when the URL names none.
    public var port: Int
    /// The request target: the path and the query string, always starting with `/`.
    public var target: String

    /// Creates a URL from its parts. `target` gets a leading `/` if it lacks one.
    public init(scheme: Scheme, host: String, port: Int, target: String = "/") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.target = target.hasPrefix("/") ? target : "/" + target
    }

    /// Parses `scheme://host[:port][/path][?query][#fragment]`.
    public init(parsing string: String) throws(NetError) {
        guard let schemeEnd = string.firstRange(of: "://") else {
            throw NetError(
                .invalidURL,
                "`\(string)` is not a URL: expected http(s)://host:port/path or ws(s)://host:port/path"
            )
        }
        let schemeText = string[..<schemeEnd.lowerBound].lowercased()
        guard let scheme = Scheme(rawValue: schemeText) else {
            throw NetError(
                .invalidURL,
                "unsupported URL scheme `\(schemeText)` in `\(string)`: expected http, https, ws or wss"
            )
        }
        var rest = string[schemeEnd.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty || target.first == "?" { target = "/" + target }
        guard !target.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw NetError(
                .invalidURL,
                "the path of `\(string)` contains spaces or control characters; percent-encode them"
            )
        }
        let (host, port) = try Self.parseAuthority(authority, in: string, defaultPort: scheme.defaultPort)
        self.init(scheme: scheme, host: host, port: port, target: target)
    }

    private static func parseAuthority(
        _ authority: Substring,
        in url: String,
        defaultPort: Int
    ) throws(NetError) -> (String, Int) {
        guard !authority.contains("@") else {
            throw NetError(.invalidURL, "user information in URLs is not supported: `\(url)`")
        }
        var host: Substring
        var portText: Substring?
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else {
                throw NetError(.invalidURL, "unterminated IPv6 literal in `\(url)`")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw NetError(.invalidURL, "unexpected text after `]` in `\(url)`") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw NetError(.invalidURL, "missing host in `\(url)`") }
        guard let portText else { return (String(host), defaultPort) }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw NetError(.invalidURL, "invalid port `\(portText)` in `\(url)`: expected 1...65535")
        }
        return (String(host), port)
    }

    /// `host:port`, with brackets around IPv6 literals: the `Host` header and the name used in messages.
    public var authority: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(host):\(self.port)"
    }

    public var description: String { "\(self.scheme.rawValue)://\(self.authority)\(self.target)" }
}
