// Client cache unit tests: reference counting with overlapping queries (a row arrives once per
// query), update pairing by primary key, JSON and BSATN rows as the same rows, reconciliation.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ClientCache } from '../src/cache.js';
import { DatabaseSchema } from '../src/schema.js';
import { encode } from '../src/bsatn.js';
import { toJSON } from '../src/json-values.js';

const schema = new DatabaseSchema({
  tables: [
    { name: 'player', access: 'public', primary_key: 'id', columns: [{ name: 'id', type: 'u32' }, { name: 'name', type: 'string' }, { name: 'score', type: 'i64' }] },
    { name: 'log', access: 'public', primary_key: null, columns: [{ name: 'text', type: 'string' }] },
  ],
  reducers: [],
});
const rowType = schema.table('player').rowType;
const bsatn = (id, name, score) => encode(rowType, { id, name, score: BigInt(score) });
const json = (id, name, score) => JSON.parse(JSON.stringify(toJSON(rowType, { id, name, score: BigInt(score) })));

function setup() {
  const errors = [];
  const cache = new ClientCache(() => schema, (e) => errors.push(e));
  const events = [];
  const t = cache.table('player');
  t.onInsert((r, ctx) => events.push(`insert ${r.name}/${r.score} (${ctx.event})`));
  t.onDelete((r, ctx) => events.push(`delete ${r.name}/${r.score} (${ctx.event})`));
  t.onUpdate((a, b, ctx) => events.push(`update ${a.name}/${a.score} -> ${b.name}/${b.score} (${ctx.event})`));
  const sub = { event: 'subscribe' };
  const tx = { event: 'transaction' };
  const unsub = { event: 'unsubscribe' };
  return { cache, t, events, errors, sub, tx, unsub };
}

test('overlapping queries: a row is shown once while any query holds it', () => {
  const { cache, t, events, sub, tx, unsub } = setup();
  // Query set 1 holds a, b; query set 2 holds b, c.
  cache.apply('player', [bsatn(1, 'a', 1), bsatn(2, 'b', 5)], [], sub, false);
  cache.apply('player', [bsatn(2, 'b', 5), bsatn(3, 'c', 9)], [], sub, false);
  assert.deepEqual(events.splice(0), ['insert a/1 (subscribe)', 'insert b/5 (subscribe)', 'insert c/9 (subscribe)']);
  assert.equal(t.count(), 3);
  // A new row in both queries arrives twice in one message: one insert.
  cache.apply('player', [bsatn(4, 'd', 3), bsatn(4, 'd', 3)], [], tx, false);
  assert.deepEqual(events.splice(0), ['insert d/3 (transaction)']);
  // It leaves one query only: nothing to show.
  cache.apply('player', [], [bsatn(4, 'd', 3)], tx, false);
  assert.deepEqual(events.splice(0), []);
  assert.ok(t.find(4));
  // It changes and leaves the other query's range while staying in one: delete ×1 + insert ×1 = update.
  cache.apply('player', [bsatn(4, 'd', 30)], [bsatn(4, 'd', 3)], tx, false);
  assert.deepEqual(events.splice(0), ['update d/3 -> d/30 (transaction)']);
  // b changes in both queries: two deletes and two inserts, still one update.
  cache.apply('player', [bsatn(2, 'b', 6), bsatn(2, 'b', 6)], [bsatn(2, 'b', 5), bsatn(2, 'b', 5)], tx, false);
  assert.deepEqual(events.splice(0), ['update b/5 -> b/6 (transaction)']);
  assert.equal(t.find(2)?.score, 6n);
  // Unsubscribing set 1 (a, b) removes a; b is still held by set 2.
  cache.apply('player', [], [bsatn(1, 'a', 1), bsatn(2, 'b', 6)], unsub, false);
  assert.deepEqual(events.splice(0), ['delete a/1 (unsubscribe)']);
  // Set 2 (b, c, and d's new version) goes: everything left is deleted once.
  cache.apply('player', [], [bsatn(2, 'b', 6), bsatn(3, 'c', 9), bsatn(4, 'd', 30)], unsub, false);
  assert.deepEqual(events.splice(0).sort(), ['delete b/6 (unsubscribe)', 'delete c/9 (unsubscribe)', 'delete d/30 (unsubscribe)']);
  assert.equal(t.count(), 0);
  assert.equal(t.find(2), undefined);
});

