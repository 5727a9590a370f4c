// A small RFC 6455 WebSocket client over node:net / node:tls, for Node versions without a
// usable global WebSocket (Node 20 has one only behind --experimental-websocket). Loaded only on
// Node, by dynamic import from websocket.js. Implements: the opening handshake with
// subprotocols and extra headers (Authorization), client masking, fragmented messages in both
// directions, ping/pong (answering pings; optional keep-alive pings), the close handshake, UTF-8
// validation of text messages, and a message size limit.

import net from 'node:net';
import tls from 'node:tls';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { ConnectionError } from './errors.js';
import { tlsConnectOptions } from './node-tls.js';
import { describeTlsError } from './tls-errors.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Options of `connectNodeWebSocket`.
 * @typedef {object} NodeWebSocketOptions
 * @property {string[]} [protocols] subprotocols to offer
 * @property {Record<string, string>} [headers] extra request headers
 * @property {number} [maxMessageBytes] largest message accepted (default 256 MiB); larger closes with 1009
 * @property {number} [handshakeTimeoutMs] default 10 000
 * @property {number} [fragmentSize] send messages larger than this in several frames (default: one frame)
 * @property {number} [keepAliveMs] send a ping when nothing arrived for this long, drop the connection
 *   when the next period passes without an answer (default 0: off)
 * @property {import('./node-tls.js').CaOption} [ca] for `wss://`: CA certificates (PEM) trusted in
 *   addition to Node's root certificates. The server's certificate must also name the URL's host.
 */

/** A queue of received chunks that is read without re-copying everything per chunk. */
class ByteQueue {
  constructor() {
    /** @type {Buffer[]} */
    this.chunks = [];
    this.length = 0;
  }

