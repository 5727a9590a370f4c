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
                query[percentDecode(String(kv[0]))] = kv.count > 1 ? percentDecode(String(kv[1]).replacingOccurrences(of: "+", with: " ")) : ""
            }
        }
        return (path, query)
    }

    static func percentDecode(_ s: String) -> String { s.removingPercentEncoding ?? s }

    /// The bearer token of the `Authorization` header (or the `token` query parameter, which
    /// browsers need for WebSockets), if any.
    var bearerToken: String? {
        if let h = headers.first(name: "authorization") {
            let t = h.hasPrefix("Bearer ") ? String(h.dropFirst(7)) : h
            return t.trimmingCharacters(in: .whitespaces)
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
