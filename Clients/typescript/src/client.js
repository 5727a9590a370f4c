// StarlingClient: one connection to one database — identity, schema, subscriptions with the
// client cache, reducer calls, one-off queries, and reconnection with resubscription.

import { encode, decode } from './bsatn.js';
import { ClientCache } from './cache.js';
import { ConnectionError, ReducerError, SubscriptionError, QueryError, SchemaError, StarlingError, closeError } from './errors.js';
import { productFromJSON, toJSON, stringifyJSON } from './json-values.js';
import { SUBPROTOCOLS, encodeClientMessage, decodeServerMessage } from './messages.js';
import { createIdentity, fetchSchema } from './schema.js';
import { SubscriptionHandle } from './subscription.js';
import { openSocket, explainRefusal } from './websocket.js';
import { ReconnectPolicy } from './reconnect.js';
import { ClientEvents } from './events.js';

/**
 * Options of `StarlingClient.connect`.
 * @typedef {object} ConnectOptions
 * @property {string} url the server, `http(s)://host:port` (a `ws(s)://` URL works too)
 * @property {string} database the database name
 * @property {string} [token] a token from an earlier session; without one the client mints an identity
 * @property {'bsatn' | 'json'} [protocol] wire format (default `bsatn`)
 * @property {boolean | import('./reconnect.js').ReconnectOptions} [reconnect] reconnect after an unexpected
 *   drop (default true; `false` to stay closed)
 * @property {import('./websocket.js').WebSocketChoice} [webSocket] WebSocket implementation (default `auto`)
 * @property {import('./node-websocket.js').NodeWebSocketOptions} [nodeWebSocket] options of the Node client
 * @property {number} [connectTimeoutMs] how long opening the socket and receiving IdentityToken may take (default 15 000)
 * @property {typeof fetch} [fetch] HTTP implementation (default `globalThis.fetch`)
 * @property {import('./node-tls.js').CaOption} [ca] Node only, for `https://` / `wss://` servers: CA
 *   certificates (PEM) trusted in addition to Node's root certificates (a private or test CA).
 *   Used by the built-in Node WebSocket client and, unless `fetch` is given, for HTTP requests.
 * @property {(info: ConnectInfo) => void} [onConnect] same as `client.onConnect(f)`, registered before connecting
 * @property {(error: unknown) => void} [onError] same as `client.onError(f)`
 */

/**
 * @typedef {{ identity: import('./values.js').Identity, token: string,
 *   connectionId: import('./values.js').ConnectionId, reconnected: boolean }} ConnectInfo
 */

/**
 * A transaction as this client saw it (its own calls, others' calls that changed its rows).
 * @typedef {object} TransactionInfo
 * @property {string} reducer the reducer's name (`__sql__` for SQL DML, lifecycle reducers by name)
 * @property {Record<string, any> | null} args the arguments keyed by parameter name (null if unknown)
 * @property {'committed' | 'failed'} status
 * @property {string | null} error the failure message
 * @property {import('./values.js').Timestamp} timestamp
 * @property {import('./values.js').Identity} callerIdentity
 * @property {import('./values.js').ConnectionId} callerConnectionId
 * @property {number} requestId this client's request id for its own calls, else 0
 * @property {boolean} isOwnCall whether this client made the call (on this connection)
 * @property {number} executionMicros
 */

/**
 * The outcome of a committed reducer call.
 * @typedef {{ status: 'committed', reducer: string, timestamp: import('./values.js').Timestamp,
 *   executionMicros: number, transaction: TransactionInfo }} CallOutcome
 */

/** A connection to one Starling database. Create it with `StarlingClient.connect(options)`. */
export class StarlingClient extends ClientEvents {
  /**
   * Connects: mints an identity if no token was given, loads the schema, opens the WebSocket and
   * resolves once the server sent IdentityToken (so `identity`, `token` and `connectionId` are set).
   * @param {ConnectOptions} options
   * @returns {Promise<StarlingClient>}
   */
  static async connect(options) {
    const client = new StarlingClient(options);
    await client.start();
    return client;
  }

