// BSATN codec tests: the shared golden vectors (/work/shared/testdata, written by an independent
// Python encoder), the examples of docs/BSATN.md, decoder obligations, and type encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import {
  encode, decode, BsatnReader, BsatnWriter, encodeType, decodeType, skipValue,
} from '../src/bsatn.js';
import { fromJSON } from '../src/json-values.js';
import { T, parseType, UNIT } from '../src/types.js';
import { Identity, ConnectionId, Timestamp, TimeDuration, toHex, fromHex } from '../src/values.js';
import { BsatnError } from '../src/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const VECTORS = [
  process.env.STARLING_BSATN_VECTORS,
  path.join(here, '../../../../shared/testdata/bsatn-vectors.json'),
  '/work/shared/testdata/bsatn-vectors.json',
].find((p) => p && existsSync(p));

/** Parses the vector file keeping integers of 16+ digits exact (as strings). */
function loadVectors() {
  const text = readFileSync(/** @type {string} */ (VECTORS), 'utf8');
  return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
}

/** The vector file's small type language → an AlgebraicType. */
function vectorType(t) {
  if (typeof t === 'string') return parseType(t);
  switch (t.kind) {
    case 'array': return T.array(vectorType(t.of));
    case 'option': return T.option(vectorType(t.of));
    case 'product': return T.product(t.fields.map((f) => [f.name, vectorType(f.type)]));
    case 'sum': return T.sum(t.variants.map((v) => [v.name, v.type === null ? UNIT : vectorType(v.type)]));
    case 'schedule_at': return T.scheduleAt;
    default: throw new Error(`unknown vector type ${JSON.stringify(t)}`);
  }
}

test('golden vectors: encode(value) == hex and decode(hex) == value', { skip: !VECTORS && 'no bsatn-vectors.json found' }, () => {
  const { vectors } = loadVectors();
  assert.ok(vectors.length >= 80, `expected the full vector set, got ${vectors.length}`);
  for (const v of vectors) {
    const type = vectorType(v.type);
    const value = fromJSON(type, v.value);
    assert.equal(toHex(encode(type, value)), v.hex, `encode ${v.name}`);
    const back = decode(type, fromHex(v.hex));
    assert.deepEqual(back, value, `decode ${v.name}`);
    const r = new BsatnReader(fromHex(v.hex));
    skipValue(type, r);
    assert.equal(r.remaining, 0, `skip ${v.name}`);
  }
});

test('golden vectors: invalid inputs are rejected with the right error', { skip: !VECTORS && 'no bsatn-vectors.json found' }, () => {
  const codes = { 'invalid bool': 'INVALID_BOOL', 'unexpected end': 'UNEXPECTED_END', 'invalid utf-8': 'INVALID_UTF8',
    'invalid tag': 'INVALID_TAG', 'trailing bytes': 'TRAILING_BYTES' };
  const { invalid } = loadVectors();
  assert.ok(invalid.length >= 8);
  for (const v of invalid) {
    assert.throws(() => decode(vectorType(v.type), fromHex(v.hex)),
      (e) => e instanceof BsatnError && e.code === codes[v.error], v.name);
  }
});

test('docs/BSATN.md examples', () => {
  const hex = (type, value) => toHex(encode(type, value));
  assert.equal(hex(T.i128, -(2n ** 64n)), '0000000000000000ffffffffffffffff');
  assert.equal(hex(T.i128, -(2n ** 127n)), `${'00'.repeat(15)}80`);
  assert.equal(hex(T.u128, 2n ** 64n), '00000000000000000100000000000000');
  assert.equal(hex(T.f32, -0), '00000080');
  assert.equal(hex(T.f64, 0.1), '9a9999999999b93f');
  assert.equal(hex(T.string, 'héllo 🐦'), '0b00000068c3a96c6c6f20f09f90a6');
  assert.equal(hex(T.array(T.array(T.bool)), [[true], [], [false, true]]), '03000000010000000100000000020000000001');
  assert.equal(hex(T.option(T.option(T.u8)), { some: null }), '0001');
  assert.equal(hex(T.option(T.option(T.u8)), { some: 3 }), '000003');
  const shape = parseType('{none | short: u16 | point: (x: f32, y: f32)}');
  assert.equal(hex(shape, 'none'), '00');
  assert.equal(hex(shape, { tag: 'short', value: 258 }), '010201');
  assert.equal(hex(shape, { tag: 'point', value: { x: 1, y: -0 } }), '020000803f00000080');
  assert.equal(hex(T.identity, Identity.fromHex(`c200${'11'.repeat(30)}`)), `${'11'.repeat(30)}00c2`);
  assert.equal(hex(T.connectionId, '0123456789abcdef0011223344556677'), '7766554433221100efcdab8967452301');
  assert.equal(hex(T.timestamp, new Timestamp(1795546229000000n)), '4047282f0a610600');
  assert.equal(hex(T.timeDuration, TimeDuration.fromMillis(1000)), '40420f0000000000');
  assert.equal(hex(T.scheduleAt, { tag: 'time', value: new Timestamp(-1n) }), '01ffffffffffffffff');
  const id = decode(T.identity, Uint8Array.from({ length: 32 }, (_, i) => i));
  assert.equal(id.toHexString(), Array.from({ length: 32 }, (_, i) => (31 - i).toString(16).padStart(2, '0')).join(''));
});

