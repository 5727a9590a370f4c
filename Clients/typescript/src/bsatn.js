// BSATN, Starling's binary value format (docs/BSATN.md): a reader and writer of primitives, and
// encode/decode of any value driven by its AlgebraicType.
//
// JS representation of values (the same for values decoded from JSON, see json-values.js):
//   bool → boolean;  i8…i32, u8…u32, f32, f64 → number;  i64, u64, i128, u128 → bigint;
//   string → string;  bytes → Uint8Array;  array<T> → Array;  product → plain object keyed by
//   field name (an unnamed field by its index);  sum → { tag: 'variant', value } (no `value` for
//   a variant without data);  option<T> → null for none, else the value (for option<option<T>>
//   some(v) is `{ some: v }`);  identity → Identity;  connection_id → ConnectionId;
//   timestamp → Timestamp;  time_duration → TimeDuration;  schedule_at → { tag: 'interval',
//   value: TimeDuration } | { tag: 'time', value: Timestamp }.
// The encoder also accepts convenient inputs: numbers or bigints (or decimal strings) for any
// integer, hex strings or number arrays for bytes, hex strings for identities, Date / bigint /
// number (µs) for timestamps, a bare variant name for a unit variant, arrays for products.

import { BsatnError } from './errors.js';
import { isUnit, memberKey, minimumSize, fixedSize } from './types.js';
import { Identity, ConnectionId, Timestamp, TimeDuration, fromHex } from './values.js';
import { encodeType, decodeType } from './bsatn-types.js';

export { encodeType, decodeType };

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Arrays of zero-size elements longer than this are refused (docs/BSATN.md). */
export const MAX_ZERO_SIZE_ELEMENTS = 65536;

/** Reads BSATN primitives from a byte buffer, little-endian, with bounds checks. */
export class BsatnReader {
  /** @param {Uint8Array} bytes */
  constructor(bytes) {
    /** @type {Uint8Array} */
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    /** Current offset. */
    this.pos = 0;
  }

  /** Bytes left after the current offset. @returns {number} */
  get remaining() {
    return this.bytes.length - this.pos;
  }

  /** @param {number} n @param {number} [at] */
  need(n, at = this.pos) {
    if (this.bytes.length - this.pos < n) {
      throw new BsatnError('UNEXPECTED_END', `input ended: needed ${n} more byte(s), ${this.bytes.length - this.pos} left`, at);
    }
  }

  /** Fails unless every byte was read. */
  expectEnd() {
    if (this.pos !== this.bytes.length) {
      throw new BsatnError('TRAILING_BYTES', `${this.bytes.length - this.pos} byte(s) left after the value`, this.pos);
    }
  }

  /** @returns {number} */
  u8() { this.need(1); return this.bytes[this.pos++]; }
  /** @returns {number} */
  i8() { this.need(1); return this.view.getInt8(this.pos++); }
  /** @returns {number} */
  u16() { this.need(2); const v = this.view.getUint16(this.pos, true); this.pos += 2; return v; }
  /** @returns {number} */
  i16() { this.need(2); const v = this.view.getInt16(this.pos, true); this.pos += 2; return v; }
  /** @returns {number} */
  u32() { this.need(4); const v = this.view.getUint32(this.pos, true); this.pos += 4; return v; }
  /** @returns {number} */
  i32() { this.need(4); const v = this.view.getInt32(this.pos, true); this.pos += 4; return v; }
  /** @returns {bigint} */
  u64() { this.need(8); const v = this.view.getBigUint64(this.pos, true); this.pos += 8; return v; }
  /** @returns {bigint} */
  i64() { this.need(8); const v = this.view.getBigInt64(this.pos, true); this.pos += 8; return v; }
  /** @returns {bigint} */
  u128() {
    this.need(16);
    const lo = this.view.getBigUint64(this.pos, true);
    const hi = this.view.getBigUint64(this.pos + 8, true);
    this.pos += 16;
    return (hi << 64n) | lo;
  }
  /** @returns {bigint} */
  i128() {
    this.need(16);
    const lo = this.view.getBigUint64(this.pos, true);
    const hi = this.view.getBigInt64(this.pos + 8, true);
    this.pos += 16;
    return (hi << 64n) | lo;
  }
  /** @returns {number} */
  f32() { this.need(4); const v = this.view.getFloat32(this.pos, true); this.pos += 4; return v; }
  /** @returns {number} */
  f64() { this.need(8); const v = this.view.getFloat64(this.pos, true); this.pos += 8; return v; }

