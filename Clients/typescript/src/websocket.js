// One small socket interface over the platform's WebSocket (browsers, Deno, Node ≥ 22) or the
// built-in RFC 6455 client of node-websocket.js (Node 20, loaded by dynamic import only there).

import { ConnectionError } from './errors.js';
import { httpRequest } from './schema.js';

/**
 * An open WebSocket as the client uses it.
 * @typedef {object} Socket
 * @property {string} protocol the negotiated subprotocol
 * @property {(data: string | Uint8Array) => void} send
 * @property {(code?: number, reason?: string) => void} close start the close handshake
 * @property {(data: string | Uint8Array) => void} onmessage set by the user: a text or binary message
 * @property {(event: { code: number, reason: string, wasClean: boolean }) => void} onclose set by the user
 */

/**
 * Which WebSocket implementation to use: `'auto'` (the global WebSocket when there is one, else
 * the built-in Node client; on Node always the built-in client when a `ca` is given, since the
 * global WebSocket cannot take one), `'native'`, `'node'`, or a WebSocket constructor (browser API).
 * @typedef {'auto' | 'native' | 'node' | (new (url: string, protocols?: string[]) => WebSocket)} WebSocketChoice
 */

/**
 * Opens a WebSocket with one subprotocol and an optional bearer token.
 * @param {string} url `ws://…` or `wss://…`
 * @param {{ protocol: string, token?: string, impl?: WebSocketChoice, nodeOptions?: import('./node-websocket.js').NodeWebSocketOptions }} options
 * @returns {Promise<Socket>}
 */
export async function openSocket(url, options) {
  const impl = options.impl ?? 'auto';
  const native = typeof impl === 'function' ? impl : /** @type {any} */ (globalThis).WebSocket;
  const onNode = typeof process !== 'undefined' && Boolean(process.versions?.node);
  const wantsCA = options.nodeOptions?.ca !== undefined;
  const useNode = impl === 'node' || (impl === 'auto' && (typeof native !== 'function' || (onNode && wantsCA)));
  if (useNode) {
    if (!onNode) {
      throw new ConnectionError('CONNECT_FAILED', 'no WebSocket implementation: this platform has no global WebSocket and is not Node');
    }
    const { connectNodeWebSocket } = await import('./node-websocket.js');
    const headers = options.token ? { Authorization: `Bearer ${options.token}` } : {};
    return connectNodeWebSocket(url, { ...options.nodeOptions, protocols: [options.protocol], headers });
  }
  if (typeof native !== 'function') throw new ConnectionError('CONNECT_FAILED', 'no global WebSocket on this platform');
  // Browsers cannot set headers on a WebSocket request: the server also takes `?token=`.
  const u = new URL(url);
  if (options.token) u.searchParams.set('token', options.token);
  return openNative(native, u.toString(), options.protocol);
}

/**
 * @param {new (url: string, protocols?: string[]) => WebSocket} Ctor
 * @param {string} url
 * @param {string} protocol
 * @returns {Promise<Socket>}
 */
function openNative(Ctor, url, protocol) {
  return new Promise((resolve, reject) => {
    const ws = new Ctor(url, [protocol]);
    ws.binaryType = 'arraybuffer';
    let opened = false;
    /** @type {Socket} */
    const socket = {
      protocol: '',
      send: (data) => ws.send(data),
      close: (code, reason) => ws.close(code ?? 1000, reason ?? ''),
      onmessage: () => {},
      onclose: () => {},
    };
    ws.onopen = () => {
      opened = true;
      socket.protocol = ws.protocol;
      resolve(socket);
    };
    ws.onmessage = (event) => {
      const d = event.data;
      socket.onmessage(typeof d === 'string' ? d : new Uint8Array(/** @type {ArrayBuffer} */ (d)));
    };
    ws.onerror = () => {};
    ws.onclose = (event) => {
      if (!opened) {
        reject(new ConnectionError('CONNECT_FAILED', `the WebSocket to ${new URL(url).host} could not be opened (close code ${event.code})`));
        return;
      }
      socket.onclose({ code: event.code, reason: event.reason, wasClean: event.wasClean });
    };
  });
}

/**
 * A browser cannot see why a WebSocket upgrade was refused: asks the same route over HTTP and,
 * when the server answers with an error other than "this route is a WebSocket" (400), returns
 * a `CONNECT_FAILED` error carrying that status and text. Otherwise returns `error` as is.
 * @param {ConnectionError} error the failure of `openSocket`
 * @param {string} baseUrl
 * @param {string} database
 * @param {string | null} token
 * @param {typeof fetch} [fetchImpl]
 * @returns {Promise<ConnectionError>}
 */
export async function explainRefusal(error, baseUrl, database, token, fetchImpl) {
  if (!(error instanceof ConnectionError) || error.status !== undefined || error.code !== 'CONNECT_FAILED') return error;
  try {
    await httpRequest(baseUrl, 'GET', `/v1/database/${encodeURIComponent(database)}/subscribe`, { token: token ?? undefined, fetch: fetchImpl });
  } catch (e) {
    const h = /** @type {any} */ (e);
    if (h.status && h.status !== 400) {
      return new ConnectionError('CONNECT_FAILED', `the server refused the WebSocket (HTTP ${h.status}): ${String(h.body).trim()}`,
        { status: h.status, body: h.body, cause: error });
    }
  }
  return error;
}
