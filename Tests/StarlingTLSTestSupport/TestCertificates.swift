import Foundation

/// Throwaway TLS material for tests, made with the `openssl` command in a new temporary directory: a CA and two
/// server certificates it signed (P-256 keys, valid for two days).
///
/// - ``localhost``: valid for `localhost`, `127.0.0.1` and `::1`.
/// - ``otherHost``: valid for `elsewhere.invalid` only, for hostname-mismatch tests.
///
/// A client trusts these servers only when given ``caFile``; the system trust roots do not know the CA.
public struct TestCertificates: Sendable {
    /// A server certificate and its private key, as PEM files.
    public struct Leaf: Sendable {
        public let certificateFile: String
        public let keyFile: String
    }

    /// The directory holding every file.
    public let directory: String
    /// The CA certificate (PEM).
    public let caFile: String
    /// The certificate for `localhost`, `127.0.0.1` and `::1`.
    public let localhost: Leaf
    /// The certificate for `elsewhere.invalid`.
    public let otherHost: Leaf

    /// One set per test process, made on first use.
    public static func shared() throws -> TestCertificates {
        try made.get()
    }

    private static let made = Result { try TestCertificates.make() }

    /// Makes a new set in a new temporary directory (and removes sets older than an hour, which
    /// earlier test processes left behind).
    public static func make() throws -> TestCertificates {
        Self.removeStaleSets()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("starling-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = directory + "/openssl.cnf"
        try Self.config.write(toFile: config, atomically: true, encoding: .utf8)
        let ca = directory + "/ca"
        try Self.openssl(
            "req", "-x509", "-config", config, "-extensions", "ca_ext", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2",
            "-subj", "/CN=Starling Test CA"
        )
        let localhost = try Self.leaf(
            "localhost", extensions: "localhost_ext", ca: ca, config: config, directory: directory)
        let other = try Self.leaf(
            "elsewhere.invalid", extensions: "other_ext", ca: ca, config: config, directory: directory)
        return TestCertificates(directory: directory, caFile: ca + ".pem", localhost: localhost, otherHost: other)
    }

    private static func removeStaleSets() {
        let temporary = FileManager.default.temporaryDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names where name.hasPrefix("starling-tls-") {
            let path = temporary.appendingPathComponent(name).path
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            if let modified, modified < Date().addingTimeInterval(-3600) { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    /// A key and a certificate for `name`, signed by the CA at `ca`.
    private static func leaf(
        _ name: String, extensions: String, ca: String, config: String, directory: String
    ) throws -> Leaf {
        let base = directory + "/" + name
        try Self.openssl(
            "req", "-new", "-config", config, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=\(name)"
        )
        try Self.openssl(
            "x509", "-req", "-in", base + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-set_serial",
            String(UInt32.random(in: 1...UInt32.max)), "-days", "2", "-extfile", config, "-extensions", extensions,
            "-out", base + ".pem"
        )
        return Leaf(certificateFile: base + ".pem", keyFile: base + ".key")
    }

    private static let config = """
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        CN = unused
        [ca_ext]
        basicConstraints = critical, CA:TRUE
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        [localhost_ext]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
        authorityKeyIdentifier = keyid
        [other_ext]
        basicConstraints = critical, CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:elsewhere.invalid
        authorityKeyIdentifier = keyid

        """

    /// Runs `openssl` with `arguments`; fails with its output if it exits non-zero.
    private static func openssl(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            throw CertificateError("cannot run `openssl` (is it installed?): \(error)")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CertificateError(
                "`openssl \(arguments.joined(separator: " "))` exited with \(process.terminationStatus): \(text)")
        }
    }
}

/// Making test certificates failed.
public struct CertificateError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
