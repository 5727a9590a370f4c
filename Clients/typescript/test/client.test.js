// StarlingClient against a scripted server (JSON protocol), for the cases a real server does not
// produce on demand: no IdentityToken, drops in the middle of a call or of a resynchronization,
// a set dropped by the server, stray messages.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';

import { StarlingClient } from '../src/index.js';
import { fakeStarling } from '../test-helpers/fake-server.js';
import { recorder, waitFor } from '../test-helpers/server.js';

const schema = {
  tables: [{ name: 'item', access: 'public', primary_key: 'id', columns: [{ name: 'id', type: 'u32' }, { name: 'name', type: 'string' }], indexes: [] }],
  reducers: [{ name: 'rename', params: [{ name: 'id', type: 'u32' }, { name: 'name', type: 'string' }], lifecycle: null }],
  row_level_security: [],
  types: [],
};
const ME = 'ab'.repeat(32);
const identityToken = (n) => ({ IdentityToken: { identity: ME, token: 'tok', connection_id: String(n).padStart(32, '0') } });
const applied = (m, rows) => ({
  SubscribeApplied: { request_id: m.Subscribe.request_id, query_id: m.Subscribe.query_id, tables: [{ table_name: 'item', rows }], total_host_execution_duration_micros: 1 },
});
const fast = { initialDelayMs: 20, maxDelayMs: 50, jitter: 0 };

/** Clients of the current test, closed after it even when it fails (a reconnecting client would keep the process alive). */
const clients = [];
/** @param {Promise<StarlingClient>} connecting */
const track = async (connecting) => {
  const c = await connecting;
  clients.push(c);
  return c;
};
afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.close())); });

test('connect fails when the server never sends IdentityToken', { timeout: 10_000 }, async () => {
  const server = await fakeStarling({ schema, onConnection: () => {} });
  try {
    await assert.rejects(StarlingClient.connect({ url: server.url, database: 'db', protocol: 'json', connectTimeoutMs: 300 }),
      (e) => e.code === 'CONNECT_FAILED' && /within 300 ms/.test(e.message));
  } finally {
    server.close();
  }
});

test('mints a token without one; a refused upgrade is explained', { timeout: 10_000 }, async () => {
  const auth = [];
  const server = await fakeStarling({ schema, onConnection: (c) => { auth.push(c.request.headers.authorization); c.send(identityToken(1)); } });
  try {
    const c = await track(StarlingClient.connect({ url: server.url, database: 'db', protocol: 'json' }));
    assert.deepEqual(auth, ['Bearer minted'], 'the minted token was used for the WebSocket');
    assert.equal(c.token, 'tok', 'the IdentityToken’s token is the one to keep');
    assert.equal(c.identity?.hex, ME);
    await c.close();
    // A browser-style WebSocket cannot see why it was refused: the client asks over HTTP.
    class RefusedWebSocket {
      constructor() { setTimeout(() => this.onclose?.({ code: 1006, reason: '', wasClean: false }), 5); }
      close() {}
    }
    await assert.rejects(StarlingClient.connect({ url: server.url, database: 'db', token: 't', webSocket: /** @type {any} */ (RefusedWebSocket) }),
      (e) => e.code === 'CONNECT_FAILED' && e.status === 404 && /refused the WebSocket \(HTTP 404\): not found/.test(e.message));
    await assert.rejects(StarlingClient.connect({ url: server.url.replace(/:\d+$/, ':1'), database: 'db' }),
      (e) => e.code === 'SERVER_UNREACHABLE' && /cannot reach/.test(e.message));
  } finally {
    server.close();
  }
});

test('a call in flight when the connection drops rejects; the resync spans two drops', { timeout: 20_000 }, async () => {
  let n = 0;
  const steps = [];
  const server = await fakeStarling({
    schema,
    onConnection: async (conn) => {
      n += 1;
      conn.send(identityToken(n));
      const sub = await conn.next();
      steps.push(`${n}: ${Object.keys(sub)[0]} ${sub.Subscribe?.query_id}`);
      if (n === 1) {
        conn.send(applied(sub, [{ id: 1, name: 'a' }, { id: 2, name: 'b' }]));
        const call = await conn.next();
        steps.push(`${n}: CallReducer ${call.CallReducer.reducer} ${JSON.stringify(call.CallReducer.args)}`);
        conn.drop();
      } else if (n === 2) {
        conn.drop(); // gone again before the set was applied
      } else {
        conn.send(applied(sub, [{ id: 2, name: 'B' }, { id: 3, name: 'c' }]));
      }
    },
  });
  try {
    const c = await track(StarlingClient.connect({ url: server.url, database: 'db', protocol: 'json', token: 't', reconnect: fast }));
    const events = recorder(c.table('item'));
    const reapplied = [];
    const h = c.subscribe(['SELECT * FROM item'], { onApplied: (_, info) => reapplied.push(info.reconnected) });
    await h.applied;
    events.length = 0;
    await assert.rejects(c.call('rename', 1, 'z'),
      (e) => e.code === 'CONNECTION_LOST' && /before reducer `rename` answered; it may or may not have run/.test(e.message));
    await assert.rejects(c.call('rename', 1, 'z'), { code: 'NOT_CONNECTED' });
    await waitFor(() => reapplied.length === 2, 'the resubscription on the third connection');
    assert.deepEqual(steps, ['1: Subscribe 1', '1: CallReducer rename [1,"z"]', '2: Subscribe 1', '3: Subscribe 1']);
    assert.deepEqual(reapplied, [false, true]);
    assert.deepEqual(events.map((e) => (e.kind === 'update' ? `update ${e.old.name}->${e.row.name}` : `${e.kind} ${e.row.name}`) + ` (${e.event})`),
      ['delete a (reconnect)', 'update b->B (reconnect)', 'insert c (reconnect)']);
    assert.equal(c.connectionId?.hex, '3'.padStart(32, '0'));
    await c.close();
  } finally {
    server.close();
  }
});