  /** @returns {boolean} */
  bool() {
    const at = this.pos;
    const b = this.u8();
    if (b > 1) throw new BsatnError('INVALID_BOOL', `invalid bool byte 0x${b.toString(16).padStart(2, '0')} (expected 00 or 01)`, at);
    return b === 1;
  }

  /**
   * A view of the next `n` bytes (no copy).
   * @param {number} n @returns {Uint8Array}
   */
  raw(n) {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * A `u32` length, checked against the bytes left for elements of at least `minSize` bytes.
   * @param {number} minSize @returns {number}
   */
  length(minSize) {
    const at = this.pos;
    const n = this.u32();
    if (minSize === 0) {
      if (n > MAX_ZERO_SIZE_ELEMENTS) {
        throw new BsatnError('LENGTH_TOO_LARGE', `${n} elements of a zero-size type (at most ${MAX_ZERO_SIZE_ELEMENTS})`, at);
      }
    } else if (n > Math.floor(this.remaining / minSize)) {
      throw new BsatnError('UNEXPECTED_END', `length ${n} cannot fit in the ${this.remaining} byte(s) left`, at);
    }
    return n;
  }

  /** A `u32`-length-prefixed byte string (a copy). @returns {Uint8Array} */
  byteString() {
    const n = this.length(1);
    return this.raw(n).slice();
  }

  /** A `u32`-length-prefixed UTF-8 string. @returns {string} */
  string() {
    const n = this.length(1);
    const at = this.pos;
    const bytes = this.raw(n);
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      throw new BsatnError('INVALID_UTF8', 'string is not well-formed UTF-8', at);
    }
  }
}

/** Writes BSATN primitives into a growing buffer. */
export class BsatnWriter {
  /** @param {number} [capacity] */
  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }

  /** @param {number} n */
  reserve(n) {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** The bytes written so far (a view). @returns {Uint8Array} */
  finish() {
    return this.buf.subarray(0, this.pos);
  }

  /** @param {number} v */
  u8(v) { this.reserve(1); this.buf[this.pos++] = v; }
  /** @param {number} v */
  i8(v) { this.reserve(1); this.view.setInt8(this.pos++, v); }
  /** @param {number} v */
  u16(v) { this.reserve(2); this.view.setUint16(this.pos, v, true); this.pos += 2; }
  /** @param {number} v */
  i16(v) { this.reserve(2); this.view.setInt16(this.pos, v, true); this.pos += 2; }
  /** @param {number} v */
  u32(v) { this.reserve(4); this.view.setUint32(this.pos, v, true); this.pos += 4; }
  /** @param {number} v */
  i32(v) { this.reserve(4); this.view.setInt32(this.pos, v, true); this.pos += 4; }
  /** @param {bigint} v */
  u64(v) { this.reserve(8); this.view.setBigUint64(this.pos, v, true); this.pos += 8; }
  /** @param {bigint} v */
  i64(v) { this.reserve(8); this.view.setBigInt64(this.pos, v, true); this.pos += 8; }
  /** @param {bigint} v any 128-bit value (signed or unsigned; written as its low 128 bits) */
  u128(v) {
    this.reserve(16);
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, v), true);
    this.view.setBigUint64(this.pos + 8, BigInt.asUintN(64, v >> 64n), true);
    this.pos += 16;
  }
  /** @param {number} v */
  f32(v) { this.reserve(4); this.view.setFloat32(this.pos, v, true); this.pos += 4; }
  /** @param {number} v */
  f64(v) { this.reserve(8); this.view.setFloat64(this.pos, v, true); this.pos += 8; }
  /** @param {boolean} v */
  bool(v) { this.u8(v ? 1 : 0); }
  /** @param {Uint8Array} bytes raw bytes, no length */
  raw(bytes) { this.reserve(bytes.length); this.buf.set(bytes, this.pos); this.pos += bytes.length; }
  /** @param {Uint8Array} bytes length-prefixed */
  byteString(bytes) { this.u32(bytes.length); this.raw(bytes); }
  /** @param {string} s length-prefixed UTF-8 */
  string(s) { this.byteString(utf8Encoder.encode(s)); }
}

// ---------------------------------------------------------------------------------------------
// Values

/**
 * Decodes one value of `type` that must fill `bytes` exactly.
 * @param {import('./types.js').AlgebraicType} type
 * @param {Uint8Array} bytes
 * @returns {any}
 * @throws {BsatnError}
 */
