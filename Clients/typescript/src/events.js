// The client's own events (connect, disconnect, error, transaction) and their listeners.

/**
 * Listener sets of the client-level events, with the registration methods apps use.
 * `StarlingClient` extends it.
 */
export class ClientEvents {
  constructor() {
    this.listeners = {
      /** @type {Set<(info: import('./client.js').ConnectInfo) => void>} */ connect: new Set(),
      /** @type {Set<(error: import('./errors.js').StarlingError, willReconnect: boolean) => void>} */ disconnect: new Set(),
      /** @type {Set<(error: unknown) => void>} */ error: new Set(),
      /** @type {Set<(tx: import('./client.js').TransactionInfo) => void>} */ transaction: new Set(),
    };
  }

  /**
   * Calls `f(info)` after every IdentityToken (the first connection and each reconnect).
   * @param {(info: import('./client.js').ConnectInfo) => void} f @returns {() => void} removes `f`
   */
  onConnect(f) { return this.on('connect', f); }

  /**
   * Calls `f(error, willReconnect)` when an open connection drops.
   * @param {(error: import('./errors.js').StarlingError, willReconnect: boolean) => void} f @returns {() => void}
   */
  onDisconnect(f) { return this.on('disconnect', f); }

  /**
   * Calls `f(error)` for errors that belong to no request: undecodable messages, exceptions in
   * callbacks, refused subscriptions without an `onError`. Without listeners they go to console.warn.
   * @param {(error: unknown) => void} f @returns {() => void}
   */
  onError(f) { return this.on('error', f); }

  /**
   * Calls `f(info)` for every TransactionUpdate this client receives (after the cache changed).
   * @param {(tx: import('./client.js').TransactionInfo) => void} f @returns {() => void}
   */
  onTransaction(f) { return this.on('transaction', f); }

  /** @param {keyof ClientEvents['listeners']} kind @param {Function} f @returns {() => void} */
  on(kind, f) {
    const set = /** @type {Set<Function>} */ (this.listeners[kind]);
    set.add(f);
    return () => set.delete(f);
  }

  /** @param {'connect' | 'disconnect' | 'transaction'} kind @param {...any} args */
  emit(kind, ...args) {
    for (const f of /** @type {Set<Function>} */ (this.listeners[kind])) this.safely(() => f(...args));
  }

  /** @param {unknown} error */
  emitError(error) {
    if (this.listeners.error.size === 0) {
      console.warn('[starling]', error);
      return;
    }
    for (const f of this.listeners.error) {
      try {
        f(error);
      } catch (e) {
        console.warn('[starling] an onError callback threw', e);
      }
    }
  }

  /** @param {unknown} error */
  reportError(error) {
    this.emitError(error);
  }

  /** @param {() => void} f */
  safely(f) {
    try {
      f();
    } catch (e) {
      this.emitError(e);
    }
  }
}