  /** @param {ConnectOptions} options */
  constructor(options) {
    super();
    if (!options?.url || !options.database) throw new TypeError('StarlingClient.connect needs { url, database }');
    const format = options.protocol ?? 'bsatn';
    if (format !== 'bsatn' && format !== 'json') throw new TypeError(`protocol must be 'bsatn' or 'json', not ${JSON.stringify(format)}`);
    /** The HTTP base URL. */
    this.baseUrl = options.url.replace(/^ws(s?):/, 'http$1:').replace(/\/+$/, '');
    this.database = options.database;
    /** @type {'bsatn' | 'json'} */
    this.protocol = format;
    /** The token; persist it to keep this identity across sessions. @type {string | null} */
    this.token = options.token ?? null;
    /** @type {import('./values.js').Identity | null} */
    this.identity = null;
    /** @type {import('./values.js').ConnectionId | null} */
    this.connectionId = null;
    /** @type {import('./schema.js').DatabaseSchema | null} */
    this.schema = null;
    this.options = options;
    /** HTTP requests go through this; `start()` sets it up for `ca`. @type {typeof fetch | undefined} */
    this.fetchImpl = options.fetch;
    this.policy = new ReconnectPolicy(options.reconnect);
    /** @type {'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed'} */
    this.state = 'idle';
    this.cache = new ClientCache(() => /** @type {any} */ (this.schema), (e) => this.emitError(e));
    /** @type {import('./websocket.js').Socket | null} */
    this.socket = null;
    this.nextRequestId = 1;
    this.nextQueryId = 1;
    /** @type {Map<number, { reducer: string, resolve: (o: CallOutcome) => void, reject: (e: unknown) => void }>} */
    this.pendingCalls = new Map();
    /** @type {Map<number, { query: string, resolve: (t: any) => void, reject: (e: unknown) => void }>} */
    this.pendingQueries = new Map();
    /** Live query sets by query id. @type {Map<number, SubscriptionHandle>} */
    this.querySets = new Map();
    /** Subscribe/Unsubscribe requests by request id. @type {Map<number, { kind: 'subscribe' | 'unsubscribe', handle: SubscriptionHandle }>} */
    this.subscriptionRequests = new Map();
    /** @type {{ before: Map<string, Map<string, any>>, waiting: Set<number>, applied: SubscriptionHandle[], dropped: SubscriptionHandle[] } | null} */
    this.resync = null;
    /** @type {{ resolve: () => void, reject: (e: unknown) => void } | null} */
    this.awaitingIdentity = null;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.reconnectTimer = null;
    if (options.onConnect) this.listeners.connect.add(options.onConnect);
    if (options.onError) this.listeners.error.add(options.onError);
  }

  // ---- connection -----------------------------------------------------------------------------

  /** First connection: identity, schema, socket. */
  async start() {
    this.state = 'connecting';
    try {
      if (this.options.ca !== undefined && !this.fetchImpl) {
        if (typeof process === 'undefined' || !process.versions?.node) {
          throw new TypeError('the `ca` option needs Node (browsers trust the certificates the operating system trusts)');
        }
        this.fetchImpl = (await import('./node-tls.js')).fetchTrusting(this.options.ca);
      }
      if (!this.token) this.token = (await createIdentity(this.baseUrl, this.fetchImpl)).token;
      this.schema = await this.loadSchema();
      await this.openConnection();
    } catch (e) {
      this.state = 'closed';
      throw e;
    }
  }

  /** @returns {Promise<import('./schema.js').DatabaseSchema>} */
  loadSchema() {
    return fetchSchema(this.baseUrl, this.database, { token: this.token ?? undefined, fetch: this.fetchImpl });
  }