export function decode(type, bytes) {
  const r = new BsatnReader(bytes);
  const v = readValue(type, r);
  r.expectEnd();
  return v;
}

/**
 * Encodes one value of `type`.
 * @param {import('./types.js').AlgebraicType} type
 * @param {any} value
 * @returns {Uint8Array}
 * @throws {BsatnError} `TYPE_MISMATCH` when the value does not fit the type
 */
export function encode(type, value) {
  const w = new BsatnWriter();
  writeValue(type, value, w);
  return w.finish().slice();
}

/**
 * Reads one value of `type` from `r` and advances it.
 * @param {import('./types.js').AlgebraicType} type
 * @param {BsatnReader} r
 * @returns {any}
 */
export function readValue(type, r) {
  switch (type.kind) {
    case 'bool': return r.bool();
    case 'i8': return r.i8();
    case 'u8': return r.u8();
    case 'i16': return r.i16();
    case 'u16': return r.u16();
    case 'i32': return r.i32();
    case 'u32': return r.u32();
    case 'i64': return r.i64();
    case 'u64': return r.u64();
    case 'i128': return r.i128();
    case 'u128': return r.u128();
    case 'f32': return r.f32();
    case 'f64': return r.f64();
    case 'string': return r.string();
    case 'bytes': return r.byteString();
    case 'identity': return Identity.fromBytes(r.raw(32));
    case 'connection_id': return ConnectionId.fromBytes(r.raw(16));
    case 'timestamp': return new Timestamp(r.i64());
    case 'time_duration': return new TimeDuration(r.i64());
    case 'schedule_at': {
      const at = r.pos;
      const tag = r.u8();
      if (tag === 0) return { tag: 'interval', value: new TimeDuration(r.i64()) };
      if (tag === 1) return { tag: 'time', value: new Timestamp(r.i64()) };
      throw new BsatnError('INVALID_TAG', `invalid schedule_at tag ${tag} (expected 0 interval or 1 time)`, at);
    }
    case 'array': {
      const n = r.length(minimumSize(type.elem));
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readValue(type.elem, r);
      return out;
    }
    case 'option': {
      const at = r.pos;
      const tag = r.u8();
      if (tag === 1) return null;
      if (tag !== 0) throw new BsatnError('INVALID_TAG', `invalid option tag ${tag} (expected 0 some or 1 none)`, at);
      const v = readValue(type.inner, r);
      return type.inner.kind === 'option' ? { some: v } : v;
    }
    case 'product': {
      /** @type {Record<string, any>} */
      const out = {};
      const fields = type.fields;
      for (let i = 0; i < fields.length; i++) out[memberKey(fields[i], i)] = readValue(fields[i].type, r);
      return out;
    }
    case 'sum': {
      const at = r.pos;
      const tag = r.u8();
      const variant = type.variants[tag];
      if (!variant) throw new BsatnError('INVALID_TAG', `invalid sum tag ${tag} (the type has ${type.variants.length} variants)`, at);
      const name = memberKey(variant, tag);
      if (isUnit(variant.type)) return { tag: name };
      return { tag: name, value: readValue(variant.type, r) };
    }
    default:
      throw new BsatnError('TYPE_MISMATCH', `unknown type kind \`${/** @type {any} */ (type).kind}\``, r.pos);
  }
}

/**
 * Validates one value of `type` and advances past it without building it.
 * @param {import('./types.js').AlgebraicType} type
 * @param {BsatnReader} r
 */
export function skipValue(type, r) {
  const size = fixedSize(type);
  if (size !== null && !needsByteChecks(type)) r.raw(size);
  else readValue(type, r);
}

/** @param {import('./types.js').AlgebraicType} type @returns {boolean} */
function needsByteChecks(type) {
  switch (type.kind) {
    case 'bool': case 'sum': case 'option': case 'schedule_at': return true;
    case 'product': return type.fields.some((f) => needsByteChecks(f.type));
    default: return false;
  }
}

const RANGES = {
  i8: [-128n, 127n], u8: [0n, 255n], i16: [-32768n, 32767n], u16: [0n, 65535n],
  i32: [-2147483648n, 2147483647n], u32: [0n, 4294967295n],
  i64: [-(2n ** 63n), 2n ** 63n - 1n], u64: [0n, 2n ** 64n - 1n],
  i128: [-(2n ** 127n), 2n ** 127n - 1n], u128: [0n, 2n ** 128n - 1n],
};