  /** @param {Buffer} chunk */
  push(chunk) {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The first `n` bytes (n ≤ length), joined into one buffer if they span chunks. @param {number} n */
  peek(n) {
    if (n === 0) return Buffer.alloc(0);
    if (this.chunks[0].length < n) {
      const joined = Buffer.concat(this.chunks);
      this.chunks = [joined];
    }
    return this.chunks[0].subarray(0, n);
  }

  /** Removes and returns the first `n` bytes. @param {number} n */
  take(n) {
    if (n === 0) return Buffer.alloc(0);
    const out = this.peek(n);
    const first = this.chunks[0];
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.length -= n;
    return out;
  }
}

/**
 * Opens a WebSocket. Resolves once the handshake succeeded; rejects with a `ConnectionError`
 * (`CONNECT_FAILED`, with the HTTP `status` and `body` when the server refused the upgrade).
 * @param {string} url `ws://` or `wss://`
 * @param {NodeWebSocketOptions} [options]
 * @returns {Promise<NodeWebSocket>}
 */
export function connectNodeWebSocket(url, options = {}) {
  const u = new URL(url);
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    return Promise.reject(new ConnectionError('CONNECT_FAILED', `not a WebSocket URL: ${url}`));
  }
  const secure = u.protocol === 'wss:';
  const port = Number(u.port || (secure ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const key = randomBytes(16).toString('base64');
  const protocols = options.protocols ?? [];
  const lines = [
    `GET ${u.pathname || '/'}${u.search} HTTP/1.1`,
    `Host: ${u.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (protocols.length) lines.push(`Sec-WebSocket-Protocol: ${protocols.join(', ')}`);
  for (const [k, v] of Object.entries(options.headers ?? {})) lines.push(`${k}: ${v}`);
  const request = `${lines.join('\r\n')}\r\n\r\n`;

  return new Promise((resolve, reject) => {
    const socket = secure ? tls.connect(tlsConnectOptions(host, port, options.ca)) : net.connect({ host, port });
    let settled = false;
    let head = Buffer.alloc(0);
    /** @type {{ status: number, headers: Map<string, string>, rest: Buffer } | null} */
    let refused = null;
    const fail = (/** @type {ConnectionError} */ err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new ConnectionError('CONNECT_FAILED', `WebSocket handshake with ${u.host} timed out`)),
      options.handshakeTimeoutMs ?? 10_000);
    socket.setNoDelay?.(true);
    socket.once(secure ? 'secureConnect' : 'connect', () => socket.write(request));
    socket.on('error', (e) => fail(new ConnectionError('CONNECT_FAILED',
      describeTlsError(e, `${u.hostname}:${port}`) ?? `cannot connect to ${u.host}: ${e.message}`, { cause: e })));
    socket.on('end', () => {
      if (refused) fail(refusal(refused.status, refused.headers, refused.rest));
      else fail(new ConnectionError('CONNECT_FAILED', `${u.host} closed the connection during the WebSocket handshake`));
    });
    const onData = (/** @type {Buffer} */ chunk) => {
      if (refused) {
        refused.rest = Buffer.concat([refused.rest, chunk]);
        const body = completeBody(refused.headers, refused.rest);
        if (body !== null) fail(refusal(refused.status, refused.headers, Buffer.from(body)));
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 65536) fail(new ConnectionError('CONNECT_FAILED', 'the handshake response headers are too large'));
        return;
      }
      const [statusLine, ...headerLines] = head.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      const headers = new Map();
      for (const line of headerLines) {
        const i = line.indexOf(':');
        if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
      }
      const rest = head.subarray(end + 4);
      if (status !== 101) {
        refused = { status, headers, rest };
        const body = completeBody(headers, rest);
        if (body !== null) fail(refusal(status, headers, Buffer.from(body)));
        return;
      }
      const accept = createHash('sha1').update(key + GUID).digest('base64');
      const problem = headers.get('upgrade')?.toLowerCase() !== 'websocket' ? 'no `Upgrade: websocket` header'
        : !/\bupgrade\b/i.test(headers.get('connection') ?? '') ? 'no `Connection: Upgrade` header'
          : headers.get('sec-websocket-accept') !== accept ? 'a wrong Sec-WebSocket-Accept'
            : headers.has('sec-websocket-extensions') ? 'an extension this client did not offer'
              : headers.has('sec-websocket-protocol') && !protocols.includes(/** @type {string} */ (headers.get('sec-websocket-protocol')))
                ? `a subprotocol this client did not offer (${headers.get('sec-websocket-protocol')})` : null;
      if (problem) return fail(new ConnectionError('CONNECT_FAILED', `invalid WebSocket handshake response from ${u.host}: ${problem}`));
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.removeAllListeners('error');
      socket.removeAllListeners('end');
      const ws = new NodeWebSocket(socket, headers.get('sec-websocket-protocol') ?? '', options);
      resolve(ws);
      if (rest.length) ws.receive(rest);
    };
    socket.on('data', onData);
  });
}

/**
 * The body of a refused handshake once it is complete (Content-Length or chunked), else null.
 * @param {Map<string, string>} headers @param {Buffer} rest @returns {Buffer | null}
 */
function completeBody(headers, rest) {
  const length = headers.get('content-length');
  if (length !== undefined) return rest.length >= Number(length) ? rest.subarray(0, Number(length)) : null;
  if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) {
    const parts = [];
    let at = 0;
    for (;;) {
      const eol = rest.indexOf('\r\n', at);
      if (eol < 0) return null;
      const size = parseInt(rest.subarray(at, eol).toString('latin1'), 16);
      if (Number.isNaN(size)) return Buffer.concat(parts);
      if (size === 0) return Buffer.concat(parts);
      if (rest.length < eol + 2 + size + 2) return null;
      parts.push(rest.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
  }
  return null;
}

/** @param {number} status @param {Map<string, string>} headers @param {Buffer} body */
function refusal(status, headers, body) {
  const text = body.toString('utf8').trim();
  return new ConnectionError(
    'CONNECT_FAILED',
    `the server refused the WebSocket (HTTP ${status || '?'})${text ? `: ${text}` : ''}`,
    { status, body: text });
}

/**
 * An open WebSocket connection (client side). Set `onmessage(data)` (a string for text
 * messages, a Uint8Array for binary ones) and `onclose({ code, reason, wasClean })`.
 */
export class NodeWebSocket {
  /**
   * @param {net.Socket} socket
   * @param {string} protocol
   * @param {NodeWebSocketOptions} options
   */
  constructor(socket, protocol, options) {
    this.socket = socket;
    /** The negotiated subprotocol. */
    this.protocol = protocol;
    /** @type {'open' | 'closing' | 'closed'} */
    this.state = 'open';
    this.maxMessageBytes = options.maxMessageBytes ?? 256 * 1024 * 1024;
    this.fragmentSize = options.fragmentSize ?? 0;
    /** @type {((data: string | Uint8Array) => void) | null} */
    this.messageHandler = null;
    /** @type {((event: { code: number, reason: string, wasClean: boolean }) => void) | null} */
    this.closeHandler = null;
    /**
     * Events that arrived before their handler was set (the first messages can come in the same
     * TCP segment as the handshake answer), delivered in order once it is.
     * @type {Array<{ message: string | Uint8Array } | { close: { code: number, reason: string, wasClean: boolean } }>}
     */
    this.backlog = [];
    /** @type {(payload: Uint8Array) => void} */
    this.onpong = () => {};
    this.queue = new ByteQueue();
    /** @type {Buffer[]} */
    this.parts = [];
    this.partsBytes = 0;
    /** @type {number} opcode of the message being assembled, 0 when none */
    this.messageOpcode = 0;
    /** @type {{ code: number, reason: string } | null} */
    this.closeInfo = null;
    this.closeSent = false;
    this.closeReceived = false;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.closeTimer = null;
    this.lastReceive = Date.now();
    this.pingOutstanding = false;
    /** @type {ReturnType<typeof setInterval> | null} */
    this.keepAlive = null;
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.finish());
    if (options.keepAliveMs) {
      this.keepAlive = setInterval(() => this.tickKeepAlive(options.keepAliveMs ?? 0), options.keepAliveMs);
      this.keepAlive.unref?.();
    }
  }

  /** The message handler: receives a string (text message) or a Uint8Array (binary message). */
  get onmessage() {
    return this.messageHandler ?? (() => {});
  }

  set onmessage(f) {
    this.messageHandler = f;
    queueMicrotask(() => this.flushBacklog());
  }

  /** The close handler: receives `{ code, reason, wasClean }` once. */
  get onclose() {
    return this.closeHandler ?? (() => {});
  }

  set onclose(f) {
    this.closeHandler = f;
    queueMicrotask(() => this.flushBacklog());
  }

  /** @param {{ message: string | Uint8Array } | { close: { code: number, reason: string, wasClean: boolean } }} event */
  dispatch(event) {
    this.backlog.push(event);
    this.flushBacklog();
  }

  flushBacklog() {
    while (this.backlog.length) {
      const event = this.backlog[0];
      const handler = 'message' in event ? this.messageHandler : this.closeHandler;
      if (!handler) return;
      this.backlog.shift();
      if ('message' in event) /** @type {(d: string | Uint8Array) => void} */ (handler)(event.message);
      else /** @type {(e: any) => void} */ (handler)(event.close);
    }
  }

  /** Sends a text (string) or binary (bytes) message. @param {string | Uint8Array} data */
  send(data) {
    if (this.state !== 'open') throw new ConnectionError('CONNECTION_LOST', 'the WebSocket is not open');
    const text = typeof data === 'string';
    const payload = text ? encoder.encode(data) : data;
    const size = this.fragmentSize > 0 ? this.fragmentSize : payload.length || 1;
    for (let at = 0, first = true; first || at < payload.length; first = false) {
      const end = Math.min(payload.length, at + size);
      this.writeFrame(first ? (text ? 1 : 2) : 0, payload.subarray(at, end), end >= payload.length);
      at = end;
    }
  }

  /** Sends a ping. @param {Uint8Array} [payload] */
  ping(payload = new Uint8Array(0)) {
    if (this.state === 'open') this.writeFrame(9, payload, true);
  }

  /**
   * Starts the close handshake (the socket closes when the server answers, or after 2 s).
   * @param {number} [code] default 1000
   * @param {string} [reason]
   */
  close(code = 1000, reason = '') {
    if (this.state === 'closed') return;
    if (!this.closeInfo) this.closeInfo = { code, reason };
    this.sendClose(code, reason);
    if (this.closeReceived) this.socket.end();
    this.armCloseTimer();
  }

  /** Stops at once without a close handshake (the peer sees the connection drop). */
  terminate() {
    this.socket.destroy();
  }

  /** @param {number} code @param {string} reason */
  sendClose(code, reason) {
    if (this.closeSent || this.socket.destroyed) return;
    this.closeSent = true;
    this.state = 'closing';
    const r = encoder.encode(reason).subarray(0, 123);
    const payload = new Uint8Array(2 + r.length);
    payload[0] = code >> 8;
    payload[1] = code & 255;
    payload.set(r, 2);
    this.writeFrame(8, payload, true);
  }

  armCloseTimer() {
    if (this.closeTimer) return;
    // Not unref'd: the close must complete (and onclose fire) even if nothing else is pending.
    this.closeTimer = setTimeout(() => this.socket.destroy(), 2000);
  }

  /** @param {number} opcode @param {Uint8Array} payload @param {boolean} fin */
  writeFrame(opcode, payload, fin) {
    const n = payload.length;
    const headLen = n < 126 ? 2 : n < 65536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(headLen + 4 + n);
    frame[0] = (fin ? 0x80 : 0) | opcode;
    if (n < 126) frame[1] = 0x80 | n;
    else if (n < 65536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(n, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(n), 2);
    }
    const mask = frame.subarray(headLen, headLen + 4);
    randomFillSync(mask);
    const body = frame.subarray(headLen + 4);
    for (let i = 0; i < n; i++) body[i] = payload[i] ^ mask[i & 3];
    this.socket.write(frame);
  }

  /** Feeds received bytes to the frame parser. @param {Buffer} chunk */
  receive(chunk) {
    this.lastReceive = Date.now();
    this.pingOutstanding = false;
    this.queue.push(chunk);
    while (this.state !== 'closed' && !this.socket.destroyed) {
      const q = this.queue;
      if (q.length < 2) return;
      const h = q.peek(2);
      const fin = (h[0] & 0x80) !== 0;
      const opcode = h[0] & 0x0f;
      let len = h[1] & 0x7f;
      let headLen = 2;
      if (h[0] & 0x70) return this.fail(1002, 'reserved bits set without a negotiated extension');
      if (h[1] & 0x80) return this.fail(1002, 'the server masked a frame');
      if (len === 126) {
        if (q.length < 4) return;
        len = q.peek(4).readUInt16BE(2);
        headLen = 4;
      } else if (len === 127) {
        if (q.length < 10) return;
        const big = q.peek(10).readBigUInt64BE(2);
        if (big > BigInt(this.maxMessageBytes)) return this.fail(1009, `message larger than ${this.maxMessageBytes} bytes`);
        len = Number(big);
        headLen = 10;
      }
      if (opcode >= 8 && (!fin || len > 125)) return this.fail(1002, 'a control frame must be unfragmented and at most 125 bytes');
      if (opcode < 8 && this.partsBytes + len > this.maxMessageBytes) return this.fail(1009, `message larger than ${this.maxMessageBytes} bytes`);
      if (q.length < headLen + len) return;
      q.take(headLen);
      const payload = q.take(len);
      this.frame(fin, opcode, payload);
    }
  }

  /** @param {boolean} fin @param {number} opcode @param {Buffer} payload */
  frame(fin, opcode, payload) {
    switch (opcode) {
      case 0:
      case 1:
      case 2:
        if (opcode === 0 && this.messageOpcode === 0) return this.fail(1002, 'a continuation frame without a message to continue');
        if (opcode !== 0 && this.messageOpcode !== 0) return this.fail(1002, 'a new message before the previous one ended');
        if (opcode !== 0) this.messageOpcode = opcode;
        if (this.state !== 'open') return undefined;
        this.parts.push(payload);
        this.partsBytes += payload.length;
        if (!fin) return undefined;
        return this.deliver();
      case 8:
        return this.receivedClose(payload);
      case 9:
        if (this.state === 'open') this.writeFrame(10, payload, true);
        return undefined;
      case 10:
        this.onpong(payload);
        return undefined;
      default:
        return this.fail(1002, `unknown opcode ${opcode}`);
    }
  }

  deliver() {
    const data = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    const opcode = this.messageOpcode;
    this.parts = [];
    this.partsBytes = 0;
    this.messageOpcode = 0;
    if (opcode === 1) {
      let text;
      try {
        text = utf8.decode(data);
      } catch {
        return this.fail(1007, 'a text message is not valid UTF-8');
      }
      this.dispatch({ message: text });
    } else {
      this.dispatch({ message: new Uint8Array(data.buffer, data.byteOffset, data.length) });
    }
    return undefined;
  }

  /** @param {Buffer} payload */
  receivedClose(payload) {
    if (payload.length === 1) return this.fail(1002, 'a close frame with a 1-byte body');
    let code = 1005;
    let reason = '';
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      try {
        reason = utf8.decode(payload.subarray(2));
      } catch {
        reason = payload.subarray(2).toString('latin1');
      }
    }
    this.closeReceived = true;
    if (!this.closeInfo) this.closeInfo = { code, reason };
    // Echo the code (RFC 6455 §5.5.1), then end our side; the server closes the TCP connection.
    this.sendClose(code === 1005 ? 1000 : code, '');
    this.socket.end();
    this.armCloseTimer();
    return undefined;
  }

  /** Fails the connection: close frame with `code`, then the socket closes. @param {number} code @param {string} reason */
  fail(code, reason) {
    this.closeInfo = this.closeInfo ?? { code, reason: `client: ${reason}` };
    this.sendClose(code, reason);
    this.socket.end();
    this.armCloseTimer();
    this.state = 'closing';
  }

  /** @param {number} period */
  tickKeepAlive(period) {
    if (this.state !== 'open') return;
    if (Date.now() - this.lastReceive < period) return;
    if (this.pingOutstanding) {
      this.closeInfo = this.closeInfo ?? { code: 1006, reason: `no answer to a keep-alive ping within ${period} ms` };
      this.socket.destroy();
      return;
    }
    this.pingOutstanding = true;
    this.ping();
  }

  finish() {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (this.keepAlive) clearInterval(this.keepAlive);
    const clean = this.closeSent && this.closeReceived;
    const info = this.closeInfo ?? { code: 1006, reason: '' };
    this.dispatch({ close: { code: info.code, reason: info.reason, wasClean: clean } });
  }
}
