// The built-in RFC 6455 client against a scripted WebSocket server (node:http upgrade): the
// handshake, masking, fragmentation both ways, ping/pong, the close handshake, refusals and
// protocol violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';

import { connectNodeWebSocket } from '../src/node-websocket.js';
import { frameReader, frame, closePayload } from '../test-helpers/fake-server.js';

/**
 * Starts a server whose upgrade handler is `script(socket, req, frames)`; `frames` is an async
 * queue of client frames.
 */
async function withServer(script, body) {
  const server = http.createServer((req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('database `nope` not found');
  });
  const sockets = new Set();
  server.on('upgrade', (req, socket) => {
    sockets.add(socket);
    if (req.url.includes('refuse')) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n'
        + '7\r\nunautho\r\n11\r\nrized: bad token\n\r\n0\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n`
      + `Sec-WebSocket-Protocol: ${req.headers['sec-websocket-protocol'].split(',')[0].trim()}\r\n\r\n`);
    const queue = [];
    const waiters = [];
    frameReader(socket, (f) => { const w = waiters.shift(); if (w) w(f); else queue.push(f); });
    const next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)));
    script(socket, req, next);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${server.address().port}/v1/database/db/subscribe`;
  try {
    await body(url);
  } finally {
    // Upgraded sockets are not the server's any more: end them, then stop listening.
    for (const s of sockets) s.destroy();
    server.close();
  }
}

test('handshake, masked and fragmented messages both ways, ping/pong, clean close', async () => {
  const seen = {};
  await withServer(async (socket, req, next) => {
    seen.auth = req.headers.authorization;
    seen.protocols = req.headers['sec-websocket-protocol'];
    // Client → server: a text message sent in 4-byte fragments.
    let text = '';
    for (;;) {
      const f = await next();
      assert.ok(f.masked, 'client frames are masked');
      text += f.payload.toString();
      if (f.fin) break;
    }
    seen.text = text;
    // Server → client: a fragmented text message with a ping in the middle, then big binaries.
    socket.write(frame(1, 'hel', { fin: false }));
    socket.write(frame(9, 'are you there'));
    socket.write(frame(0, 'lo 🐦', { fin: true }));
    const pong = await next();
    seen.pong = [pong.opcode, pong.payload.toString()];
    const big = Buffer.alloc(70000, 7);
    const huge = Buffer.alloc(200000, 9);
    const bytes = Buffer.concat([frame(2, big), frame(2, huge)]);
    for (let i = 0; i < bytes.length; i += 1000) socket.write(bytes.subarray(i, i + 1000));
    const close = await next();
    seen.close = [close.opcode, close.payload.readUInt16BE(0), close.payload.subarray(2).toString()];
    socket.end(frame(8, closePayload(1000)));
  }, async (url) => {
    const ws = await connectNodeWebSocket(url, { protocols: ['v1.bsatn.starling'], headers: { Authorization: 'Bearer t0k' }, fragmentSize: 4 });
    assert.equal(ws.protocol, 'v1.bsatn.starling');
    const messages = [];
    const closed = new Promise((resolve) => { ws.onclose = resolve; });
    const got3 = new Promise((resolve) => {
      ws.onmessage = (m) => { messages.push(m); if (messages.length === 3) resolve(); };
    });
    ws.send('fragmented hello');
    await got3;
    assert.equal(messages[0], 'hello 🐦');
    assert.ok(messages[1] instanceof Uint8Array && messages[1].length === 70000 && messages[1].every((b) => b === 7));
    assert.ok(messages[2].length === 200000 && messages[2][199999] === 9);
    ws.close(1000, 'bye');
    assert.deepEqual(await closed, { code: 1000, reason: 'bye', wasClean: true });
  });
  assert.equal(seen.auth, 'Bearer t0k');
  assert.equal(seen.protocols, 'v1.bsatn.starling');
  assert.equal(seen.text, 'fragmented hello');
  assert.deepEqual(seen.pong, [10, 'are you there']);
  assert.deepEqual(seen.close, [8, 1000, 'bye']);
});

test('a server close frame is answered and reported with its code and reason', async () => {
  let echoed;
  await withServer(async (socket, req, next) => {
    socket.write(frame(8, closePayload(1008, 'slow consumer: reconnect')));
    echoed = await next();
    socket.end();
  }, async (url) => {
    const ws = await connectNodeWebSocket(url, { protocols: ['p'] });
    const event = await new Promise((resolve) => { ws.onclose = resolve; });
    assert.deepEqual(event, { code: 1008, reason: 'slow consumer: reconnect', wasClean: true });
  });
  assert.equal(echoed.opcode, 8);
  assert.equal(echoed.payload.readUInt16BE(0), 1008);
});

test('protocol violations close the connection with the right code', async () => {
  for (const [bad, code] of [[frame(1, Buffer.from([0xc3, 0x28])), 1007], [frame(2, 'x', { mask: true }), 1002],
    [frame(0, 'x'), 1002], [Buffer.from([0x82 | 0x40, 0]), 1002], [frame(9, 'x', { fin: false }), 1002]]) {
    let reply;
    await withServer(async (socket, req, next) => {
      socket.write(bad);
      reply = await next();
      socket.end();
    }, async (url) => {
      const ws = await connectNodeWebSocket(url, { protocols: ['p'] });
      ws.onmessage = () => assert.fail('no message expected');
      const event = await new Promise((resolve) => { ws.onclose = resolve; });
      assert.equal(event.code, code);
    });
    assert.equal(reply.payload.readUInt16BE(0), code);
  }
});

test('a message over the size limit closes with 1009; a dropped connection is 1006', async () => {
  await withServer(async (socket) => { socket.write(frame(2, Buffer.alloc(5000))); }, async (url) => {
    const ws = await connectNodeWebSocket(url, { protocols: ['p'], maxMessageBytes: 4096 });
    const event = await new Promise((resolve) => { ws.onclose = resolve; });
    assert.equal(event.code, 1009);
  });
  await withServer(async (socket) => { setTimeout(() => socket.destroy(), 20); }, async (url) => {
    const ws = await connectNodeWebSocket(url, { protocols: ['p'] });
    const event = await new Promise((resolve) => { ws.onclose = resolve; });
    assert.deepEqual(event, { code: 1006, reason: '', wasClean: false });
  });
});

test('refused handshakes report the HTTP status and body; unreachable servers fail fast', async () => {
  await withServer(() => {}, async (url) => {
    await assert.rejects(connectNodeWebSocket(url.replace('subscribe', 'refuse'), { protocols: ['p'] }),
      (e) => e.code === 'CONNECT_FAILED' && e.status === 401 && e.body === 'unauthorized: bad token'
        && /HTTP 401\): unauthorized: bad token/.test(e.message));
  });
  const closed = http.createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  await assert.rejects(connectNodeWebSocket(`ws://127.0.0.1:${port}/`), { code: 'CONNECT_FAILED', message: /ECONNREFUSED/ });
  await assert.rejects(connectNodeWebSocket('http://example.com/'), /not a WebSocket URL/);
});

test('keep-alive pings detect a silent peer', async () => {
  await withServer(async (socket, req, next) => {
    const ping = await next();
    assert.equal(ping.opcode, 9);
    // Never answer.
  }, async (url) => {
    const ws = await connectNodeWebSocket(url, { protocols: ['p'], keepAliveMs: 50 });
    const event = await new Promise((resolve) => { ws.onclose = resolve; });
    assert.equal(event.code, 1006);
    assert.match(event.reason, /keep-alive/);
  });
});
