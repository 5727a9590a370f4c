/// An HTTP header list in wire order. Names compare case-insensitively in lookups.
public typealias HTTPHeaderList = [(name: String, value: String)]

/// A complete HTTP response: status, headers and the whole body.
public struct HTTPResponse: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// The reason phrase the server sent, e.g. "OK".
    public var reason: String
    /// The response headers in the order the server sent them.
    public var headers: HTTPHeaderList
    /// The body, after removing any chunked transfer encoding.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, reason: String = "", headers: HTTPHeaderList = [], body: [UInt8] = []) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
    }

    /// The body decoded as UTF-8, with invalid sequences replaced by U+FFFD.
    public var text: String { String(decoding: self.body, as: UTF8.self) }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(self.status) }

    /// The first value of the header `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? { self.headers.first(named: name) }
}

/// The head of a streamed HTTP response and its body as a ``NetStream`` of chunks.
///
/// Chunks are handed over as they arrive from the socket; their boundaries are those of socket reads and
/// of the HTTP decoder, not necessarily those of `Transfer-Encoding: chunked` chunks. The stream ends when
/// the response ends, and never for a response that never ends (`logs --follow`): stop such a stream by
/// cancelling the consuming task, breaking out of the `for try await` loop, or calling ``cancel()``;
/// each of these closes the connection.
public struct HTTPStreamingResponse: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// The reason phrase the server sent, e.g. "OK".
    public var reason: String
    /// The response headers in the order the server sent them.
    public var headers: HTTPHeaderList
    /// The body, chunk by chunk. Iterate it once.
    public var body: NetStream<[UInt8]>

    let cancelAction: @Sendable () -> Void

    /// Closes the connection; the body stream then ends (normally, after what was already buffered).
    public func cancel() { self.cancelAction() }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(self.status) }

    /// The first value of the header `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? { self.headers.first(named: name) }

    /// Reads the whole body (up to `limit` bytes) into one array: for error responses and short bodies.
    public func collectBody(upTo limit: Int = 1 << 20) async throws(NetError) -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in self.body {
            guard bytes.count + chunk.count <= limit else {
                self.cancel()
                throw NetError(.responseTooLarge, "the response body exceeds \(limit) bytes")
            }
            bytes += chunk
        }
        return bytes
    }
}

extension Array where Element == (name: String, value: String) {
    /// The first value of the header `name` (case-insensitive), or nil.
    func first(named name: String) -> String? {
        let lowered = name.lowercased()
        return self.first { $0.name.lowercased() == lowered }?.value
    }
}
