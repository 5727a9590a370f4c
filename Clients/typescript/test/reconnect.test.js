// Reconnection against a real server with a data directory: restart, resubscription, cache
// reconciliation of what changed while the client was away, server close codes, close().
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { StarlingClient } from '../src/index.js';
import { startServer, publishKitchenSink, sql, httpCall, recorder, waitFor } from '../test-helpers/server.js';

const STEP = { timeout: 60_000 };
const db = 'ks-reconnect';

describe('reconnect', { timeout: 600_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-ts-reconnect-'));
  /** @type {import('../test-helpers/server.js').Server} */
  let server;
  /** @type {{ token: string, identity: string }} */
  let owner;
  /** @type {StarlingClient[]} */
  const clients = [];
  /** @param {Partial<import('../src/client.js').ConnectOptions>} [o] */
  const connect = async (o = {}) => {
    const c = await StarlingClient.connect({
      url: server.url, database: db, token: owner.token, reconnect: { initialDelayMs: 100, maxDelayMs: 400, jitter: 0 }, onError: () => {}, ...o,
    });
    clients.push(c);
    return c;
  };
  /** Records connect and disconnect events of a client. @param {StarlingClient} c */
  const lifecycle = (c) => {
    const log = { connects: /** @type {any[]} */ ([]), disconnects: /** @type {any[]} */ ([]) };
    c.onConnect((i) => log.connects.push(i));
    c.onDisconnect((e, willReconnect) => log.disconnects.push({ error: e, willReconnect }));
    return log;
  };

  before(async () => {
    server = await startServer({ dataDir });
    owner = await publishKitchenSink(server, db);
  }, { timeout: 300_000 });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('comes back after the server restarts: same identity, query sets resubscribed, no spurious callbacks', STEP, async () => {
    for (const protocol of /** @type {const} */ (['bsatn', 'json'])) {
      const c = await connect({ protocol });
      const log = lifecycle(c);
      const events = recorder(c.table('everything'));
      const applied = [];
      const h = c.subscribe(['SELECT * FROM everything'], { onApplied: (_, info) => applied.push(info) });
      await h.applied;
      await c.call('insert_everything', `kept by ${protocol}`, 'point', null);
      const rowsBefore = c.table('everything').count();
      const firstConnection = c.connectionId;
      events.length = 0;

      await server.stop();
      await waitFor(() => log.disconnects.length === 1, 'the disconnect');
      assert.equal(log.disconnects[0].willReconnect, true);
      assert.ok(['SERVER_GOING_AWAY', 'CONNECTION_LOST', 'CLOSED_BY_SERVER'].includes(log.disconnects[0].error.code), log.disconnects[0].error.code);
      assert.equal(c.isConnected, false);
      await assert.rejects(c.call('insert_everything', 'x', 'point', null), {
        code: 'NOT_CONNECTED',
        message: 'cannot call `insert_everything`: the connection was lost and the client is reconnecting; call again once it has reconnected (onConnect)',
      });
      await new Promise((r) => setTimeout(r, 300)); // let an attempt fail against the stopped server

      server = await startServer({ dataDir, port: server.port });
      await waitFor(() => log.connects.length === 1 && applied.length === 2, 'the reconnect and resubscription', 15_000);
      assert.equal(log.connects[0].reconnected, true);
      assert.equal(log.connects[0].identity.hex, owner.identity);
      assert.ok(!c.connectionId?.equals(firstConnection));
      assert.deepEqual(applied[1], { reconnected: true });
      assert.equal(h.state, 'applied');
      assert.equal(c.table('everything').count(), rowsBefore, 'the durable rows are back');
      assert.deepEqual(events, [], 'nothing changed, so no callbacks');
      await c.call('insert_everything', 'after restart', 'point', null);
      assert.deepEqual(events.map((e) => `${e.kind} ${e.row.text} (${e.event})`), ['insert after restart (transaction)']);
      await c.close();
    }
  });

  it('reconciles what changed while it was away: deletes, updates, inserts, dropped query sets', STEP, async () => {
    const c = await connect({ reconnect: { initialDelayMs: 1500, jitter: 0 } });
    const log = lifecycle(c);
    const events = recorder(c.table('everything'));
    const players = recorder(c.table('player'));
    await c.call('add_players', 'away', 2);
    await c.subscribe(['SELECT * FROM everything']).applied;
    const ps = c.subscribe(['SELECT * FROM player']);
    await ps.applied;
    const [a, b] = c.table('everything').rows().sort((x, y) => Number(x.id - y.id));
    events.length = 0;
    players.length = 0;

    /** @type {any} */ (c.socket).terminate(); // the network drops: no close frame
    await waitFor(() => log.disconnects.length === 1, 'the disconnect');
    assert.equal(log.disconnects[0].error.code, 'CONNECTION_LOST');
    assert.equal(log.disconnects[0].error.closeCode, 1006);
    // While away: another identity inserts, the owner deletes and updates; the app drops a set.
    await sql(server, db, owner.token, `DELETE FROM everything WHERE id = ${a.id}; UPDATE everything SET text = 'edited' WHERE id = ${b.id}`);
    const other = await (await fetch(`${server.url}/v1/identity`, { method: 'POST' })).json();
    await httpCall(server, db, other.token, 'insert_everything', ['while away', { circle: 1 }, null]);
    const unsubscribed = ps.unsubscribe();
    assert.equal(log.connects.length, 0, 'still away (the test needs the reconnect delay to be longer than the changes)');

    await waitFor(() => log.connects.length === 1, 'the reconnect', 15_000);
    await unsubscribed;
    assert.equal(ps.state, 'ended');
    const summary = events.map((e) => (e.kind === 'update' ? `update ${e.old.text} -> ${e.row.text}` : `${e.kind} ${e.row.text}`) + ` (${e.event})`);
    assert.deepEqual(summary.sort(), [`delete ${a.text} (reconnect)`, `insert while away (reconnect)`, `update ${b.text} -> edited (reconnect)`].sort());
    assert.deepEqual(players.map((e) => `${e.kind} ${e.row.name} (${e.event})`).sort(), ['delete away0 (reconnect)', 'delete away1 (reconnect)']);
    assert.equal(c.table('player').count(), 0);
    assert.equal(c.table('everything').find(b.id)?.text, 'edited');
  });

  it('reports the server close codes 1007 and 1003 and reconnects after each', STEP, async () => {
    const c = await connect();
    const log = lifecycle(c);
    /** @type {any} */ (c.socket).send(new Uint8Array([9, 0, 0]));
    await waitFor(() => log.connects.length === 1, 'the reconnect after 1007');
    const malformed = log.disconnects[0].error;
    assert.equal(malformed.code, 'MALFORMED_MESSAGE');
    assert.equal(malformed.closeCode, 1007);
    assert.match(malformed.reason, /unknown client message tag 9/);
    assert.match(malformed.message, /could not decode a message this client sent \(1007\): malformed BSATN message/);
    /** @type {any} */ (c.socket).send('{"Subscribe": {}}');
    await waitFor(() => log.connects.length === 2, 'the reconnect after 1003');
    assert.equal(log.disconnects[1].error.code, 'UNSUPPORTED_DATA');
    assert.equal(log.disconnects[1].error.closeCode, 1003);
    assert.match(log.disconnects[1].error.reason, /send binary \(BSATN\) frames/);
    assert.equal((await c.call('add_players', 'still', 1)).status, 'committed');
  });

  it('a message over the server limit closes with 1009 and fails the call', STEP, async () => {
    const small = await startServer({ args: ['--max-message-size', '4096'] });
    try {
      const smallOwner = await publishKitchenSink(small, 'ks-small');
      const c = await StarlingClient.connect({ url: small.url, database: 'ks-small', token: smallOwner.token, reconnect: false, onError: () => {} });
      clients.push(c);
      const log = lifecycle(c);
      await assert.rejects(c.call('insert_everything', 'x'.repeat(10_000), 'point', null),
        (e) => e.code === 'MESSAGE_TOO_BIG' && e.closeCode === 1009 && /may or may not have run/.test(e.message));
      assert.equal(log.disconnects[0].willReconnect, false);
      assert.equal(c.state, 'closed');
      await assert.rejects(c.call('add_players', 'x', 1), { code: 'CLOSED' });
    } finally {
      await small.stop();
    }
  });

  it('close() ends the connection for good; pending requests reject', STEP, async () => {
    const c = await connect();
    const log = lifecycle(c);
    const h = c.subscribe(['SELECT * FROM everything']);
    await h.applied;
    const query = c.oneOffQuery('SELECT * FROM everything');
    await c.close();
    const outcome = await query.then(() => 'answered', (e) => e.code); // it may have been answered before the close
    assert.ok(['answered', 'CLOSED'].includes(outcome), outcome);
    assert.equal(c.state, 'closed');
    assert.equal(h.state, 'ended');
    assert.deepEqual(log.disconnects, []);
    await assert.rejects(c.call('add_players', 'x', 1), { code: 'CLOSED' });
    assert.throws(() => c.subscribe(['SELECT * FROM everything']), { code: 'CLOSED' });
    await c.close(); // idempotent
  });

  it('gives up after maxAttempts when the server stays away', STEP, async () => {
    const errors = [];
    const c = await connect({ reconnect: { initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 3, jitter: 0 }, onError: (e) => errors.push(e) });
    await server.stop();
    await waitFor(() => c.state === 'closed', 'giving up', 15_000);
    assert.match(String(errors.at(-1)?.message), /gave up reconnecting to .* after 3 attempts/);
  });
});
