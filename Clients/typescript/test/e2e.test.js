// End-to-end tests against a real server (STARLING_BIN) running the kitchen-sink module, for
// both wire protocols: every column type through the cache callbacks, updates and deletes,
// private tables, reducer failures, (un/re)subscription, overlapping query sets, two clients,
// one-off queries.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';

import { StarlingClient, Identity, Timestamp, TimeDuration } from '../src/index.js';
import { startServer, publishKitchenSink, sql, recorder, waitFor } from '../test-helpers/server.js';

/** Per-test time limit. */
const STEP = { timeout: 30_000 };
/** @type {import('../test-helpers/server.js').Server} */
let server;
before(async () => { server = await startServer(); }, { timeout: 30_000 });
after(async () => { await server?.stop(); });

for (const protocol of /** @type {const} */ (['bsatn', 'json'])) {
  describe(`${protocol} protocol`, { timeout: 600_000 }, () => {
    const db = `ks-${protocol}`;
    /** @type {{ token: string, identity: string }} */
    let owner;
    /** @type {StarlingClient[]} */
    const clients = [];
    /** @param {Partial<import('../src/client.js').ConnectOptions>} [o] */
    const connect = async (o = {}) => {
      const c = await StarlingClient.connect({ url: server.url, database: db, protocol, token: owner.token, ...o });
      c.onError((e) => unexpected.push(e));
      clients.push(c);
      return c;
    };

    /** Errors reported through `onError` (none are expected). @type {unknown[]} */
    const unexpected = [];

    before(async () => { owner = await publishKitchenSink(server, db); }, { timeout: 300_000 });
    afterEach(() => { assert.deepEqual(unexpected.splice(0), [], 'errors reported through onError'); });
    after(async () => { await Promise.all(clients.map((c) => c.close())); });

    it('connects with a saved token and exposes identity, token and connection id', STEP, async () => {
      const c = await connect();
      assert.equal(c.identity?.hex, owner.identity);
      assert.equal(c.token, owner.token);
      assert.match(c.connectionId?.hex ?? '', /^[0-9a-f]{32}$/);
      assert.equal(c.protocol, protocol);
    });

    it('mints an identity when given no token, and keeps it when the token is reused', STEP, async () => {
      const infos = [];
      const c = await connect({ token: undefined, onConnect: (i) => infos.push(i) });
      assert.notEqual(c.identity?.hex, owner.identity);
      assert.equal(infos.length, 1);
      assert.equal(infos[0].reconnected, false);
      const again = await connect({ token: /** @type {string} */ (c.token) });
      assert.ok(again.identity?.equals(c.identity));
      assert.ok(!again.connectionId?.equals(c.connectionId));
    });

    it('sees inserts, updates and deletes of every column type with decoded values', STEP, async () => {
      const c = await connect();
      const table = c.table('everything');
      const events = recorder(table);
      await c.subscribe(['SELECT * FROM everything']).applied;
      assert.equal(table.count(), 0);

      const first = await c.call('insert_everything', 'héllo 🐦', { tag: 'rect', value: { width: 1.5, height: 2 } }, null);
      assert.equal(first.status, 'committed');
      // The cache already holds the row when the call resolves.
      assert.equal(events.length, 1);
      assert.deepEqual(events[0], {
        kind: 'insert', event: 'transaction',
        row: {
          id: 1n, flag: true, i8: -8, u16: 16, i32: -32, i64: -64n, u128: 2n ** 128n - 1n, i128: -(2n ** 127n),
          f32: 1.5, f64: -2.25, text: 'héllo 🐦', blob: new Uint8Array([0, 1, 255]), numbers: [1, -2, 3], maybe: null,
          who: c.identity, when: first.timestamp, duration: new TimeDuration(1_000_000n), position: { x: 1, y: 2 },
          shape: { tag: 'rect', value: { width: 1.5, height: 2 } }, path: [{ x: 0, y: 0 }, { x: 3, y: 4 }],
        },
      });
      assert.ok(events[0].row.who instanceof Identity && events[0].row.when instanceof Timestamp);

      await c.call('insert_everything', 'two', 'point', 'some text');
      await c.call('insert_everything', 'three', { tag: 'circle', value: 0.25 }, '');
      assert.deepEqual(events.slice(1).map((e) => [e.kind, e.row.id, e.row.shape, e.row.maybe]),
        [['insert', 2n, { tag: 'point' }, 'some text'], ['insert', 3n, { tag: 'circle', value: 0.25 }, '']]);

      // An update (delete + insert with the same primary key in one transaction) is one onUpdate.
      events.length = 0;
      await sql(server, db, owner.token, "UPDATE everything SET text = 'changed', f64 = 0.5, maybe = 'now' WHERE id = 1");
      await waitFor(() => events.length > 0, 'the update');
      assert.equal(events.length, 1);
      assert.equal(events[0].kind, 'update');
      assert.equal(events[0].old.text, 'héllo 🐦');
      assert.deepEqual([events[0].row.text, events[0].row.f64, events[0].row.maybe, events[0].row.id], ['changed', 0.5, 'now', 1n]);
      assert.equal(table.find(1n)?.text, 'changed');
      assert.equal(table.find(1)?.text, 'changed', 'find accepts a number for a u64 key');
      assert.equal(table.count(), 3);

      events.length = 0;
      await sql(server, db, owner.token, 'DELETE FROM everything WHERE id = 2');
      await waitFor(() => events.length > 0, 'the delete');
      assert.deepEqual(events.map((e) => [e.kind, e.row.id, e.row.text]), [['delete', 2n, 'two']]);
      assert.equal(table.find(2n), undefined);
      assert.deepEqual(table.rows().map((r) => r.id).sort(), [1n, 3n]);
    });

    it('follows a private table as its owner: many inserts, an update and deletes from one reducer', STEP, async () => {
      const c = await connect();
      const table = c.table('player');
      const events = recorder(table);
      const updates = [];
      c.onTransaction((tx) => { if (tx.reducer === 'check_queries') updates.push(tx); });
      await c.subscribe(['SELECT * FROM player']).applied;
      await c.call('add_players', 'p', 30);
      assert.equal(table.count(), 30);
      const p7 = table.rows().find((p) => p.name === 'p7');
      assert.deepEqual(p7, { id: p7?.id, name: 'p7', score: 70n, team: 1 });
      assert.equal(typeof p7?.id, 'number', 'u32 columns are numbers');
      assert.equal(table.find(p7?.id), p7);
      events.length = 0;
      await c.call('check_queries', 30n);
      const kinds = events.map((e) => e.kind);
      assert.equal(kinds.filter((k) => k === 'update').length, 1);
      const update = events.find((e) => e.kind === 'update');
      assert.deepEqual([update?.old.name, update?.old.score, update?.row.score], ['p3', 30n, 31n]);
      const deleted = events.filter((e) => e.kind === 'delete').map((e) => e.row.name).sort();
      assert.deepEqual(deleted, ['p20', 'p21', 'p22', 'p23', 'p24', 'p25', 'p26', 'p27', 'p28', 'p29', 'p4']);
      assert.equal(kinds.filter((k) => k === 'insert').length, 0);
      assert.equal(table.count(), 19);
      assert.equal(updates.length, 1);
      assert.deepEqual(updates[0].args, { expected_count: 30n });
      assert.equal(updates[0].isOwnCall, true);
      await c.call('clear_players');
      assert.equal(table.count(), 0);
    });

    it('refuses a private table to other identities and reports bad queries', STEP, async () => {
      const stranger = await connect({ token: undefined });
      const errors = [];
      const h = stranger.subscribe(['SELECT * FROM player'], { onError: (e) => errors.push(e) });
      await assert.rejects(h.applied, (e) => e.code === 'SUBSCRIPTION_FAILED' && /table `player` not found/.test(e.message));
      assert.equal(errors.length, 1);
      assert.equal(h.state, 'ended');
      const bad = stranger.subscribe(['SELECT * FROM nowhere'], { onError: (e) => errors.push(e) });
      await assert.rejects(bad.applied, /table `nowhere` not found/);
      assert.equal(errors.length, 2);
      // The connection stays usable.
      await stranger.subscribe(['SELECT * FROM everything']).applied;
      assert.ok(stranger.table('everything').count() > 0);
    });

    it('reports reducer failures with their message and leaves the cache unchanged', STEP, async () => {
      const c = await connect();
      await c.subscribe(['SELECT * FROM player']).applied;
      const before = c.table('player').count();
      await assert.rejects(c.call('insert_then_fail'), (e) => e.name === 'ReducerError' && e.code === 'REDUCER_FAILED'
        && e.reason === 'failing on purpose' && e.message === 'reducer `insert_then_fail` failed: failing on purpose');
      await assert.rejects(c.call('duplicate_name'), (e) => e.code === 'REDUCER_FAILED' && /unique|dup/i.test(e.reason));
      await assert.rejects(c.call('insert_then_trap', 10), (e) => e.code === 'REDUCER_FAILED' && e.reason.length > 0);
      assert.equal(c.table('player').count(), before);
      assert.ok(!c.table('player').rows().some((p) => /ghost|dup/.test(p.name)));
      await assert.rejects(c.call('no_such_reducer'), { code: 'UNKNOWN_REDUCER', message: /no reducer `no_such_reducer`/ });
      await assert.rejects(c.call('add_players', 'x'), { code: 'INVALID_ARGUMENTS', message: /takes 2 argument\(s\) \(prefix, count\), got 1/ });
      await assert.rejects(c.call('add_players', 'x', -1), { code: 'INVALID_ARGUMENTS', message: /-1 is out of range for u32/ });
      // Still usable after failures.
      assert.equal((await c.call('add_players', 'ok', 1)).status, 'committed');
      await c.call('clear_players');
    });

    it('subscribes, unsubscribes and resubscribes', STEP, async () => {
      const c = await connect();
      const table = c.table('everything');
      const events = recorder(table);
      const h = c.subscribe(['SELECT * FROM everything']);
      const applied = [];
      h.onApplied((_, info) => applied.push(info));
      await h.applied;
      assert.deepEqual(applied, [{ reconnected: false }]);
      const n = table.count();
      assert.ok(n >= 2);
      assert.deepEqual(events.map((e) => `${e.kind}/${e.event}`), Array(n).fill('insert/subscribe'));
      events.length = 0;
      await h.unsubscribe();
      assert.equal(h.state, 'ended');
      assert.equal(table.count(), 0);
      assert.deepEqual(events.map((e) => `${e.kind}/${e.event}`), Array(n).fill('delete/unsubscribe'));
      await h.unsubscribe(); // idempotent
      // Not subscribed: another client's insert is not seen.
      await (await connect()).call('insert_everything', 'unseen', 'point', null);
      assert.equal(table.count(), 0);
      events.length = 0;
      const h2 = c.subscribe(['SELECT * FROM everything']);
      await h2.applied;
      assert.notEqual(h2.queryId, h.queryId);
      assert.equal(table.count(), n + 1);
      assert.equal(events.length, n + 1);
      assert.ok(table.rows().some((r) => r.text === 'unseen'));
      // Unsubscribing before the set was applied: the rows come and go, the counts end where they were.
      const quick = c.subscribe(['SELECT * FROM everything']);
      const gone = quick.unsubscribe();
      await quick.applied;
      await gone;
      assert.equal(quick.state, 'ended');
      assert.equal(table.count(), n + 1);
      await h2.unsubscribe();
      assert.equal(table.count(), 0);
    });

    it('two overlapping subscriptions: each row is seen once and deleted once', STEP, async () => {
      const c = await connect();
      const table = c.table('player');
      const events = recorder(table);
      await c.call('add_players', 'o', 3);
      const h1 = c.subscribe(['SELECT * FROM player']);
      const h2 = c.subscribe(['SELECT * FROM player']);
      await Promise.all([h1.applied, h2.applied]);
      assert.equal(table.count(), 3);
      assert.deepEqual(events.map((e) => e.kind), ['insert', 'insert', 'insert'], 'rows of both sets are seen once');
      events.length = 0;
      await c.call('add_players', 'q', 2);
      assert.deepEqual(events.map((e) => `${e.kind}:${e.row.name}`).sort(), ['insert:q0', 'insert:q1']);
      events.length = 0;
      await sql(server, db, owner.token, "DELETE FROM player WHERE name = 'q0'; DELETE FROM player WHERE name = 'q1'");
      await waitFor(() => events.length >= 2, 'the deletes');
      assert.deepEqual(events.map((e) => `${e.kind}:${e.row.name}`).sort(), ['delete:q0', 'delete:q1']);
      events.length = 0;
      await h1.unsubscribe();
      assert.equal(events.length, 0, 'rows still held by the other set stay');
      assert.equal(table.count(), 3);
      await h2.unsubscribe();
      assert.deepEqual(events.map((e) => `${e.kind}:${e.row.name}`).sort(), ['delete:o0', 'delete:o1', 'delete:o2']);
      assert.equal(table.count(), 0);
      await c.call('clear_players');
    });

    it("two clients see each other's calls", STEP, async () => {
      const a = await connect({ token: undefined });
      const b = await connect({ token: undefined, protocol: protocol === 'bsatn' ? 'json' : 'bsatn' });
      const seenByB = [];
      const txByB = [];
      b.table('everything').onInsert((row) => seenByB.push(row));
      b.onTransaction((tx) => txByB.push(tx));
      const seenByA = [];
      a.table('everything').onInsert((row) => seenByA.push(row));
      await Promise.all([a.subscribe(['SELECT * FROM everything']).applied, b.subscribe(['SELECT * FROM everything']).applied]);
      seenByA.length = 0;
      seenByB.length = 0;
      await a.call('insert_everything', 'from a', { tag: 'circle', value: 3 }, 'x');
      await waitFor(() => seenByB.length === 1, 'b to see a’s row');
      assert.ok(seenByB[0].who.equals(a.identity));
      assert.equal(seenByB[0].text, 'from a');
      const tx = txByB.find((t) => t.reducer === 'insert_everything');
      assert.ok(tx?.callerIdentity.equals(a.identity));
      assert.ok(tx?.callerConnectionId.equals(a.connectionId));
      assert.equal(tx?.isOwnCall, false);
      assert.equal(tx?.requestId, 0);
      assert.deepEqual(tx?.args, { text: 'from a', shape: { tag: 'circle', value: 3 }, maybe: 'x' });
      await b.call('insert_everything', 'from b', 'point', null);
      await waitFor(() => seenByA.length === 2, 'a to see b’s row');
      assert.ok(seenByA[1].who.equals(b.identity));
      assert.deepEqual(a.table('everything').find(seenByA[1].id), b.table('everything').find(seenByA[1].id));
    });

    it('runs one-off queries and reports their errors', STEP, async () => {
      const c = await connect();
      const [result] = await c.oneOffQuery('SELECT id, text, shape FROM everything WHERE id = 1');
      assert.equal(result.table, 'everything');
      assert.deepEqual(result.columns.map((col) => col.name), ['id', 'text', 'shape']);
      assert.deepEqual(result.rows, [{ id: 1n, text: 'changed', shape: { tag: 'rect', value: { width: 1.5, height: 2 } } }]);
      const all = await c.oneOffQuery('SELECT * FROM everything');
      assert.equal(all[0].rows.length, (await sql(server, db, owner.token, 'SELECT * FROM everything'))[0].rows.length);
      await assert.rejects(c.oneOffQuery('SELEC nonsense'), (e) => e.code === 'QUERY_FAILED' && e.message.startsWith('query failed: '));
      await assert.rejects(c.oneOffQuery("DELETE FROM everything WHERE id = 1"), /read-only/);
    });
  });
}
