import ArgumentParser
import Foundation
import StarlingTypes

/// `starling publish`: builds a module and uploads it (a new database, or an update).
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Build a module and publish it to a database (create or update).",
        discussion: """
            Builds the package at --project-path (or takes --bin-path FILE.wasm) and uploads it. A new \
            name creates a database owned by your identity; an existing one is updated in place if the \
            schema change is compatible (new tables, appended columns, new indexes). \
            --clear-database replaces it and deletes all of its data.
            """
    )

    @Argument(help: "The database name (default: the project directory's or wasm file's name).")
    var name: String?

    @Option(name: .customLong("project-path"), help: "The module's package directory (default: .).")
    var projectPath: String?

    @Option(name: .customLong("bin-path"), help: "A built module (.wasm) to upload instead of building.")
    var binPath: String?

    @Flag(name: [.customShort("c"), .customLong("clear-database")], help: "Delete all data and publish from scratch.")
    var clearDatabase = false

    @OptionGroup var server: ServerOption

    func validate() throws {
        if projectPath != nil && binPath != nil { throw ValidationError("give --project-path or --bin-path, not both") }
    }

    func run() async throws {
        let (wasm, source) = try loadModule()
        let dbName = name ?? Self.defaultName(source)
        let c = try await server.connect()
        note("uploading \(wasm.count / 1024) KiB to \(c.baseURL) as `\(dbName)`...")
        let path = "/v1/database/\(ServerConnection.segment(dbName))" + (clearDatabase ? "?clear=true" : "")
        let json = try await c.json("POST", path, body: wasm)
        if json["created"]?.boolValue == true {
            print("created database `\(dbName)` (identity \(json["identity"]?.stringValue ?? "?"))")
        } else {
            let changes = json["changes"]?.arrayValue?.compactMap(\.stringValue) ?? []
            print("updated database `\(dbName)`" + (changes.isEmpty ? " (no schema changes)" : ": " + changes.joined(separator: "; ")))
        }
    }

    /// The module bytes and the path they came from (building the project if needed).
    private func loadModule() throws -> ([UInt8], String) {
        if let binPath {
            guard let data = FileManager.default.contents(atPath: binPath) else { throw CLIError("cannot read \(binPath)") }
            return (Array(data), binPath)
        }
        let project = URL(fileURLWithPath: projectPath ?? ".").standardizedFileURL
        note("building \(project.path)...")
        let start = Date()
        let wasm: URL
        do throws(ModuleBuildError) { wasm = try ModuleBuilder(projectPath: project).build() } catch { throw CLIError(error.message) }
        note(String(format: "built %@ in %.1f s", wasm.lastPathComponent, Date().timeIntervalSince(start)))
        guard let data = FileManager.default.contents(atPath: wasm.path) else { throw CLIError("cannot read \(wasm.path)") }
        return (Array(data), project.path)
    }

    /// A valid database name from a path: its last component, lowercased, other characters as `-`.
    static func defaultName(_ path: String) -> String {
        var base = URL(fileURLWithPath: path).lastPathComponent
        if base.hasSuffix(".wasm") { base.removeLast(5) }
        let mapped = base.lowercased().map { c -> Character in (c.isLetter && c.isASCII) || c.isNumber || c == "-" || c == "_" ? c : "-" }
        let name = String(mapped).trimmingCharacters(in: CharacterSet(charactersIn: "-_"))
        return name.isEmpty ? "module" : name
    }
}
