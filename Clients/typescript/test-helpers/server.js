// Test harness: runs a real `starling` server, builds the kitchen-sink module once (cached by
// content), publishes it with the CLI and hands out the owner's token.
//
// Environment: STARLING_BIN (default <repo>/.build/debug/starling), STARLING_MACROS_PLUGIN
// (default: next to STARLING_BIN, else <repo>/.build/debug/starling-macros),
// STARLING_TEST_CACHE (default <tmp>/starling-ts-sdk-tests) for the built module.
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const REPO = path.resolve(here, '../../..');
/** The kitchen-sink module package. */
export const KITCHEN_SINK = path.join(REPO, 'Tests/StarlingModuleSDKTests/Fixtures/kitchen-sink');
/** The server binary under test. */
export const STARLING_BIN = process.env.STARLING_BIN || path.join(REPO, '.build/debug/starling');

/** The SDK's macro plugin the CLI will build modules with. @returns {string} */
function macrosPlugin() {
  if (process.env.STARLING_MACROS_PLUGIN) return process.env.STARLING_MACROS_PLUGIN;
  const beside = path.join(path.dirname(STARLING_BIN), 'starling-macros');
  return fs.existsSync(beside) ? beside : path.join(REPO, '.build/debug/starling-macros');
}

/** Environment for the CLI: the macro plugin and an isolated config directory. @param {string} configDir */
function cliEnv(configDir) {
  return { ...process.env, STARLING_CONFIG_DIR: configDir, STARLING_MACROS_PLUGIN: macrosPlugin() };
}

/** Servers started by this process, killed if the process exits first. @type {Set<import('node:child_process').ChildProcess>} */
const running = new Set();
process.once('exit', () => { for (const p of running) p.kill('SIGKILL'); });
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    for (const p of running) p.kill('SIGKILL');
    process.exit(130);
  });
}

/**
 * A running server.
 * @typedef {{ url: string, port: number, dataDir: string | null, proc: import('node:child_process').ChildProcess,
 *   output: () => string, stop: () => Promise<void>, kill: () => Promise<void> }} Server
 */

/**
 * Starts `starling start` and waits for `listening on http://HOST:PORT`.
 * @param {{ dataDir?: string, port?: number, args?: string[] }} [options] without dataDir: --in-memory
 * @returns {Promise<Server>}
 */
export async function startServer(options = {}) {
  if (!fs.existsSync(STARLING_BIN)) throw new Error(`no server binary at ${STARLING_BIN}: build it or set STARLING_BIN`);
  const args = ['start', '--listen-addr', `127.0.0.1:${options.port ?? 0}`, '--threads', '1',
    ...(options.dataDir ? ['--data-dir', options.dataDir] : ['--in-memory']), ...(options.args ?? [])];
  const proc = spawn(STARLING_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 20 s:\n${out}`)), 20_000);
    const check = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.stdout.off('data', check);
        resolve(m[1]);
      }
    };
    proc.stdout.on('data', check);
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}:\n${out}`)); });
  });
  const stopWith = async (/** @type {NodeJS.Signals} */ signal) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  return {
    url, port: Number(new URL(url).port), dataDir: options.dataDir ?? null, proc,
    output: () => out, stop: () => stopWith('SIGTERM'), kill: () => stopWith('SIGKILL'),
  };
}

/** A hash of every file under `dir` (paths and contents), skipping build output. @param {string} dir @param {import('node:crypto').Hash} h */
function hashTree(dir, h) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) hashTree(p, h);
    else if (entry.isFile()) h.update(p).update(fs.readFileSync(p));
  }
}

/**
 * The kitchen-sink module as wasm: built once with `starling build` and cached by a hash of
 * its sources, the SDK's sources and the macro plugin (a lock keeps parallel runs from
 * building twice).
 * @returns {Promise<string>} the path of the .wasm
 */