  /** Opens the socket and waits for IdentityToken. */
  async openConnection() {
    const wsUrl = `${this.baseUrl.replace(/^http/, 'ws')}/v1/database/${encodeURIComponent(this.database)}/subscribe`;
    const want = SUBPROTOCOLS[this.protocol];
    const timeoutMs = this.options.connectTimeoutMs ?? 15_000;
    const tooSlow = () => new ConnectionError('CONNECT_FAILED', `no answer from ${this.baseUrl} within ${timeoutMs} ms`);
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    let socket;
    try {
      const opening = openSocket(wsUrl, {
        protocol: want, token: this.token ?? undefined, impl: this.options.webSocket,
        nodeOptions: this.options.ca === undefined ? this.options.nodeWebSocket : { ca: this.options.ca, ...this.options.nodeWebSocket },
      });
      socket = await Promise.race([opening, new Promise((_, reject) => {
        timer = setTimeout(() => {
          opening.then((late) => late.close(1000, 'connect timed out'), () => {});
          reject(tooSlow());
        }, timeoutMs);
      })]);
    } catch (e) {
      throw await explainRefusal(/** @type {ConnectionError} */ (e), this.baseUrl, this.database, this.token, this.fetchImpl);
    } finally {
      clearTimeout(timer);
    }
    if (this.state === 'closed') {
      socket.close(1000, 'client closed');
      throw new ConnectionError('CLOSED', 'the client was closed while connecting');
    }
    if (socket.protocol !== want) {
      socket.close(1002, 'wrong subprotocol');
      throw new ConnectionError('CONNECT_FAILED', `the server answered with subprotocol \`${socket.protocol}\`, expected \`${want}\``);
    }
    this.socket = socket;
    const identified = new Promise((resolve, reject) => { this.awaitingIdentity = { resolve: () => resolve(undefined), reject }; });
    socket.onmessage = (data) => this.receive(data);
    socket.onclose = (event) => this.socketClosed(socket, event);
    timer = setTimeout(() => {
      if (this.socket !== socket || !this.awaitingIdentity) return;
      this.awaitingIdentity.reject(tooSlow());
      this.awaitingIdentity = null;
      socket.close(1000, 'no IdentityToken');
    }, timeoutMs);
    try {
      await identified;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * @param {import('./websocket.js').Socket} socket
   * @param {{ code: number, reason: string }} event
   */
  socketClosed(socket, event) {
    if (socket !== this.socket) return;
    this.socket = null;
    const error = this.state === 'closed'
      ? new ConnectionError('CLOSED', 'the client was closed')
      : closeError(event.code, event.reason);
    if (this.awaitingIdentity) {
      this.awaitingIdentity.reject(error);
      this.awaitingIdentity = null;
    }
    for (const [id, call] of this.pendingCalls) {
      call.reject(new ConnectionError(error.code,
        `the connection ended before reducer \`${call.reducer}\` answered; it may or may not have run (${error.message})`,
        { closeCode: error.closeCode, reason: error.reason, cause: error }));
      this.pendingCalls.delete(id);
    }
    this.subscriptionRequests.clear();
    if (this.state === 'closed') return this.shutDown(error);
    if (this.state !== 'connected') return undefined; // a failed reconnect attempt: its caller retries
    const willReconnect = this.policy.enabled;
    this.emit('disconnect', error, willReconnect);
    if (willReconnect) {
      this.state = 'reconnecting';
      this.scheduleReconnect();
    } else {
      this.state = 'closed';
      this.shutDown(error);
    }
    return undefined;
  }

  scheduleReconnect() {
    const delay = this.policy.nextDelay();
    if (delay === null) {
      const e = new ConnectionError('CONNECTION_LOST', `gave up reconnecting to ${this.baseUrl} after ${this.policy.attempts - 1} attempts`);
      this.state = 'closed';
      this.emitError(e);
      this.shutDown(e);
      return;
    }
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = null;
      if (this.state !== 'reconnecting') return;
      try {
        this.schema = await this.loadSchema();
        this.cache.refreshSchemas();
        if (this.state !== 'reconnecting') return;
        await this.openConnection();
      } catch (e) {
        if (this.state !== 'reconnecting') return;
        this.socket?.close(1000, 'reconnect failed');
        this.socket = null;
        this.scheduleReconnect();
      }
    }, delay);
  }

