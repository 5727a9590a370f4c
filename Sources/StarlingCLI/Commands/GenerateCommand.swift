import ArgumentParser
import Foundation
import StarlingCodegen
import StarlingModuleHost
import StarlingTypes

/// `starling generate`: client bindings (Swift or TypeScript) for a module.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate client bindings (Swift or TypeScript) for a module.",
        discussion: """
            Reads the module's schema — from a built .wasm (--wasm) or by building the package at \
            --project-path like `starling build` — and writes one file into --out-dir:

              swift       StarlingBindings.swift for the StarlingClient SDK: a StarlingRow struct per \
            table (BSATN decode/encode), structs and enums for the module's other types, typed \
            finders (`conn.db.user.find(identity:)`), typed reducer calls \
            (`try await conn.reducers.sendMessage(text:)`).
              typescript  starling-bindings.js, an ES module with JSDoc types for the JavaScript SDK \
            (Clients/typescript): typedefs per row and type, a class per table with finders, typed \
            reducer calls; `bind(client)` returns { db, reducers }.

            Regenerate after changing the module's tables, types or reducers; \
            `conn.db.verify()` (Swift) reports bindings that no longer match a database.

            Examples:
              starling generate --lang swift --project-path . --out-dir Sources/App
              starling generate --lang typescript --wasm chat.wasm --out-dir web
            """
    )

    @Option(name: .long, help: "The language: swift or typescript.")
    var lang: String

    @Option(name: .customLong("project-path"), help: "The module's package directory (built like `starling build`).")
    var projectPath: String?

    @Option(name: .long, help: "A built module (.wasm) to read instead of building.")
    var wasm: String?

    @Option(name: .customLong("out-dir"), help: "The directory to write the bindings into (created if missing).")
    var outDir: String

    @Option(name: .customLong("file-name"), help: "The output file's name (default: StarlingBindings.swift / starling-bindings.js).")
    var fileName: String?

    @Option(name: .customLong("sdk-import"), help: "TypeScript only: the module specifier to import the SDK from.")
    var sdkImport: String = "@starling/client"

    func validate() throws {
        guard Codegen.Language(rawValue: lang.lowercased()) != nil else {
            throw ValidationError("--lang must be swift or typescript, not `\(lang)`")
        }
        if (projectPath == nil) == (wasm == nil) { throw ValidationError("give --project-path DIR or --wasm FILE (one of them)") }
    }

    func run() throws {
        let language = Codegen.Language(rawValue: lang.lowercased())!
        let (bytes, source) = try loadModule()
        let schema: ModuleSchema
        do { schema = try ModuleSchemaLoader.schema(ofWasm: bytes) } catch { throw CLIError("cannot read the schema of \(source): \(error)") }
        let header = ModuleSchemaLoader.header(command: commandLine(language), source: source)
        let text = Codegen.generate(schema, language: language, header: header, typeScriptSDKImport: sdkImport)
        let dir = URL(fileURLWithPath: outDir)
        let file = dir.appendingPathComponent(fileName ?? language.defaultFileName)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file, options: .atomic)
        } catch {
            throw CLIError("cannot write \(file.path): \(error.localizedDescription)")
        }
        note("generated \(schema.tables.count) tables, \(schema.reducers.filter { $0.lifecycle == .none }.count) reducers")
        print(file.path)
    }

    private func commandLine(_ language: Codegen.Language) -> String {
        var parts = ["starling generate", "--lang \(language.rawValue)"]
        if let projectPath { parts.append("--project-path \(projectPath)") }
        if let wasm { parts.append("--wasm \(wasm)") }
        parts.append("--out-dir \(outDir)")
        if let fileName { parts.append("--file-name \(fileName)") }
        if language == .typescript && sdkImport != "@starling/client" { parts.append("--sdk-import \(sdkImport)") }
        return parts.joined(separator: " ")
    }

    private func loadModule() throws -> ([UInt8], String) {
        if let wasm {
            guard let data = FileManager.default.contents(atPath: wasm) else { throw CLIError("cannot read \(wasm)") }
            return (Array(data), URL(fileURLWithPath: wasm).lastPathComponent)
        }
        let project = URL(fileURLWithPath: projectPath ?? ".").standardizedFileURL
        note("building \(project.path)...")
        let built: URL
        do throws(ModuleBuildError) { built = try ModuleBuilder(projectPath: project).build() } catch { throw CLIError(error.message) }
        guard let data = FileManager.default.contents(atPath: built.path) else { throw CLIError("cannot read \(built.path)") }
        return (Array(data), project.lastPathComponent)
    }
}

/// Reads a module's schema the way the server does: loads the wasm and runs its describers.
public enum ModuleSchemaLoader {
    /// The validated schema of the module `wasm`.
    public static func schema(ofWasm wasm: [UInt8]) throws -> ModuleSchema {
        try ModuleHost(wasm: wasm, log: ModuleLog(), databaseIdentity: .zero).schema
    }

    /// The comment lines at the top of generated bindings.
    public static func header(command: String, source: String) -> String {
        """
        Generated by `\(command)` from the module `\(source)`.
        Do not edit: run the command again after changing the module's tables, types or reducers.
        """
    }
}