test('a delete and an insert with different keys stay a delete and an insert', () => {
  const { cache, events, sub, tx } = setup();
  cache.apply('player', [bsatn(1, 'a', 1)], [], sub, false);
  events.length = 0;
  cache.apply('player', [bsatn(2, 'b', 1)], [bsatn(1, 'a', 1)], tx, false);
  assert.deepEqual(events, ['delete a/1 (transaction)', 'insert b/1 (transaction)']);
});

test('tables without a primary key never pair updates', () => {
  const { cache } = setup();
  const log = cache.table('log');
  const seen = [];
  log.onInsert((r) => seen.push(`+${r.text}`));
  log.onDelete((r) => seen.push(`-${r.text}`));
  log.onUpdate(() => seen.push('update'));
  const row = (text) => encode(schema.table('log').rowType, { text });
  cache.apply('log', [row('x')], [], { event: 'subscribe' }, false);
  cache.apply('log', [row('y')], [row('x')], { event: 'transaction' }, false);
  assert.deepEqual(seen, ['+x', '-x', '+y']);
  assert.throws(() => log.find('y'), /no primary key/);
});

test('JSON rows and BSATN rows are the same rows', () => {
  const { cache, t, events, sub, tx } = setup();
  cache.apply('player', [json(1, 'a', 1)], [], sub, false);
  cache.apply('player', [bsatn(1, 'a', 1)], [], sub, false);
  assert.equal(t.count(), 1);
  assert.deepEqual(t.find(1), { id: 1, name: 'a', score: 1n });
  cache.apply('player', [], [json(1, 'a', 1), bsatn(1, 'a', 1)], tx, false);
  assert.deepEqual(events, ['insert a/1 (subscribe)', 'delete a/1 (transaction)']);
});

test('deletes of rows the cache does not hold are ignored; bad rows and throwing callbacks are reported', () => {
  const { cache, t, events, errors, tx } = setup();
  cache.apply('player', [], [bsatn(9, 'ghost', 0)], tx, false);
  assert.equal(t.count(), 0);
  assert.deepEqual(events, []);
  cache.apply('player', [new Uint8Array([1, 2])], [], tx, false);
  assert.match(String(errors.pop()), /a row of table `player` does not match its schema/);
  cache.apply('nowhere', [new Uint8Array()], [], tx, false);
  assert.match(String(errors.pop()), /table `nowhere`, which the schema does not have/);
  t.onInsert(() => { throw new Error('app bug'); });
  cache.apply('player', [bsatn(1, 'a', 1)], [], tx, false);
  assert.equal(String(errors.pop()), 'Error: app bug');
  assert.deepEqual(events, ['insert a/1 (transaction)'], 'the other callbacks still ran');
});

test('reconcile fires the difference between a snapshot and the rebuilt cache', () => {
  const { cache, t, events, sub } = setup();
  cache.apply('player', [bsatn(1, 'a', 1), bsatn(2, 'b', 2), bsatn(3, 'c', 3)], [], sub, false);
  events.length = 0;
  const before = cache.snapshot();
  cache.clear();
  assert.equal(t.count(), 0);
  // Rebuilt silently: a unchanged, b changed, c gone, d new.
  cache.apply('player', [bsatn(1, 'a', 1), bsatn(2, 'b', 20), bsatn(4, 'd', 4)], [], sub, true);
  assert.deepEqual(events, []);
  cache.reconcile(before, { event: 'reconnect' });
  assert.deepEqual(events, ['delete c/3 (reconnect)', 'update b/2 -> b/20 (reconnect)', 'insert d/4 (reconnect)']);
  assert.equal(t.count(), 3);
});
