import NIOCore
import StarlingDurability
import StarlingModuleHost

/// How `starling start` serves.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 3000
    /// Where databases, keys and logs live; nil keeps everything in memory (`--in-memory`).
    public var dataDirectory: String?
    public var fsync: FsyncPolicy = .batch
    public var limits = ModuleLimits()
    /// The largest WebSocket message a client may send.
    public var maxMessageBytes = 16 << 20
    /// The largest HTTP request body (a module upload).
    public var maxBodyBytes = 128 << 20
    /// The largest backup archive `POST /v1/database/:name/restore` accepts (held in memory
    /// while it is restored).
    public var maxRestoreBytes = 2 << 30
    /// A client with more than this queued and unsent is disconnected as a slow consumer.
    public var maxQueuedBytesPerClient = 64 << 20
    /// Event loop threads (default: one per core).
    public var eventLoopThreads = System.coreCount
    /// Sleeps this long in every commitlog fsync, to simulate a slower disk (tests and benchmarks;
    /// `STARLING_FSYNC_DELAY_MICROS`).
    public var fsyncDelayMicros: UInt32 = 0

    public init() {}
}

/// An HTTP failure: a status and a plain-text message for the body.
struct HTTPError: Error, Sendable {
    var status: Int
    var message: String
    init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    static func notFound(database name: String) -> HTTPError { HTTPError(404, "no database named `\(name)`") }
    static func notOwner(_ what: String, _ name: String) -> HTTPError {
        HTTPError(403, "only the owner of `\(name)` may \(what); send the owner's token (Authorization: Bearer ...)")
    }
}
