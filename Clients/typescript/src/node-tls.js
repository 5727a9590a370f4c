// TLS on Node with an extra trusted CA (loaded only on Node, by dynamic import): the options
// `tls.connect` needs, and a small fetch() over node:http(s) for the SDK's HTTP requests —
// Node's global fetch cannot be given a CA per request without an npm package.

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { describeTlsError } from './tls-errors.js';

/**
 * CA certificates (PEM text or bytes) to trust in addition to Node's root certificates.
 * @typedef {string | Uint8Array | Array<string | Uint8Array>} CaOption
 */

/**
 * Node's root certificates plus `ca`, for the `ca` option of `tls.connect` / `https.request`
 * (which otherwise replaces the roots); `undefined` when `ca` is.
 * @param {CaOption | undefined} ca
 * @returns {Array<string | Uint8Array> | undefined}
 */
export function trustedCAs(ca) {
  if (ca === undefined || ca === null) return undefined;
  return [...tls.rootCertificates, ...(Array.isArray(ca) ? ca : [ca])];
}

/**
 * Options of `tls.connect` for `host:port`: SNI for a host name (none for an IP literal; the
 * certificate is then checked against its IP addresses) and the trusted CAs.
 * @param {string} host without brackets
 * @param {number} port
 * @param {CaOption | undefined} ca
 * @returns {import('node:tls').ConnectionOptions}
 */
export function tlsConnectOptions(host, port, ca) {
  const cas = trustedCAs(ca);
  return { host, port, servername: net.isIP(host) ? undefined : host, ...(cas ? { ca: cas } : {}) };
}

/**
 * The part of `fetch` the SDK uses (method, headers, string or byte body; `ok`, `status`,
 * `text()`), over node:http / node:https with `ca` trusted. One connection per request.
 * @param {CaOption} ca
 * @returns {typeof fetch}
 */
export function fetchTrusting(ca) {
  const cas = trustedCAs(ca);
  const impl = (/** @type {string | URL} */ url, /** @type {RequestInit} */ init = {}) => new Promise((resolve, reject) => {
    const u = new URL(String(url));
    const body = init.body === undefined || init.body === null ? undefined
      : typeof init.body === 'string' ? Buffer.from(init.body) : Buffer.from(/** @type {Uint8Array} */ (init.body));
    /** @type {Record<string, string>} */
    const headers = { ...(/** @type {Record<string, string>} */ (init.headers ?? {})) };
    if (body) headers['Content-Length'] = String(body.length);
    const lib = u.protocol === 'https:' ? https : http;
    const request = lib.request(u, { method: init.method ?? 'GET', headers, agent: false, ca: cas }, (response) => {
      /** @type {Buffer[]} */
      const chunks = [];
      response.on('data', (c) => chunks.push(c));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        resolve(/** @type {any} */ ({ ok: status >= 200 && status < 300, status, text: async () => text }));
      });
    });
    request.on('error', (e) => {
      const authority = `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
      reject(new Error(describeTlsError(e, authority) ?? e.message, { cause: e }));
    });
    request.end(body);
  });
  return /** @type {typeof fetch} */ (/** @type {unknown} */ (impl));
}
