import Foundation
import NIOHTTP1
import StarlingModuleHost
import StarlingTypes

/// One HTTP request as the routes see it.
struct HTTPRequest: Sendable {
    var method: HTTPMethod
    /// The path split at `/`, without empty parts: `/v1/database/x` → `["v1", "database", "x"]`.
    var path: [String]
    var query: [String: String]
    var headers: HTTPHeaders
    var body: [UInt8]

    init(head: HTTPRequestHead, body: [UInt8]) {
        method = head.method
        let (p, q) = Self.split(head.uri)
        path = p
        query = q
        headers = head.headers
        self.body = body
    }

    /// Splits a request target into path parts and query parameters (percent-decoded).
    static func split(_ uri: String) -> ([String], [String: String]) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts[0].split(separator: "/").map { percentDecode(String($0)) }
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let value = kv.count > 1 ? String(kv[1].map { $0 == "+" ? " " : $0 }) : ""
                query[percentDecode(String(kv[0]))] = percentDecode(value)
            }
        }
        return (path, query)
    }

    /// `%xx` escapes decoded (Foundation only when there is one: it is slow on the hot path).
    static func percentDecode(_ s: String) -> String {
        guard s.utf8.contains(UInt8(ascii: "%")) else { return s }
        return s.removingPercentEncoding ?? s
    }

    /// The bearer token of the `Authorization` header (or the `token` query parameter, which
    /// browsers need for WebSockets), if any.
    var bearerToken: String? {
        if let h = headers.first(name: "authorization") {
            // Plain Swift string slicing: Foundation's trimming bridges through NSString and cost
            // more than the indexed query the request asks for.
            var t = Substring(h)
            if t.hasPrefix("Bearer ") { t = t.dropFirst(7) }
            while let c = t.first, c == " " || c == "\t" { t = t.dropFirst() }
            while let c = t.last, c == " " || c == "\t" { t = t.dropLast() }
            return String(t)
        }
        return query["token"]
    }
}

/// An HTTP response: a whole body, or the lines of a module log that keep coming (`follow`).
struct HTTPResponse: Sendable {
    var status: HTTPResponseStatus
    var contentType = "text/plain; charset=utf-8"
    var body: [UInt8] = []
    /// For `logs?follow=true`: the last `lines` lines of this log, then every new record as a line.
    var follow: (log: ModuleLog, lines: Int)?
    /// For large answers (backups): the body as bytes and open files, sent in order without
    /// reading the files into memory. Replaces ``body``.
    var parts: [ResponsePart]?

    static func json(_ value: JSONValue, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        var body = value.utf8
        body.append(UInt8(ascii: "\n"))
        return HTTPResponse(status: status, contentType: "application/json", body: body)
    }

    static func text(_ text: String, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, body: Array(text.utf8))
    }

    static func error(_ e: HTTPError) -> HTTPResponse {
        text(e.message + "\n", status: HTTPResponseStatus(statusCode: e.status))
    }
}

/// A piece of a streamed response body.
enum ResponsePart: Sendable {
    case bytes([UInt8])
    /// The first `length` bytes of an open file (the descriptor is closed once they are sent).
    case file(descriptor: Int32, length: Int)

    var length: Int {
        switch self {
        case .bytes(let b): b.count
        case .file(_, let n): n
        }
    }
}
