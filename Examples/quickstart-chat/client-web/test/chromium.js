// Headless Chromium driven over the Chrome DevTools Protocol, without npm packages: the browser
// is started with --remote-debugging-pipe, so CDP messages (JSON, NUL-terminated) travel over
// file descriptors 3 (to the browser) and 4 (from it) — no WebSocket client needed.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The Chromium executable: $CHROMIUM_BIN, else the first of chromium, chromium-browser,
 * google-chrome(-stable) on PATH; null if there is none.
 * @returns {string | null}
 */
export function findChromium() {
  if (process.env.CHROMIUM_BIN) return fs.existsSync(process.env.CHROMIUM_BIN) ? process.env.CHROMIUM_BIN : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch { /* not here */ }
    }
  }
  return null;
}

/** A CDP connection to one browser process. */
export class Browser {
  /**
   * Starts headless Chromium with a throw-away profile.
   * @param {string} bin the executable
   * @returns {Promise<Browser>}
   */
  static async launch(bin) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-web-chromium-'));
    const args = [
      '--headless=new', '--remote-debugging-pipe', `--user-data-dir=${profile}`,
      '--no-sandbox', // root in containers; the pages are our own
      '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
      '--disable-extensions', '--disable-background-networking', '--disable-renderer-backgrounding',
      '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows',
      '--hide-scrollbars', '--mute-audio', 'about:blank',
    ];
    const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    const killOnExit = () => proc.kill('SIGKILL'); // even when the test process dies early
    process.once('exit', killOnExit);
    proc.once('exit', () => process.off('exit', killOnExit));
    const browser = new Browser(proc, profile);
    const version = await browser.send('Browser.getVersion');
    browser.version = version.product;
    return browser;
  }

  /**
   * @param {import('node:child_process').ChildProcess} proc
   * @param {string} profile the user data directory (deleted on close)
   */
  constructor(proc, profile) {
    this.proc = proc;
    this.profile = profile;
    this.version = '';
    this.stderr = '';
    this.nextId = 1;
    /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void, method: string }>} */
    this.pending = new Map();
    /** @type {Set<(m: { method: string, params: any, sessionId?: string }) => void>} */
    this.listeners = new Set();
    this.exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.stderr?.on('data', (d) => { this.stderr = (this.stderr + d).slice(-20_000); });
    this.writer = /** @type {import('node:stream').Writable} */ (proc.stdio[3]);
    const reader = /** @type {import('node:stream').Readable} */ (proc.stdio[4]);
    let buffer = '';
    reader.setEncoding('utf8');
    reader.on('data', (chunk) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\0')) >= 0) {
        const text = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        this.dispatch(JSON.parse(text));
      }
    });
    this.writer.on('error', () => {});
    const failAll = (/** @type {Error} */ error) => {
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    proc.once('exit', (code, signal) => failAll(new Error(`Chromium exited (${signal ?? code}) while waiting for an answer; its stderr:\n${this.stderr}`)));
    proc.once('error', (e) => failAll(new Error(`cannot run Chromium: ${e.message}`)));
  }

  /** @param {any} m a message from the browser */
  dispatch(m) {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(`CDP ${p.method} failed: ${m.error.message}${m.error.data ? ` (${m.error.data})` : ''}`));
      else p.resolve(m.result);
      return;
    }
    for (const f of this.listeners) f(m);
  }

  /**
   * Sends a CDP command (to the browser, or to a page session) and resolves with its result.
   * @param {string} method @param {object} [params] @param {string} [sessionId]
   * @returns {Promise<any>}
   */
  send(method, params = {}, sessionId) {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
      return Promise.reject(new Error(`Chromium is not running (cannot send ${method}); its stderr:\n${this.stderr}`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.writer.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  /**
   * Opens a page in a new browser context (its own cookies and localStorage, so its own
   * Starling identity), with a fixed viewport, and waits for it to load `url`.
   * @param {string} url @param {{ width?: number, height?: number }} [size]
   * @returns {Promise<Page>}
   */
  async newPage(url, size = {}) {
    const { browserContextId } = await this.send('Target.createBrowserContext', { disposeOnDetach: true });
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank', browserContextId });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId);
    await page.send('Runtime.enable');
    await page.send('Page.enable');
    await page.send('Emulation.setDeviceMetricsOverride',
      { width: size.width ?? 1000, height: size.height ?? 640, deviceScaleFactor: 1, mobile: false });
    await page.goto(url);
    return page;
  }

  /** Closes the browser: politely first, then SIGKILL by PID; deletes the profile. */
  async close() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.send('Browser.close').catch(() => {});
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

/** One page (a CDP session attached to a tab). */
export class Page {
  /** @param {Browser} browser @param {string} sessionId */
  constructor(browser, sessionId) {
    this.browser = browser;
    this.sessionId = sessionId;
    /** Console messages and uncaught exceptions of the page, for failure reports. @type {string[]} */
    this.log = [];
    browser.listeners.add((m) => {
      if (m.sessionId !== sessionId) return;
      if (m.method === 'Runtime.consoleAPICalled') {
        this.log.push(`console.${m.params.type}: ${m.params.args.map((/** @type {any} */ a) => a.value ?? a.description ?? a.type).join(' ')}`);
      } else if (m.method === 'Runtime.exceptionThrown') {
        const d = m.params.exceptionDetails;
        this.log.push(`exception: ${d.exception?.description ?? d.text}`);
      }
    });
  }

  /** @param {string} method @param {object} [params] @returns {Promise<any>} */
  send(method, params) {
    return this.browser.send(method, params, this.sessionId);
  }

  /**
   * Navigates and waits for the load event.
   * @param {string} url
   */
  async goto(url) {
    const loaded = new Promise((resolve) => {
      const f = (/** @type {any} */ m) => {
        if (m.sessionId === this.sessionId && m.method === 'Page.loadEventFired') {
          this.browser.listeners.delete(f);
          resolve(undefined);
        }
      };
      this.browser.listeners.add(f);
    });
    const { errorText } = await this.send('Page.navigate', { url });
    if (errorText) throw new Error(`cannot load ${url}: ${errorText}`);
    await loaded;
  }

  /**
   * Evaluates a JavaScript expression in the page and returns its (JSON-able) value.
   * @param {string} expression @returns {Promise<any>}
   */
  async evaluate(expression) {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`page script failed: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value;
  }

  /**
   * Polls `expression` until `predicate(value)` holds; fails with `what`, the last value and
   * the page's console log.
   * @param {string} expression @param {(v: any) => boolean} predicate @param {string} what @param {number} [timeoutMs]
   * @returns {Promise<any>} the value that satisfied the predicate
   */
  async waitFor(expression, predicate, what, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      last = await this.evaluate(expression);
      if (predicate(last)) return last;
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}\npage log:\n${this.log.join('\n') || '(empty)'}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Focuses the element, types `text` as keyboard input, and presses Enter.
   * @param {string} selector @param {string} text
   */
  async typeAndPressEnter(selector, text) {
    const found = await this.evaluate(`(() => { const e = document.querySelector(${JSON.stringify(selector)}); if (!e) return false; e.focus(); e.value = ''; return true; })()`);
    if (!found) throw new Error(`no element ${selector} on the page`);
    if (text) await this.send('Input.insertText', { text });
    const key = { key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, nativeVirtualKeyCode: 13 };
    await this.send('Input.dispatchKeyEvent', { type: 'keyDown', text: '\r', ...key });
    await this.send('Input.dispatchKeyEvent', { type: 'keyUp', ...key });
  }

  /**
   * Saves a PNG screenshot of the viewport.
   * @param {string} file
   */
  async screenshot(file) {
    const { data } = await this.send('Page.captureScreenshot', { format: 'png' });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from(data, 'base64'));
  }
}
