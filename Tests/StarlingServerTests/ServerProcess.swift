import Foundation
import StarlingNetClient
import StarlingTypes
import Testing

/// A real `starling start` child process on a free loopback port with its own data directory.
final class ServerProcess: @unchecked Sendable {
    let directory: String
    let dataDir: String
    let process: Process
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The `starling` executable built next to the test bundle.
    static var binary: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let p = candidate.appendingPathComponent("starling").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return dir.appendingPathComponent("starling").path
    }

    /// Starts a server off the cooperative thread pool (waiting for it blocks a thread; tests
    /// run in parallel, and a blocked pool thread stalls every other test's awaits).
    static func start(
        directory: String? = nil, port: Int = 0, arguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> ServerProcess {
        try await offload { try ServerProcess(directory: directory, port: port, arguments: arguments, environment: environment) }
    }

    /// Starts a server in `directory` (a new temp dir if nil) on `port` (0: any free port).
    init(directory: String? = nil, port: Int = 0, arguments: [String] = [], environment: [String: String] = [:]) throws {
        let dir = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("starling-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        self.directory = dir
        dataDir = dir + "/data"
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["start", "--listen-addr", "127.0.0.1:\(port)", "--data-dir", dataDir] + arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        process.standardOutput = out
        FileManager.default.createFile(atPath: dir + "/server.log", contents: nil)
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
        let logText = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw TestFailure("the server did not start; stdout: \(text); log: \(logText)")
    }

    /// SIGTERM, then waits for a clean exit; returns the exit status.
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

    // MARK: HTTP helpers

    func request(_ method: String, _ path: String, token: String? = nil, body: [UInt8]? = nil) async throws -> HTTPResponse {
        try await HTTPClient.request(method, url: url + path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [], body: body)
    }

    /// A new identity and its token.
    func identity() async throws -> (identity: String, token: String) {
        let r = try await request("POST", "/v1/identity")
        let json = try JSONValue.parse(utf8: r.body)
        return (json["identity"]!.stringValue!, json["token"]!.stringValue!)
    }
}

/// Runs the `starling` CLI with its own config directory and returns status, stdout and stderr.
struct CLI {
    let configDir: String

    init() {
        configDir = FileManager.default.temporaryDirectory.appendingPathComponent("starling-cli-\(UUID().uuidString)").path
    }

    @discardableResult
    func run(_ arguments: [String], timeout: TimeInterval = 300) async throws -> (status: Int32, out: String, err: String) {
        let p = start(arguments)
        return await offload {
            let deadline = Date().addingTimeInterval(timeout)
            while p.process.isRunning && Date() < deadline { usleep(10_000) }
            if p.process.isRunning { p.process.terminate() }
            return p.finishBlocking()
        }
    }

    /// Starts the CLI in the background.
    func start(_ arguments: [String]) -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["STARLING_CONFIG_DIR"] = configDir
        process.environment = env
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: out + ".out", contents: nil)
        FileManager.default.createFile(atPath: out + ".err", contents: nil)
        process.standardOutput = try? FileHandle(forWritingTo: URL(fileURLWithPath: out + ".out"))
        process.standardError = try? FileHandle(forWritingTo: URL(fileURLWithPath: out + ".err"))
        try? process.run()
        return Running(process: process, files: out)
    }

    /// A CLI process running in the background; its output goes to files.
    struct Running: @unchecked Sendable {
        let process: Process
        let files: String
        var stdout: String { (try? String(contentsOfFile: files + ".out", encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOfFile: files + ".err", encoding: .utf8)) ?? "" }

        func finishBlocking() -> (status: Int32, out: String, err: String) {
            process.waitUntilExit()
            return (process.terminationStatus, stdout, stderr)
        }

        /// Waits for the process to end (off the cooperative pool).
        func finish() async -> (status: Int32, out: String, err: String) {
            await offload { finishBlocking() }
        }

        /// Waits until stdout contains `text` (or the process ends, or `timeout` passes).
        func waitFor(_ text: String, timeout: TimeInterval = 30) async -> Bool {
            await offload {
                let deadline = Date().addingTimeInterval(timeout)
                while Date() < deadline {
                    if stdout.contains(text) { return true }
                    if !process.isRunning { return stdout.contains(text) }
                    usleep(20_000)
                }
                return false
            }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Runs blocking work (process waits, module builds) on a Dispatch thread instead of the
/// cooperative pool, which has one thread per core and is shared by every test running in parallel.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in DispatchQueue.global().async { c.resume(with: Result { try body() }) } }
}

/// ``offload(_:)`` for work that cannot fail.
func offload<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: body()) } }
}
