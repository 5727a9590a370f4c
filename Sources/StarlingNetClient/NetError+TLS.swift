import NIOSSL

/// Translation of swift-nio-ssl's errors into ``NetError``: which TLS check failed, for which endpoint, and what to
/// do about it.
extension NetError {
    /// The hint for a certificate that does not verify.
    static let trustHint =
        "if the server uses a private CA, trust its certificate with a CA file (TLSOptions.caFile; the CLI's "
        + "--ca-file or STARLING_CA_FILE)"

    /// `error` as a ``NetError`` if it comes from TLS on the connection to `authority` ("host:port"), else nil.
    static func tls(with authority: String, _ error: any Error) -> NetError? {
        if let error = error as? NIOSSLExtraError {
            if error == .failedToValidateHostname {
                return NetError(
                    .tlsHostnameMismatch,
                    "TLS hostname mismatch: the certificate presented by \(authority) is not valid for "
                        + "`\(Self.host(of: authority))` (it names other hosts)"
                )
            }
            return NetError(.tlsHandshakeFailed, "TLS with \(authority) failed: \(error)")
        }
        guard let error = error as? NIOSSLError else { return nil }
        switch error {
        case .handshakeFailed(let reason):
            return Self.handshakeFailed(with: authority, reason)
        case .uncleanShutdown:
            return NetError(.connectionClosed, "\(authority) closed the TLS connection without a close_notify alert")
        default:
            return NetError(.io, "TLS error on the connection to \(authority): \(Self.describeTLS(error))")
        }
    }

    /// A failed handshake, classified by BoringSSL's reason codes.
    private static func handshakeFailed(with authority: String, _ error: BoringSSLError) -> NetError {
        let reasons = Self.reasonCodes(in: error)
        let has = { (code: String) in reasons.contains { $0.contains(code) } }
        if has("CERTIFICATE_VERIFY_FAILED") {
            return NetError(
                .tlsCertificateUntrusted,
                "the TLS certificate of \(authority) is not trusted: it does not chain to a trusted root "
                    + "(self-signed or from an untrusted CA) or it has expired (certificate verify failed); "
                    + Self.trustHint
            )
        }
        if has("WRONG_VERSION_NUMBER") || has("HTTP_REQUEST") || has("PACKET_LENGTH_TOO_LONG") {
            return NetError(
                .tlsHandshakeFailed,
                "TLS handshake with \(authority) failed: the server did not answer with TLS (\(Self.humanize(reasons))); "
                    + "does it serve plain http:// or ws:// on that port?"
            )
        }
        if String(describing: error).contains("EOF during handshake") {
            return NetError(.tlsHandshakeFailed, "\(authority) closed the connection during the TLS handshake")
        }
        if has("PROTOCOL_VERSION") {
            return NetError(
                .tlsHandshakeFailed,
                "TLS handshake with \(authority) failed: no protocol version in common (the client requires TLS 1.2 "
                    + "or later; \(Self.humanize(reasons)))"
            )
        }
        if has("ALERT") {
            return NetError(
                .tlsHandshakeFailed,
                "TLS handshake with \(authority) failed: the server aborted it (\(Self.humanize(reasons)))"
            )
        }
        let detail = reasons.isEmpty ? String(describing: error) : Self.humanize(reasons)
        return NetError(.tlsHandshakeFailed, "TLS handshake with \(authority) failed: \(detail)")
    }

    /// A short description of a TLS error: its BoringSSL reason codes in words if it has any.
    static func describeTLS(_ error: any Error) -> String {
        let reasons = Self.reasonCodes(in: error)
        return reasons.isEmpty ? String(describing: error) : Self.humanize(reasons)
    }

    /// BoringSSL's reason codes in an error's description ("...:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER
    /// at file:line" gives `WRONG_VERSION_NUMBER`).
    static func reasonCodes(in error: any Error) -> [String] {
        let text = String(describing: error)
        let marker = "OPENSSL_internal:"
        var codes: [String] = []
        var rest = Substring(text)
        while let range = rest.firstRange(of: marker) {
            rest = rest[range.upperBound...]
            let code = rest.prefix { $0.isUppercase || $0.isNumber || $0 == "_" }
            if !code.isEmpty && !codes.contains(String(code)) { codes.append(String(code)) }
        }
        return codes
    }

    /// `TLSV1_ALERT_UNKNOWN_CA` → "tlsv1 alert unknown ca".
    private static func humanize(_ codes: [String]) -> String {
        codes.map { $0.lowercased().replacing("_", with: " ") }.joined(separator: ", ")
    }

    /// The host part of "host:port" or "[v6]:port".
    private static func host(of authority: String) -> String {
        guard let colon = authority.lastIndex(of: ":") else { return authority }
        let host = authority[..<colon]
        return host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : String(host)
    }
}
