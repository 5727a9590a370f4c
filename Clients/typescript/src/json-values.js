// The JSON forms of values (docs/JSON.md), mapped to and from the JS representation that
// bsatn.js uses, so rows look the same whichever protocol delivered them.

import { BsatnError } from './errors.js';
import { isUnit, memberKey } from './types.js';
import { Identity, ConnectionId, Timestamp, TimeDuration, toHex, fromHex } from './values.js';
import { toInteger, toBytes, sumChoice, describe } from './bsatn.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const SMALL_INTS = new Set(['i8', 'u8', 'i16', 'u16', 'i32', 'u32']);

/** A JSON number written with exactly this text (used for `-0.0`). */
export class RawJSONNumber {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
  }
}

/**
 * Reads the JSON form (already parsed) of a value of `type` into its JS representation.
 * Accepts what the server writes plus the lenient forms of docs/JSON.md §3.
 * @param {import('./types.js').AlgebraicType} type
 * @param {any} json
 * @returns {any}
 * @throws {BsatnError} `TYPE_MISMATCH` with the path of the offending part
 */
export function fromJSON(type, json) {
  switch (type.kind) {
    case 'bool':
      if (typeof json !== 'boolean') throw bad(`expected true or false, found ${describe(json)}`);
      return json;
    case 'i8': case 'u8': case 'i16': case 'u16': case 'i32': case 'u32':
      return Number(toInteger(type.kind, json));
    case 'i64': case 'u64': case 'i128': case 'u128':
      return toInteger(type.kind, json);
    case 'f32': case 'f64': {
      let n;
      if (typeof json === 'number') n = json;
      else if (json === 'NaN') n = NaN;
      else if (json === 'Infinity') n = Infinity;
      else if (json === '-Infinity') n = -Infinity;
      else throw bad(`expected a number, found ${describe(json)}`);
      return type.kind === 'f32' ? Math.fround(n) : n;
    }
    case 'string':
      if (typeof json !== 'string') throw bad(`expected a string, found ${describe(json)}`);
      return json;
    case 'bytes':
      if (typeof json !== 'string') throw bad(`expected a hex string, found ${describe(json)}`);
      return fromHex(json);
    case 'identity':
      if (typeof json !== 'string') throw bad(`expected an identity (hex string), found ${describe(json)}`);
      return Identity.fromHex(json);
    case 'connection_id':
      if (typeof json !== 'string') throw bad(`expected a connection id (hex string), found ${describe(json)}`);
      return ConnectionId.fromHex(json);
    case 'timestamp':
      return new Timestamp(toInteger('i64', json));
    case 'time_duration':
      return new TimeDuration(toInteger('i64', json));
    case 'schedule_at': {
      const keys = json && typeof json === 'object' && !Array.isArray(json) ? Object.keys(json) : [];
      if (keys.length !== 1 || (keys[0] !== 'interval' && keys[0] !== 'time')) {
        throw bad(`expected {"interval": µs} or {"time": µs}, found ${describe(json)}`);
      }
      const micros = at(keys[0], () => toInteger('i64', json[keys[0]]));
      return keys[0] === 'interval' ? { tag: 'interval', value: new TimeDuration(micros) } : { tag: 'time', value: new Timestamp(micros) };
    }
    case 'array':
      if (!Array.isArray(json)) throw bad(`expected an array, found ${describe(json)}`);
      return json.map((x, i) => at(i, () => fromJSON(type.elem, x)));
    case 'option': {
      if (json === null) return null;
      const single = singleKey(json);
      if (single === 'some') {
        const v = at('some', () => fromJSON(type.inner, json.some));
        return type.inner.kind === 'option' ? { some: v } : v;
      }
      if (single === 'none') return null;
      if (type.inner.kind === 'option') throw bad(`a nested option is null, {"some": x} or {"none": ...}, found ${describe(json)}`);
      return fromJSON(type.inner, json);
    }
    case 'product':
      return productFromJSON(type.fields, json);
    case 'sum': {
      const names = type.variants.map((v, i) => memberKey(v, i));
      if (typeof json === 'string') {
        const i = names.indexOf(json);
        if (i >= 0 && isUnit(type.variants[i].type)) return { tag: json };
      }
      const key = singleKey(json);
      const index = key === null ? -1 : names.indexOf(key);
      if (index < 0) {
        throw bad(`expected one of the variants ${names.map((n) => `"${n}"`).join(', ')} as {"variant": payload}, found ${describe(json)}`);
      }
      if (isUnit(type.variants[index].type)) return { tag: names[index] };
      return { tag: names[index], value: at(names[index], () => fromJSON(type.variants[index].type, json[names[index]])) };
    }
    default:
      throw bad(`unknown type kind \`${/** @type {any} */ (type).kind}\``);
  }
}

/**
 * A product from an object keyed by field name (missing option fields are none) or an array of
 * positional values.
 * @param {import('./types.js').Member[]} fields
 * @param {any} json
 * @returns {Record<string, any>}
 */
export function productFromJSON(fields, json) {
  /** @type {Record<string, any>} */
  const out = {};
  if (Array.isArray(json)) {
    if (json.length !== fields.length) throw bad(`expected ${fields.length} values (one per field), found ${json.length}`);
    fields.forEach((f, i) => { out[memberKey(f, i)] = at(i, () => fromJSON(f.type, json[i])); });
    return out;
  }
  if (json === null || typeof json !== 'object') throw bad(`expected an object, found ${describe(json)}`);
  const keys = fields.map((f, i) => memberKey(f, i));
  for (const k of Object.keys(json)) {
    if (!keys.includes(k)) throw bad(`unknown field "${k}" (expected one of ${keys.map((x) => `"${x}"`).join(', ')})`);
  }
  fields.forEach((f, i) => {
    const k = keys[i];
    if (!(k in json)) {
      if (f.type.kind !== 'option') throw bad(`missing field "${k}"`);
      out[k] = null;
    } else out[k] = at(k, () => fromJSON(f.type, json[k]));
  });
  return out;
}