/**
 * An integer input (number, bigint or decimal string) as a bigint in the range of `kind`.
 * @param {keyof RANGES} kind
 * @param {any} v
 * @returns {bigint}
 */
export function toInteger(kind, v) {
  let b;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
  else if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) b = BigInt(v);
  else throw mismatch(`expected an integer (${kind}), found ${describe(v)}`);
  const [lo, hi] = RANGES[kind];
  if (b < lo || b > hi) throw mismatch(`${b} is out of range for ${kind} (${lo}...${hi})`);
  return b;
}

/** @param {string} message */
function mismatch(message) {
  return new BsatnError('TYPE_MISMATCH', message, -1);
}

/** A short description of a JS value for error messages. @param {any} v @returns {string} */
export function describe(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return `an array of ${v.length} elements`;
  if (v instanceof Uint8Array) return `a Uint8Array of ${v.length} bytes`;
  if (typeof v === 'object') return `${v.constructor && v.constructor !== Object ? `a ${v.constructor.name}` : 'an object'}`;
  return String(v);
}

/**
 * Bytes from a Uint8Array, another ArrayBuffer view, an ArrayBuffer, an array of bytes or hex.
 * @param {any} v @returns {Uint8Array}
 */
export function toBytes(v) {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (typeof v === 'string') return fromHex(v);
  if (Array.isArray(v) && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return Uint8Array.from(v);
  throw mismatch(`expected bytes (Uint8Array, byte array or hex string), found ${describe(v)}`);
}

/**
 * A timestamp or duration input in microseconds.
 * @param {any} v @param {string} what @returns {bigint}
 */
function toMicros(v, what) {
  if (v instanceof Timestamp || v instanceof TimeDuration) return v.micros;
  if (v instanceof Date) return BigInt(v.getTime()) * 1000n;
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string') return toInteger('i64', v);
  throw mismatch(`expected a ${what} (${what === 'timestamp' ? 'Timestamp, Date' : 'TimeDuration'}, or µs as bigint/number), found ${describe(v)}`);
}

/**
 * The variant index and payload of a sum input: `{ tag, value }` (tag a name or index) or a
 * bare name for a unit variant.
 * @param {import('./types.js').Member[]} variants
 * @param {any} v
 * @returns {[number, any]}
 */
export function sumChoice(variants, v) {
  const tag = typeof v === 'string' || typeof v === 'number' ? v : v && typeof v === 'object' ? v.tag : undefined;
  const names = variants.map((m, i) => memberKey(m, i));
  let index = typeof tag === 'number' ? tag : names.indexOf(String(tag));
  if (tag === undefined || index < 0 || index >= variants.length || !Number.isInteger(index)) {
    throw mismatch(`expected a variant { tag, value } with tag one of ${names.map((n) => `"${n}"`).join(', ')}, found ${describe(v)}${tag === undefined ? '' : ` (tag ${JSON.stringify(tag)})`}`);
  }
  if (typeof v !== 'object' && !isUnit(variants[index].type)) {
    throw mismatch(`variant "${names[index]}" carries data: pass { tag: "${names[index]}", value }`);
  }
  return [index, typeof v === 'object' ? v.value : undefined];
}

/**
 * Writes one value of `type`.
 * @param {import('./types.js').AlgebraicType} type
 * @param {any} v
 * @param {BsatnWriter} w
 */
export function writeValue(type, v, w) {
  switch (type.kind) {
    case 'bool':
      if (typeof v !== 'boolean') throw mismatch(`expected a boolean, found ${describe(v)}`);
      return w.bool(v);
    case 'i8': return w.i8(Number(toInteger('i8', v)));
    case 'u8': return w.u8(Number(toInteger('u8', v)));
    case 'i16': return w.i16(Number(toInteger('i16', v)));
    case 'u16': return w.u16(Number(toInteger('u16', v)));
    case 'i32': return w.i32(Number(toInteger('i32', v)));
    case 'u32': return w.u32(Number(toInteger('u32', v)));
    case 'i64': return w.i64(toInteger('i64', v));
    case 'u64': return w.u64(toInteger('u64', v));
    case 'i128': return w.u128(toInteger('i128', v));
    case 'u128': return w.u128(toInteger('u128', v));
    case 'f32':
    case 'f64':
      if (typeof v !== 'number') throw mismatch(`expected a number (${type.kind}), found ${describe(v)}`);
      return type.kind === 'f32' ? w.f32(v) : w.f64(v);
    case 'string':
      if (typeof v !== 'string') throw mismatch(`expected a string, found ${describe(v)}`);
      return w.string(v);
    case 'bytes': return w.byteString(toBytes(v));
    case 'identity': {
      const id = v instanceof Identity ? v : typeof v === 'string' ? Identity.fromHex(v) : null;
      if (!id) throw mismatch(`expected an Identity or a hex string, found ${describe(v)}`);
      return w.raw(id.toBytes());
    }
    case 'connection_id': {
      const id = v instanceof ConnectionId ? v : typeof v === 'string' ? ConnectionId.fromHex(v)
        : typeof v === 'bigint' ? ConnectionId.fromBigInt(v) : null;
      if (!id) throw mismatch(`expected a ConnectionId or a hex string, found ${describe(v)}`);
      return w.raw(id.toBytes());
    }
    case 'timestamp': return w.i64(toMicros(v, 'timestamp'));
    case 'time_duration': return w.i64(toMicros(v, 'time duration'));
    case 'schedule_at': {
      const tag = v && typeof v === 'object' ? v.tag : undefined;
      if (tag !== 'interval' && tag !== 'time') {
        throw mismatch(`expected { tag: "interval", value: TimeDuration } or { tag: "time", value: Timestamp }, found ${describe(v)}`);
      }
      w.u8(tag === 'interval' ? 0 : 1);
      return w.i64(withPath(tag, () => toMicros(v.value, tag === 'interval' ? 'time duration' : 'timestamp')));
    }
    case 'array': {
      if (!Array.isArray(v)) throw mismatch(`expected an array, found ${describe(v)}`);
      w.u32(v.length);
      for (let i = 0; i < v.length; i++) withPath(i, () => writeValue(type.elem, v[i], w));
      return undefined;
    }
    case 'option': {
      if (v === null || v === undefined) return w.u8(1);
      w.u8(0);
      if (type.inner.kind === 'option') {
        if (typeof v !== 'object' || !('some' in v)) throw mismatch(`a nested option's some(x) is written { some: x }, found ${describe(v)}`);
        return withPath('some', () => writeValue(type.inner, v.some, w));
      }
      return writeValue(type.inner, v, w);
    }
    case 'product': return writeProduct(type.fields, v, w);
    case 'sum': {
      const [index, payload] = sumChoice(type.variants, v);
      w.u8(index);
      const variant = type.variants[index];
      if (isUnit(variant.type) && payload === undefined) return undefined;
      return withPath(memberKey(variant, index), () => writeValue(variant.type, payload, w));
    }
    default:
      throw mismatch(`unknown type kind \`${/** @type {any} */ (type).kind}\``);
  }
}

/**
 * Writes a product from an object keyed by field (missing option fields are none) or from an
 * array of the field values in order.
 * @param {import('./types.js').Member[]} fields
 * @param {any} v
 * @param {BsatnWriter} w
 */
export function writeProduct(fields, v, w) {
  if (Array.isArray(v)) {
    if (v.length !== fields.length) throw mismatch(`expected ${fields.length} values (one per field), found ${v.length}`);
    for (let i = 0; i < fields.length; i++) withPath(memberKey(fields[i], i), () => writeValue(fields[i].type, v[i], w));
    return;
  }
  if (v === null || typeof v !== 'object') throw mismatch(`expected an object with fields ${fields.map((f, i) => `"${memberKey(f, i)}"`).join(', ')}, found ${describe(v)}`);
  for (let i = 0; i < fields.length; i++) {
    const key = memberKey(fields[i], i);
    const value = v[key];
    if (value === undefined && fields[i].type.kind !== 'option') throw mismatch(`missing field "${key}"`);
    withPath(key, () => writeValue(fields[i].type, value, w));
  }
}

/**
 * Runs `f`; a BsatnError it throws gets `key` prepended to its path (`error.path`).
 * @template R
 * @param {string | number} key
 * @param {() => R} f
 * @returns {R}
 */
function withPath(key, f) {
  try {
    return f();
  } catch (e) {
    if (e instanceof BsatnError && e.offset < 0) {
      const path = /** @type {any} */ (e).path ?? '';
      const seg = typeof key === 'number' ? `[${key}]` : `.${key}`;
      /** @type {any} */ (e).path = seg + path;
      e.message = `at \`${seg + path}\`: ${e.message.replace(/^at `[^`]*`: /, '')}`;
    }
    throw e;
  }
}
