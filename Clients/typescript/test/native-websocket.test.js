// The SDK over the platform's WebSocket instead of the built-in Node client: Node 20's
// experimental global WebSocket stands in for a browser's (token in `?token=`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

import { startServer, publishKitchenSink } from '../test-helpers/server.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../test-helpers/native-client.js', import.meta.url));

/** @type {import('../test-helpers/server.js').Server} */
let server;
/** @type {{ token: string, identity: string }} */
let owner;
before(async () => {
  server = await startServer();
  owner = await publishKitchenSink(server, 'ks-native');
}, { timeout: 300_000 });
after(async () => { await server?.stop(); });

for (const protocol of ['bsatn', 'json']) {
  test(`global WebSocket (${protocol}): connect with ?token=, subscribe, call, query`, { timeout: 60_000 }, async () => {
    const { stdout } = await run(process.execPath, ['--experimental-websocket', '--no-warnings', script], {
      env: { ...process.env, STARLING_URL: server.url, STARLING_DB: 'ks-native', STARLING_TOKEN: owner.token, STARLING_PROTOCOL: protocol },
      timeout: 30_000,
    });
    const seen = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
    assert.equal(seen.hasGlobalWebSocket, true);
    assert.equal(seen.identity, owner.identity, 'the token reached the server through ?token=');
    assert.deepEqual(seen.inserted, ['via native WebSocket']);
    assert.equal(seen.failure, 'failing on purpose');
    assert.ok(seen.queried.length >= 1 && seen.queried.every((t) => t === 'via native WebSocket'));
  });
}
