// Wire messages: client messages byte for byte (docs/protocol.md tables), server messages of
// both formats decoded into the same shape, malformed input rejected.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { encodeClientMessage, decodeServerMessage } from '../src/messages.js';
import { BsatnWriter, encodeType } from '../src/bsatn.js';
import { T } from '../src/types.js';
import { Identity, ConnectionId, Timestamp, toHex } from '../src/values.js';
import { ProtocolError } from '../src/errors.js';

const ascii = (s) => Buffer.from(s).toString('hex');
const u32 = (n) => Buffer.from(new Uint32Array([n]).buffer).toString('hex');

test('client messages in BSATN', () => {
  const q = 'SELECT * FROM t';
  assert.equal(toHex(/** @type {Uint8Array} */ (encodeClientMessage({ type: 'Subscribe', requestId: 1, queryId: 7, queries: [q] }, 'bsatn'))),
    `00${u32(1)}${u32(7)}${u32(1)}${u32(q.length)}${ascii(q)}`);
  assert.equal(toHex(/** @type {Uint8Array} */ (encodeClientMessage({ type: 'Unsubscribe', requestId: 2, queryId: 7 }, 'bsatn'))),
    `01${u32(2)}${u32(7)}`);
  assert.equal(toHex(/** @type {Uint8Array} */ (encodeClientMessage({ type: 'CallReducer', requestId: 3, reducer: 'move', args: new Uint8Array([1, 2]) }, 'bsatn'))),
    `02${u32(3)}${u32(4)}${ascii('move')}${u32(2)}0102`);
  assert.equal(toHex(/** @type {Uint8Array} */ (encodeClientMessage({ type: 'OneOffQuery', requestId: 4, query: 'x' }, 'bsatn'))),
    `03${u32(4)}${u32(1)}78`);
});

test('client messages in JSON', () => {
  assert.equal(encodeClientMessage({ type: 'Subscribe', requestId: 1, queryId: 7, queries: ['SELECT * FROM player'] }, 'json'),
    '{"Subscribe":{"request_id":1,"query_id":7,"query_strings":["SELECT * FROM player"]}}');
  assert.equal(encodeClientMessage({ type: 'Unsubscribe', requestId: 2, queryId: 7 }, 'json'), '{"Unsubscribe":{"request_id":2,"query_id":7}}');
  assert.equal(encodeClientMessage({ type: 'CallReducer', requestId: 3, reducer: 'move', args: '[1,"9007199254740993"]' }, 'json'),
    '{"CallReducer":{"request_id":3,"reducer":"move","args":[1,"9007199254740993"]}}');
  assert.equal(encodeClientMessage({ type: 'OneOffQuery', requestId: 4, query: 'SELECT 1' }, 'json'), '{"OneOffQuery":{"request_id":4,"query_string":"SELECT 1"}}');
});

const id = Identity.fromHex('ab');
const conn = ConnectionId.fromHex('0123456789abcdef0011223344556677');

/** @param {(w: BsatnWriter) => void} f */
function bytes(f) {
  const w = new BsatnWriter();
  f(w);
  return w.finish().slice();
}

test('server messages in BSATN and JSON decode to the same shape', () => {
  const row = new Uint8Array([5, 0, 0, 0]);
  const pairs = [
    [bytes((w) => { w.u8(0); w.raw(id.toBytes()); w.string('tok'); w.raw(conn.toBytes()); }),
      { IdentityToken: { identity: id.hex, token: 'tok', connection_id: conn.hex } },
      { type: 'IdentityToken', identity: id, token: 'tok', connectionId: conn }],
    [bytes((w) => { w.u8(3); w.u8(0); w.u32(9); w.u8(1); w.string('bad query'); }),
      { SubscriptionError: { request_id: 9, query_id: null, error: 'bad query' } },
      { type: 'SubscriptionError', requestId: 9, queryId: null, error: 'bad query' }],
  ];
  for (const [bin, json, want] of pairs) {
    assert.deepEqual(decodeServerMessage(bin), want);
    assert.deepEqual(decodeServerMessage(JSON.stringify(json)), want);
  }
  const applied = decodeServerMessage(bytes((w) => {
    w.u8(1); w.u32(1); w.u32(7); w.u32(1); w.string('t'); w.u32(2); w.byteString(row); w.byteString(row); w.u64(42n);
  }));
  assert.equal(applied.type, 'SubscribeApplied');
  assert.deepEqual(applied, { type: 'SubscribeApplied', requestId: 1, queryId: 7, tables: [{ tableName: 't', rows: [row, row] }], executionMicros: 42 });
  const unapplied = decodeServerMessage(JSON.stringify({ UnsubscribeApplied: { request_id: 2, query_id: 7, tables: [{ table_name: 't', rows: [{ n: 5 }] }], total_host_execution_duration_micros: 3 } }));
  assert.deepEqual(unapplied, { type: 'UnsubscribeApplied', requestId: 2, queryId: 7, tables: [{ tableName: 't', rows: [{ n: 5 }] }], executionMicros: 3 });
});

