// Overlapping filtered subscriptions (needs the query engine's live queries; run with
// unless STARLING_FILTERED_SUBSCRIPTIONS=0): a row in two queries
// arrives once per query, and the cache shows it once.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { StarlingClient } from '../src/index.js';
import { startServer, publishKitchenSink, sql, recorder, waitFor } from '../test-helpers/server.js';

const enabled = process.env.STARLING_FILTERED_SUBSCRIPTIONS !== '0';

describe('filtered subscriptions', { skip: !enabled && 'STARLING_FILTERED_SUBSCRIPTIONS=0', timeout: 600_000 }, () => {
  /** @type {import('../test-helpers/server.js').Server} */
  let server;
  /** @type {{ token: string, identity: string }} */
  let owner;
  before(async () => {
    server = await startServer();
    owner = await publishKitchenSink(server, 'ks-filtered');
  }, { timeout: 300_000 });
  after(async () => { await server?.stop(); });

  for (const protocol of /** @type {const} */ (['bsatn', 'json'])) {
    it(`two overlapping WHERE queries: each row seen once, updated once, deleted once (${protocol})`, { timeout: 60_000 }, async () => {
      const c = await StarlingClient.connect({ url: server.url, database: 'ks-filtered', token: owner.token, protocol });
      try {
        const table = c.table('player');
        const events = recorder(table);
        const name = (e) => (e.kind === 'update' ? `update ${e.old.name}:${e.old.score}->${e.row.score}` : `${e.kind} ${e.row.name}:${e.row.score}`);
        await c.call('clear_players');
        await c.call('add_players', 'f', 10); // scores 0, 10, …, 90
        const high = c.subscribe(['SELECT * FROM player WHERE score > 10']); // 20…90
        const low = c.subscribe(['SELECT * FROM player WHERE score < 50']); // 0…40
        await Promise.all([high.applied, low.applied]);
        assert.equal(table.count(), 10);
        assert.equal(events.length, 10, 'rows in both queries (20, 30, 40) are inserted once');
        assert.ok(events.every((e) => e.kind === 'insert'));
        events.length = 0;

        // A row in both queries is deleted: two deletes arrive, one onDelete.
        await sql(server, 'ks-filtered', owner.token, 'DELETE FROM player WHERE score = 30');
        await waitFor(() => events.length > 0, 'the delete');
        // A row moves within both (20 → 25): one onUpdate. A row leaves one query and stays in the other (40 → 60).
        await sql(server, 'ks-filtered', owner.token, 'UPDATE player SET score = 25 WHERE score = 20');
        await sql(server, 'ks-filtered', owner.token, 'UPDATE player SET score = 60 WHERE score = 40');
        // A new row in both queries: one onInsert.
        await sql(server, 'ks-filtered', owner.token, "INSERT INTO player (id, name, score, team) VALUES (1000, 'g0', 35, 0)");
        await waitFor(() => events.length >= 4, 'the updates and the insert');
        assert.deepEqual(events.map(name), ['delete f3:30', 'update f2:20->25', 'update f4:40->60', 'insert g0:35']);
        events.length = 0;

        // Unsubscribing `high` removes the rows only it held (≥ 50 and f1 at 10 stays in low).
        await high.unsubscribe();
        assert.deepEqual(events.map(name).sort(), ['delete f4:60', 'delete f5:50', 'delete f6:60', 'delete f7:70', 'delete f8:80', 'delete f9:90'].sort());
        events.length = 0;
        await low.unsubscribe();
        assert.deepEqual(events.map(name).sort(), ['delete f0:0', 'delete f1:10', 'delete f2:25', 'delete g0:35'].sort());
        assert.equal(table.count(), 0);
      } finally {
        await c.close();
      }
    });
  }
});
