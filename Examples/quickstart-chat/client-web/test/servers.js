// Test harness: the real `starling` server with the quickstart-chat module published, and the
// page's static server (serve.mjs). Every child process is killed by PID when the test process
// exits, even after a failure.
//
// Environment: STARLING_BIN (default <repo>/.build/debug/starling), STARLING_MACROS_PLUGIN
// (default: next to STARLING_BIN), CHAT_WASM (a prebuilt quickstart-chat.wasm: skips the build),
// STARLING_TEST_CACHE (default <tmp>/starling-web-tests: where the built module is cached).

import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
/** This client's directory. */
export const CLIENT_DIR = path.resolve(here, '..');
/** The repository root. */
export const REPO = path.resolve(CLIENT_DIR, '../../..');
/** The chat module's package. */
export const CHAT_MODULE = path.join(REPO, 'Examples/quickstart-chat');
/** The server binary under test. */
export const STARLING_BIN = process.env.STARLING_BIN || path.join(REPO, '.build/debug/starling');

/** Child processes still running. @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
process.once('exit', () => { for (const p of children) p.kill('SIGKILL'); });

/**
 * A started child process and its output.
 * @typedef {{ proc: import('node:child_process').ChildProcess, match: RegExpExecArray, output: () => string,
 *   stop: () => Promise<void> }} Child
 */

/**
 * Spawns a process and waits until its stdout matches `ready`.
 * @param {string} what a name for error messages
 * @param {string} cmd @param {string[]} args
 * @param {RegExp} ready
 * @param {{ env?: NodeJS.ProcessEnv, timeoutMs?: number }} [options]
 * @returns {Promise<Child>}
 */
export async function startChild(what, cmd, args, ready, options = {}) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  children.add(proc);
  const exited = new Promise((resolve) => proc.once('exit', () => { children.delete(proc); resolve(undefined); }));
  let out = '';
  proc.stdout?.on('data', (d) => { out += d; });
  proc.stderr?.on('data', (d) => { out += d; });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  const match = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`${what} did not start within ${options.timeoutMs ?? 20_000} ms:\n${out}`)); },
      options.timeoutMs ?? 20_000);
    const check = () => {
      const m = ready.exec(out);
      if (m) { clearTimeout(timer); proc.stdout?.off('data', check); resolve(m); }
    };
    proc.stdout?.on('data', check);
    proc.once('error', (e) => { clearTimeout(timer); reject(new Error(`cannot run ${what} (${cmd}): ${e.message}`)); });
    proc.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`${what} exited (${signal ?? code}) before it was ready:\n${out}`)); });
  });
  return { proc, match, output: () => out, stop };
}

/** The SDK's macro plugin the CLI builds modules with. @returns {string} */
function macrosPlugin() {
  if (process.env.STARLING_MACROS_PLUGIN) return process.env.STARLING_MACROS_PLUGIN;
  const beside = path.join(path.dirname(STARLING_BIN), 'starling-macros');
  return fs.existsSync(beside) ? beside : path.join(REPO, '.build/debug/starling-macros');
}

/** Hashes every file under `dir` (names and contents), skipping hidden entries and client dirs. @param {string} dir @param {import('node:crypto').Hash} h */
function hashTree(dir, h) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name.startsWith('client-')) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) hashTree(p, h);
    else if (entry.isFile()) h.update(p).update(fs.readFileSync(p));
  }
}

/**
 * The quickstart-chat module as wasm: $CHAT_WASM, or built with `starling build` once and cached
 * by a hash of the module's sources, the SDK and the macro plugin (about a minute the first time).
 * @returns {Promise<string>} the path of the .wasm
 */
export async function chatWasm() {
  if (process.env.CHAT_WASM) return process.env.CHAT_WASM;
  const h = createHash('sha256');
  hashTree(CHAT_MODULE, h);
  hashTree(path.join(REPO, 'SDK'), h);
  const plugin = fs.statSync(macrosPlugin(), { throwIfNoEntry: false });
  h.update(`${plugin?.size}:${plugin?.mtimeMs}`);
  const dir = process.env.STARLING_TEST_CACHE || path.join(os.tmpdir(), 'starling-web-tests');
  fs.mkdirSync(dir, { recursive: true });
  const wasm = path.join(dir, `quickstart-chat-${h.digest('hex').slice(0, 16)}.wasm`);
  if (fs.existsSync(wasm)) return wasm;
  const env = { ...process.env, STARLING_MACROS_PLUGIN: macrosPlugin() };
  let stdout;
  try {
    ({ stdout } = await run(STARLING_BIN, ['build', '--project-path', CHAT_MODULE], { env, maxBuffer: 64 << 20, timeout: 600_000 }));
  } catch (e) {
    const err = /** @type {any} */ (e);
    throw new Error(`building the chat module failed (${STARLING_BIN} build --project-path ${CHAT_MODULE}):\n${err.stderr ?? ''}${err.message}`);
  }
  const built = stdout.trim().split('\n').pop()?.trim() ?? '';
  if (!built.endsWith('.wasm') || !fs.existsSync(built)) throw new Error(`starling build printed no .wasm path: ${stdout}`);
  fs.copyFileSync(built, `${wasm}.${process.pid}.tmp`);
  fs.renameSync(`${wasm}.${process.pid}.tmp`, wasm);
  return wasm;
}

/**
 * Starts `starling start` with its databases in `dataDir` (so a restart keeps the data and the
 * token signing key), on `port` (0: a free one).
 * @param {{ dataDir: string, port?: number }} options
 * @returns {Promise<Child & { url: string, port: number }>}
 */
export async function startStarling(options) {
  if (!fs.existsSync(STARLING_BIN)) throw new Error(`no server binary at ${STARLING_BIN}: build it (swift build) or set STARLING_BIN`);
  const server = await startChild('starling', STARLING_BIN,
    ['start', '--listen-addr', `127.0.0.1:${options.port ?? 0}`, '--data-dir', options.dataDir, '--threads', '1'],
    /listening on (http:\/\/\S+)/);
  const url = server.match[1];
  return { ...server, url, port: Number(new URL(url).port) };
}

/**
 * Publishes the chat module (built once, see chatWasm) as `database` with `starling publish`.
 * @param {Child & { url: string }} server
 * @param {string} database
 */
export async function publishChat(server, database) {
  const wasm = await chatWasm();
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-web-cli-'));
  try {
    await run(STARLING_BIN, ['publish', database, '--bin-path', wasm, '--server', server.url],
      { env: { ...process.env, STARLING_CONFIG_DIR: configDir }, timeout: 60_000 });
  } catch (e) {
    throw new Error(`starling publish ${database} failed: ${/** @type {any} */ (e).stderr ?? e}\nserver output:\n${server.output()}`);
  } finally {
    fs.rmSync(configDir, { recursive: true, force: true });
  }
}

/**
 * Starts serve.mjs on a free port, proxying /v1/* to `starlingUrl`.
 * @param {string} starlingUrl
 * @returns {Promise<Child & { url: string }>} `url` ends with `/`
 */
export async function startStaticServer(starlingUrl) {
  const child = await startChild('serve.mjs', process.execPath,
    [path.join(CLIENT_DIR, 'serve.mjs'), '--port', '0', '--starling', starlingUrl], /serving (http:\/\/\S+\/)/);
  return { ...child, url: child.match[1] };
}
