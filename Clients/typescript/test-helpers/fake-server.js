// A scripted Starling server for client tests: serves the schema and identity routes over
// HTTP, accepts WebSocket upgrades and lets a test script speak the JSON protocol frame by frame.
import http from 'node:http';
import { createHash } from 'node:crypto';

/**
 * Parses the (masked) frames a client sends; calls onFrame({ fin, opcode, masked, payload }).
 * @param {import('node:net').Socket} socket
 * @param {(f: { fin: boolean, opcode: number, masked: boolean, payload: Buffer }) => void} onFrame
 */
export function frameReader(socket, onFrame) {
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1] & 0x7f;
      let at = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); at = 10; }
      const masked = (buf[1] & 0x80) !== 0;
      if (buf.length < at + (masked ? 4 : 0) + len) return;
      const mask = masked ? buf.subarray(at, at + 4) : null;
      at += masked ? 4 : 0;
      const payload = Buffer.from(buf.subarray(at, at + len));
      if (mask) for (let i = 0; i < len; i++) payload[i] ^= mask[i & 3];
      onFrame({ fin: (buf[0] & 0x80) !== 0, opcode: buf[0] & 0x0f, masked, payload });
      buf = buf.subarray(at + len);
    }
  });
}

/**
 * A server frame (unmasked unless asked).
 * @param {number} opcode @param {string | Uint8Array} payload @param {{ fin?: boolean, mask?: boolean }} [options]
 */
export function frame(opcode, payload, { fin = true, mask = false } = {}) {
  const p = Buffer.from(payload);
  const n = p.length;
  let head;
  if (n < 126) head = Buffer.from([(fin ? 0x80 : 0) | opcode, n]);
  else if (n < 65536) head = Buffer.from([(fin ? 0x80 : 0) | opcode, 126, n >> 8, n & 255]);
  else {
    head = Buffer.alloc(10);
    head[0] = (fin ? 0x80 : 0) | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  if (mask) head[1] |= 0x80;
  return Buffer.concat([head, mask ? Buffer.from([0, 0, 0, 0]) : Buffer.alloc(0), p]);
}

/** The payload of a close frame. @param {number} code @param {string} [reason] */
export function closePayload(code, reason = '') {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}

/**
 * One accepted WebSocket connection, from the server's side.
 * @typedef {object} FakeConnection
 * @property {import('node:net').Socket} socket
 * @property {import('node:http').IncomingMessage} request
 * @property {() => Promise<any>} next the next client message (parsed JSON), or `{ closed: code }`
 * @property {(message: object) => void} send a server message as a JSON text frame
 * @property {(code: number, reason?: string) => void} close a close frame, then the end of the socket
 * @property {() => void} drop the TCP connection ends without a close frame
 */

/**
 * Starts the fake server. `onConnection(conn)` runs for each upgrade.
 * @param {{ schema: object, onConnection: (conn: FakeConnection) => void }} options
 * @returns {Promise<{ url: string, close: () => void }>}
 */
export async function fakeStarling({ schema, onConnection }) {
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && /^\/v1\/database\/[^/]+\/schema$/.test(req.url ?? '')) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(schema));
    } else if (req.method === 'POST' && req.url === '/v1/identity') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ identity: 'ab'.repeat(32), token: 'minted' }));
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  server.on('upgrade', (req, socket) => {
    sockets.add(socket);
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n`
      + `Sec-WebSocket-Protocol: ${String(req.headers['sec-websocket-protocol']).split(',')[0].trim()}\r\n\r\n`);
    /** @type {any[]} */
    const queue = [];
    /** @type {Array<(m: any) => void>} */
    const waiters = [];
    const push = (/** @type {any} */ m) => { const w = waiters.shift(); if (w) w(m); else queue.push(m); };
    frameReader(socket, (f) => {
      if (f.opcode === 1) push(JSON.parse(f.payload.toString()));
      else if (f.opcode === 8) push({ closed: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005 });
    });
    onConnection({
      socket, request: req,
      next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r))),
      send: (m) => socket.write(frame(1, JSON.stringify(m))),
      close: (code, reason) => { socket.write(frame(8, closePayload(code, reason))); socket.end(); },
      drop: () => socket.destroy(),
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
