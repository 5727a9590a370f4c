import Testing

@testable import StarlingNetClient

struct NetURLTests {
    @Test(arguments: [
        ("http://127.0.0.1:3000/v1/ping", NetURL.Scheme.http, "127.0.0.1", 3000, "/v1/ping"),
        ("http://localhost:3000", .http, "localhost", 3000, "/"),
        ("http://localhost:3000?x=1", .http, "localhost", 3000, "/?x=1"),
        ("HTTP://Example.com/a/b?c=d&e=f#frag", .http, "Example.com", 80, "/a/b?c=d&e=f"),
        ("ws://127.0.0.1:3000/v1/database/bank/subscribe", .ws, "127.0.0.1", 3000, "/v1/database/bank/subscribe"),
        ("ws://[::1]:3000/x", .ws, "::1", 3000, "/x"),
        ("http://[::1]/", .http, "::1", 80, "/"),
        ("https://db.example.com/v1/ping", .https, "db.example.com", 443, "/v1/ping"),
        ("HTTPS://localhost:8443", .https, "localhost", 8443, "/"),
        ("wss://db.example.com/v1/database/bank/subscribe", .wss, "db.example.com", 443, "/v1/database/bank/subscribe"),
        ("wss://[::1]:3443/x", .wss, "::1", 3443, "/x"),
    ])
    func parses(_ text: String, _ scheme: NetURL.Scheme, _ host: String, _ port: Int, _ target: String) throws {
        let url = try NetURL(parsing: text)
        #expect(url.scheme == scheme)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.target == target)
    }

    @Test(arguments: [
        ("127.0.0.1:3000/v1", "is not a URL"),
        ("ftp://a/", "unsupported URL scheme `ftp`"),
        ("tls://a/", "expected http, https, ws or wss"),
        ("http://:3000/", "missing host"),
        ("http://a:0/", "invalid port `0`"),
        ("http://a:70000/", "invalid port `70000`"),
        ("http://a:x/", "invalid port `x`"),
        ("http://user@a/", "user information"),
        ("http://[::1/", "unterminated IPv6"),
        ("http://a/b c", "spaces or control characters"),
    ])
    func rejects(_ text: String, _ fragment: String) {
        #expect {
            _ = try NetURL(parsing: text)
        } throws: { error in
            guard let error = error as? NetError else { return false }
            return error.code == .invalidURL && error.message.contains(fragment)
        }
    }

    @Test func authorityBracketsIPv6() throws {
        #expect(try NetURL(parsing: "ws://[::1]:3000/").authority == "[::1]:3000")
        #expect(try NetURL(parsing: "http://h:1/p?q").description == "http://h:1/p?q")
        #expect(try NetURL(parsing: "wss://h/p").description == "wss://h:443/p")
    }

    @Test func schemesKnowWhetherTheyUseTLS() {
        #expect([NetURL.Scheme.http, .https, .ws, .wss].map(\.isSecure) == [false, true, false, true])
        #expect([NetURL.Scheme.http, .https, .ws, .wss].map(\.isHTTP) == [true, true, false, false])
    }
}
