// The client cache: the rows of every table the client's query sets cover, each row once,
// reference counted.
//
// Counting rules (the server's semantics): SubscribeApplied adds one count per row it carries;
// UnsubscribeApplied removes one per row; a TransactionUpdate adds one per insert and removes
// one per delete. A row matched by several of the client's queries arrives once per query, so
// its count is the number of queries holding it, and the app sees it once: `onInsert` when the
// count goes 0 → 1, `onDelete` when it drops to 0, and `onUpdate(old, new)` instead of a
// delete + insert when one message removes a row and adds another with the same primary key.

import { decode, encode } from './bsatn.js';
import { productFromJSON } from './json-values.js';
import { toHex } from './values.js';
import { ProtocolError } from './errors.js';

/**
 * What caused a callback.
 * @typedef {object} EventContext
 * @property {'subscribe' | 'unsubscribe' | 'transaction' | 'reconnect'} event
 * @property {import('./client.js').TransactionInfo} [transaction] for `transaction` events
 * @property {number} [queryId] for `subscribe` / `unsubscribe` events
 */

/** @typedef {{ row: Record<string, any>, count: number }} Entry */

/** The cached rows of one table and its callbacks. */
export class TableCache {
  /**
   * @param {import('./schema.js').TableSchema} schema
   * @param {(error: unknown) => void} reportError where exceptions thrown by callbacks go
   */
  constructor(schema, reportError) {
    this.schema = schema;
    this.name = schema.name;
    this.reportError = reportError;
    /** Rows by key (hex of the row's BSATN). @type {Map<string, Entry>} */
    this.entries = new Map();
    /** Row keys by primary-key key. @type {Map<string, string>} */
    this.byPrimaryKey = new Map();
    /** @type {Set<(row: any, ctx: EventContext) => void>} */
    this.insertListeners = new Set();
    /** @type {Set<(row: any, ctx: EventContext) => void>} */
    this.deleteListeners = new Set();
    /** @type {Set<(oldRow: any, newRow: any, ctx: EventContext) => void>} */
    this.updateListeners = new Set();
  }

  /** Swaps in a newer schema of the same table (after a reconnect). @param {import('./schema.js').TableSchema} schema */
  setSchema(schema) {
    this.schema = schema;
  }

  /**
   * The key and value of a row as it came off the wire.
   * @param {import('./messages.js').RawRow} raw
   * @returns {{ key: string, row: Record<string, any> }}
   */
  normalize(raw) {
    const type = this.schema.rowType;
    try {
      if (raw instanceof Uint8Array) return { key: toHex(raw), row: decode(type, raw) };
      const row = productFromJSON(type.fields, raw);
      return { key: toHex(encode(type, row)), row };
    } catch (e) {
      throw new ProtocolError(`a row of table \`${this.name}\` does not match its schema: ${/** @type {Error} */ (e).message}`, { cause: e });
    }
  }

  /**
   * The primary-key key of a row, or null for tables without a primary key.
   * @param {Record<string, any>} row @returns {string | null}
   */
  primaryKeyOf(row) {
    const s = this.schema;
    if (s.primaryKeyIndex < 0) return null;
    return toHex(encode(s.columns[s.primaryKeyIndex].type, row[/** @type {string} */ (s.primaryKey)]));
  }

  /**
   * Applies count changes; returns the rows that appeared (0 → n) and disappeared (n → 0).
   * @param {Map<string, { row: Record<string, any>, delta: number }>} deltas
   * @returns {{ added: Array<Record<string, any>>, removed: Array<Record<string, any>> }}
   */
  applyDeltas(deltas) {
    const added = [];
    const removed = [];
    for (const [key, { row, delta }] of deltas) {
      if (delta === 0) continue;
      const entry = this.entries.get(key);
      const before = entry?.count ?? 0;
      const after = Math.max(0, before + delta);
      if (after === 0) {
        if (!entry) continue;
        this.entries.delete(key);
        const pk = this.primaryKeyOf(entry.row);
        if (pk !== null && this.byPrimaryKey.get(pk) === key) this.byPrimaryKey.delete(pk);
        removed.push(entry.row);
      } else if (entry) {
        entry.count = after;
      } else {
        this.entries.set(key, { row, count: after });
        const pk = this.primaryKeyOf(row);
        if (pk !== null) this.byPrimaryKey.set(pk, key);
        added.push(row);
      }
    }
    return { added, removed };
  }

  /**
   * Fires the callbacks for rows that appeared and disappeared together: a removed and an added
   * row with the same primary key are one update; the rest are deletes, then inserts.
   * @param {Array<Record<string, any>>} added
   * @param {Array<Record<string, any>>} removed
   * @param {EventContext} ctx
   */
  emit(added, removed, ctx) {
    /** @type {Array<[Record<string, any>, Record<string, any>]>} */
    const updates = [];
    let inserts = added;
    let deletes = removed;
    if (this.schema.primaryKeyIndex >= 0 && added.length && removed.length) {
      const gone = new Map(removed.map((r) => [this.primaryKeyOf(r), r]));
      inserts = [];
      for (const row of added) {
        const pk = this.primaryKeyOf(row);
        const old = gone.get(pk);
        if (old) {
          gone.delete(pk);
          updates.push([old, row]);
        } else inserts.push(row);
      }
      deletes = [...gone.values()];
    }
    for (const row of deletes) this.call(this.deleteListeners, [row, ctx]);
    for (const [oldRow, newRow] of updates) this.call(this.updateListeners, [oldRow, newRow, ctx]);
    for (const row of inserts) this.call(this.insertListeners, [row, ctx]);
  }

