import ArgumentParser
import Foundation
import StarlingNetClient
import StarlingTypes

/// `starling backup`: downloads a consistent online backup of a database (owner only).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Download a consistent backup of a database while it keeps serving (owner only).",
        discussion: """
            The backup is one tar archive: a snapshot of the database (its module included) and \
            the commitlog after it. Restore it with `starling restore FILE --name NAME`.
            """)

    @Argument(help: "The database.") var database: String
    @Option(name: .long, help: "Where to write the archive (replaced if it exists).") var out: String
    @OptionGroup var server: ServerOption

    func run() async throws {
        let c = try await server.connect()
        let stream = try await c.stream("/v1/database/\(ServerConnection.segment(database))/backup")
        let temp = out + ".partial"
        guard FileManager.default.createFile(atPath: temp, contents: nil), let file = FileHandle(forWritingAtPath: temp) else {
            stream.cancel()
            throw CLIError("cannot create \(temp)")
        }
        var bytes = 0
        do {
            for try await chunk in stream.body {
                try file.write(contentsOf: chunk)
                bytes += chunk.count
            }
            try file.synchronize()
            try file.close()
        } catch {
            try? file.close()
            try? FileManager.default.removeItem(atPath: temp)
            throw CLIError("the backup download failed: \(error)")
        }
        if let expected = stream.header("content-length").flatMap(Int.init), expected != bytes {
            try? FileManager.default.removeItem(atPath: temp)
            throw CLIError("the backup download ended after \(bytes) of \(expected) bytes")
        }
        if FileManager.default.fileExists(atPath: out) { try FileManager.default.removeItem(atPath: out) }
        try FileManager.default.moveItem(atPath: temp, toPath: out)
        print("backed up `\(database)` to \(out) (\(bytes) bytes)")
    }
}

/// `starling restore`: creates a database from a backup archive (owned by the caller).
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Create a database from a backup made by `starling backup` (you become its owner).")

    @Argument(help: "The backup archive.") var file: String
    @Option(name: .long, help: "The name of the database to create.") var name: String
    @Flag(name: .long, help: "Replace an existing database of that name (you must own it).") var replace = false
    @OptionGroup var server: ServerOption

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
        let c = try await server.connect()
        let path = "/v1/database/\(ServerConnection.segment(name))/restore" + (replace ? "?replace=true" : "")
        let r = try await c.send("POST", path, body: [UInt8](data), timeout: .seconds(3600))
        let info = try? JSONValue.parse(utf8: r.body)
        print("restored `\(name)` from \(file)" + (info?["identity"]?.stringValue.map { " (identity \($0))" } ?? ""))
    }
}
