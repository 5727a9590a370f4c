public import StarlingProtocol
import StarlingNetClient

/// How a ``StarlingConnection`` connects and reconnects.
public struct ConnectionOptions: Sendable {
    /// The wire format: `.bsatn` (default; binary frames) or `.json` (text frames). The API and
    /// the values are the same either way.
    public var wireFormat: WireFormat
    /// When and how often to reconnect after an unexpected drop; nil never reconnects.
    public var reconnect: ReconnectPolicy?
    /// How long opening the socket and receiving the server's IdentityToken may take, and the
    /// limit of each HTTP request (minting an identity, loading the schema).
    public var connectTimeout: Duration
    /// The largest message accepted from the server.
    public var maxMessageSize: Int
    /// For `https://` and `wss://` servers: a PEM file of CA certificates trusted in addition to
    /// the system's trust roots (a private or test CA), or nil for the system roots only. The
    /// server's certificate must also name the URL's host. Ignored for `http://` and `ws://`.
    public var caFile: String?

    /// Creates options; the defaults suit most apps.
    public init(
        wireFormat: WireFormat = .bsatn, reconnect: ReconnectPolicy? = ReconnectPolicy(), connectTimeout: Duration = .seconds(15),
        maxMessageSize: Int = 256 << 20, caFile: String? = nil
    ) {
        self.wireFormat = wireFormat
        self.reconnect = reconnect
        self.connectTimeout = connectTimeout
        self.maxMessageSize = maxMessageSize
        self.caFile = caFile
    }

    /// The network client's TLS options for these options.
    var tlsOptions: TLSOptions { TLSOptions(caFile: caFile) }
}

/// Reconnection delays: exponential backoff with a cap and random jitter, so clients dropped
/// together do not come back together.
///
/// The delay before attempt `n` (counting from 1 after each drop) is
/// `min(maxDelay, initialDelay × factor^(n−1))`, minus a random fraction (up to `jitter`) of it.
public struct ReconnectPolicy: Sendable, Hashable {
    /// The delay before the first attempt.
    public var initialDelay: Duration
    /// The longest delay.
    public var maxDelay: Duration
    /// How much the delay grows after each failed attempt.
    public var factor: Double
    /// The largest fraction of a delay taken off at random, 0...1.
    public var jitter: Double
    /// Give up after this many failed attempts in a row (nil: never).
    public var maxAttempts: Int?

    /// Creates a policy.
    public init(
        initialDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(10), factor: Double = 2, jitter: Double = 0.5,
        maxAttempts: Int? = nil
    ) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.factor = max(1, factor)
        self.jitter = min(1, max(0, jitter))
        self.maxAttempts = maxAttempts
    }

    /// The delay before attempt `attempt` (1-based), or nil to give up.
    public func delay(beforeAttempt attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration? {
        if let maxAttempts, attempt > maxAttempts { return nil }
        let initial = Double(initialDelay.components.seconds) + Double(initialDelay.components.attoseconds) / 1e18
        let cap = Double(maxDelay.components.seconds) + Double(maxDelay.components.attoseconds) / 1e18
        let base = min(cap, initial * pow(factor, Double(max(0, attempt - 1))))
        let seconds = base * (1 - jitter * min(max(random, 0), 1))
        return .microseconds(Int64(seconds * 1_000_000))
    }

    private func pow(_ x: Double, _ n: Double) -> Double {
        var r = 1.0
        var i = 0.0
        while i < n && r < 1e12 {
            r *= x
            i += 1
        }
        return r
    }
}
