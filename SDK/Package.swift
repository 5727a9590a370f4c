// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// The toolchain's Embedded-Swift libraries for wasm32 (Unicode tables), found from the `swift`
/// on PATH (`SWIFT_TOOLCHAIN_DIR` overrides).
let embeddedLibDir: String = {
    let env = Context.environment
    var roots: [String] = []
    if let dir = env["SWIFT_TOOLCHAIN_DIR"] { roots.append(dir) }
    for entry in (env["PATH"] ?? "").split(separator: ":") {
        let swift = URL(fileURLWithPath: String(entry)).appendingPathComponent("swift").resolvingSymlinksInPath()
        if FileManager.default.isExecutableFile(atPath: swift.path) {
            roots.append(swift.deletingLastPathComponent().deletingLastPathComponent().path)
        }
    }
    for root in roots {
        let dir = root + "/lib/swift/embedded/wasm32-unknown-none-wasm"
        if FileManager.default.fileExists(atPath: dir + "/libswiftUnicodeDataTables.a") { return dir }
    }
    return "/opt/swift/usr/lib/swift/embedded/wasm32-unknown-none-wasm"
}()

/// The Starling module SDK: what a module author's package depends on. It only builds as Embedded
/// Swift for WebAssembly: `swift build --triple wasm32-unknown-none-wasm -c release` (or
/// `starling build`, which also hands the compiler the SDK's macros).
let embedded: [SwiftSetting] = [
    .enableExperimentalFeature("Embedded"),
    .enableExperimentalFeature("Extern"),
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-wmo"]),
]

let package = Package(
    name: "StarlingSDK",
    products: [
        .library(name: "StarlingModule", targets: ["StarlingModule"])
    ],
    targets: [
        // The shared type system (a symlink to the server's `Sources/StarlingTypes`).
        .target(name: "StarlingTypes", swiftSettings: embedded),
        // The tiny runtime a wasm module needs: allocator, memory functions, stack-protector hooks.
        .target(name: "CStarlingRuntime", cSettings: [.unsafeFlags(["-fno-builtin", "-fno-stack-protector", "-mbulk-memory", "-O2"])]),
        // The module author's API: tables, reducers, the reducer context, logging.
        // String comparison and Character need Unicode normalization tables (the toolchain ships them).
        .target(
            name: "StarlingModule", dependencies: ["StarlingTypes", "CStarlingRuntime"], swiftSettings: embedded,
            linkerSettings: [.linkedLibrary("swiftUnicodeDataTables"), .unsafeFlags(["-L\(embeddedLibDir)"])]
        ),
    ]
)