test('stray and undecodable messages go to onError; a set dropped by the server reports onError', { timeout: 10_000 }, async () => {
  const server = await fakeStarling({
    schema,
    onConnection: async (conn) => {
      conn.send(identityToken(1));
      const sub = await conn.next();
      conn.send(applied(sub, [{ id: 1, name: 'a' }]));
      conn.send(identityToken(1));
      conn.send({ Bogus: {} });
      conn.send({ SubscriptionError: { request_id: null, query_id: null, error: 'server trouble' } });
      conn.send({ TransactionUpdate: {
        status: 'committed', timestamp_micros: 1, caller_identity: ME, caller_connection_id: '2',
        reducer_call: { reducer_name: 'rename', args: [1, 'x'], request_id: 0 },
        tables: [{ table_name: 'item', inserts: [{ id: 1, name: 1234 }], deletes: [] }], execution_micros: 1,
      } });
      conn.send({ SubscriptionError: { request_id: null, query_id: sub.Subscribe.query_id, error: 'evicted' } });
    },
  });
  try {
    const errors = [];
    const c = await track(StarlingClient.connect({ url: server.url, database: 'db', protocol: 'json', token: 't', onError: (e) => errors.push(e) }));
    const dropped = [];
    const txs = [];
    c.onTransaction((tx) => txs.push(tx));
    c.subscribe(['SELECT * FROM item'], { onError: (e) => dropped.push(e) });
    await waitFor(() => dropped.length === 1, 'the dropped set');
    assert.match(dropped[0].message, /evicted/);
    assert.deepEqual(errors.map((e) => e.code), ['PROTOCOL_ERROR', 'PROTOCOL_ERROR', 'SUBSCRIPTION_FAILED', 'PROTOCOL_ERROR']);
    assert.match(errors[0].message, /unexpected IdentityToken/);
    assert.match(errors[1].message, /unknown server message `Bogus`/);
    assert.match(errors[2].message, /server trouble/);
    assert.match(errors[3].message, /a row of table `item` does not match its schema: at `\.name`: expected a string, found 1234/);
    assert.deepEqual(txs[0].args, { id: 1, name: 'x' });
    assert.equal(c.table('item').find(1)?.name, 'a', 'the bad row changed nothing');
    assert.ok(c.isConnected);
    await c.close();
  } finally {
    server.close();
  }
});

test('close codes 1008 (slow consumer) and 1012 (schema changed) reconnect; the new schema is loaded', { timeout: 20_000 }, async () => {
  let n = 0;
  const current = structuredClone(schema);
  const server = await fakeStarling({
    schema: current,
    onConnection: async (conn) => {
      n += 1;
      conn.send(identityToken(n));
      const sub = await conn.next();
      if (n === 1) {
        conn.send(applied(sub, [{ id: 1, name: 'a' }]));
        conn.close(1008, 'slow consumer: more than 64 bytes of updates unsent; reconnect and resubscribe');
      } else if (n === 2) {
        conn.send(applied(sub, [{ id: 1, name: 'a' }]));
        // The module is updated with a new column: the server closes everyone with 1012.
        current.tables[0].columns.push({ name: 'score', type: 'option<i64>' });
        conn.close(1012, 'the module was updated; reconnect and subscribe again');
      } else {
        conn.send(applied(sub, [{ id: 1, name: 'a', score: 7 }]));
      }
    },
  });
  try {
    const c = await track(StarlingClient.connect({ url: server.url, database: 'db', protocol: 'json', token: 't', reconnect: fast }));
    const drops = [];
    c.onDisconnect((e, willReconnect) => drops.push([e.code, e.closeCode, willReconnect, e.reason]));
    const events = recorder(c.table('item'));
    const reapplied = [];
    c.subscribe(['SELECT * FROM item'], { onApplied: (_, info) => reapplied.push(info.reconnected) });
    await waitFor(() => reapplied.length === 3, 'two reconnects');
    assert.deepEqual(drops.map((d) => d.slice(0, 3)), [['SLOW_CONSUMER', 1008, true], ['SERVICE_RESTART', 1012, true]]);
    assert.match(drops[0][3], /slow consumer/);
    assert.deepEqual(c.table('item').find(1), { id: 1, name: 'a', score: 7n });
    assert.deepEqual(events.map((e) => `${e.kind} (${e.event})`), ['insert (subscribe)', 'update (reconnect)']);
    await c.close();
  } finally {
    server.close();
  }
});
