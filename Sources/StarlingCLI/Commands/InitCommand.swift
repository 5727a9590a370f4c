import ArgumentParser
import Foundation

/// `starling init`: scaffolds a module package that builds and publishes as is.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new module package (Swift) in a directory.",
        discussion: """
            Writes Package.swift (depending on the Starling module SDK), a sample table and reducers, \
            and .gitignore. Then: `starling publish NAME --project-path DIR`. The SDK is found next to \
            this starling (a source checkout) or at $STARLING_SDK_PATH.
            """
    )

    @Option(name: .long, help: "The module language (swift).") var lang = "swift"
    @Argument(help: "The directory to create (must not exist or be empty).") var directory: String

    func run() throws {
        guard lang == "swift" else { throw CLIError("only --lang swift modules can be scaffolded (C modules: see docs/module-abi.md)") }
        let dir = URL(fileURLWithPath: directory).standardizedFileURL
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        guard existing.isEmpty else { throw CLIError("\(dir.path) is not empty") }
        let sdk = try Self.locateSDK()
        let name = PublishCommand.defaultName(dir.path)
        let target = name.replacingOccurrences(of: "-", with: "_")
        let sources = dir.appendingPathComponent("Sources/\(target)")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try Self.packageManifest(name: name, target: target, sdk: sdk).write(to: dir.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        try Self.sample.write(to: sources.appendingPathComponent("Module.swift"), atomically: true, encoding: .utf8)
        try ".build/\n".write(to: dir.appendingPathComponent(".gitignore"), atomically: true, encoding: .utf8)
        print("created module `\(name)` in \(dir.path)")
        print("next: starling publish \(name) --project-path \(dir.path)")
    }

    /// The SDK package: `$STARLING_SDK_PATH`, else `SDK/` in the checkout this executable was built in.
    static func locateSDK() throws -> String {
        if let p = ProcessInfo.processInfo.environment["STARLING_SDK_PATH"] { return p }
        guard let path = checkoutPath("SDK/Package.swift") else {
            throw CLIError("cannot find the Starling module SDK; set STARLING_SDK_PATH to the SDK directory of a Starling checkout")
        }
        return URL(fileURLWithPath: path).deletingLastPathComponent().path
    }

    /// `relative` in the source checkout this executable was built in (searching up from it), if there.
    static func checkoutPath(_ relative: String) -> String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    static func packageManifest(name: String, target: String, sdk: String) -> String {
        """
        // swift-tools-version: 6.1
        // A Starling module. Build: `starling build`; publish: `starling publish \(name)`.
        import PackageDescription

        let package = Package(
            name: "\(name)",
            dependencies: [.package(path: "\(sdk)")],
            targets: [
                .executableTarget(
                    name: "\(target)",
                    dependencies: [.product(name: "StarlingModule", package: "SDK")],
                    swiftSettings: [
                        .enableExperimentalFeature("Embedded"), .enableExperimentalFeature("Extern"), .unsafeFlags(["-wmo"]),
                    ],
                    linkerSettings: [
                        .unsafeFlags(["-Xclang-linker", "-nostdlib", "-Xlinker", "--no-entry", "-Xlinker", "--strip-debug"])
                    ]
                )
            ]
        )

        """
    }

    static let sample = """
        import StarlingModule

        /// A row per person; clients subscribe with `SELECT * FROM person`.
        @Table(public: true)
        struct Person {
            @PrimaryKey @AutoInc var id: UInt64
            var name: String
        }

        /// Adds a person: `starling call NAME add ann`.
        @Reducer
        func add(ctx: ReducerContext, name: String) throws(ReducerError) {
            guard !name.isEmpty else { throw ReducerError("a name must not be empty") }
            let person = try ctx.db[Person.self].insert(Person(id: 0, name: name))
            Log.info("added \\(name) as #\\(person.id)")
        }

        /// Greets everyone in the log: `starling call NAME say_hello`, then `starling logs NAME`.
        @Reducer
        func sayHello(ctx: ReducerContext) {
            for person in ctx.db[Person.self].iter() { Log.info("Hello, \\(person.name)!") }
            Log.info("Hello, World!")
        }

        """
}