test('values decode to their JS representation', () => {
  const row = parseType('(id: u64, n: i32, big: i128, who: identity, when: timestamp, c: connection_id, s: {a | b: string}, o: option<bytes>)');
  const value = {
    id: 7n, n: -3, big: -(2n ** 100n), who: Identity.fromHex('ab'), when: new Timestamp(5n),
    c: ConnectionId.fromHex('ff'), s: { tag: 'b', value: 'x' }, o: new Uint8Array([1, 2]),
  };
  const bytes = encode(row, value);
  assert.deepEqual(decode(row, bytes), value);
  // Unit variants decode without a value; inputs accept a bare variant name.
  assert.deepEqual(decode(row, encode(row, { ...value, s: 'a', o: null })).s, { tag: 'a' });
  // Products can be written positionally; a missing option field is none.
  const pos = parseType('(a: u8, b: option<string>)');
  assert.equal(toHex(encode(pos, [1, 'x'])), '01000100000078');
  assert.equal(toHex(encode(pos, { a: 1 })), '0101');
});

test('encoding refuses values that do not fit the type, naming where', () => {
  const type = parseType('(a: u8, list: array<(x: i32)>)');
  assert.throws(() => encode(type, { a: 256, list: [] }), { code: 'TYPE_MISMATCH', message: /at `\.a`: 256 is out of range for u8/ });
  assert.throws(() => encode(type, { a: 1, list: [{ x: 1.5 }] }), { code: 'TYPE_MISMATCH', message: /at `\.list\[0\]\.x`: expected an integer/ });
  assert.throws(() => encode(type, { list: [] }), { message: /missing field "a"/ });
  assert.throws(() => encode(T.bool, 1), { code: 'TYPE_MISMATCH' });
  assert.throws(() => encode(parseType('{a | b: u8}'), { tag: 'c' }), { message: /tag one of "a", "b"/ });
  assert.throws(() => encode(parseType('{a | b: u8}'), 'b'), { message: /carries data/ });
  assert.throws(() => encode(T.u64, -1n), { message: /out of range for u64/ });
});

test('decoder obligations: truncation, lengths before allocation, UTF-8, zero-size arrays', () => {
  const type = parseType('(a: string, b: array<u64>, c: {x | y: bool})');
  const good = encode(type, { a: 'hé', b: [1n, 2n], c: { tag: 'y', value: true } });
  for (let n = 0; n < good.length; n++) {
    assert.throws(() => decode(type, good.subarray(0, n)), { code: 'UNEXPECTED_END' }, `prefix ${n}`);
  }
  assert.throws(() => decode(T.array(T.u64), fromHex('ffffffff01')), (e) => e.code === 'UNEXPECTED_END' && e.offset === 0);
  for (const bad of ['c0af', 'eda080', 'f4908080', '80', 'e282']) {
    const bytes = fromHex(`0${bad.length / 2}000000${bad}`);
    assert.throws(() => decode(T.string, bytes), { code: 'INVALID_UTF8' }, bad);
  }
  assert.equal(decode(T.string, fromHex('03000000efbbbf')), '\ufeff', 'a BOM is an ordinary character');
  assert.throws(() => decode(T.array(UNIT), fromHex('ffffffff')), { code: 'LENGTH_TOO_LARGE' });
  assert.equal(decode(T.array(UNIT), fromHex('03000000')).length, 3);
  assert.throws(() => decode(T.scheduleAt, fromHex('020000000000000000')), { code: 'INVALID_TAG' });
});

test('floats keep their bits; NaN and infinities round-trip', () => {
  assert.ok(Object.is(decode(T.f32, fromHex('00000080')), -0));
  assert.ok(Number.isNaN(decode(T.f32, fromHex('0100c07f'))));
  assert.equal(decode(T.f32, fromHex('0000807f')), Infinity);
  assert.equal(toHex(encode(T.f64, -Infinity)), '000000000000f0ff');
  assert.equal(decode(T.f32, encode(T.f32, 0.1)), Math.fround(0.1));
});

test('types encode and decode in BSATN (docs examples and a round trip)', () => {
  const enc = (t) => { const w = new BsatnWriter(); encodeType(t, w); return toHex(w.finish()); };
  assert.equal(enc(T.bool), '04');
  assert.equal(enc(T.array(T.string)), '0203');
  assert.equal(enc(T.option(T.array(T.bool))), '120204');
  assert.equal(enc({ kind: 'product', fields: [{ name: 'a', type: T.u8 }, { name: null, type: T.string }] }), '0102000000000100000061060103');
  assert.equal(enc({ kind: 'sum', variants: [{ name: 'n', type: UNIT }, { name: null, type: T.identity }] }), '000200000000010000006e01000000000113');
  const t = parseType('(id: u64, shape: {circle: f64 | rect: (w: f64, h: f64) | point}, at: option<schedule_at>, c: connection_id)');
  assert.deepEqual(decodeType(new BsatnReader(fromHex(enc(t)))), t);
  let deep = T.bool;
  for (let i = 0; i < 63; i++) deep = T.array(deep);
  assert.deepEqual(decodeType(new BsatnReader(fromHex(enc(deep)))), deep);
  assert.throws(() => decodeType(new BsatnReader(fromHex(enc(T.array(deep))))), { code: 'LENGTH_TOO_LARGE' });
  assert.throws(() => decodeType(new BsatnReader(fromHex('18'))), { code: 'INVALID_TAG' });
});
