// TLS end to end: the real server behind a TLS-terminating proxy (test-helpers/tls.js) with a
// throwaway CA. With the CA passed as `ca`, a client mints an identity over https://, subscribes
// and calls a reducer over wss://; without it, or with a certificate for another host, or against
// a port that does not speak TLS, connecting fails with a message naming the host and the reason.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import { StarlingClient, SUBPROTOCOLS } from '../src/index.js';
import { connectNodeWebSocket } from '../src/node-websocket.js';
import { startServer, publishKitchenSink, waitFor } from '../test-helpers/server.js';
import { makeCertificates, startTlsProxy } from '../test-helpers/tls.js';

const STEP = { timeout: 30_000 };
const DB = 'ks-tls';

describe('TLS (https://, wss://)', { timeout: 600_000 }, () => {
  /** @type {import('../test-helpers/server.js').Server} */
  let server;
  /** @type {{ token: string, identity: string }} */
  let owner;
  /** @type {ReturnType<typeof makeCertificates>} */
  let certs;
  /** @type {{ port: number, close: () => Promise<void> }} */
  let proxy;
  /** @type {{ port: number, close: () => Promise<void> }} */
  let otherHostProxy;

  before(async () => {
    server = await startServer();
    owner = await publishKitchenSink(server, DB);
    certs = makeCertificates();
    proxy = await startTlsProxy({ ...certs.localhost, backendPort: server.port });
    otherHostProxy = await startTlsProxy({ ...certs.otherHost, backendPort: server.port });
  }, { timeout: 300_000 });
  after(async () => {
    await proxy?.close();
    await otherHostProxy?.close();
    await server?.stop();
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  const subscribeURL = (/** @type {string} */ authority) => `wss://${authority}/v1/database/${DB}/subscribe`;

  it('mints an identity, subscribes and calls a reducer over TLS with the CA trusted', STEP, async () => {
    const a = await StarlingClient.connect({ url: `https://localhost:${proxy.port}`, database: DB, ca: certs.ca });
    const b = await StarlingClient.connect({ url: `wss://127.0.0.1:${proxy.port}`, database: DB, ca: certs.ca, token: owner.token });
    try {
      assert.notEqual(a.identity?.hex, owner.identity);
      assert.equal(b.identity?.hex, owner.identity);
      await b.subscribe(['SELECT * FROM team']).applied;
      const outcome = await a.call('set_team', 42, 'over tls');
      assert.equal(outcome.status, 'committed');
      await waitFor(() => b.table('team').find(42)?.name === 'over tls', 'the row over wss://');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses a certificate that does not chain to a trusted root', STEP, async () => {
    // Without `ca`, only Node's root certificates are trusted: HTTP (global fetch) and the WebSocket both refuse.
    await assert.rejects(
      StarlingClient.connect({ url: `https://localhost:${proxy.port}`, database: DB, token: owner.token }),
      (/** @type {any} */ e) => {
        assert.equal(e.code, 'SERVER_UNREACHABLE');
        assert.match(e.message, new RegExp(`^cannot reach https://localhost:${proxy.port}: the TLS certificate of localhost:${proxy.port} is not trusted \\(unable to verify the first certificate\\); if the server uses a private CA, pass its certificate in the \`ca\` option$`));
        return true;
      });
    await assert.rejects(connectNodeWebSocket(subscribeURL(`localhost:${proxy.port}`), { protocols: [SUBPROTOCOLS.json] }), {
      code: 'CONNECT_FAILED',
      message: new RegExp(`^the TLS certificate of localhost:${proxy.port} is not trusted`),
    });
  });

  it('refuses a certificate issued for another host', STEP, async () => {
    await assert.rejects(
      StarlingClient.connect({ url: `https://localhost:${otherHostProxy.port}`, database: DB, ca: certs.ca, token: owner.token }),
      { code: 'SERVER_UNREACHABLE', message: new RegExp(`TLS hostname mismatch: the certificate presented by localhost:${otherHostProxy.port} is not valid for \`localhost\``) });
    await assert.rejects(
      connectNodeWebSocket(subscribeURL(`127.0.0.1:${otherHostProxy.port}`), { protocols: [SUBPROTOCOLS.json], ca: certs.ca }),
      { code: 'CONNECT_FAILED', message: new RegExp(`^TLS hostname mismatch: the certificate presented by 127.0.0.1:${otherHostProxy.port} is not valid for \`127.0.0.1\``) });
  });

  it('reports a port without TLS as such', STEP, async () => {
    await assert.rejects(connectNodeWebSocket(subscribeURL(`127.0.0.1:${server.port}`), { protocols: [SUBPROTOCOLS.json] }), {
      code: 'CONNECT_FAILED',
      message: `TLS handshake with 127.0.0.1:${server.port} failed: the server did not answer with TLS; does it serve plain http:// or ws:// on that port?`,
    });
  });
});
