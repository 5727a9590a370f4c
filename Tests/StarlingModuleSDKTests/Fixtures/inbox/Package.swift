// swift-tools-version: 6.1
// A Starling module. Build: `starling build --project-path .` (or `starling publish NAME --project-path .`).
import PackageDescription

let package = Package(
    name: "inbox",
    dependencies: [.package(path: "../../../../SDK")],
    targets: [
        .executableTarget(
            name: "inbox",
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
