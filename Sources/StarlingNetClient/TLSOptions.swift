import NIOCore
import NIOSSL
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How ``HTTPClient`` and ``WebSocketClient`` check servers they reach over TLS (`https://`, `wss://`).
///
/// By default the server's certificate chain must lead to one of the system's trust roots, and the certificate must
/// name the host of the URL (a DNS name, which is also sent as SNI, or an IP address for an IP literal). A server
/// whose certificate comes from a private CA (a company CA, a test CA) is trusted by naming that CA's certificate
/// file in ``caFile``; the system roots stay trusted too. Plain `http://` and `ws://` URLs ignore these options.
///
/// ```swift
/// let tls = TLSOptions(caFile: "/etc/starling/ca.pem")
/// let ws = try await WebSocketClient.connect(url: "wss://db.internal:3443/v1/database/bank/subscribe", tls: tls)
/// ```
public struct TLSOptions: Sendable, Hashable {
    /// A PEM file with one or more CA certificates to trust in addition to the system's trust roots, or nil for the
    /// system roots only. The file is read once per process (the first connection that uses it).
    public var caFile: String?

    /// Creates options.
    public init(caFile: String? = nil) {
        self.caFile = caFile
    }

    /// System trust roots only, with hostname verification.
    public static let `default` = TLSOptions()
}

/// One `NIOSSLContext` per distinct ``TLSOptions``, built on first use: building one reads the system trust store
/// (tens of milliseconds), so connections share them.
enum TLSContexts {
    private static let contexts = Mutex<[TLSOptions: NIOSSLContext]>([:])

    /// The context for `options`; fails with ``NetError/Code/tlsConfiguration`` if the CA file cannot be used.
    static func context(for options: TLSOptions) throws(NetError) -> NIOSSLContext {
        if let context = self.contexts.withLock({ $0[options] }) { return context }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        configuration.trustRoots = .default
        // After the application's close, wait at most this long for the server's close_notify.
        configuration.shutdownTimeout = .seconds(2)
        if let caFile = options.caFile {
            configuration.additionalTrustRoots = [.certificates(try Self.loadCAFile(caFile))]
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            let what = options.caFile.map { "with the CA file \($0)" } ?? "with the system trust roots"
            throw NetError(.tlsConfiguration, "cannot set up TLS \(what): \(NetError.describeTLS(error))")
        }
        return self.contexts.withLock { contexts in
            if let existing = contexts[options] { return existing }
            contexts[options] = context
            return context
        }
    }

    /// Loads the CA file's certificates, so a missing file or one without a PEM certificate fails with a message
    /// that names it (BoringSSL would report an opaque error).
    private static func loadCAFile(_ path: String) throws(NetError) -> [NIOSSLCertificate] {
        guard access(path, F_OK) == 0 else {
            throw NetError(.tlsConfiguration, "the CA file \(path) does not exist")
        }
        guard access(path, R_OK) == 0 else {
            throw NetError(.tlsConfiguration, "the CA file \(path) is not readable")
        }
        let certificates = (try? NIOSSLCertificate.fromPEMFile(path)) ?? []
        guard !certificates.isEmpty else {
            throw NetError(
                .tlsConfiguration,
                "the CA file \(path) holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)"
            )
        }
        return certificates
    }

    /// The client-side TLS handler for a connection to `url`: SNI and hostname verification use the URL's host name;
    /// an IP literal is sent without SNI and checked against the certificate's IP addresses.
    static func handler(for url: NetURL, context: NIOSSLContext) throws -> NIOSSLClientHandler {
        let isIPLiteral = (try? SocketAddress(ipAddress: url.host, port: url.port)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isIPLiteral ? nil : url.host)
    }
}
