import Foundation
import StarlingCLI
import Synchronization

/// Module packages built once per test process (each in its own `.build`, as `starling build` does).
enum ServerModules {
    private static let cache = Mutex<[String: [UInt8]]>([:])
    private static let lock = NSLock()

    /// The wasm of the package at `path` (relative to the repository).
    static func wasm(_ path: String) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if let b = cache.withLock({ $0[path] }) { return b }
        let builder = try ModuleBuilder(projectPath: ServerProcess.repository.appendingPathComponent(path))
        var output = ""
        let url: URL
        do { url = try builder.build(log: { output += $0 }) } catch { throw TestFailure("\(error.message)\n\(output)") }
        let bytes = try [UInt8](Data(contentsOf: url))
        cache.withLock { $0[path] = bytes }
        return bytes
    }

    /// The kitchen-sink fixture, built off the cooperative pool.
    static func kitchenSink() async throws -> [UInt8] {
        try await offload { try wasm("Tests/StarlingModuleSDKTests/Fixtures/kitchen-sink") }
    }
}
