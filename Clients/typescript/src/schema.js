// The database schema as the client needs it (tables' row types and primary keys, reducers'
// parameter types), read from `GET /v1/database/:name/schema`, plus the small HTTP helpers.

import { HttpError, SchemaError } from './errors.js';
import { describeTlsError } from './tls-errors.js';
import { parseType } from './types.js';

/**
 * A column or parameter.
 * @typedef {{ name: string, type: import('./types.js').AlgebraicType }} Column
 */

/**
 * One table of the schema.
 * @typedef {object} TableSchema
 * @property {string} name
 * @property {string} access `public` or `private`
 * @property {Column[]} columns
 * @property {import('./types.js').AlgebraicType & { kind: 'product' }} rowType the product of the columns
 * @property {string | null} primaryKey the primary key column's name
 * @property {number} primaryKeyIndex its position (-1 without one)
 */

/**
 * One reducer of the schema.
 * @typedef {object} ReducerSchema
 * @property {string} name
 * @property {Column[]} params
 * @property {import('./types.js').AlgebraicType & { kind: 'product' }} argsType the product of the parameters
 * @property {string | null} lifecycle `init`, `client_connected`, … or null for callable reducers
 */

/** A database's schema, parsed from the schema JSON. */
export class DatabaseSchema {
  /** @param {any} json the answer of `GET /v1/database/:name/schema` */
  constructor(json) {
    /** @type {Map<string, TableSchema>} */
    this.tables = new Map();
    /** @type {Map<string, ReducerSchema>} */
    this.reducers = new Map();
    /** Named types (`types` in the JSON) by name. @type {Map<string, import('./types.js').AlgebraicType>} */
    this.types = new Map();
    for (const t of json.tables ?? []) {
      const columns = t.columns.map((/** @type {any} */ c) => ({ name: c.name, type: parseType(c.type) }));
      const primaryKeyIndex = t.primary_key == null ? -1 : columns.findIndex((/** @type {Column} */ c) => c.name === t.primary_key);
      this.tables.set(t.name, {
        name: t.name,
        access: t.access,
        columns,
        rowType: { kind: 'product', fields: columns },
        primaryKey: primaryKeyIndex < 0 ? null : t.primary_key,
        primaryKeyIndex,
      });
    }
    for (const r of json.reducers ?? []) {
      const params = r.params.map((/** @type {any} */ p) => ({ name: p.name, type: parseType(p.type) }));
      this.reducers.set(r.name, { name: r.name, params, argsType: { kind: 'product', fields: params }, lifecycle: r.lifecycle ?? null });
    }
    for (const t of json.types ?? []) this.types.set(t.name, parseType(t.type));
  }

  /**
   * The table named `name`.
   * @param {string} name
   * @returns {TableSchema}
   * @throws {SchemaError} when there is no such table
   */
  table(name) {
    const t = this.tables.get(name);
    if (!t) throw new SchemaError(`no table \`${name}\` in the schema (tables: ${[...this.tables.keys()].join(', ') || 'none'})`);
    return t;
  }

  /**
   * The reducer named `name`.
   * @param {string} name
   * @returns {ReducerSchema}
   * @throws {SchemaError} when there is no such reducer
   */
  reducer(name) {
    const r = this.reducers.get(name);
    if (!r) throw new SchemaError(`no reducer \`${name}\` in the schema (reducers: ${[...this.reducers.keys()].join(', ') || 'none'})`);
    return r;
  }
}

/**
 * An HTTP request to the server; resolves to the response text (rejects with `HttpError`).
 * @param {string} base `http(s)://host:port`
 * @param {string} method
 * @param {string} path starting with `/`
 * @param {{ token?: string, body?: string | Uint8Array, fetch?: typeof fetch }} [options]
 * @returns {Promise<string>}
 */
export async function httpRequest(base, method, path, options = {}) {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new HttpError('no fetch() on this platform; pass `fetch` in the options', 0, '');
  /** @type {Record<string, string>} */
  const headers = {};
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let response;
  try {
    response = await doFetch(base.replace(/\/+$/, '') + path, { method, headers, body: options.body });
  } catch (e) {
    const err = /** @type {Error} */ (e);
    const why = describeTlsError(err.cause, authorityOf(base)) ?? /** @type {Error | undefined} */ (err.cause)?.message ?? err.message;
    throw new HttpError(`cannot reach ${base}: ${why}`, 0, '', { cause: e });
  }
  const text = await response.text();
  if (!response.ok) {
    throw new HttpError(`${method} ${path} failed with HTTP ${response.status}${text ? `: ${text.trim()}` : ''}`, response.status, text);
  }
  return text;
}

/** `host:port` of an `http(s)://` base URL (the port made explicit). @param {string} base */
function authorityOf(base) {
  try {
    const u = new URL(base);
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
  } catch {
    return base;
  }
}

/**
 * Mints a new identity: `POST /v1/identity`.
 * @param {string} base
 * @param {typeof fetch} [fetchImpl]
 * @returns {Promise<{ identity: string, token: string }>}
 */
export async function createIdentity(base, fetchImpl) {
  return JSON.parse(await httpRequest(base, 'POST', '/v1/identity', { fetch: fetchImpl }));
}

/**
 * Loads a database's schema: `GET /v1/database/:name/schema`.
 * @param {string} base
 * @param {string} database
 * @param {{ token?: string, fetch?: typeof fetch }} [options]
 * @returns {Promise<DatabaseSchema>}
 */
export async function fetchSchema(base, database, options = {}) {
  const text = await httpRequest(base, 'GET', `/v1/database/${encodeURIComponent(database)}/schema`, options);
  return new DatabaseSchema(JSON.parse(text));
}
