import Foundation

/// Why a module could not be built.
public struct ModuleBuildError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Builds a module package (Swift, Embedded, `wasm32-unknown-none-wasm`) into a `.wasm` file.
///
/// Module packages depend on the SDK but not on swift-syntax: the SDK's macros come from the
/// `starling-macros` plugin executable built with the `starling` tools and handed to the compiler
/// with `-load-plugin-executable`, so a module author never compiles swift-syntax.
public struct ModuleBuilder {
    /// The package to build.
    public var projectPath: URL
    /// The macro plugin executable.
    public var macrosPlugin: URL
    /// The `swift` executable.
    public var swift: URL
    /// Extra arguments for `swift build` (e.g. `--scratch-path`).
    public var extraArguments: [String] = []

    /// A builder using the tools found next to this executable and on PATH.
    public init(projectPath: URL, extraArguments: [String] = []) throws(ModuleBuildError) {
        self.projectPath = projectPath
        self.extraArguments = extraArguments
        self.macrosPlugin = try Self.locatePlugin()
        self.swift = try Self.locateSwift()
    }

    /// Runs `swift build` and returns the module's `.wasm`. Compiler output goes to `log`.
    public func build(log: (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) throws(ModuleBuildError) -> URL {
        guard FileManager.default.fileExists(atPath: projectPath.appendingPathComponent("Package.swift").path) else {
            throw ModuleBuildError("no Package.swift in \(projectPath.path): --project-path must name a module package")
        }
        let arguments = buildArguments
        let (status, _) = try run(swift, ["build"] + arguments, log: log)
        guard status == 0 else {
            throw ModuleBuildError("building the module in \(projectPath.path) failed (swift build exit status \(status)); see the compiler output above")
        }
        return try findWasm(in: try binDirectory(arguments))
    }

    /// Where the build puts the module: the package's own `.build` unless a scratch path is given.
    private func binDirectory(_ arguments: [String]) throws(ModuleBuildError) -> URL {
        if !extraArguments.contains(where: { $0.hasPrefix("--scratch-path") || $0.hasPrefix("--build-path") }) {
            return projectPath.appendingPathComponent(".build/wasm32-unknown-none-wasm/release")
        }
        let (status, bin) = try run(swift, ["build", "--show-bin-path"] + arguments, log: { _ in })
        guard status == 0 else { throw ModuleBuildError("could not find the build output directory of \(projectPath.path)") }
        return URL(fileURLWithPath: bin.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    var buildArguments: [String] {
        [
            "--package-path", projectPath.path, "--triple", "wasm32-unknown-none-wasm", "-c", "release",
            // Re-plan every build: a cached plan misses files added to the SDK after an upgrade.
            "--disable-build-manifest-caching",
            "-Xswiftc", "-load-plugin-executable", "-Xswiftc", macrosPlugin.path + "#StarlingMacros",
            "-Xlinker", "-L" + Self.embeddedLibraryDirectory(swift: swift),
        ] + extraArguments
    }

    private func findWasm(in bin: URL) throws(ModuleBuildError) -> URL {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: bin.path)) ?? []
        let wasm = files.filter { $0.hasSuffix(".wasm") }.sorted()
        if wasm.count == 1 { return bin.appendingPathComponent(wasm[0]) }
        let preferred = projectPath.standardizedFileURL.lastPathComponent + ".wasm"
        if wasm.contains(preferred) { return bin.appendingPathComponent(preferred) }
        if wasm.isEmpty {
            throw ModuleBuildError("the build of \(projectPath.path) produced no .wasm in \(bin.path); does the package have an executable target?")
        }
        throw ModuleBuildError("the build produced several modules (\(wasm.joined(separator: ", "))); use --bin-path to pick one")
    }

    /// The plugin: `$STARLING_MACROS_PLUGIN`, else `starling-macros` next to this executable.
    static func locatePlugin() throws(ModuleBuildError) -> URL {
        if let path = ProcessInfo.processInfo.environment["STARLING_MACROS_PLUGIN"] { return URL(fileURLWithPath: path) }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidate = exe.deletingLastPathComponent().appendingPathComponent("starling-macros")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        throw ModuleBuildError(
            "the SDK's macro plugin `starling-macros` is not next to \(exe.path); build it (`swift build --product starling-macros`) or set STARLING_MACROS_PLUGIN")
    }

    /// `swift` from `$SWIFT_EXEC`-style override `STARLING_SWIFT`, else the first on PATH.
    static func locateSwift() throws(ModuleBuildError) -> URL {
        let env = ProcessInfo.processInfo.environment
        if let path = env["STARLING_SWIFT"] { return URL(fileURLWithPath: path) }
        for dir in (env["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("swift")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw ModuleBuildError("no `swift` on PATH: modules are built with the Swift toolchain (6.3 or later)")
    }

    /// The toolchain's Embedded-Swift wasm32 libraries (Unicode tables for String).
    static func embeddedLibraryDirectory(swift: URL) -> String {
        let root = swift.resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("lib/swift/embedded/wasm32-unknown-none-wasm").path
    }

    private func run(_ exe: URL, _ args: [String], log: (String) -> Void) throws(ModuleBuildError) -> (Int32, String) {
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { throw ModuleBuildError("could not run \(exe.path): \(error)") }
        var output = Data()
        while true {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            output.append(chunk)
            log(String(decoding: chunk, as: UTF8.self))
        }
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
