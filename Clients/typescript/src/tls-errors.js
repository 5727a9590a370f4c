// Clear messages for TLS failures (Node's `tls`, `https` and `fetch` report them as errors
// whose `code` is OpenSSL's). Platform-neutral: it only reads `code` and `message`.

/** Codes of a certificate that does not chain to a trusted root, or is not valid now. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED', 'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'INVALID_CA', 'CERT_REJECTED',
]);

/**
 * A sentence for a TLS failure on the connection to `authority` (`host:port`), naming the host
 * and the reason; `null` when `error` is not a TLS failure.
 * @param {unknown} error the error (or its `cause`) from `tls`, `https` or `fetch`
 * @param {string} authority
 * @returns {string | null}
 */
export function describeTlsError(error, authority) {
  const e = /** @type {{ code?: unknown, message?: unknown, reason?: unknown }} */ (error ?? {});
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (UNTRUSTED.has(code)) {
    return `the TLS certificate of ${authority} is not trusted (${message}); `
      + 'if the server uses a private CA, pass its certificate in the `ca` option';
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const host = authority.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    return `TLS hostname mismatch: the certificate presented by ${authority} is not valid for \`${host}\``
      + ` (${typeof e.reason === 'string' ? e.reason : message})`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_HTTP_REQUEST') {
    return `TLS handshake with ${authority} failed: the server did not answer with TLS; `
      + 'does it serve plain http:// or ws:// on that port?';
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return `TLS handshake with ${authority} failed: ${message}`;
  }
  return null;
}
