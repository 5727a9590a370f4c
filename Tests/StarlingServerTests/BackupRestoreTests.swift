import Foundation
import StarlingNetClient
import StarlingTypes
import Testing

/// Online backup and restore through the real binary: transfers keep committing while
/// `starling backup` downloads the archive; `starling restore` creates a new database from it
/// (owned by the caller) whose balances still add up; it survives a server restart.
@Suite(.serialized) struct BackupRestoreTests {
    static let accounts = 200
    static let opening = 1_000

    /// The balances of `database` (via HTTP SQL), or nil if the query failed.
    static func balances(_ server: ServerProcess, _ database: String, token: String) async throws -> [Int64]? {
        let r = try await server.request("POST", "/v1/database/\(database)/sql", token: token, body: Array("SELECT balance FROM account".utf8))
        guard r.status == 200, let rows = try JSONValue.parse(utf8: r.body)[0]?["rows"]?.arrayValue else { return nil }
        return rows.compactMap { row in row[0].flatMap { Int64($0.text) } }
    }

    @Test func backupUnderLoadRestoresAConsistentCopy() async throws {
        var server = try await ServerProcess.start()
        defer { server.stop() }
        let cli = CLI()
        let bank = ServerProcess.repository.appendingPathComponent("Examples/bank").path
        let published = try await cli.run(["publish", "bank", "--project-path", bank, "-s", server.url])
        #expect(published.status == 0, "\(published.err)")
        let opened = try await cli.run(["call", "bank", "open_accounts", "\(Self.accounts)", "\(Self.opening)", "-s", server.url])
        #expect(opened.status == 0, "\(opened.err)")
        let (_, other) = try await server.identity()
        let total = Int64(Self.accounts * Self.opening)
        #expect(try await Self.balances(server, "bank", token: other)?.reduce(0, +) == total)

        // Transfers from another identity while the backup runs.
        let url = server.url
        let load = Task {
            var done = 0
            var k = 0
            while !Task.isCancelled {
                let from = k % Self.accounts
                let to = (k * 7 + 3) % Self.accounts
                k += 1
                let r = try? await HTTPClient.request(
                    "POST", url: url + "/v1/database/bank/call/transfer", headers: [("Authorization", "Bearer \(other)")],
                    body: Array("[\(from), \(to), 1]".utf8))
                if r?.status == 200 { done += 1 }
            }
            return done
        }
        try await Task.sleep(for: .milliseconds(300))
        let archive = FileManager.default.temporaryDirectory.appendingPathComponent("starling-backup-\(UUID().uuidString).tar").path
        defer { try? FileManager.default.removeItem(atPath: archive) }
        let backup = try await cli.run(["backup", "bank", "--out", archive, "-s", server.url])
        try await Task.sleep(for: .milliseconds(300))
        load.cancel()
        let transfers = await load.value
        #expect(backup.status == 0, "\(backup.err)")
        #expect(transfers > 0, "transfers committed during the backup")
        #expect(try await Self.balances(server, "bank", token: other)?.reduce(0, +) == total)

        // Only the owner may back up.
        let refused = try await server.request("GET", "/v1/database/bank/backup", token: other)
        #expect(refused.status == 403)

        // Restore under a new name: same module, a consistent state, the caller owns it.
        let restored = try await cli.run(["restore", archive, "--name", "bank-copy", "-s", server.url])
        #expect(restored.status == 0, "\(restored.err)")
        let copy = try await Self.balances(server, "bank-copy", token: other)
        #expect(copy?.count == Self.accounts)
        #expect(copy?.reduce(0, +) == total, "the restored balances add up")
        let original = try JSONValue.parse(utf8: try await server.request("GET", "/v1/database/bank").body)
        let info = try JSONValue.parse(utf8: try await server.request("GET", "/v1/database/bank-copy").body)
        #expect(info["owner_identity"] == original["owner_identity"], "the restoring identity owns the copy")
        #expect(info["identity"] != original["identity"], "the copy is a new database")
        let call = try await server.request(
            "POST", "/v1/database/bank-copy/call/transfer", token: other, body: Array("[0, 1, 5]".utf8))
        #expect(call.status == 200, "the restored module runs: \(call.text)")

        // An existing name is refused unless replaced (by its owner).
        let clash = try await cli.run(["restore", archive, "--name", "bank", "-s", server.url])
        #expect(clash.status != 0 && clash.err.contains("already exists"), "\(clash.err)")
        let replaced = try await cli.run(["restore", archive, "--name", "bank", "--replace", "-s", server.url])
        #expect(replaced.status == 0, "\(replaced.err)")
        #expect(try await Self.balances(server, "bank", token: other)?.reduce(0, +) == total)

        // A restart opens the restored databases like any other.
        server.stop()
        server = try await ServerProcess.start(directory: server.directory, port: server.port)
        let again = try await Self.balances(server, "bank-copy", token: other)
        #expect(again?.count == Self.accounts)
        #expect(again?.reduce(0, +) == total)
    }

    @Test func aDamagedArchiveIsRefusedAndChangesNothing() async throws {
        let server = try await ServerProcess.start()
        defer { server.stop() }
        let (_, token) = try await server.identity()
        let notTar = try await server.request("POST", "/v1/database/x/restore", token: token, body: Array("hello".utf8))
        #expect(notTar.status == 400, "\(notTar.text)")
        #expect(notTar.text.contains("not a Starling backup archive"), "\(notTar.text)")
        let list = try JSONValue.parse(utf8: try await server.request("GET", "/v1/database").body)
        #expect(list.arrayValue?.isEmpty == true)
    }
}
