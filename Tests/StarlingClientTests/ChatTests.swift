import Foundation
import StarlingClient
import Synchronization
import Testing

/// The quickstart chat: two SDK clients, then two real `quickstart-chat-client` processes.
@Suite struct ChatTests {
    @Test func twoClientsSeeEachOthersMessagesAndPresence() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        try await server.publish("chat", try await TestModules.chat())
        let ann = try await StarlingConnection.connect(to: server.url, database: "chat")
        let bob = try await StarlingConnection.connect(to: server.url, database: "chat", options: ConnectionOptions(wireFormat: .json))
        #expect(ann.identity != bob.identity && !ann.token.isEmpty)
        let annMessages = Recorder<String>()
        let annPresence = Recorder<String>()
        let users = try ann.table(named: "user")
        try ann.table(named: "message").onInsert { m, ctx in
            if ctx.kind == .transaction, case .string(let text)? = m["text"] { annMessages.append(text) }
        }
        users.onUpdate { old, new, _ in
            if old["online"] != new["online"], case .bool(let online)? = new["online"] { annPresence.append("online=\(online)") }
            if old["name"] != new["name"], case .option(.string(let name)?)? = new["name"] { annPresence.append("name=\(name)") }
        }
        _ = try await ann.subscribe(["SELECT * FROM user", "SELECT * FROM message"])
        _ = try await bob.subscribe(["SELECT * FROM message", "SELECT * FROM user"])
        #expect(users.count == 2)
        #expect(users.find("identity", equals: bob.identity)?["online"] == .bool(true))

        try await bob.call("set_name", [.string("bob")])
        try await bob.call("send_message", [.string("hi ann")])
        try await waitUntil("bob's message") { annMessages.count == 1 }
        #expect(annMessages.all == ["hi ann"] && annPresence.all == ["name=bob"])
        try await ann.call("send_message", [.string("hi bob")])
        let bobMessages = try bob.table(named: "message")
        try await waitUntil("ann's message at bob's") { bobMessages.count == 2 }
        #expect(Set(bobMessages.rows.compactMap { $0["text"] }) == [.string("hi ann"), .string("hi bob")])
        let empty = await #expect(throws: StarlingError.self) { try await ann.call("send_message", [.string("   ")]) }
        #expect(empty?.reason == "messages must not be empty")

        await bob.close()
        try await waitUntil("bob going offline") { annPresence.count == 2 }
        #expect(annPresence.all.last == "online=false")
        #expect(users.find("identity", equals: bob.identity)?["name"] == .option(.string("bob")))
        await ann.close()
    }

    @Test func twoTerminalClientsTalkThroughTheServer() async throws {
        let server = try await TestServer.start()
        defer { server.stop() }
        try await server.publish("chat", try await TestModules.chat())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chat-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let alice = try ChatProcess(server: server, tokenFile: dir + "/alice.token")
        try await alice.waitFor("* connected as")
        alice.type("/name alice")
        try await alice.waitFor("is now known as alice")
        let bob = try ChatProcess(server: server, tokenFile: dir + "/bob.token")
        try await bob.waitFor("* connected as")
        #expect(bob.output.contains("online: alice"))
        try await alice.waitFor("is online")
        bob.type("/name bob")
        try await alice.waitFor("is now known as bob")
        alice.type("hello from alice")
        try await bob.waitFor("alice: hello from alice")
        bob.type("hi alice")
        try await alice.waitFor("bob: hi alice")
        bob.type("   ")
        bob.type("/name")
        try await bob.waitFor("! names must not be empty")
        bob.endInput()
        #expect(await bob.exitStatus() == 0)
        try await alice.waitFor("* bob is offline")

        // The token file keeps bob's identity: the next run is bob again, with the history.
        let again = try ChatProcess(server: server, tokenFile: dir + "/bob.token")
        try await again.waitFor("* connected as bob; online: alice")
        #expect(again.output.contains("alice: hello from alice\nbob: hi alice\n"))
        try await alice.waitFor("* bob is online")
        again.type("/quit")
        #expect(await again.exitStatus() == 0)
        alice.endInput()
        #expect(await alice.exitStatus() == 0)
    }
}

/// A `quickstart-chat-client` process with a pipe to its stdin and its stdout collected.
final class ChatProcess: @unchecked Sendable {
    private let process: Process
    private let input: Pipe
    private let collected = Text()

    init(server: TestServer, tokenFile: String) throws {
        let executable = TestServer.productsDirectory.appendingPathComponent("quickstart-chat-client")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            // The test target cannot depend on an executable of its own package; `swift build` builds it.
            throw TestFailure("no \(executable.path): build it first (`swift build --product quickstart-chat-client`)")
        }
        process = Process()
        process.executableURL = executable
        process.arguments = ["--server", server.url, "--database", "chat", "--token-file", tokenFile]
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        let collected = self.collected
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            collected.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var output: String { collected.text.withLock { $0 } }

    func type(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

    func endInput() { try? input.fileHandleForWriting.close() }

    /// Waits until the output contains `text`.
    func waitFor(_ text: String, timeout: Duration = .seconds(15)) async throws {
        do {
            try await waitUntil("`\(text)`", timeout: timeout) { output.contains(text) }
        } catch {
            throw TestFailure("the chat client never printed `\(text)`; it printed:\n\(output)")
        }
    }

    func exitStatus() async -> Int32 {
        let deadline = ContinuousClock.now + .seconds(15)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }
}

/// Text appended from another thread.
final class Text: Sendable {
    let text = Mutex<String>("")
}
