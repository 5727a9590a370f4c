// The WebSocket messages (docs/protocol.md; Sources/StarlingProtocol): client messages encoded
// for either subprotocol, and server messages decoded into one normalized shape. Rows stay raw
// here (BSATN bytes, or the parsed JSON object); the client cache turns them into values with
// the table's row type.

import { BsatnReader, BsatnWriter, decodeType } from './bsatn.js';
import { ProtocolError, BsatnError } from './errors.js';
import { parseType } from './types.js';
import { Identity, ConnectionId, Timestamp } from './values.js';

/** WebSocket subprotocol names by wire format. */
export const SUBPROTOCOLS = Object.freeze({ bsatn: 'v1.bsatn.starling', json: 'v1.json.starling' });

/**
 * A row as it came off the wire: BSATN bytes of the row's product, or the parsed JSON object.
 * @typedef {Uint8Array | Record<string, any>} RawRow
 */

/**
 * A message to the server.
 * @typedef {{ type: 'Subscribe', requestId: number, queryId: number, queries: string[] }
 *   | { type: 'Unsubscribe', requestId: number, queryId: number }
 *   | { type: 'CallReducer', requestId: number, reducer: string, args: Uint8Array | string }
 *   | { type: 'OneOffQuery', requestId: number, query: string }} ClientMessage
 * For `CallReducer`, `args` is the BSATN product of the parameters (BSATN protocol) or the JSON
 * text of the argument array (JSON protocol).
 */

/**
 * A message from the server, normalized across both protocols.
 * @typedef {{ type: 'IdentityToken', identity: Identity, token: string, connectionId: ConnectionId }
 *   | { type: 'SubscribeApplied' | 'UnsubscribeApplied', requestId: number, queryId: number,
 *       tables: Array<{ tableName: string, rows: RawRow[] }>, executionMicros: number }
 *   | { type: 'SubscriptionError', requestId: number | null, queryId: number | null, error: string }
 *   | { type: 'TransactionUpdate', status: 'committed' | 'failed', error: string | null, timestamp: Timestamp,
 *       callerIdentity: Identity, callerConnectionId: ConnectionId, reducer: string, args: Uint8Array | any[],
 *       requestId: number, tables: Array<{ tableName: string, inserts: RawRow[], deletes: RawRow[] }>,
 *       executionMicros: number }
 *   | { type: 'OneOffQueryResponse', requestId: number, error: string | null,
 *       tables: Array<{ tableName: string, columns: Array<{ name: string, type: import('./types.js').AlgebraicType }>, rows: RawRow[] }>,
 *       executionMicros: number }} ServerMessage
 */

/**
 * Encodes a client message for the wire: bytes for BSATN, text for JSON.
 * @param {ClientMessage} m
 * @param {'bsatn' | 'json'} format
 * @returns {Uint8Array | string}
 */
export function encodeClientMessage(m, format) {
  if (format === 'json') {
    switch (m.type) {
      case 'Subscribe':
        return JSON.stringify({ Subscribe: { request_id: m.requestId, query_id: m.queryId, query_strings: m.queries } });
      case 'Unsubscribe':
        return JSON.stringify({ Unsubscribe: { request_id: m.requestId, query_id: m.queryId } });
      case 'CallReducer':
        if (typeof m.args !== 'string') throw new TypeError('JSON CallReducer args must be JSON text');
        return `{"CallReducer":{"request_id":${m.requestId},"reducer":${JSON.stringify(m.reducer)},"args":${m.args}}}`;
      case 'OneOffQuery':
        return JSON.stringify({ OneOffQuery: { request_id: m.requestId, query_string: m.query } });
      default:
        throw new TypeError(`unknown client message ${/** @type {any} */ (m).type}`);
    }
  }
  const w = new BsatnWriter(64);
  switch (m.type) {
    case 'Subscribe':
      w.u8(0); w.u32(m.requestId); w.u32(m.queryId);
      w.u32(m.queries.length);
      for (const q of m.queries) w.string(q);
      break;
    case 'Unsubscribe':
      w.u8(1); w.u32(m.requestId); w.u32(m.queryId);
      break;
    case 'CallReducer':
      if (!(m.args instanceof Uint8Array)) throw new TypeError('BSATN CallReducer args must be bytes');
      w.u8(2); w.u32(m.requestId); w.string(m.reducer); w.byteString(m.args);
      break;
    case 'OneOffQuery':
      w.u8(3); w.u32(m.requestId); w.string(m.query);
      break;
    default:
      throw new TypeError(`unknown client message ${/** @type {any} */ (m).type}`);
  }
  return w.finish().slice();
}

