// Type-string parser tests (the syntax of AlgebraicType.description in the schema JSON) and
// JSON value mapping tests (docs/JSON.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { parseType, formatType, T, UNIT, typesEqual, fixedSize, minimumSize } from '../src/types.js';
import { fromJSON, toJSON, stringifyJSON } from '../src/json-values.js';
import { encode, decode } from '../src/bsatn.js';
import { TypeSyntaxError } from '../src/errors.js';
import { Identity, Timestamp, TimeDuration, toHex } from '../src/values.js';

test('parses every type string of the kitchen-sink and quickstart-chat schemas', () => {
  const cases = {
    u64: T.u64, bool: T.bool, i128: T.i128, connection_id: T.connectionId, time_duration: T.timeDuration,
    schedule_at: T.scheduleAt, 'array<i32>': T.array(T.i32), 'option<string>': T.option(T.string),
    '(x: f32, y: f32)': T.product([['x', T.f32], ['y', T.f32]]),
    '{circle: f64 | rect: (width: f64, height: f64) | point}': T.sum([
      ['circle', T.f64], ['rect', T.product([['width', T.f64], ['height', T.f64]])], ['point'],
    ]),
    'array<(x: f32, y: f32)>': T.array(T.product([['x', T.f32], ['y', T.f32]])),
    '(scheduled_id: u64, scheduled_at: schedule_at, label: string)': T.product([
      ['scheduled_id', T.u64], ['scheduled_at', T.scheduleAt], ['label', T.string],
    ]),
    'option<option<array<bytes>>>': T.option(T.option(T.array(T.bytes))),
    '()': UNIT,
    '{}': { kind: 'sum', variants: [] },
    '(0: u8, 1: {a | 1: ()})': T.product([['0', T.u8], ['1', T.sum([['a'], ['1', UNIT]])]]),
  };
  for (const [text, want] of Object.entries(cases)) {
    const got = parseType(text);
    assert.deepEqual(got, want, text);
    assert.ok(typesEqual(got, want));
    assert.equal(formatType(got), text.replace('1: ()', '1'), `format ${text}`);
  }
});

test('whitespace between tokens is allowed', () => {
  assert.deepEqual(parseType('  array < ( a : u8 ,b:option< string > ) >  '), T.array(T.product([['a', T.u8], ['b', T.option(T.string)]])));
});

test('syntax errors say what and where', () => {
  const bad = {
    'u63': /unknown type `u63` at position 0/,
    'array<u8': /expected `>`, found the end at position 8/,
    '(x f32)': /expected `:`, found `f` at position 3/,
    '{a | }': /expected a name, found `}` at position 5/,
    'u8 u8': /unexpected `u` after the type at position 3/,
    '': /expected a name, found the end/,
  };
  for (const [text, re] of Object.entries(bad)) {
    assert.throws(() => parseType(text), (e) => e instanceof TypeSyntaxError && e.code === 'TYPE_SYNTAX' && re.test(e.message), text);
  }
  assert.throws(() => parseType(`${'array<'.repeat(70)}u8${'>'.repeat(70)}`), /nested deeper than 64/);
});

test('sizes follow docs/BSATN.md', () => {
  assert.equal(fixedSize(parseType('(x: f32, y: f32)')), 8);
  assert.equal(fixedSize(parseType('{a: u16 | b: i16}')), 3);
  assert.equal(fixedSize(parseType('{a | b: i16}')), null);
  assert.equal(minimumSize(parseType('{a | b: i16}')), 1);
  assert.equal(minimumSize(parseType('(s: string, o: option<u64>, i: identity)')), 37);
});

test('JSON forms map to the same JS values as BSATN', () => {
  const type = parseType('(id: u64, big: u128, f: f32, d: f64, b: bytes, who: identity, when: timestamp, dur: time_duration, '
    + 'o: option<option<i8>>, s: {circle: f64 | point}, at: schedule_at, list: array<u8>)');
  const json = {
    id: 7, big: '340282366920938463463374607431768211455', f: 0.1, d: '-Infinity', b: '0001ff',
    who: 'c2', when: 1795943752265586, dur: 1000000, o: { some: null }, s: { point: {} },
    at: { interval: 50000 }, list: [1, 2],
  };
  const v = fromJSON(type, json);
  assert.deepEqual(v, {
    id: 7n, big: 2n ** 128n - 1n, f: Math.fround(0.1), d: -Infinity, b: new Uint8Array([0, 1, 255]),
    who: Identity.fromHex('c2'), when: new Timestamp(1795943752265586n), dur: new TimeDuration(1000000n),
    o: { some: null }, s: { tag: 'point' }, at: { tag: 'interval', value: new TimeDuration(50000n) }, list: [1, 2],
  });
  assert.deepEqual(decode(type, encode(type, v)), v);
  const back = toJSON(type, v);
  assert.equal(back.big, '340282366920938463463374607431768211455');
  assert.equal(back.who, `${'0'.repeat(62)}c2`);
  assert.deepEqual(fromJSON(type, JSON.parse(stringifyJSON(back))), v);
});

test('JSON mapping edge cases of docs/JSON.md', () => {
  const opt = parseType('option<(some: i32)>');
  assert.equal(stringifyJSON(toJSON(opt, { some: 5 })), '{"some":{"some":5}}');
  assert.deepEqual(fromJSON(opt, { some: { some: 5 } }), { some: 5 });
  assert.equal(stringifyJSON(toJSON(T.f64, -0)), '-0.0');
  assert.equal(stringifyJSON(toJSON(T.i64, -(2n ** 53n))), '"-9007199254740992"');
  assert.equal(stringifyJSON(toJSON(T.i64, 2n ** 53n - 1n)), '9007199254740991');
  assert.deepEqual(fromJSON(parseType('{a | b: u8}'), 'a'), { tag: 'a' });
  assert.deepEqual(fromJSON(parseType('(a: u8, b: option<u8>)'), [1, null]), { a: 1, b: null });
  assert.deepEqual(fromJSON(parseType('(a: u8, b: option<u8>)'), { a: 1 }), { a: 1, b: null });
  assert.throws(() => fromJSON(parseType('(a: u8)'), { a: 1, z: 2 }), /unknown field "z" \(expected one of "a"\)/);
  assert.throws(() => fromJSON(parseType('(p: (n: string))'), { p: { n: 12 } }), /at `\.p\.n`: expected a string, found 12/);
  assert.throws(() => fromJSON(T.u8, 256), /256 is out of range for u8/);
  assert.equal(toHex(encode(T.bytes, fromJSON(T.bytes, '0XAbCd'))), '02000000abcd');
});