test('TransactionUpdate in both formats', () => {
  const bin = bytes((w) => {
    w.u8(4); w.u8(1); w.string('boom'); w.i64(1795546229000000n); w.raw(id.toBytes()); w.raw(conn.toBytes());
    w.string('move'); w.byteString(new Uint8Array([1])); w.u32(3);
    w.u32(1); w.string('t'); w.u32(1); w.byteString(new Uint8Array([1, 0, 0, 0])); w.u32(0);
    w.u64(17n);
  });
  const m = decodeServerMessage(bin);
  assert.deepEqual(m, {
    type: 'TransactionUpdate', status: 'failed', error: 'boom', timestamp: new Timestamp(1795546229000000n), callerIdentity: id,
    callerConnectionId: conn, reducer: 'move', args: new Uint8Array([1]), requestId: 3,
    tables: [{ tableName: 't', inserts: [new Uint8Array([1, 0, 0, 0])], deletes: [] }], executionMicros: 17,
  });
  const j = decodeServerMessage(JSON.stringify({ TransactionUpdate: {
    status: 'committed', timestamp_micros: 5, caller_identity: id.hex, caller_connection_id: conn.hex,
    reducer_call: { reducer_name: 'move', args: [1], request_id: 0 }, tables: [{ table_name: 't', inserts: [], deletes: [{ n: 1 }] }], execution_micros: 2,
  } }));
  assert.deepEqual(j, {
    type: 'TransactionUpdate', status: 'committed', error: null, timestamp: new Timestamp(5n), callerIdentity: id, callerConnectionId: conn,
    reducer: 'move', args: [1], requestId: 0, tables: [{ tableName: 't', inserts: [], deletes: [{ n: 1 }] }], executionMicros: 2,
  });
});

test('OneOffQueryResponse carries column types (BSATN-encoded types, or type strings in JSON)', () => {
  const bin = bytes((w) => {
    w.u8(5); w.u32(4); w.u8(1); w.u32(1); w.string('t'); w.u32(2);
    w.string('id'); encodeType(T.u64, w); w.string('tags'); encodeType(T.array(T.string), w);
    w.u32(0); w.u64(1n);
  });
  const want = { type: 'OneOffQueryResponse', requestId: 4, error: null,
    tables: [{ tableName: 't', columns: [{ name: 'id', type: T.u64 }, { name: 'tags', type: T.array(T.string) }], rows: [] }], executionMicros: 1 };
  assert.deepEqual(decodeServerMessage(bin), want);
  assert.deepEqual(decodeServerMessage(JSON.stringify({ OneOffQueryResponse: { request_id: 4, error: null,
    tables: [{ table_name: 't', schema: [{ name: 'id', type: 'u64' }, { name: 'tags', type: 'array<string>' }], rows: [] }],
    total_host_execution_duration_micros: 1 } })), want);
  const failed = decodeServerMessage(bytes((w) => { w.u8(5); w.u32(4); w.u8(0); w.string('syntax error'); w.u32(0); w.u64(0n); }));
  assert.equal(failed.type === 'OneOffQueryResponse' && failed.error, 'syntax error');
});

test('malformed server messages are ProtocolErrors that say why', () => {
  const cases = [
    [new Uint8Array([9]), /malformed BSATN server message: unknown server message tag 9/],
    [new Uint8Array([3, 1, 1, 0, 0, 0, 0, 7]), /trailing|left after/],
    [new Uint8Array([1, 0, 0]), /input ended/],
    ['{"Nope": {}}', /unknown server message `Nope`/],
    ['{"SubscribeApplied": {"request_id": 1}}', /`SubscribeApplied.query_id` is missing/],
    ['[1]', /one key naming the message/],
    ['{"TransactionUpdate": {"status": "maybe"}}', /status` must be "committed"/],
    ['not json', /malformed JSON server message/],
  ];
  for (const [input, re] of cases) {
    assert.throws(() => decodeServerMessage(input), (e) => e instanceof ProtocolError && e.code === 'PROTOCOL_ERROR' && re.test(e.message), String(re));
  }
});