  /** @param {Set<Function>} listeners @param {any[]} args */
  call(listeners, args) {
    for (const f of listeners) {
      try {
        f(...args);
      } catch (e) {
        this.reportError(e);
      }
    }
  }

  // ---- public API ---------------------------------------------------------------------------

  /** Every cached row, each once. @returns {Array<Record<string, any>>} */
  rows() {
    return [...this.entries.values()].map((e) => e.row);
  }

  /** The number of distinct cached rows. @returns {number} */
  count() {
    return this.entries.size;
  }

  /** @returns {IterableIterator<Record<string, any>>} */
  *[Symbol.iterator]() {
    for (const e of this.entries.values()) yield e.row;
  }

  /**
   * The cached row whose primary key is `value`, if any.
   * @param {any} value a value of the primary key column's type
   * @returns {Record<string, any> | undefined}
   */
  find(value) {
    const s = this.schema;
    if (s.primaryKeyIndex < 0) throw new TypeError(`table \`${this.name}\` has no primary key; use rows()`);
    const key = this.byPrimaryKey.get(toHex(encode(s.columns[s.primaryKeyIndex].type, value)));
    return key === undefined ? undefined : this.entries.get(key)?.row;
  }

  /**
   * Calls `f(row, ctx)` when a row enters the cache. Returns a function that removes `f`.
   * @param {(row: any, ctx: EventContext) => void} f @returns {() => void}
   */
  onInsert(f) {
    this.insertListeners.add(f);
    return () => this.insertListeners.delete(f);
  }

  /**
   * Calls `f(row, ctx)` when a row leaves the cache. Returns a function that removes `f`.
   * @param {(row: any, ctx: EventContext) => void} f @returns {() => void}
   */
  onDelete(f) {
    this.deleteListeners.add(f);
    return () => this.deleteListeners.delete(f);
  }

  /**
   * Calls `f(oldRow, newRow, ctx)` when one message replaces a row by another with the same
   * primary key (tables with a primary key only). Returns a function that removes `f`.
   * @param {(oldRow: any, newRow: any, ctx: EventContext) => void} f @returns {() => void}
   */
  onUpdate(f) {
    this.updateListeners.add(f);
    return () => this.updateListeners.delete(f);
  }
}

/** The caches of all tables, and how server messages change them. */
export class ClientCache {
  /**
   * @param {() => import('./schema.js').DatabaseSchema} schema the current schema
   * @param {(error: unknown) => void} reportError
   */
  constructor(schema, reportError) {
    this.schema = schema;
    this.reportError = reportError;
    /** @type {Map<string, TableCache>} */
    this.tables = new Map();
  }

  /** The cache of table `name` (created on first use). @param {string} name @returns {TableCache} */
  table(name) {
    let t = this.tables.get(name);
    if (!t) {
      t = new TableCache(this.schema().table(name), this.reportError);
      this.tables.set(name, t);
    }
    return t;
  }

  /** Points every table cache at the current schema's table. */
  refreshSchemas() {
    for (const [name, t] of this.tables) {
      const s = this.schema().tables.get(name);
      if (s) t.setSchema(s);
    }
  }

  /**
   * Applies the rows one message inserts into and deletes from one table.
   * @param {string} tableName
   * @param {import('./messages.js').RawRow[]} inserts
   * @param {import('./messages.js').RawRow[]} deletes
   * @param {EventContext} ctx
   * @param {boolean} silent apply without callbacks (while resynchronizing after a reconnect)
   */
  apply(tableName, inserts, deletes, ctx, silent) {
    let table;
    try {
      table = this.table(tableName);
    } catch (e) {
      this.reportError(new ProtocolError(`the server sent rows of table \`${tableName}\`, which the schema does not have`, { cause: e }));
      return;
    }
    /** @type {Map<string, { row: Record<string, any>, delta: number }>} */
    const deltas = new Map();
    try {
      for (const [raws, sign] of /** @type {const} */ ([[deletes, -1], [inserts, 1]])) {
        for (const raw of raws) {
          const { key, row } = table.normalize(raw);
          const d = deltas.get(key);
          if (d) d.delta += sign;
          else deltas.set(key, { row, delta: sign });
        }
      }
    } catch (e) {
      this.reportError(e);
      return;
    }
    const { added, removed } = table.applyDeltas(deltas);
    if (!silent) table.emit(added, removed, ctx);
  }

  /**
   * The rows of every table, for `reconcile` after a resynchronization.
   * @returns {Map<string, Map<string, Record<string, any>>>}
   */
  snapshot() {
    const out = new Map();
    for (const [name, t] of this.tables) out.set(name, new Map([...t.entries].map(([k, e]) => [k, e.row])));
    return out;
  }

  /** Empties every table without callbacks (listeners stay). */
  clear() {
    for (const t of this.tables.values()) {
      t.entries.clear();
      t.byPrimaryKey.clear();
    }
  }

  /**
   * Fires the callbacks that take the app from the rows of `before` to the rows now cached:
   * rows gone are deleted, new rows inserted, same-key pairs updated.
   * @param {Map<string, Map<string, Record<string, any>>>} before
   * @param {EventContext} ctx
   */
  reconcile(before, ctx) {
    for (const [name, t] of this.tables) {
      const old = before.get(name) ?? new Map();
      const added = [];
      const removed = [];
      for (const [k, e] of t.entries) if (!old.has(k)) added.push(e.row);
      for (const [k, row] of old) if (!t.entries.has(k)) removed.push(row);
      t.emit(added, removed, ctx);
    }
  }
}
