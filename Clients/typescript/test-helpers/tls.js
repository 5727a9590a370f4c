// TLS test material: a throwaway CA and server certificates made with the `openssl` command,
// and a TLS-terminating proxy (node:tls in front of a plain-text server) to test `https://` and
// `wss://` clients against the real server.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

const CONFIG = `[req]
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
`;

/**
 * A CA and two certificates it signed (P-256, valid two days), as PEM text: `localhost` is valid
 * for localhost, 127.0.0.1 and ::1; `otherHost` for elsewhere.invalid only.
 * @returns {{ dir: string, caFile: string, ca: string, localhost: { cert: string, key: string }, otherHost: { cert: string, key: string } }}
 */
export function makeCertificates() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-tls-'));
  const config = path.join(dir, 'openssl.cnf');
  fs.writeFileSync(config, CONFIG);
  const openssl = (/** @type {string[]} */ ...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', '-config', config, '-extensions', 'ca_ext', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=Starling Test CA');
  const leaf = (/** @type {string} */ name, /** @type {string} */ ext) => {
    openssl('req', '-new', '-config', config, ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(Date.now()),
      '-days', '2', '-extfile', config, '-extensions', ext, '-out', `${name}.pem`);
    return { cert: fs.readFileSync(path.join(dir, `${name}.pem`), 'utf8'), key: fs.readFileSync(path.join(dir, `${name}.key`), 'utf8') };
  };
  const localhost = leaf('localhost', 'localhost_ext');
  const otherHost = leaf('elsewhere.invalid', 'other_ext');
  const caFile = path.join(dir, 'ca.pem');
  return { dir, caFile, ca: fs.readFileSync(caFile, 'utf8'), localhost, otherHost };
}

/**
 * Listens on 127.0.0.1 (a free port), completes TLS handshakes with `cert`/`key`, and pipes each
 * connection to `127.0.0.1:backendPort` in plain text.
 * @param {{ cert: string, key: string, backendPort: number }} options
 * @returns {Promise<{ port: number, close: () => Promise<void> }>}
 */
export function startTlsProxy({ cert, key, backendPort }) {
  /** @type {Set<net.Socket>} */
  const open = new Set();
  const server = tls.createServer({ cert, key }, (client) => {
    const backend = net.connect({ host: '127.0.0.1', port: backendPort });
    for (const s of [client, backend]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => { client.destroy(); backend.destroy(); });
    }
    client.pipe(backend);
    backend.pipe(client);
  });
  server.on('tlsClientError', () => {}); // a client that refused the certificate
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = /** @type {net.AddressInfo} */ (server.address()).port;
      resolve({
        port,
        close: () => new Promise((done) => {
          for (const s of open) s.destroy();
          server.close(() => done(undefined));
        }),
      });
    });
  });
}
