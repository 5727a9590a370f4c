import ArgumentParser
import Foundation

/// `starling build`: compiles a module package to WebAssembly and prints the `.wasm` path.
struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a module (Swift package) into a .wasm file.",
        discussion: """
            Runs `swift build --triple wasm32-unknown-none-wasm -c release` in the project with the SDK's \
            macro plugin, and prints the path of the built module on stdout.
            """
    )

    @Option(name: .long, help: "The module's package directory.")
    var projectPath: String = "."

    func run() throws {
        do throws(ModuleBuildError) {
            let builder = try ModuleBuilder(projectPath: URL(fileURLWithPath: projectPath))
            let start = Date()
            let wasm = try builder.build()
            let size = (try? FileManager.default.attributesOfItem(atPath: wasm.path)[.size] as? Int) ?? 0
            FileHandle.standardError.write(
                Data("built \(wasm.lastPathComponent) (\(size / 1024) KiB) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s\n".utf8))
            print(wasm.path)
        } catch {
            throw ValidationError(error.message)
        }
    }
}
