import Synchronization
@preconcurrency import Crypto
import Foundation
import StarlingTypes

/// Why a request's credentials were refused (HTTP 401).
public struct AuthError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Mints and verifies the server's identity tokens: JWTs signed with ES256 (P-256) by a key pair
/// kept in the data directory (`keys/token-key.pem`, created on first start, mode 0600).
///
/// An identity is derived from the token's issuer and subject (SHA-256 of both), so a token can
/// only ever speak for the identity it names; the `hex_identity` claim must match.
public struct TokenAuthority: Sendable {
    /// The `iss` claim of tokens this server mints.
    public static let issuer = "starling"
    private let key: P256.Signing.PrivateKey
    /// Tokens whose signature was checked already: an ECDSA verification costs more than a
    /// whole indexed query, and clients send the same token with every request.
    private let verified = VerifiedTokens()

    /// Loads the key from `directory/token-key.pem`, creating the directory and key if missing.
    public init(keyDirectory directory: String) throws(AuthError) {
        let path = directory + "/token-key.pem"
        if let pem = try? String(contentsOfFile: path, encoding: .utf8) {
            do { key = try P256.Signing.PrivateKey(pemRepresentation: pem) } catch {
                throw AuthError("the token key \(path) is not a P-256 private key in PEM: \(error)")
            }
            return
        }
        let fresh = P256.Signing.PrivateKey()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let tmp = path + ".tmp"
            guard FileManager.default.createFile(atPath: tmp, contents: Data(fresh.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600])
            else { throw AuthError("cannot write \(tmp)") }
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
        } catch let e as AuthError {
            throw e
        } catch {
            throw AuthError("cannot create the token key in \(directory): \(error.localizedDescription)")
        }
        key = fresh
    }

    /// A key that lives only in memory (`--in-memory` servers: tokens die with the process).
    public init() { key = P256.Signing.PrivateKey() }

    /// The identity a subject of this server's issuer has.
    public static func identity(issuer: String, subject: String) -> Identity {
        let digest = SHA256.hash(data: Data("starling-identity\u{0}\(issuer)\u{0}\(subject)".utf8))
        return Identity(littleEndianBytes: Array(digest))!
    }

    /// A new identity with its token.
    public func mint(now: Date = Date()) -> (identity: Identity, token: String) {
        let subject = UUID().uuidString.lowercased()
        let identity = Self.identity(issuer: Self.issuer, subject: subject)
        let claims: JSONValue = [
            "iss": .string(Self.issuer), "sub": .string(subject), "hex_identity": .string(identity.hexString),
            "iat": .integer(Int64(now.timeIntervalSince1970)),
        ]
        return (identity, sign(claims))
    }

    /// Signs `claims` as a compact JWT.
    func sign(_ claims: JSONValue) -> String {
        let header: JSONValue = ["alg": "ES256", "typ": "JWT"]
        let input = Base64URL.encode(header.utf8) + "." + Base64URL.encode(claims.utf8)
        let signature = try! key.signature(for: Data(input.utf8))
        return input + "." + Base64URL.encode(Array(signature.rawRepresentation))
    }

    /// The identity a token speaks for, if its signature, claims and expiry check out.
    public func verify(_ token: String, now: Date = Date()) throws(AuthError) -> Identity {
        if let hit = verified.lookup(token, now: now.timeIntervalSince1970) { return hit }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw AuthError("malformed token: a JWT has three dot-separated parts") }
        guard let headerBytes = Base64URL.decode(parts[0]), let header = try? JSONValue.parse(utf8: headerBytes),
            let claimBytes = Base64URL.decode(parts[1]), let claims = try? JSONValue.parse(utf8: claimBytes),
            let sigBytes = Base64URL.decode(parts[2])
        else { throw AuthError("malformed token: its parts are not base64url-encoded JSON") }
        guard header["alg"]?.stringValue == "ES256" else {
            throw AuthError("unsupported token algorithm \(header["alg"]?.briefDescription ?? "none"); this server signs with ES256")
        }
        guard let sig = try? P256.Signing.ECDSASignature(rawRepresentation: sigBytes),
            key.publicKey.isValidSignature(sig, for: Data((parts[0] + "." + parts[1]).utf8))
        else { throw AuthError("invalid token signature: the token was not issued by this server (or was altered)") }
        guard let iss = claims["iss"]?.stringValue, let sub = claims["sub"]?.stringValue else {
            throw AuthError("token lacks the iss/sub claims")
        }
        if let exp = claims["exp"]?.doubleValue, exp < now.timeIntervalSince1970 {
            throw AuthError("token expired at \(Date(timeIntervalSince1970: exp)); get a new one with `starling identity new`")
        }
        let identity = Self.identity(issuer: iss, subject: sub)
        if let claimed = claims["hex_identity"]?.stringValue, claimed != identity.hexString {
            throw AuthError("token's hex_identity does not match its issuer and subject")
        }
        verified.insert(token, identity, expires: claims["exp"]?.doubleValue)
        return identity
    }
}

/// A bounded set of tokens that passed ``TokenAuthority/verify(_:now:)``, with their identity and
/// expiry (checked again on every hit). Emptied when full: the next requests verify again.
final class VerifiedTokens: Sendable {
    private let entries = Mutex<[String: (identity: Identity, expires: Double?)]>([:])
    static let capacity = 65_536

    func lookup(_ token: String, now: Double) -> Identity? {
        entries.withLock { e in
            guard let hit = e[token], hit.expires.map({ $0 >= now }) ?? true else { return nil }
            return hit.identity
        }
    }

    func insert(_ token: String, _ identity: Identity, expires: Double?) {
        entries.withLock { e in
            if e.count >= Self.capacity { e.removeAll(keepingCapacity: true) }
            e[token] = (identity, expires)
        }
    }
}

/// Base64 with the URL alphabet and no padding (RFC 4648 §5), as JWTs use it.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var bits: UInt32 = 0
        var count = 0
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "-"): v = 62
            case UInt8(ascii: "_"): v = 63
            default: return nil
            }
            bits = bits << 6 | UInt32(v)
            count += 6
            if count >= 8 {
                count -= 8
                out.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
            }
        }
        // Leftover bits must be padding zeros, and a lone 6-bit group encodes nothing.
        guard count < 6, bits & ((1 << UInt32(count)) - 1) == 0 else { return nil }
        return out
    }
}
