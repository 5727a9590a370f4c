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
        ("https://a:1/", "TLS is not supported"),
        ("wss://a:1/", "TLS is not supported"),
        ("ftp://a/", "unsupported URL scheme `ftp`"),
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
    }
}
