// Reconnection delays: exponential backoff with a cap and random jitter.

/**
 * Reconnect settings (all optional).
 * @typedef {object} ReconnectOptions
 * @property {number} [initialDelayMs] delay before the first attempt (default 250)
 * @property {number} [maxDelayMs] cap of the delay (default 10 000)
 * @property {number} [factor] growth per failed attempt (default 2)
 * @property {number} [jitter] fraction of the delay taken off at random, 0…1 (default 0.5), so
 *   clients dropped together do not come back together
 * @property {number} [maxAttempts] give up after this many failed attempts in a row (default: never)
 */

/** Computes the delay before each reconnect attempt. */
export class ReconnectPolicy {
  /** @param {boolean | ReconnectOptions | undefined} options `false` disables reconnecting */
  constructor(options) {
    const o = typeof options === 'object' && options !== null ? options : {};
    /** Whether to reconnect at all. */
    this.enabled = options !== false;
    this.initialDelayMs = o.initialDelayMs ?? 250;
    this.maxDelayMs = o.maxDelayMs ?? 10_000;
    this.factor = o.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, o.jitter ?? 0.5));
    this.maxAttempts = o.maxAttempts ?? Infinity;
    /** Attempts since the last successful connection. */
    this.attempts = 0;
  }

  /** The delay before the next attempt in ms, or null to give up. @returns {number | null} */
  nextDelay() {
    this.attempts += 1;
    if (this.attempts > this.maxAttempts) return null;
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * this.factor ** (this.attempts - 1));
    return Math.round(base * (1 - this.jitter * Math.random()));
  }

  /** A connection succeeded: start over from the initial delay. */
  reset() {
    this.attempts = 0;
  }
}
