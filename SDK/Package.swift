// swift-tools-version: 6.1
import PackageDescription

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
        .target(name: "StarlingModule", dependencies: ["StarlingTypes", "CStarlingRuntime"], swiftSettings: embedded),
    ]
)
