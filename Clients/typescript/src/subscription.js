// A query set the client subscribed to: its lifecycle and the callbacks of the app.

import { StarlingError } from './errors.js';

/**
 * The state of a query set: `pending` (Subscribe sent, rows not yet applied), `applied`,
 * `unsubscribing` (Unsubscribe sent), `ended` (unsubscribed, refused, or the client closed).
 * @typedef {'pending' | 'applied' | 'unsubscribing' | 'ended'} SubscriptionState
 */

/**
 * What the client does for a subscription handle (implemented by StarlingClient).
 * @typedef {object} SubscriptionOwner
 * @property {(handle: SubscriptionHandle) => Promise<void>} unsubscribe
 * @property {(error: unknown) => void} reportError
 */

/**
 * A subscribed query set. Returned by `client.subscribe(queries)`; the client assigns its
 * query id. Callbacks: `onApplied(handle, { reconnected })` each time the server applied the set
 * (after the first Subscribe and again after every reconnect), `onError(error)` when the server
 * refused it.
 */
export class SubscriptionHandle {
  /**
   * @param {SubscriptionOwner} owner
   * @param {number} queryId
   * @param {string[]} queries
   */
  constructor(owner, queryId, queries) {
    this.owner = owner;
    /** The query id the client chose for this set. */
    this.queryId = queryId;
    /** The SQL queries of the set. @type {readonly string[]} */
    this.queries = Object.freeze([...queries]);
    /** @type {SubscriptionState} */
    this.state = 'pending';
    /** @type {Set<(handle: SubscriptionHandle, info: { reconnected: boolean }) => void>} */
    this.appliedListeners = new Set();
    /** @type {Set<(error: StarlingError) => void>} */
    this.errorListeners = new Set();
    /** @type {(() => void) | null} */
    this.resolveApplied = null;
    /** @type {((e: StarlingError) => void) | null} */
    this.rejectApplied = null;
    /**
     * Resolves when the set is first applied; rejects if the server refuses it (or the client
     * closes first).
     * @type {Promise<SubscriptionHandle>}
     */
    this.applied = new Promise((resolve, reject) => {
      this.resolveApplied = () => resolve(this);
      this.rejectApplied = reject;
    });
    this.applied.catch(() => {}); // observed through onError when nobody awaits it
    /** Pending unsubscribe() promise settlers. @type {Array<{ resolve: () => void, reject: (e: unknown) => void }>} */
    this.unsubscribeWaiters = [];
  }

  /** Whether the server is (or will be, once applied) sending this set's rows. @returns {boolean} */
  isActive() {
    return this.state === 'pending' || this.state === 'applied';
  }

  /**
   * Adds a callback for each time the set is applied. Chainable.
   * @param {(handle: SubscriptionHandle, info: { reconnected: boolean }) => void} f
   * @returns {this}
   */
  onApplied(f) {
    this.appliedListeners.add(f);
    return this;
  }

  /**
   * Adds a callback for when the server refuses the set. Chainable.
   * @param {(error: StarlingError) => void} f
   * @returns {this}
   */
  onError(f) {
    this.errorListeners.add(f);
    return this;
  }

  /**
   * Drops the set. Resolves once the server confirmed (UnsubscribeApplied) and the rows only
   * this set held left the cache (their `onDelete` callbacks ran).
   * @returns {Promise<void>}
   */
  unsubscribe() {
    return this.owner.unsubscribe(this);
  }

  /** @param {boolean} reconnected */
  markApplied(reconnected) {
    this.state = 'applied';
    this.resolveApplied?.();
    for (const f of this.appliedListeners) {
      try {
        f(this, { reconnected });
      } catch (e) {
        this.owner.reportError(e);
      }
    }
  }

  /** @param {StarlingError} error */
  markFailed(error) {
    this.state = 'ended';
    this.rejectApplied?.(error);
    if (this.errorListeners.size === 0) this.owner.reportError(error);
    for (const f of this.errorListeners) {
      try {
        f(error);
      } catch (e) {
        this.owner.reportError(e);
      }
    }
    this.settleUnsubscribe(null);
  }

  /** Ends the set and settles unsubscribe() calls. @param {unknown} error null to resolve */
  settleUnsubscribe(error) {
    this.state = 'ended';
    // No-op when the set was applied; otherwise whoever awaits `applied` learns it never will be.
    this.rejectApplied?.(new StarlingError('UNSUBSCRIBED', `the query set ${JSON.stringify(this.queries)} ended before the server applied it`));
    const waiters = this.unsubscribeWaiters;
    this.unsubscribeWaiters = [];
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }
}
