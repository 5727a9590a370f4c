import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Translation of SwiftNIO's errors into ``NetError`` with messages that name the endpoint.
extension NetError {
    /// A failure to establish a TCP connection to `authority` ("host:port").
    static func connecting(to authority: String, _ error: any Error) -> NetError {
        if let error = error as? NetError { return error }
        if let error = error as? NIOConnectionError {
            if error.connectionErrors.isEmpty, let dns = error.dnsAError ?? error.dnsAAAAError {
                return NetError(.hostNotFound, "could not resolve the host of \(authority): \(dns)")
            }
            if error.connectionErrors.isEmpty {
                return NetError(.hostNotFound, "no address found for \(authority)")
            }
            // Report the most telling failure: a refusal beats anything else.
            let failures = error.connectionErrors.map { Self.connecting(to: authority, $0.error) }
            return failures.first { $0.code == .connectionRefused } ?? failures[0]
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED:
                return NetError(.connectionRefused, "connection refused to \(authority) — is `starling start` running?")
            case ETIMEDOUT:
                return NetError(.timedOut, "connecting to \(authority) timed out")
            case EHOSTUNREACH, ENETUNREACH:
                return NetError(.connectionRefused, "\(authority) is unreachable: \(error)")
            default:
                return NetError(.io, "could not connect to \(authority): \(error)")
            }
        }
        if case ChannelError.connectTimeout(let amount) = error {
            return NetError(.timedOut, "connecting to \(authority) timed out after \(Self.describe(amount))")
        }
        return Self.transfer(with: authority, error)
    }

    /// A failure on an established connection to `authority`.
    static func transfer(with authority: String, _ error: any Error) -> NetError {
        if let error = error as? NetError { return error }
        if let error = Self.tls(with: authority, error) { return error }
        if error is CancellationError {
            return NetError(.cancelled, "the request to \(authority) was cancelled")
        }
        if let error = error as? ChannelError {
            switch error {
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed:
                return NetError(.connectionClosed, "the connection to \(authority) is closed")
            default:
                return NetError(.io, "I/O error on the connection to \(authority): \(error)")
            }
        }
        if let error = error as? IOError {
            if error.errnoCode == ECONNRESET || error.errnoCode == EPIPE {
                return NetError(.connectionClosed, "\(authority) reset the connection")
            }
            return NetError(.io, "I/O error on the connection to \(authority): \(error)")
        }
        if let error = error as? HTTPParserError {
            if error == .invalidEOFState {
                return NetError(.connectionClosed, "\(authority) closed the connection in the middle of a response")
            }
            return NetError(.malformedResponse, "\(authority) sent a malformed HTTP response: \(error)")
        }
        if let error = error as? NIOWebSocketError {
            switch error {
            case .invalidFrameLength:
                return NetError(.messageTooLarge, "\(authority) sent a WebSocket frame larger than maxFrameSize")
            default:
                return NetError(.protocolViolation, "\(authority) sent an invalid WebSocket frame: \(error)")
            }
        }
        return NetError(.io, "error on the connection to \(authority): \(error)")
    }

    /// The timeout error for an operation against `authority`.
    static func timedOut(_ what: String, _ authority: String, after timeout: Duration) -> NetError {
        NetError(.timedOut, "\(what) \(authority) timed out after \(timeout)")
    }

    private static func describe(_ amount: TimeAmount) -> String {
        let ms = amount.nanoseconds / 1_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }
}

extension Duration {
    /// This duration as NIO's `TimeAmount`, saturating at the largest representable value.
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = self.components
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .nanoseconds(seconds < 0 ? .min : .max) }
        return .nanoseconds(ns &+ attoseconds / 1_000_000_000)
    }
}
