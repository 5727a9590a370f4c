// swift-tools-version: 6.1
import PackageDescription

/// `STARLING_EMBEDDED=1 swift build --triple wasm32-unknown-none-wasm --target StarlingTypes`
/// builds the Embedded-Swift targets for WebAssembly (see README "Building for wasm").
let embedded = Context.environment["STARLING_EMBEDDED"] != nil

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Settings for targets that must also compile as Embedded Swift.
let embeddableSettings: [SwiftSetting] =
    strictSettings
    + (embedded
        ? [.enableExperimentalFeature("Embedded"), .enableExperimentalFeature("Extern"), .unsafeFlags(["-wmo"])]
        : [])

let package = Package(
    name: "Starling",
    // Apple platforms for the client libraries (StarlingClient, StarlingNetClient): Int128/UInt128
    // (StarlingTypes' values), Mutex (Synchronization) and String(validating:) need the Swift 6.0
    // runtime (macOS 15 / iOS 18); Observation and Duration alone would allow macOS 14 / iOS 17.
    // Declared only: the Apple build is not verified on the Linux machines this project runs on.
    platforms: [.macOS(.v15), .iOS(.v18)],
    products: [
        .executable(name: "starling", targets: ["starling"]),
        .executable(name: "starling-bench", targets: ["StarlingBench"]),
        .library(name: "StarlingTypes", targets: ["StarlingTypes"]),
        .library(name: "StarlingStore", targets: ["StarlingStore"]),
        .library(name: "StarlingDurability", targets: ["StarlingDurability"]),
        .library(name: "StarlingDatabase", targets: ["StarlingDatabase"]),
        .library(name: "StarlingModuleHost", targets: ["StarlingModuleHost"]),
        .library(name: "StarlingRuntime", targets: ["StarlingRuntime"]),
        .executable(name: "starling-crash-writer", targets: ["StarlingCrashWriter"]),
        .executable(name: "starling-loadgen", targets: ["StarlingLoadGen"]),
        .library(name: "StarlingClient", targets: ["StarlingClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftwasm/WasmKit", from: "0.4.2"),
        .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // Algebraic types, BSATN, JSON mapping, schema definitions. Also builds as Embedded Swift.
        .target(name: "StarlingTypes", swiftSettings: embeddableSettings),
        // Pages, rows, indexes, sequences, transactions, system tables.
        // Tiny C helpers for hot paths: a cache prefetch hint, hardware CRC32C.
        .target(name: "CStarlingSupport"),
        .target(
            name: "StarlingStore", dependencies: ["StarlingTypes", "CStarlingSupport"],
            // Tables and indexes are classes owned by one writer; dynamic exclusivity checks cost ~10%.
            swiftSettings: strictSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // The commitlog: segments of CRC-checked records holding opaque payloads, group commit.
        .target(
            name: "StarlingDurability", dependencies: ["StarlingTypes", "CStarlingSupport"], swiftSettings: strictSettings),
        // One durable database: the datastore plus its commitlog (recovery = replay).
        .target(
            name: "StarlingDatabase", dependencies: ["StarlingStore", "StarlingDurability"], swiftSettings: strictSettings),
        // Runs modules (wasm) in WasmKit: the `starling_1.0` host ABI, reducer calls, limits, module logs.
        .target(
            name: "StarlingModuleHost",
            dependencies: ["StarlingTypes", "StarlingStore", .product(name: "WasmKit", package: "WasmKit")],
            // One writer per host; dynamic exclusivity checks on the import path cost ~5% of a call.
            swiftSettings: strictSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // The module SDK's macros (@Table, @Reducer, @StarlingType ...): expansion logic.
        .target(
            name: "StarlingMacros",
            dependencies: [
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                .product(name: "SwiftSyntaxBuilder", package: "swift-syntax"),
                .product(name: "SwiftDiagnostics", package: "swift-syntax"),
            ],
            swiftSettings: strictSettings
        ),
        // The macros as a compiler plugin executable, handed to module builds with
        // `-load-plugin-executable` so module packages never compile swift-syntax themselves.
        .executableTarget(
            name: "starling-macros",
            dependencies: ["StarlingMacros", .product(name: "SwiftCompilerPlugin", package: "swift-syntax")],
            swiftSettings: strictSettings
        ),
        // One database with its module: publish/update (migration), durable reducer calls,
        // lifecycle reducers, schedules, the single-writer worker thread.
        .target(
            name: "StarlingRuntime",
            dependencies: ["StarlingDatabase", "StarlingModuleHost"],
            swiftSettings: strictSettings
        ),
        // SQL: parser (with positions), type checker, planner (indexes), executor, DML.
        .target(name: "StarlingQuery", dependencies: ["StarlingTypes", "StarlingStore"], swiftSettings: strictSettings),
        // The client/server messages (WebSocket protocol) in JSON and BSATN.
        .target(name: "StarlingProtocol", dependencies: ["StarlingTypes"], swiftSettings: strictSettings),
        // A small SwiftNIO HTTP/1.1 and WebSocket client (CLI, tests, load generator), with TLS
        // (https://, wss://) through swift-nio-ssl.
        .target(
            name: "StarlingNetClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        // `starling start`: many databases behind one port; HTTP routes and the WebSocket data path
        // on SwiftNIO channel handlers; identities and tokens; metrics.
        .target(
            name: "StarlingServer",
            dependencies: [
                "StarlingRuntime", "StarlingQuery", "StarlingProtocol",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The crash tests' child process: commits transactions until it is killed.
        // The Swift client SDK: connection, subscriptions, row cache, callbacks, typed reducer calls.
        .target(
            name: "StarlingClient",
            dependencies: ["StarlingTypes", "StarlingProtocol", "StarlingNetClient"],
            swiftSettings: strictSettings
        ),
        // Bindings for a module's schema: Swift (for StarlingClient) and TypeScript (for the JS SDK).
        .target(name: "StarlingCodegen", dependencies: ["StarlingTypes"], swiftSettings: strictSettings),
        // The quickstart's terminal chat client.
        .executableTarget(
            name: "quickstart-chat-client",
            dependencies: ["StarlingClient"],
            path: "Examples/quickstart-chat/client-swift",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "StarlingCrashWriter", dependencies: ["StarlingDatabase"], swiftSettings: strictSettings),
        // The CLI as a library of commands (testable in-process) plus a thin executable.
        .target(
            name: "StarlingCLI",
            dependencies: [
                "StarlingTypes", "StarlingStore", "StarlingServer", "StarlingNetClient", "StarlingProtocol", "StarlingCodegen",
                "StarlingModuleHost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "starling",
            // starling-macros is built with it: `starling build`/`publish` hand it to module builds.
            dependencies: ["StarlingCLI", "starling-macros", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "StarlingBench",
            dependencies: [
                "StarlingTypes", "StarlingStore", "StarlingDurability", "StarlingDatabase", "StarlingModuleHost", "StarlingRuntime",
                "StarlingQuery", .product(name: "WAT", package: "WasmKit"),
            ],
            path: "Benchmarks/StarlingBench",
            swiftSettings: strictSettings
        ),
        // The WebSocket load generator: N connections × K calls in flight against a real server.
        .executableTarget(
            name: "StarlingLoadGen",
            dependencies: [
                "StarlingNetClient", "StarlingProtocol", "StarlingTypes", "CStarlingSupport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Benchmarks/StarlingLoadGen",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StarlingTypesTests",
            dependencies: ["StarlingTypes"],
            resources: [.copy("Resources")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "StarlingStoreTests", dependencies: ["StarlingStore"], swiftSettings: strictSettings),
        .testTarget(name: "StarlingDurabilityTests", dependencies: ["StarlingDurability"], swiftSettings: strictSettings),
        .testTarget(
            name: "StarlingModuleHostTests",
            dependencies: ["StarlingModuleHost", .product(name: "WAT", package: "WasmKit")],
            swiftSettings: strictSettings
        ),
        // Builds the example and fixture modules with the SDK (macros included) and runs them in the host.
        .testTarget(
            name: "StarlingModuleSDKTests",
            dependencies: ["StarlingCLI", "StarlingModuleHost", "StarlingRuntime", "StarlingQuery", "starling-macros"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StarlingMacrosTests",
            dependencies: ["StarlingMacros", .product(name: "SwiftSyntaxMacrosTestSupport", package: "swift-syntax")]
        ),
        .testTarget(name: "StarlingQueryTests", dependencies: ["StarlingQuery"], swiftSettings: strictSettings),
        // Test support shared by the client test targets: throwaway certificates (the `openssl` CLI)
        // and a TLS-terminating proxy in front of a plain-text server.
        .target(
            name: "StarlingTLSTestSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/StarlingTLSTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StarlingNetClientTests", dependencies: ["StarlingNetClient", "StarlingTLSTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "StarlingServerTests",
            dependencies: [
                "StarlingServer", "StarlingNetClient", "StarlingProtocol", "StarlingCLI", "StarlingDurability", "starling",
                "starling-macros", .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StarlingClientTests",
            dependencies: [
                "StarlingClient", "StarlingCodegen", "StarlingCLI", "StarlingNetClient", "StarlingProtocol", "starling",
                "starling-macros", "quickstart-chat-client", "StarlingTLSTestSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StarlingDatabaseTests", dependencies: ["StarlingDatabase", "StarlingCrashWriter"],
            swiftSettings: strictSettings),
    ]
)
