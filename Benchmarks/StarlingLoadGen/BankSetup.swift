import NIOCore
import StarlingNetClient
import StarlingTypes

/// The HTTP side of a run: an identity, the bank module published under a fresh name, the accounts opened,
/// and the final balance check.
struct BankSetup: Sendable {
    /// `http://host:port` without a trailing slash.
    let baseURL: String
    let database: String
    let token: String
    let group: any EventLoopGroup

    /// Mints an identity and publishes `wasm` as a new database named `bench-<random>`.
    static func publish(baseURL: String, wasm: [UInt8], group: any EventLoopGroup) async throws -> BankSetup {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        let identity = try await Self.post(
            base + "/v1/identity",
            body: [],
            token: nil,
            what: "minting an identity",
            group: group
        )
        guard let token = try JSONValue.parse(utf8: identity.body)["token"]?.stringValue else {
            throw LoadGenError("POST /v1/identity answered without a token: \(identity.text.prefix(200))")
        }
        var rng = SystemRandomNumberGenerator()
        let name = "bench-" + String(rng.next() as UInt64, radix: 16)
        _ = try await Self.post(
            base + "/v1/database/\(name)",
            body: wasm,
            token: token,
            what: "publishing the bank module",
            group: group
        )
        return BankSetup(baseURL: base, database: name, token: token, group: group)
    }

    /// The WebSocket URL of the database's subscribe endpoint.
    var webSocketURL: String {
        "ws://" + baseURL.dropFirst("http://".count) + "/v1/database/\(database)/subscribe"
    }

    /// Opens accounts `0..<count` with `balance` each, `chunk` more per `open_accounts` call (the reducer skips
    /// ids that exist, so call `k` opens `0..<k*chunk` and re-checks the earlier ones: keeps each call small).
    func openAccounts(_ count: UInt64, balance: Int64, chunk: UInt64) async throws {
        var opened: UInt64 = 0
        while opened < count {
            opened = min(count, opened + chunk)
            let body = Array("[\(opened), \(balance)]".utf8)
            _ = try await Self.post(
                baseURL + "/v1/database/\(database)/call/open_accounts",
                body: body,
                token: token,
                what: "calling open_accounts(\(opened), \(balance))",
                group: group,
                timeout: .seconds(600)
            )
        }
    }

    /// The result of ``verify(accounts:balance:)``.
    struct Check: Sendable {
        var rows: Int
        var sum: Int64
        var expectedRows: Int
        var expectedSum: Int64
        var seconds: Double
        var passed: Bool { rows == expectedRows && sum == expectedSum }
    }

    /// Reads every account over HTTP SQL and compares the row count and the sum of balances with what
    /// `open_accounts` created: transfers move money, never create or destroy it.
    func verify(accounts: UInt64, balance: Int64) async throws -> Check {
        let started = monotonicNanos()
        let response = try await Self.post(
            baseURL + "/v1/database/\(database)/sql",
            body: Array("SELECT * FROM account".utf8),
            token: token,
            what: "reading the accounts",
            group: group,
            timeout: .seconds(600)
        )
        let result = try JSONValue.parse(utf8: response.body)
        guard let first = result[0], let schema = first["schema"]?.arrayValue, let rows = first["rows"]?.arrayValue,
            let column = schema.firstIndex(where: { $0["name"]?.stringValue == "balance" })
        else {
            throw LoadGenError("unexpected SQL result shape: \(response.text.prefix(300))")
        }
        var sum: Int64 = 0
        for row in rows {
            guard let text = row[column]?.numberText, let value = Int64(text) else {
                throw LoadGenError("a balance is not an i64: \(row.briefDescription)")
            }
            sum &+= value
        }
        return Check(
            rows: rows.count,
            sum: sum,
            expectedRows: Int(accounts),
            expectedSum: Int64(accounts) &* balance,
            seconds: Double(monotonicNanos() - started) / 1e9
        )
    }

    /// POSTs `body`; a non-2xx status becomes an error naming `what` and the server's answer.
    private static func post(
        _ url: String,
        body: [UInt8],
        token: String?,
        what: String,
        group: any EventLoopGroup,
        timeout: Duration = .seconds(60)
    ) async throws -> HTTPResponse {
        let headers = token.map { [("Authorization", "Bearer \($0)")] } ?? []
        let response = try await HTTPClient.request(
            "POST",
            url: url,
            headers: headers,
            body: body,
            timeout: timeout,
            eventLoopGroup: group
        )
        guard response.isSuccess else {
            throw LoadGenError("\(what) failed: HTTP \(response.status): \(response.text.prefix(500))")
        }
        return response
    }
}
