import Foundation
import StarlingCLI
import StarlingNetClient
import StarlingTypes
import Synchronization
import Testing

/// A real `starling start` child process on a free loopback port with its own data directory
/// (or `--in-memory`).
final class TestServer: @unchecked Sendable {
    let directory: String
    let process: Process
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }
    var dataDir: String { directory + "/data" }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The directory of the test bundle's build products (`starling`, `quickstart-chat-client`, ...).
    static var productsDirectory: URL {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()]
        where FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("starling").path) {
            return candidate
        }
        return dir
    }

    static var binary: String { productsDirectory.appendingPathComponent("starling").path }

    /// Starts a server (off the cooperative pool: waiting for it blocks a thread).
    static func start(directory: String? = nil, port: Int = 0, inMemory: Bool = true) async throws -> TestServer {
        try await offload { try TestServer(directory: directory, port: port, inMemory: inMemory) }
    }

    init(directory: String?, port: Int, inMemory: Bool) throws {
        let dir = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("starling-client-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        self.directory = dir
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments =
            ["start", "--listen-addr", "127.0.0.1:\(port)", "--threads", "1"] + (inMemory ? ["--in-memory"] : ["--data-dir", dir + "/data"])
        let out = Pipe()
        process.standardOutput = out
        _ = FileManager.default.createFile(atPath: dir + "/server.log", contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/server.log"))
        try process.run()
        self.port = try Self.readPort(out.fileHandleForReading, process: process, log: dir + "/server.log")
    }

    private static func readPort(_ handle: FileHandle, process: Process, log: String) throws -> Int {
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty {
                if !process.isRunning { break }
                continue
            }
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on http://") }),
                let port = Int(line.split(separator: ":").last ?? "")
            {
                return port
            }
        }
        throw TestFailure("the server did not start; stdout: \(text); log: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    /// SIGTERM, then waits for the exit (SIGKILL after 30 s).
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    var log: String { (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    // MARK: HTTP

    func request(_ method: String, _ path: String, token: String? = nil, body: [UInt8]? = nil) async throws -> HTTPResponse {
        try await HTTPClient.request(method, url: url + path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [], body: body)
    }

    /// A new identity's token.
    func newToken() async throws -> String {
        let json = try JSONValue.parse(utf8: try await request("POST", "/v1/identity").body)
        guard let token = json["token"]?.stringValue else { throw TestFailure("no token") }
        return token
    }

    /// Publishes `wasm` as database `name`; returns the owner's token.
    @discardableResult
    func publish(_ name: String, _ wasm: [UInt8], token: String? = nil) async throws -> String {
        var owner = token
        if owner == nil { owner = try await newToken() }
        let r = try await request("POST", "/v1/database/\(name)", token: owner, body: wasm)
        guard r.isSuccess, let owner else { throw TestFailure("publish \(name): \(r.status) \(r.text)") }
        return owner
    }

    /// Runs SQL over HTTP as `token` (DML needs the owner).
    func sql(_ database: String, _ text: String, token: String) async throws {
        let r = try await request("POST", "/v1/database/\(database)/sql", token: token, body: Array(text.utf8))
        guard r.isSuccess else { throw TestFailure("SQL failed (\(r.status)): \(r.text)") }
    }

    /// Calls a reducer over HTTP as `token` (another client than the SDK's).
    func httpCall(_ database: String, _ reducer: String, _ argsJSON: String, token: String) async throws {
        let r = try await request("POST", "/v1/database/\(database)/call/\(reducer)", token: token, body: Array(argsJSON.utf8))
        guard r.isSuccess else { throw TestFailure("call \(reducer) failed (\(r.status)): \(r.text)") }
    }
}

/// Module packages built with `ModuleBuilder` (in their own `.build`, as `starling build` does),
/// once per test process and cached on disk across runs: keyed by a hash of the package's
/// sources, the module SDK's and the macro plugin (`STARLING_CLIENT_TEST_CACHE`, default
/// `$TMPDIR/starling-client-tests`).
enum TestModules {
    private static let cache = Mutex<[String: [UInt8]]>([:])
    private static let lock = NSLock()

    static let kitchenSinkPath = "Tests/StarlingModuleSDKTests/Fixtures/kitchen-sink"
    static let chatPath = "Examples/quickstart-chat"

    /// The wasm of the package at `path` (relative to the repository).
    static func wasm(_ path: String) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if let b = cache.withLock({ $0[path] }) { return b }
        let builder = try ModuleBuilder(projectPath: TestServer.repository.appendingPathComponent(path))
        let cached = try cacheFile(path, plugin: builder.macrosPlugin)
        if let bytes = FileManager.default.contents(atPath: cached.path) {
            cache.withLock { $0[path] = [UInt8](bytes) }
            return [UInt8](bytes)
        }
        var output = ""
        let url: URL
        do { url = try builder.build(log: { output += $0 }) } catch { throw TestFailure("\(error.message)\n\(output)") }
        let bytes = try Data(contentsOf: url)
        let temporary = cached.appendingPathExtension("tmp-\(UUID().uuidString)")
        try bytes.write(to: temporary)
        if rename(temporary.path, cached.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
        cache.withLock { $0[path] = [UInt8](bytes) }
        return [UInt8](bytes)
    }

    /// Where the module built from `path` is cached: named by a hash of everything it is built from.
    private static func cacheFile(_ path: String, plugin: URL) throws -> URL {
        var hash = FNV1a()
        for dir in [path, "SDK"] { hash.addTree(TestServer.repository.appendingPathComponent(dir)) }
        let attributes = try? FileManager.default.attributesOfItem(atPath: plugin.path)
        hash.add("\(attributes?[.size] ?? 0):\(attributes?[.modificationDate] ?? "")")
        let dir = ProcessInfo.processInfo.environment["STARLING_CLIENT_TEST_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("starling-client-tests")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let name = URL(fileURLWithPath: path).lastPathComponent
        return dir.appendingPathComponent("\(name)-\(String(hash.value, radix: 16)).wasm")
    }

    static func kitchenSink() async throws -> [UInt8] { try await offload { try wasm(kitchenSinkPath) } }
    static func chat() async throws -> [UInt8] { try await offload { try wasm(chatPath) } }
}

/// FNV-1a (64 bits) over file paths and contents: a cache key, not a security measure.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: some Sequence<UInt8>) {
        for b in bytes {
            value ^= UInt64(b)
            value &*= 0x100_0000_01b3
        }
    }

    mutating func add(_ text: String) { add(text.utf8) }

    /// Every file under `dir` (paths and contents, in name order), skipping dot-entries such as `.build`.
    mutating func addTree(_ dir: URL) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
        for name in names where !name.hasPrefix(".") {
            let url = dir.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                addTree(url)
            } else if let data = FileManager.default.contents(atPath: url.path) {
                add(url.path)
                add(data)
            }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Runs blocking work on a Dispatch thread instead of the cooperative pool.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in DispatchQueue.global().async { c.resume(with: Result { try body() }) } }
}

/// Waits until `condition()` holds (polling every 10 ms), or fails after `timeout`.
func waitUntil(
    _ what: String, timeout: Duration = .seconds(10), isolation: isolated (any Actor)? = #isolation, _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Thread-safe storage for what callbacks saw.
final class Recorder<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    func append(_ e: Element) { items.withLock { $0.append(e) } }
    var all: [Element] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
    func removeAll() { items.withLock { $0 = [] } }
}
