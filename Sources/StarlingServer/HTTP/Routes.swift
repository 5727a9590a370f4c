import Foundation
import NIOCore
import NIOHTTP1
import StarlingModuleHost
import StarlingTypes

/// What every request handler needs: the databases, the token authority and the options.
struct ServerContext: Sendable {
    let registry: DatabaseRegistry
    let auth: TokenAuthority
    let options: ServerOptions

    /// The caller's identity: from a valid token, or a fresh anonymous one (nil token in the
    /// result means the identity is new and its token is `minted`).
    func caller(_ request: HTTPRequest) throws(HTTPError) -> (identity: Identity, minted: String?) {
        guard let token = request.bearerToken, !token.isEmpty else {
            let (identity, token) = auth.mint()
            return (identity, token)
        }
        do { return (try auth.verify(token), nil) } catch { throw HTTPError(401, "unauthorized: \(error.message)") }
    }

    func database(_ name: String) throws(HTTPError) -> DatabaseHost {
        guard let host = registry.host(name) else { throw .notFound(database: name) }
        return host
    }
}

/// The HTTP API (see ARCHITECTURE.md): every route under `/v1`, plus `/metrics`.
enum Routes {
    static func handle(_ r: HTTPRequest, _ ctx: ServerContext) async -> HTTPResponse {
        do { return try await route(r, ctx) } catch { return .error(error) }
    }

    /// Serves `POST /v1/database/:name/sql` without the Swift task pool (called on `loop`): the
    /// query runs as a job on the database's worker — the requests that arrive on one event loop
    /// together go as one job (``WorkerJobBatch``) — and the answers of a worker batch come back
    /// to the loop in one task (``Outbox``), where `reply` renders and writes each. Two thread hops
    /// fewer than ``handle(_:_:)``, which matters for small indexed queries. False for any other request.
    static func serveDirectly(
        _ r: HTTPRequest, _ ctx: ServerContext, on loop: any EventLoop,
        reply: @escaping @Sendable (@escaping @Sendable () -> HTTPResponse) -> Void
    ) -> Bool {
        guard r.method == .POST, let m = match("v1/database/:name/sql", r.path) else { return false }
        do throws(HTTPError) {
            let host = try ctx.database(m[0])
            let (caller, _) = try ctx.caller(r)
            guard let text = String(validating: r.body, as: UTF8.self) else { throw HTTPError(400, "the SQL text is not valid UTF-8") }
            WorkerJobBatch.on(loop).submit({ db in
                // The JSON text is written on the event loop, not the worker.
                switch host.sqlForHTTP(text, caller: caller, db) {
                case .success(let results): host.outbox.run(on: loop) { reply { .json(.array(results)) } }
                case .failure(let e): host.outbox.run(on: loop) { reply { .error(e) } }
                }
            }, to: host)
        } catch {
            reply { .error(error) }
        }
        return true
    }

    /// The path parameters if `path` matches `pattern` (`:x` parts match any one part).
    static func match(_ pattern: String, _ path: [String]) -> [String]? {
        var params: [String] = []
        var i = 0
        for p in pattern.utf8.split(separator: UInt8(ascii: "/")) {
            guard i < path.count else { return nil }
            if p.first == UInt8(ascii: ":") {
                params.append(path[i])
            } else if !path[i].utf8.elementsEqual(p) {
                return nil
            }
            i += 1
        }
        return i == path.count ? params : nil
    }

    private static func route(_ r: HTTPRequest, _ ctx: ServerContext) async throws(HTTPError) -> HTTPResponse {
        let p = r.path
        switch r.method {
        case .GET:
            if match("metrics", p) != nil {
                return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4", body: ServerMetrics.render())
            }
            if match("v1/ping", p) != nil { return .text("") }
            if match("v1/identity", p) != nil {
                let (identity, minted) = try ctx.caller(r)
                guard minted == nil else { throw HTTPError(401, "unauthorized: send a token to learn its identity") }
                return .json(["identity": .string(identity.hexString)])
            }
            if match("v1/database", p) != nil { return .json(.array(ctx.registry.all.map { infoJSON($0.info) })) }
            if let m = match("v1/database/:name", p) { return .json(infoJSON(try ctx.database(m[0]).info)) }
            if let m = match("v1/database/:name/schema", p) { return .json(SchemaJSON.schema(try ctx.database(m[0]).info.schema)) }
            if let m = match("v1/database/:name/logs", p) { return try logs(m[0], r, ctx) }
            if let m = match("v1/database/:name/backup", p) { return try await backup(m[0], r, ctx) }
            if let m = match("v1/database/:name/subscribe", p) { return try refusedUpgrade(m[0], r, ctx) }
        case .POST:
            if match("v1/identity", p) != nil {
                let (identity, token) = ctx.auth.mint()
                return .json(["identity": .string(identity.hexString), "token": .string(token)])
            }
            if let m = match("v1/database/:name", p) { return try await publish(m[0], r, ctx) }
            if let m = match("v1/database/:name/call/:reducer", p) { return try await call(m[0], m[1], r, ctx) }
            if let m = match("v1/database/:name/restore", p) { return try await restore(m[0], r, ctx) }
            // `v1/database/:name/sql` is served by ``serveDirectly(_:_:reply:)``.
        case .DELETE:
            if let m = match("v1/database/:name", p) {
                let (caller, _) = try ctx.caller(r)
                try await ctx.registry.delete(m[0], caller: caller)
                return .json(["deleted": .string(m[0])])
            }
        case .OPTIONS:
            // A browser's CORS preflight: any origin may call the API (it is token-authenticated,
            // not cookie-authenticated); the allowed methods and headers come with every answer.
            return HTTPResponse(status: .noContent, contentType: "text/plain", body: [])
        default: break
        }
        let known = ["v1/ping", "v1/identity", "v1/database", "v1/database/:n", "v1/database/:n/schema", "v1/database/:n/logs",
            "v1/database/:n/subscribe", "v1/database/:n/call/:r", "v1/database/:n/sql", "metrics",
            "v1/database/:n/backup", "v1/database/:n/restore"]
        if known.contains(where: { match($0, p) != nil }) {
            throw HTTPError(405, "method \(r.method) not allowed on /\(p.joined(separator: "/"))")
        }
        throw HTTPError(404, "no route for \(r.method) /\(p.joined(separator: "/"))")
    }