export async function kitchenSinkWasm() {
  const h = createHash('sha256');
  hashTree(KITCHEN_SINK, h);
  hashTree(path.join(REPO, 'SDK'), h);
  const plugin = fs.statSync(macrosPlugin(), { throwIfNoEntry: false });
  h.update(`${plugin?.size}:${plugin?.mtimeMs}`);
  const dir = process.env.STARLING_TEST_CACHE || path.join(os.tmpdir(), 'starling-ts-sdk-tests');
  fs.mkdirSync(dir, { recursive: true });
  const wasm = path.join(dir, `kitchen-sink-${h.digest('hex').slice(0, 16)}.wasm`);
  const lock = `${wasm}.lock`;
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (fs.existsSync(wasm)) return wasm;
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 300_000) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for another build of the kitchen-sink module (${lock})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (fs.existsSync(wasm)) return wasm;
    const { stdout } = await run(STARLING_BIN, ['build', '--project-path', KITCHEN_SINK],
      { env: cliEnv(fs.mkdtempSync(path.join(os.tmpdir(), 'starling-cli-'))), maxBuffer: 64 * 1024 * 1024, timeout: 240_000 });
    const built = stdout.trim().split('\n').pop()?.trim() ?? '';
    if (!built.endsWith('.wasm') || !fs.existsSync(built)) throw new Error(`starling build printed no wasm path: ${stdout}`);
    fs.copyFileSync(built, `${wasm}.tmp`);
    fs.renameSync(`${wasm}.tmp`, wasm);
    return wasm;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Publishes the kitchen-sink module as database `name` with `starling publish` (its own CLI
 * config directory) and returns the owner's identity and token.
 * @param {Server} server
 * @param {string} name
 * @returns {Promise<{ token: string, identity: string }>}
 */
export async function publishKitchenSink(server, name) {
  const wasm = await kitchenSinkWasm();
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-cli-'));
  await run(STARLING_BIN, ['publish', name, '--bin-path', wasm, '--server', server.url], { env: cliEnv(configDir), timeout: 60_000 });
  const config = JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8'));
  const saved = config.identities[server.url] ?? Object.values(config.identities)[0];
  fs.rmSync(configDir, { recursive: true, force: true });
  return saved;
}

/**
 * Runs SQL over HTTP (`POST /v1/database/:name/sql`); DML needs the owner's token.
 * @param {Server} server @param {string} db @param {string} token @param {string} text
 * @returns {Promise<any[]>}
 */
export async function sql(server, db, token, text) {
  const r = await fetch(`${server.url}/v1/database/${db}/sql`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: text });
  const body = await r.text();
  if (!r.ok) throw new Error(`SQL failed (${r.status}): ${body}`);
  return JSON.parse(body);
}

/**
 * Calls a reducer over HTTP as `token`'s identity (another client than the SDK's).
 * @param {Server} server @param {string} db @param {string} token @param {string} reducer @param {any[]} args
 */
export async function httpCall(server, db, token, reducer, args) {
  const r = await fetch(`${server.url}/v1/database/${db}/call/${reducer}`,
    { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(args) });
  if (!r.ok) throw new Error(`call ${reducer} failed (${r.status}): ${await r.text()}`);
}

/**
 * Waits until `predicate()` is true (polling), or fails with `what`.
 * @param {() => boolean} predicate @param {string} what @param {number} [timeoutMs]
 */
export async function waitFor(predicate, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Records table callbacks as a list of events, for assertions.
 * @param {import('../src/cache.js').TableCache} table
 */
export function recorder(table) {
  /** @type {Array<{ kind: 'insert' | 'delete' | 'update', row?: any, old?: any, event: string }>} */
  const events = [];
  table.onInsert((row, ctx) => events.push({ kind: 'insert', row, event: ctx.event }));
  table.onDelete((row, ctx) => events.push({ kind: 'delete', row, event: ctx.event }));
  table.onUpdate((old, row, ctx) => events.push({ kind: 'update', old, row, event: ctx.event }));
  return events;
}