/**
 * Decodes one server message.
 * @param {Uint8Array | string} data a binary frame (BSATN) or a text frame (JSON)
 * @returns {ServerMessage}
 * @throws {ProtocolError} when the message cannot be read
 */
export function decodeServerMessage(data) {
  try {
    return typeof data === 'string' ? decodeJSON(data) : decodeBSATN(data);
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    const kind = typeof data === 'string' ? 'JSON' : 'BSATN';
    throw new ProtocolError(`malformed ${kind} server message: ${/** @type {Error} */ (e).message}`, { cause: e });
  }
}

/** @param {Uint8Array} bytes @returns {ServerMessage} */
function decodeBSATN(bytes) {
  const r = new BsatnReader(bytes);
  const tag = r.u8();
  /** @type {ServerMessage} */
  let m;
  switch (tag) {
    case 0:
      m = { type: 'IdentityToken', identity: Identity.fromBytes(r.raw(32)), token: r.string(), connectionId: ConnectionId.fromBytes(r.raw(16)) };
      break;
    case 1:
    case 2: {
      const requestId = r.u32();
      const queryId = r.u32();
      const n = r.length(8);
      const tables = [];
      for (let i = 0; i < n; i++) tables.push({ tableName: r.string(), rows: readRows(r) });
      m = { type: tag === 1 ? 'SubscribeApplied' : 'UnsubscribeApplied', requestId, queryId, tables, executionMicros: Number(r.u64()) };
      break;
    }
    case 3:
      m = { type: 'SubscriptionError', requestId: readOptionalU32(r), queryId: readOptionalU32(r), error: r.string() };
      break;
    case 4: {
      const failed = readStatus(r);
      const timestamp = new Timestamp(r.i64());
      const callerIdentity = Identity.fromBytes(r.raw(32));
      const callerConnectionId = ConnectionId.fromBytes(r.raw(16));
      const reducer = r.string();
      const args = r.byteString();
      const requestId = r.u32();
      const n = r.length(12);
      const tables = [];
      for (let i = 0; i < n; i++) tables.push({ tableName: r.string(), inserts: readRows(r), deletes: readRows(r) });
      m = {
        type: 'TransactionUpdate', status: failed === null ? 'committed' : 'failed', error: failed, timestamp,
        callerIdentity, callerConnectionId, reducer, args, requestId, tables, executionMicros: Number(r.u64()),
      };
      break;
    }
    case 5: {
      const requestId = r.u32();
      const error = readOptionalString(r);
      const n = r.length(12);
      const tables = [];
      for (let i = 0; i < n; i++) {
        const tableName = r.string();
        const ncols = r.length(5);
        const columns = [];
        for (let c = 0; c < ncols; c++) columns.push({ name: r.string(), type: decodeType(r) });
        tables.push({ tableName, columns, rows: readRows(r) });
      }
      m = { type: 'OneOffQueryResponse', requestId, error, tables, executionMicros: Number(r.u64()) };
      break;
    }
    default:
      throw new BsatnError('INVALID_TAG', `unknown server message tag ${tag} (expected 0...5)`, 0);
  }
  r.expectEnd();
  return m;
}

/** @param {BsatnReader} r @returns {Uint8Array[]} */
function readRows(r) {
  const n = r.length(4);
  const rows = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = r.raw(r.length(1));
  return rows;
}

/** @param {BsatnReader} r @returns {number | null} */
function readOptionalU32(r) {
  const at = r.pos;
  const tag = r.u8();
  if (tag === 1) return null;
  if (tag !== 0) throw new BsatnError('INVALID_TAG', `invalid option tag ${tag}`, at);
  return r.u32();
}

/** @param {BsatnReader} r @returns {string | null} */
function readOptionalString(r) {
  const at = r.pos;
  const tag = r.u8();
  if (tag === 1) return null;
  if (tag !== 0) throw new BsatnError('INVALID_TAG', `invalid option tag ${tag}`, at);
  return r.string();
}