  /** Rejects and ends everything once the client is closed for good. @param {StarlingError} error */
  shutDown(error) {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    for (const q of this.pendingQueries.values()) q.reject(error);
    this.pendingQueries.clear();
    for (const h of this.querySets.values()) {
      h.rejectApplied?.(error);
      h.settleUnsubscribe(null);
    }
    for (const h of this.resync?.dropped ?? []) h.settleUnsubscribe(null);
    this.querySets.clear();
    this.resync = null;
  }

  /**
   * Closes the connection for good (no reconnect). Pending calls and queries reject with
   * `CLOSED`; the cache keeps its last rows.
   * @returns {Promise<void>} resolves when the socket closed
   */
  close() {
    if (this.state === 'closed') return Promise.resolve();
    this.state = 'closed';
    const socket = this.socket;
    if (!socket) {
      this.shutDown(new ConnectionError('CLOSED', 'the client was closed'));
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const previous = socket.onclose;
      socket.onclose = (event) => {
        previous(event);
        resolve();
      };
      socket.close(1000, 'client closed');
    });
  }

  // ---- incoming messages -------------------------------------------------------------------

  /** @param {string | Uint8Array} data */
  receive(data) {
    if (typeof data === 'string' ? this.protocol !== 'json' : this.protocol !== 'bsatn') {
      return this.emitError(new StarlingError('PROTOCOL_ERROR', `got a ${typeof data === 'string' ? 'text' : 'binary'} frame on a ${this.protocol} connection`));
    }
    let m;
    try {
      m = decodeServerMessage(data);
    } catch (e) {
      return this.emitError(e);
    }
    switch (m.type) {
      case 'IdentityToken': return this.identified(m);
      case 'SubscribeApplied': return this.subscribeApplied(m);
      case 'UnsubscribeApplied': return this.unsubscribeApplied(m);
      case 'SubscriptionError': return this.subscriptionError(m);
      case 'TransactionUpdate': return this.transactionUpdate(m);
      case 'OneOffQueryResponse': return this.oneOffResponse(m);
      default: return undefined;
    }
  }

  /** @param {Extract<import('./messages.js').ServerMessage, { type: 'IdentityToken' }>} m */
  identified(m) {
    if (this.state === 'closed') return undefined;
    if (!this.awaitingIdentity) {
      return this.emitError(new StarlingError('PROTOCOL_ERROR', 'an unexpected IdentityToken (only the first message of a connection is one)'));
    }
    const reconnected = this.identity !== null;
    this.identity = m.identity;
    this.token = m.token || this.token;
    this.connectionId = m.connectionId;
    this.state = 'connected';
    this.policy.reset();
    if (reconnected) this.beginResync();
    this.awaitingIdentity?.resolve();
    this.awaitingIdentity = null;
    this.emit('connect', { identity: m.identity, token: /** @type {string} */ (this.token), connectionId: m.connectionId, reconnected });
    return undefined;
  }

  /** After a reconnect: resubscribe every live query set, rebuild the cache silently, resend queries. */
  beginResync() {
    const before = this.resync?.before ?? this.cache.snapshot();
    const dropped = this.resync?.dropped ?? [];
    this.cache.clear();
    this.resync = { before, waiting: new Set(), applied: [], dropped };
    for (const h of [...this.querySets.values()]) {
      if (h.state === 'unsubscribing' || h.state === 'ended') {
        this.querySets.delete(h.queryId);
        dropped.push(h);
        continue;
      }
      this.resync.waiting.add(h.queryId);
      this.sendSubscribe(h);
    }
    for (const [id, q] of this.pendingQueries) this.send({ type: 'OneOffQuery', requestId: id, query: q.query });
    this.maybeFinishResync();
  }

  maybeFinishResync() {
    const r = this.resync;
    if (!r || r.waiting.size > 0) return;
    this.resync = null;
    this.cache.reconcile(r.before, { event: 'reconnect' });
    for (const h of r.dropped) h.settleUnsubscribe(null);
    for (const h of r.applied) if (h.state === 'applied') h.markApplied(true);
  }

  /** @param {Extract<import('./messages.js').ServerMessage, { type: 'SubscribeApplied' }>} m */
  subscribeApplied(m) {
    this.subscriptionRequests.delete(m.requestId);
    const h = this.querySets.get(m.queryId);
    const silent = this.resync !== null;
    for (const t of m.tables) this.cache.apply(t.tableName, t.rows, [], { event: 'subscribe', queryId: m.queryId }, silent);
    if (!h) return;
    if (h.state === 'unsubscribing') h.resolveApplied?.(); // unsubscribed before it was applied
    if (h.state === 'pending') h.state = 'applied';
    if (this.resync?.waiting.delete(m.queryId)) {
      this.resync.applied.push(h);
      this.maybeFinishResync();
    } else if (h.state === 'applied') {
      h.markApplied(false);
    }
  }

  /** @param {Extract<import('./messages.js').ServerMessage, { type: 'UnsubscribeApplied' }>} m */
  unsubscribeApplied(m) {
    this.subscriptionRequests.delete(m.requestId);
    const silent = this.resync !== null;
    for (const t of m.tables) this.cache.apply(t.tableName, [], t.rows, { event: 'unsubscribe', queryId: m.queryId }, silent);
    const h = this.querySets.get(m.queryId);
    if (!h) return;
    this.querySets.delete(m.queryId);
    h.settleUnsubscribe(null);
  }

  /** @param {Extract<import('./messages.js').ServerMessage, { type: 'SubscriptionError' }>} m */
  subscriptionError(m) {
    const request = m.requestId === null ? undefined : this.subscriptionRequests.get(m.requestId);
    if (m.requestId !== null) this.subscriptionRequests.delete(m.requestId);
    const h = request?.handle ?? (m.queryId === null ? undefined : this.querySets.get(m.queryId));
    if (!h) return this.emitError(new SubscriptionError(`subscription error: ${m.error}`, [], m.queryId ?? undefined));
    if (request?.kind === 'unsubscribe') {
      if (h.state === 'ended') return undefined;
      this.querySets.delete(h.queryId);
      h.settleUnsubscribe(new SubscriptionError(`unsubscribe failed: ${m.error}`, [...h.queries], h.queryId));
      return undefined;
    }
    this.querySets.delete(h.queryId);
    h.markFailed(new SubscriptionError(`the server refused the subscription ${JSON.stringify(h.queries)}: ${m.error}`, [...h.queries], h.queryId));
    if (this.resync?.waiting.delete(h.queryId)) this.maybeFinishResync();
    return undefined;
  }

  /** @param {Extract<import('./messages.js').ServerMessage, { type: 'TransactionUpdate' }>} m */
  transactionUpdate(m) {
    const call = m.requestId !== 0 ? this.pendingCalls.get(m.requestId) : undefined;
    /** @type {TransactionInfo} */
    const info = {
      reducer: m.reducer, args: this.decodeArgs(m.reducer, m.args), status: m.status, error: m.error,
      timestamp: m.timestamp, callerIdentity: m.callerIdentity, callerConnectionId: m.callerConnectionId,
      requestId: m.requestId, isOwnCall: call !== undefined, executionMicros: m.executionMicros,
    };
    const silent = this.resync !== null;
    for (const t of m.tables) this.cache.apply(t.tableName, t.inserts, t.deletes, { event: 'transaction', transaction: info }, silent);
    for (const f of this.listeners.transaction) this.safely(() => f(info));
    if (!call) return;
    this.pendingCalls.delete(m.requestId);
    if (m.status === 'committed') {
      call.resolve({ status: 'committed', reducer: m.reducer, timestamp: m.timestamp, executionMicros: m.executionMicros, transaction: info });
    } else {
      const err = new ReducerError('REDUCER_FAILED', call.reducer, `reducer \`${call.reducer}\` failed: ${m.error}`, { update: info });
      /** @type {any} */ (err).reason = m.error;
      call.reject(err);
    }
  }

  /** @param {string} reducer @param {Uint8Array | any[]} args @returns {Record<string, any> | null} */
  decodeArgs(reducer, args) {
    const r = this.schema?.reducers.get(reducer);
    if (!r) return null;
    try {
      return args instanceof Uint8Array ? decode(r.argsType, args) : productFromJSON(r.params, args);
    } catch {
      return null;
    }
  }

  /** @param {Extract<import('./messages.js').ServerMessage, { type: 'OneOffQueryResponse' }>} m */
  oneOffResponse(m) {
    const q = this.pendingQueries.get(m.requestId);
    if (!q) return;
    this.pendingQueries.delete(m.requestId);
    if (m.error !== null) return q.reject(new QueryError(`query failed: ${m.error}`, q.query));
    try {
      q.resolve(m.tables.map((t) => {
        const type = /** @type {const} */ ({ kind: 'product', fields: t.columns });
        return {
          table: t.tableName,
          columns: t.columns,
          rows: t.rows.map((raw) => (raw instanceof Uint8Array ? decode(type, raw) : productFromJSON(t.columns, raw))),
        };
      }));
    } catch (e) {
      q.reject(e);
    }
    return undefined;
  }

  // ---- requests ------------------------------------------------------------------------------

  /** @returns {number} */
  requestId() {
    const id = this.nextRequestId;
    this.nextRequestId = id >= 0xffffffff ? 1 : id + 1;
    return id;
  }

  /**
   * Sends now if connected and returns true; otherwise (or if the socket is already closing) the
   * message is dropped and it returns false — the resync after the reconnect resends the state.
   * @param {import('./messages.js').ClientMessage} m
   * @returns {boolean}
   */
  send(m) {
    if (this.state !== 'connected' || !this.socket) return false;
    try {
      this.socket.send(encodeClientMessage(m, this.protocol));
      return true;
    } catch {
      return false;
    }
  }

  /** @param {SubscriptionHandle} h */
  sendSubscribe(h) {
    const requestId = this.requestId();
    this.subscriptionRequests.set(requestId, { kind: 'subscribe', handle: h });
    h.state = 'pending';
    this.send({ type: 'Subscribe', requestId, queryId: h.queryId, queries: [...h.queries] });
  }

  /**
   * Subscribes to a set of SQL queries (one query id for the set). The rows arrive in the cache
   * (`table(name)` callbacks fire) and then `onApplied` runs.
   * @param {string[] | string} queries
   * @param {{ onApplied?: (h: SubscriptionHandle, info: { reconnected: boolean }) => void, onError?: (e: StarlingError) => void }} [callbacks]
   * @returns {SubscriptionHandle}
   */
  subscribe(queries, callbacks = {}) {
    const list = typeof queries === 'string' ? [queries] : queries;
    if (!Array.isArray(list) || list.length === 0 || !list.every((q) => typeof q === 'string')) {
      throw new TypeError('subscribe() takes a non-empty array of SQL strings');
    }
    if (this.state === 'closed') throw new ConnectionError('CLOSED', 'the client is closed');
    const h = new SubscriptionHandle(this, this.nextQueryId++, list);
    if (callbacks.onApplied) h.onApplied(callbacks.onApplied);
    if (callbacks.onError) h.onError(callbacks.onError);
    this.querySets.set(h.queryId, h);
    if (this.state === 'connected') {
      this.resync?.waiting.add(h.queryId);
      this.sendSubscribe(h);
    }
    return h;
  }

  /** @param {SubscriptionHandle} h @returns {Promise<void>} */
  unsubscribe(h) {
    if (h.state === 'ended') return Promise.resolve();
    const done = new Promise((resolve, reject) => h.unsubscribeWaiters.push({ resolve: () => resolve(undefined), reject }));
    if (h.state === 'unsubscribing') return done;
    if (this.state !== 'connected') {
      // Offline: the set is not resubscribed; the resync's reconcile removes its rows.
      h.state = 'unsubscribing';
      if (this.state === 'closed') h.settleUnsubscribe(null);
      return done;
    }
    h.state = 'unsubscribing';
    const requestId = this.requestId();
    this.subscriptionRequests.set(requestId, { kind: 'unsubscribe', handle: h });
    this.send({ type: 'Unsubscribe', requestId, queryId: h.queryId });
    return done;
  }

  /**
   * Calls a reducer with positional arguments. Resolves with `{ status: 'committed', … }` once
   * the transaction committed (its changes are already in the cache); rejects with a
   * `ReducerError` (`REDUCER_FAILED` with the server's message, `UNKNOWN_REDUCER`,
   * `INVALID_ARGUMENTS`) or a `ConnectionError` if the connection ended before the answer.
   * @param {string} reducer
   * @param {...any} args
   * @returns {Promise<CallOutcome>}
   */
  call(reducer, ...args) {
    if (this.state === 'closed') return Promise.reject(new ConnectionError('CLOSED', 'the client is closed'));
    let payload;
    try {
      const r = /** @type {import('./schema.js').DatabaseSchema} */ (this.schema).reducer(reducer);
      if (args.length !== r.params.length) {
        throw new ReducerError('INVALID_ARGUMENTS', reducer,
          `reducer \`${reducer}\` takes ${r.params.length} argument(s) (${r.params.map((p) => p.name).join(', ')}), got ${args.length}`);
      }
      payload = this.protocol === 'bsatn'
        ? encode(r.argsType, args)
        : stringifyJSON(r.params.map((p, i) => toJSON(p.type, args[i])));
    } catch (e) {
      if (e instanceof ReducerError) return Promise.reject(e);
      if (e instanceof SchemaError) return Promise.reject(new ReducerError('UNKNOWN_REDUCER', reducer, e.message, { cause: e }));
      return Promise.reject(new ReducerError('INVALID_ARGUMENTS', reducer,
        `invalid arguments for reducer \`${reducer}\`: ${/** @type {Error} */ (e).message}`, { cause: e }));
    }
    if (this.state !== 'connected') {
      const why = this.state === 'reconnecting'
        ? 'the connection was lost and the client is reconnecting; call again once it has reconnected (onConnect)'
        : 'the client has not finished connecting';
      return Promise.reject(new ConnectionError('NOT_CONNECTED', `cannot call \`${reducer}\`: ${why}`));
    }
    const requestId = this.requestId();
    return new Promise((resolve, reject) => {
      this.pendingCalls.set(requestId, { reducer, resolve, reject });
      if (!this.send({ type: 'CallReducer', requestId, reducer, args: payload })) {
        this.pendingCalls.delete(requestId);
        reject(new ConnectionError('NOT_CONNECTED', `cannot call \`${reducer}\`: the connection is closing`));
      }
    });
  }

  /**
   * Runs a read-only SQL query once. Resolves with one result per statement:
   * `{ table, columns: [{ name, type }], rows: [object…] }`; rejects with a `QueryError`.
   * Pending queries are resent after a reconnect.
   * @param {string} sql
   * @returns {Promise<Array<{ table: string, columns: import('./schema.js').Column[], rows: Array<Record<string, any>> }>>}
   */
  oneOffQuery(sql) {
    if (this.state === 'closed') return Promise.reject(new ConnectionError('CLOSED', 'the client is closed'));
    const requestId = this.requestId();
    return new Promise((resolve, reject) => {
      this.pendingQueries.set(requestId, { query: sql, resolve, reject });
      this.send({ type: 'OneOffQuery', requestId, query: sql });
    });
  }

  // ---- cache and events ----------------------------------------------------------------------

  /**
   * The cached rows of table `name` and its `onInsert` / `onDelete` / `onUpdate` callbacks.
   * @param {string} name
   * @returns {import('./cache.js').TableCache}
   * @throws {SchemaError} when the schema has no such table
   */
  table(name) {
    return this.cache.table(name);
  }

  /** Whether the socket is open and identified. @returns {boolean} */
  get isConnected() {
    return this.state === 'connected';
  }
}