    static func infoJSON(_ i: DatabaseInfo) -> JSONValue {
        [
            "name": .string(i.name), "identity": .string(i.identity.hexString), "owner_identity": .string(i.owner.hexString),
            "module_size": .integer(i.moduleSize), "published_at_micros": .integer(i.publishedAt.microsSinceUnixEpoch),
            "tables": .array(i.schema.tables.map { .string($0.name) }),
            "reducers": .array(i.schema.reducers.map { .string($0.name) }),
        ]
    }

    private static func publish(_ name: String, _ r: HTTPRequest, _ ctx: ServerContext) async throws(HTTPError) -> HTTPResponse {
        let (caller, minted) = try ctx.caller(r)
        guard r.body.count >= 8, r.body.starts(with: [0x00, 0x61, 0x73, 0x6D]) else {
            throw HTTPError(400, "the request body is not a WebAssembly module (it must start with \\0asm); build one with `starling build`")
        }
        let clear = r.query["clear"] == "true" || r.query["clear"] == "1"
        var out: [(key: String, value: JSONValue)]
        switch try await ctx.registry.publish(name, wasm: r.body, caller: caller, clear: clear) {
        case .created(let info):
            out = infoJSON(info).objectMembers! + [(key: "created", value: true)]
        case .updated(let info, let changes):
            out = infoJSON(info).objectMembers! + [(key: "created", value: false), (key: "changes", value: .array(changes.map { .string($0) }))]
        }
        if let minted { out.append((key: "token", value: .string(minted))) }
        return .json(.object(out))
    }

    private static func call(_ name: String, _ reducer: String, _ r: HTTPRequest, _ ctx: ServerContext) async throws(HTTPError)
        -> HTTPResponse
    {
        let host = try ctx.database(name)
        let (caller, _) = try ctx.caller(r)
        let args: JSONValue
        if r.body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) {
            args = .array([])
        } else {
            do { args = try JSONValue.parse(utf8: r.body) } catch {
                throw HTTPError(400, "the body must be a JSON array of arguments: \(error)")
            }
        }
        guard args.arrayValue != nil || args.objectMembers != nil else {
            throw HTTPError(400, "the body must be a JSON array of arguments (or an object keyed by parameter name)")
        }
        switch await host.callFromHTTP(reducer, args: args, caller: caller) {
        case .committed: return .text("")
        case .unknownReducer: throw HTTPError(404, "no reducer `\(reducer)` in database `\(name)`")
        case .badArguments(let m): throw HTTPError(400, m)
        case .refused(let m): throw HTTPError(403, "refused by client_connected: \(m)")
        case .failed(let m): throw HTTPError(530, m)
        }
    }

    private static func logs(_ name: String, _ r: HTTPRequest, _ ctx: ServerContext) throws(HTTPError) -> HTTPResponse {
        let host = try ctx.database(name)
        let (caller, _) = try ctx.caller(r)
        guard caller == host.info.owner else { throw .notOwner("read its logs", name) }
        let n = r.query["num_lines"].flatMap { Int($0) } ?? 100
        let follow = r.query["follow"] == "true" || r.query["follow"] == "1"
        if follow { return HTTPResponse(status: .ok, follow: (host.log, n)) }
        return .text(host.log.recentLines(n).map { $0 + "\n" }.joined())
    }

    /// A GET on the subscribe route that did not become a WebSocket: say why.
    private static func refusedUpgrade(_ name: String, _ r: HTTPRequest, _ ctx: ServerContext) throws(HTTPError) -> HTTPResponse {
        if let t = r.bearerToken, !t.isEmpty { _ = try ctx.caller(r) }
        _ = try ctx.database(name)
        let offered = r.headers[canonicalForm: "sec-websocket-protocol"].map(String.init)
        throw HTTPError(
            400,
            "this route is a WebSocket: send an Upgrade request with the subprotocol v1.json.starling or v1.bsatn.starling"
                + (offered.isEmpty ? "" : " (offered: \(offered.joined(separator: ", ")))"))
    }
}
