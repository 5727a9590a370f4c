// JS representations of Starling's special types (identity, connection id, timestamp, duration)
// and small hex helpers. Values hold one canonical field each so that `assert.deepStrictEqual`
// and structural comparisons work whatever way a value was built.

import { StarlingError } from './errors.js';

const HEX = '0123456789abcdef';

/**
 * Lowercase hex of bytes, in order (first byte first).
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toHex(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return s;
}

/**
 * Bytes of a hex string (two digits per byte, either case, optional `0x`).
 * @param {string} hex
 * @returns {Uint8Array}
 */
export function fromHex(hex) {
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new StarlingError('INVALID_HEX', `\`${shorten(hex)}\` is not an even number of hex digits`);
  }
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @param {string} s */
function shorten(s) {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/**
 * A hex number (most significant digit first, 1..2·size digits, optional `0x`) normalized to
 * exactly 2·size lowercase digits.
 * @param {string} hex
 * @param {number} size bytes
 * @param {string} what for the error message
 * @returns {string}
 */
function normalizeHexNumber(hex, size, what) {
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (h.length === 0 || h.length > size * 2 || !/^[0-9a-fA-F]+$/.test(h)) {
    throw new StarlingError('INVALID_HEX', `\`${shorten(hex)}\` is not ${what} (1 to ${size * 2} hex digits)`);
  }
  return h.toLowerCase().padStart(size * 2, '0');
}

/** Reverses hex digit pairs: little-endian wire bytes <-> most-significant-first number. @param {Uint8Array} le */
function leBytesToHexNumber(le) {
  let s = '';
  for (let i = le.length - 1; i >= 0; i--) s += HEX[le[i] >> 4] + HEX[le[i] & 15];
  return s;
}

/** @param {string} hexNumber @param {number} size @returns {Uint8Array} */
function hexNumberToLeBytes(hexNumber, size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const at = hexNumber.length - 2 * (i + 1);
    out[i] = parseInt(hexNumber.slice(at, at + 2), 16);
  }
  return out;
}

/**
 * A fixed-width unsigned number kept as lowercase hex (most significant first) and sent as
 * little-endian bytes: what Identity and ConnectionId share.
 */
class HexNumber {
  /** Wire bytes; each subclass sets its own. */
  static byteWidth = 0;

  /** @param {string} hex lowercase hex digits, most significant first, full width */
  constructor(hex) {
    /** @readonly @type {string} */
    this.hex = hex;
  }

  /** The wire bytes, least significant first. @returns {Uint8Array} */
  toBytes() {
    return hexNumberToLeBytes(this.hex, /** @type {typeof HexNumber} */ (this.constructor).byteWidth);
  }

  /** The hex digits, most significant first. @returns {string} */
  toHexString() {
    return this.hex;
  }

  /** @returns {string} */
  toString() {
    return this.hex;
  }

  /** @returns {string} */
  toJSON() {
    return this.hex;
  }

  /** @param {HexNumber | null | undefined} other @returns {boolean} */
  equals(other) {
    return other instanceof this.constructor && other.hex === this.hex;
  }
}

/**
 * The identity of a client or database: a 256-bit number, shown as 64 hex digits (most
 * significant first), 32 little-endian bytes on the wire.
 */
export class Identity extends HexNumber {
  static byteWidth = 32;

  /**
   * Parses 1–64 hex digits (optional `0x`, either case), zero-extended.
   * @param {string} hex
   * @returns {Identity}
   */
  static fromHex(hex) {
    return new Identity(normalizeHexNumber(hex, 32, 'an identity'));
  }

  /**
   * The identity whose wire (little-endian) bytes are `bytes`.
   * @param {Uint8Array} bytes 32 bytes
   * @returns {Identity}
   */
  static fromBytes(bytes) {
    if (bytes.length !== 32) throw new StarlingError('INVALID_IDENTITY', `an identity is 32 bytes, got ${bytes.length}`);
    return new Identity(leBytesToHexNumber(bytes));
  }
}

/** Identifies one connection of a client: a 128-bit number (32 hex digits; 16 LE wire bytes). */
export class ConnectionId extends HexNumber {
  static byteWidth = 16;

  /** @param {string} hex 1–32 hex digits @returns {ConnectionId} */
  static fromHex(hex) {
    return new ConnectionId(normalizeHexNumber(hex, 16, 'a connection id'));
  }

  /** @param {Uint8Array} bytes 16 little-endian bytes @returns {ConnectionId} */
  static fromBytes(bytes) {
    if (bytes.length !== 16) throw new StarlingError('INVALID_CONNECTION_ID', `a connection id is 16 bytes, got ${bytes.length}`);
    return new ConnectionId(leBytesToHexNumber(bytes));
  }

  /** @param {bigint} value an unsigned 128-bit number @returns {ConnectionId} */
  static fromBigInt(value) {
    return new ConnectionId(value.toString(16).padStart(32, '0'));
  }

  /** @returns {bigint} */
  toBigInt() {
    return BigInt(`0x${this.hex}`);
  }
}

/** A point in time: microseconds since the Unix epoch (i64, may be negative). */
export class Timestamp {
  /** @param {bigint} micros */
  constructor(micros) {
    /** @readonly @type {bigint} */
    this.micros = micros;
  }

  /** The Unix epoch. */
  static UNIX_EPOCH = new Timestamp(0n);

  /** The current time (millisecond precision). @returns {Timestamp} */
  static now() {
    return new Timestamp(BigInt(Date.now()) * 1000n);
  }

  /** @param {Date} date @returns {Timestamp} */
  static fromDate(date) {
    return new Timestamp(BigInt(date.getTime()) * 1000n);
  }

  /** A `Date` (microseconds truncated to milliseconds). @returns {Date} */
  toDate() {
    return new Date(Number(this.micros / 1000n));
  }

  /** Milliseconds since the epoch, as a number. @returns {number} */
  toMillis() {
    return Number(this.micros) / 1000;
  }

  /** @returns {string} */
  toString() {
    return this.toDate().toISOString();
  }

  /** @returns {string} */
  toJSON() {
    return this.micros.toString();
  }

  /** @param {Timestamp | null | undefined} other @returns {boolean} */
  equals(other) {
    return other instanceof Timestamp && other.micros === this.micros;
  }
}

/** A signed span of time in microseconds (i64). */
export class TimeDuration {
  /** @param {bigint} micros */
  constructor(micros) {
    /** @readonly @type {bigint} */
    this.micros = micros;
  }

  /** @param {number} ms @returns {TimeDuration} */
  static fromMillis(ms) {
    return new TimeDuration(BigInt(Math.round(ms * 1000)));
  }

  /** @returns {number} */
  toMillis() {
    return Number(this.micros) / 1000;
  }

  /** @returns {string} */
  toString() {
    return `${this.micros}µs`;
  }

  /** @returns {string} */
  toJSON() {
    return this.micros.toString();
  }

  /** @param {TimeDuration | null | undefined} other @returns {boolean} */
  equals(other) {
    return other instanceof TimeDuration && other.micros === this.micros;
  }
}
