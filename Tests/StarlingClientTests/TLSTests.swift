import Foundation
import StarlingClient
import StarlingTLSTestSupport
import Testing

/// The SDK and the CLI against the real server behind a TLS-terminating proxy with a throwaway CA:
/// `https://`/`wss://` work with the CA file; without it, or with a certificate for another host,
/// connecting fails with a message that names the host and the reason.
@Suite struct TLSTests {
    /// A server with the kitchen-sink module as `ks` behind two proxies: one presenting the
    /// `localhost` certificate, one a certificate for another host.
    private func withTLSServer(_ body: (TLSSetup) async throws -> Void) async throws {
        let certificates = try TestCertificates.shared()
        let server = try await TestServer.start()
        defer { server.stop() }
        let owner = try await server.publish("ks", try await TestModules.kitchenSink())
        let proxy = try await TLSProxy.start(
            certificateFile: certificates.localhost.certificateFile, keyFile: certificates.localhost.keyFile, backendPort: server.port)
        let otherHost = try await TLSProxy.start(
            certificateFile: certificates.otherHost.certificateFile, keyFile: certificates.otherHost.keyFile, backendPort: server.port)
        let setup = TLSSetup(certificates: certificates, owner: owner, port: proxy.port, otherHostPort: otherHost.port)
        do {
            try await body(setup)
        } catch {
            await proxy.shutdown()
            await otherHost.shutdown()
            throw error
        }
        await proxy.shutdown()
        await otherHost.shutdown()
    }

    struct TLSSetup {
        let certificates: TestCertificates
        let owner: String
        let port: Int
        let otherHostPort: Int
    }

    @Test func subscribesAndCallsOverWSSWithTheCATrusted() async throws {
        try await withTLSServer { tls in
            let options = ConnectionOptions(reconnect: nil, caFile: tls.certificates.caFile)
            // A new identity minted over https://, and the owner over a wss:// URL with an IP literal.
            let minted = try await StarlingConnection.connect(to: "https://localhost:\(tls.port)", database: "ks", options: options)
            let owner = try await StarlingConnection.connect(
                to: "wss://127.0.0.1:\(tls.port)", database: "ks", token: tls.owner, options: options)
            #expect(minted.baseURL == "https://localhost:\(tls.port)" && owner.baseURL == "https://127.0.0.1:\(tls.port)")
            #expect(minted.identity != owner.identity)
            _ = try await owner.subscribe(["SELECT * FROM team"])
            try await minted.reducers.setTeam(id: 42, name: "over tls")
            try await waitUntil("the row over wss://") { owner.db.team.rows.contains { $0.id == 42 && $0.name == "over tls" } }
            await minted.close()
            await owner.close()
        }
    }

    @Test func untrustedCertificateAndOtherHostAreRefused() async throws {
        try await withTLSServer { tls in
            let untrusted = await #expect(throws: StarlingError.self) {
                _ = try await StarlingConnection.connect(
                    to: "https://localhost:\(tls.port)", database: "ks", token: tls.owner, options: ConnectionOptions(reconnect: nil))
            }
            #expect(untrusted?.code == .connectFailed)
            #expect(untrusted?.message.contains("the TLS certificate of localhost:\(tls.port) is not trusted") == true, "\(untrusted?.message ?? "")")
            let mismatch = await #expect(throws: StarlingError.self) {
                _ = try await StarlingConnection.connect(
                    to: "wss://localhost:\(tls.otherHostPort)", database: "ks", token: tls.owner,
                    options: ConnectionOptions(reconnect: nil, caFile: tls.certificates.caFile))
            }
            #expect(mismatch?.code == .connectFailed)
            #expect(
                mismatch?.message.contains(
                    "TLS hostname mismatch: the certificate presented by localhost:\(tls.otherHostPort) is not valid for `localhost`") == true,
                "\(mismatch?.message ?? "")")
        }
    }

    @Test func cliTrustsTheCAFromTheEnvironmentAFlagOrTheServerConfig() async throws {
        try await withTLSServer { tls in
            let cli = TLSCLI()
            let url = "https://localhost:\(tls.port)"
            let refused = try await cli.run(["sql", "ks", "SELECT * FROM team", "-s", url])
            #expect(refused.status != 0 && refused.err.contains("the TLS certificate of localhost:\(tls.port) is not trusted"), "\(refused.err)")

            let called = try await cli.run(["call", "ks", "set_team", "7", "cli", "-s", url], caFileEnv: tls.certificates.caFile)
            #expect(called.status == 0, "\(called.err)")
            let flagged = try await cli.run(
                ["sql", "ks", "SELECT name FROM team WHERE id = 7", "-s", "https://127.0.0.1:\(tls.port)", "--ca-file", tls.certificates.caFile])
            #expect(flagged.status == 0 && flagged.out.contains("cli"), "\(flagged.out) \(flagged.err)")

            let added = try await cli.run(["server", "add", url, "--name", "secure", "--ca-file", tls.certificates.caFile])
            #expect(added.status == 0, "\(added.err)")
            #expect(try await cli.run(["server", "list"]).out.contains("(CA file \(tls.certificates.caFile))"))
            // `subscribe` goes over wss://: it sees the next call, made after the subscription was applied.
            let subscriber = cli.start(["subscribe", "ks", "SELECT * FROM team", "-n", "1", "-t", "30", "--print-initial-update", "-s", "secure"])
            try await waitUntil("the wss:// subscription", timeout: .seconds(15)) { subscriber.stdout.contains("SubscribeApplied") }
            #expect(try await cli.run(["call", "ks", "set_team", "8", "saved CA", "-s", "secure"]).status == 0)
            let subscribed = try await offload { subscriber.finish() }
            #expect(subscribed.status == 0 && subscribed.out.contains("saved CA"), "\(subscribed.out) \(subscribed.err)")
        }
    }
}

/// Runs the `starling` binary with its own config directory (and optionally `STARLING_CA_FILE`);
/// its output goes to files.
private struct TLSCLI {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("starling-cli-tls-\(UUID().uuidString)").path

    struct Running: @unchecked Sendable {
        let process: Process
        let files: String
        var stdout: String { (try? String(contentsOfFile: files + ".out", encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOfFile: files + ".err", encoding: .utf8)) ?? "" }

        func finish() -> (status: Int32, out: String, err: String) {
            process.waitUntilExit()
            return (process.terminationStatus, stdout, stderr)
        }
    }

    func start(_ arguments: [String], caFileEnv: String? = nil) -> Running {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestServer.binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["STARLING_CONFIG_DIR"] = directory + "/config"
        env["STARLING_CA_FILE"] = caFileEnv
        process.environment = env
        let files = directory + "/\(UUID().uuidString)"
        for suffix in [".out", ".err"] { FileManager.default.createFile(atPath: files + suffix, contents: nil) }
        process.standardOutput = FileHandle(forWritingAtPath: files + ".out")
        process.standardError = FileHandle(forWritingAtPath: files + ".err")
        try? process.run()
        return Running(process: process, files: files)
    }

    func run(_ arguments: [String], caFileEnv: String? = nil) async throws -> (status: Int32, out: String, err: String) {
        let running = start(arguments, caFileEnv: caFileEnv)
        return try await offload { running.finish() }
    }
}