/**
 * The JSON form of a JS value of `type` (numbers beyond ±(2^53−1) become decimal strings).
 * Returns a structure for `stringifyJSON` (it may contain `RawJSONNumber`s).
 * @param {import('./types.js').AlgebraicType} type
 * @param {any} v
 * @returns {any}
 */
export function toJSON(type, v) {
  switch (type.kind) {
    case 'bool':
      if (typeof v !== 'boolean') throw bad(`expected a boolean, found ${describe(v)}`);
      return v;
    case 'f32': case 'f64':
      if (typeof v !== 'number') throw bad(`expected a number, found ${describe(v)}`);
      if (Number.isNaN(v)) return 'NaN';
      if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
      return Object.is(v, -0) ? new RawJSONNumber('-0.0') : v;
    case 'string':
      if (typeof v !== 'string') throw bad(`expected a string, found ${describe(v)}`);
      return v;
    case 'bytes': return toHex(toBytes(v));
    case 'identity': return (v instanceof Identity ? v : Identity.fromHex(String(v))).hex;
    case 'connection_id':
      return (v instanceof ConnectionId ? v : typeof v === 'bigint' ? ConnectionId.fromBigInt(v) : ConnectionId.fromHex(String(v))).hex;
    case 'timestamp': case 'time_duration':
      return integerJSON(v instanceof Timestamp || v instanceof TimeDuration ? v.micros
        : v instanceof Date ? BigInt(v.getTime()) * 1000n : toInteger('i64', v));
    case 'schedule_at': {
      if (!v || (v.tag !== 'interval' && v.tag !== 'time')) throw bad(`expected { tag: "interval" | "time", value }, found ${describe(v)}`);
      return { [v.tag]: toJSON(v.tag === 'interval' ? { kind: 'time_duration' } : { kind: 'timestamp' }, v.value) };
    }
    case 'array':
      if (!Array.isArray(v)) throw bad(`expected an array, found ${describe(v)}`);
      return v.map((x, i) => at(i, () => toJSON(type.elem, x)));
    case 'option': {
      if (v === null || v === undefined) return null;
      if (type.inner.kind === 'option') {
        if (typeof v !== 'object' || !('some' in v)) throw bad(`a nested option's some(x) is written { some: x }, found ${describe(v)}`);
        return { some: at('some', () => toJSON(type.inner, v.some)) };
      }
      const inner = toJSON(type.inner, v);
      const k = singleKey(inner);
      return k === 'some' || k === 'none' ? { some: inner } : inner;
    }
    case 'product': {
      /** @type {Record<string, any>} */
      const out = {};
      type.fields.forEach((f, i) => {
        const k = memberKey(f, i);
        const x = Array.isArray(v) ? v[i] : v?.[k];
        if (x === undefined && f.type.kind !== 'option') throw bad(`missing field "${k}"`);
        out[k] = at(k, () => toJSON(f.type, x));
      });
      return out;
    }
    case 'sum': {
      const [index, payload] = sumChoice(type.variants, v);
      const variant = type.variants[index];
      const k = memberKey(variant, index);
      return { [k]: isUnit(variant.type) && payload === undefined ? {} : at(k, () => toJSON(variant.type, payload)) };
    }
    default:
      if (SMALL_INTS.has(type.kind)) return Number(toInteger(/** @type {any} */ (type.kind), v));
      return integerJSON(toInteger(/** @type {any} */ (type.kind), v));
  }
}

/** @param {bigint} b @returns {number | string} */
function integerJSON(b) {
  return b <= MAX_SAFE && b >= -MAX_SAFE ? Number(b) : b.toString();
}

/**
 * Compact JSON text of a structure built by `toJSON` (plain objects, arrays, strings, numbers,
 * booleans, null and `RawJSONNumber`).
 * @param {any} v
 * @returns {string}
 */
export function stringifyJSON(v) {
  if (v instanceof RawJSONNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(stringifyJSON).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).map((k) => `${JSON.stringify(k)}:${stringifyJSON(v[k])}`).join(',')}}`;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw bad(`${v} has no JSON form`);
  return JSON.stringify(v);
}

/** The key of a one-member plain object, else null. @param {any} json @returns {string | null} */
function singleKey(json) {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return null;
  const keys = Object.keys(json);
  return keys.length === 1 ? keys[0] : null;
}

/** @param {string} message */
function bad(message) {
  return new BsatnError('TYPE_MISMATCH', message, -1);
}

/**
 * Runs `f`; an error it throws gets `key` prepended to its path.
 * @template R
 * @param {string | number} key
 * @param {() => R} f
 * @returns {R}
 */
function at(key, f) {
  try {
    return f();
  } catch (e) {
    if (e instanceof BsatnError) {
      const path = /** @type {any} */ (e).path ?? '';
      const seg = typeof key === 'number' ? `[${key}]` : `.${key}`;
      /** @type {any} */ (e).path = seg + path;
      e.message = `at \`${seg + path}\`: ${e.message.replace(/^at `[^`]*`: /, '')}`;
    }
    throw e;
  }
}
