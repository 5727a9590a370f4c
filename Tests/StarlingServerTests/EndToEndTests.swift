import Foundation
import StarlingNetClient
import StarlingTypes
import Testing

/// The whole user path through the real binary: publish → call → sql → subscribe sees the
/// change → logs show the module's line → restart → data and module are back → delete.
@Suite(.serialized) struct EndToEndTests {
    @Test func publishCallQuerySubscribeRestartDelete() async throws {
        var server = try await ServerProcess.start()
        let cli = CLI()
        let chat = ServerProcess.repository.appendingPathComponent("Examples/quickstart-chat").path

        let published = try await cli.run(["publish", "chat", "--project-path", chat, "-s", server.url])
        #expect(published.status == 0, "\(published.err)")
        #expect(published.out.contains("created database `chat`"))

        // A subscriber that is in place before the call sees exactly that transaction.
        let sub = cli.start(["subscribe", "chat", "SELECT * FROM message", "-n", "1", "-t", "60", "--print-initial-update", "-s", server.url])
        #expect(await sub.waitFor("SubscribeApplied"), "subscribe did not start: \(sub.stderr)")

        let call = try await cli.run(["call", "chat", "send_message", "hello from the e2e test", "-s", server.url])
        #expect(call.status == 0, "\(call.err)")
        let subscribed = await sub.finish()
        #expect(subscribed.status == 0, "\(subscribed.err)")
        let lines = subscribed.out.split(separator: "\n")
        #expect(lines.count == 2)
        let update = try JSONValue.parse(String(lines.last ?? ""))
        #expect(update["TransactionUpdate"]?["status"] == "committed")
        #expect(update["TransactionUpdate"]?["reducer_call"]?["reducer_name"] == "send_message")
        let inserted = update["TransactionUpdate"]?["tables"]?[0]?["inserts"]?[0]
        #expect(inserted?["text"] == "hello from the e2e test")

        let sql = try await cli.run(["sql", "chat", "SELECT text FROM message", "-s", server.url])
        #expect(sql.status == 0, "\(sql.err)")
        #expect(sql.out.contains("hello from the e2e test") && sql.out.contains("(1 row)"), "\(sql.out)")

        let logs = try await cli.run(["logs", "chat", "-s", server.url])
        #expect(logs.status == 0, "\(logs.err)")
        #expect(logs.out.contains("message from") && logs.out.contains("hello from the e2e test"), "\(logs.out)")

        // Restart on the same port: the module and the data come back.
        #expect(server.stop() == 0, "unclean shutdown: \(server.log)")
        server = try await ServerProcess.start(directory: server.directory, port: server.port)
        let again = try await cli.run(["sql", "chat", "SELECT * FROM message", "--json", "-s", server.url])
        #expect(again.status == 0, "\(again.err)")
        let rows = try JSONValue.parse(again.out)[0]?["rows"]?.arrayValue ?? []
        #expect(rows.count == 1 && rows.first?[2] == "hello from the e2e test", "\(again.out)")
        let described = try await cli.run(["describe", "chat", "-s", server.url])
        #expect(described.out.contains("reducer send_message(text: string)"), "\(described.out)")
        let logsAgain = try await cli.run(["logs", "chat", "-s", server.url])
        #expect(logsAgain.out.contains("hello from the e2e test"), "the log did not survive the restart: \(logsAgain.out)")
        let call2 = try await cli.run(["call", "chat", "send_message", "after restart", "-s", server.url])
        #expect(call2.status == 0, "\(call2.err)")

        let deleted = try await cli.run(["delete", "chat", "-s", server.url])
        #expect(deleted.status == 0, "\(deleted.err)")
        let gone = try await cli.run(["describe", "chat", "-s", server.url])
        #expect(gone.status != 0 && gone.err.contains("no database named `chat`"), "\(gone.err)")
        #expect(!FileManager.default.fileExists(atPath: server.dataDir + "/databases/chat"))
        #expect(server.stop() == 0)
    }

    @Test func identityVerbsAndServerConfig() async throws {
        let server = try await ServerProcess.start(arguments: ["--in-memory"])
        defer { server.stop() }
        let cli = CLI()
        let shown = try await cli.run(["identity", "show", "-s", server.url])
        #expect(shown.status == 0 && shown.out.trimmingCharacters(in: .whitespacesAndNewlines).count == 64, "\(shown)")
        let token = try await cli.run(["identity", "token", "-s", server.url]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let me = try await server.request("GET", "/v1/identity", token: token)
        #expect(me.status == 200 && me.text.contains(shown.out.trimmingCharacters(in: .whitespacesAndNewlines)))
        let fresh = try await cli.run(["identity", "new", "-s", server.url])
        #expect(fresh.status == 0 && fresh.out != shown.out)

        #expect(try await cli.run(["server", "add", server.url, "--name", "local", "--default"]).status == 0)
        let list = try await cli.run(["server", "list"])
        #expect(list.out.contains("* local  \(server.url)"), "\(list.out)")
        // With a default server configured, -s is not needed.
        let dbs = try await cli.run(["list"])
        #expect(dbs.status == 0, "\(dbs.err)")
        let bad = try await cli.run(["server", "set-default", "nowhere"])
        #expect(bad.status != 0 && bad.err.contains("no server named `nowhere`"))
    }
}

/// `starling init` scaffolds a module package that builds and publishes as is.
@Suite(.serialized) struct InitTests {
    @Test func initThenPublishThenCall() async throws {
        let server = try await ServerProcess.start(arguments: ["--in-memory"])
        defer { server.stop() }
        let cli = CLI()
        let dir = server.directory + "/my-game"
        let created = try await cli.run(["init", "--lang", "swift", dir])
        #expect(created.status == 0, "\(created.err)")
        #expect(FileManager.default.fileExists(atPath: dir + "/Sources/my_game/Module.swift"))
        let again = try await cli.run(["init", dir])
        #expect(again.status != 0 && again.err.contains("is not empty"))
        let published = try await cli.run(["publish", "--project-path", dir, "-s", server.url])
        #expect(published.status == 0 && published.out.contains("created database `my-game`"), "\(published.err)")
        #expect(try await cli.run(["call", "my-game", "add", "ann", "-s", server.url]).status == 0)
        let rows = try await cli.run(["sql", "my-game", "SELECT name FROM person", "-s", server.url])
        #expect(rows.out.contains("ann"), "\(rows.out) \(rows.err)")
    }
}