/** The failure message of a status, or null for committed. @param {BsatnReader} r */
function readStatus(r) {
  const at = r.pos;
  const tag = r.u8();
  if (tag === 0) return null;
  if (tag !== 1) throw new BsatnError('INVALID_TAG', `invalid status tag ${tag} (expected 0 committed or 1 failed)`, at);
  return r.string();
}

// ---------------------------------------------------------------------------------------------
// JSON

/** @param {string} text @returns {ServerMessage} */
function decodeJSON(text) {
  const doc = JSON.parse(text);
  const keys = doc && typeof doc === 'object' && !Array.isArray(doc) ? Object.keys(doc) : [];
  if (keys.length !== 1) throw new ProtocolError('a server message is a JSON object with one key naming the message');
  const kind = keys[0];
  const b = doc[kind];
  if (b === null || typeof b !== 'object') throw new ProtocolError(`\`${kind}\` must hold an object`);
  switch (kind) {
    case 'IdentityToken':
      return { type: 'IdentityToken', identity: Identity.fromHex(str(b, kind, 'identity')), token: str(b, kind, 'token'),
        connectionId: ConnectionId.fromHex(str(b, kind, 'connection_id')) };
    case 'SubscribeApplied':
    case 'UnsubscribeApplied':
      return {
        type: kind, requestId: num(b, kind, 'request_id'), queryId: num(b, kind, 'query_id'),
        tables: arr(b, kind, 'tables').map((t) => ({ tableName: str(t, kind, 'table_name'), rows: arr(t, kind, 'rows') })),
        executionMicros: optNum(b.total_host_execution_duration_micros),
      };
    case 'SubscriptionError':
      return { type: kind, requestId: b.request_id ?? null, queryId: b.query_id ?? null, error: str(b, kind, 'error') };
    case 'TransactionUpdate': {
      const failed = b.status === 'committed' ? null : typeof b.status?.failed === 'string' ? b.status.failed : undefined;
      if (failed === undefined) throw new ProtocolError('`TransactionUpdate.status` must be "committed" or {"failed": message}');
      const call = b.reducer_call;
      if (!call || typeof call !== 'object') throw new ProtocolError('`TransactionUpdate.reducer_call` is missing');
      return {
        type: kind, status: failed === null ? 'committed' : 'failed', error: failed,
        timestamp: new Timestamp(BigInt(b.timestamp_micros ?? 0)),
        callerIdentity: Identity.fromHex(str(b, kind, 'caller_identity')),
        callerConnectionId: ConnectionId.fromHex(str(b, kind, 'caller_connection_id')),
        reducer: str(call, kind, 'reducer_name'), args: Array.isArray(call.args) ? call.args : [],
        requestId: num(call, kind, 'request_id'),
        tables: arr(b, kind, 'tables').map((t) => ({
          tableName: str(t, kind, 'table_name'), inserts: arr(t, kind, 'inserts'), deletes: arr(t, kind, 'deletes'),
        })),
        executionMicros: optNum(b.execution_micros),
      };
    }
    case 'OneOffQueryResponse':
      return {
        type: kind, requestId: num(b, kind, 'request_id'), error: typeof b.error === 'string' ? b.error : null,
        tables: arr(b, kind, 'tables').map((t) => ({
          tableName: str(t, kind, 'table_name'),
          columns: arr(t, kind, 'schema').map((c) => ({ name: str(c, kind, 'name'), type: parseType(str(c, kind, 'type')) })),
          rows: arr(t, kind, 'rows'),
        })),
        executionMicros: optNum(b.total_host_execution_duration_micros),
      };
    default:
      throw new ProtocolError(`unknown server message \`${kind}\``);
  }
}

/** @param {any} o @param {string} kind @param {string} key @returns {string} */
function str(o, kind, key) {
  if (typeof o?.[key] !== 'string') throw new ProtocolError(`\`${kind}.${key}\` is missing or not a string`);
  return o[key];
}

/** @param {any} o @param {string} kind @param {string} key @returns {number} */
function num(o, kind, key) {
  if (!Number.isInteger(o?.[key])) throw new ProtocolError(`\`${kind}.${key}\` is missing or not an integer`);
  return o[key];
}

/** @param {any} o @param {string} kind @param {string} key @returns {any[]} */
function arr(o, kind, key) {
  if (!Array.isArray(o?.[key])) throw new ProtocolError(`\`${kind}.${key}\` is missing or not an array`);
  return o[key];
}

/** @param {any} v @returns {number} */
function optNum(v) {
  return typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : 0;
}
