#!/usr/bin/env node
// A tiny static file server for the web chat client, with a same-origin proxy to Starling.
//
//   node Examples/quickstart-chat/client-web/serve.mjs [--port 8080] [--host 127.0.0.1] [--starling http://127.0.0.1:3000]
//
// - Serves two directories of the repository under their repository paths, read-only:
//   /Examples/quickstart-chat/client-web/ (the page) and /Clients/typescript/src/ (the SDK, which
//   the page imports by relative path). `/` redirects to the page. Nothing else is served.
// - Forwards /v1/* (HTTP requests and WebSocket upgrades) to the Starling server, so the page
//   and the API share one origin by default. (The server answers CORS itself, so the page's
//   ?server=URL can also point straight at it.)
//
// Environment: PORT, HOST, STARLING_URL (the flags win). Prints `serving http://HOST:PORT/` once
// listening (with --port 0 the system picks the port). Node ≥ 20, no dependencies.

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const REPO = path.resolve(here, '../../..');
/** The page's URL path. */
export const PAGE_PATH = '/Examples/quickstart-chat/client-web/index.html';
/** Directories served, as repository-relative paths. */
const SERVED = ['Examples/quickstart-chat/client-web', 'Clients/typescript/src'];

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Maps a URL path to a file inside one of the served directories, or null if it is outside them,
 * names a hidden file or directory, or cannot be decoded.
 * @param {string} urlPath the path part of the request URL
 * @returns {string | null}
 */
export function resolveFile(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.split('/').some((part) => part.startsWith('.'))) return null;
  const file = path.resolve(REPO, `.${decoded}`);
  for (const dir of SERVED) {
    const root = path.join(REPO, dir) + path.sep;
    if (file.startsWith(root)) return file.endsWith(path.sep) ? path.join(file, 'index.html') : file;
  }
  return null;
}

/**
 * Sends a plain-text response.
 * @param {http.ServerResponse} res @param {number} status @param {string} text
 */
function sendText(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${text}\n`);
}

/**
 * Serves one file (GET/HEAD), with its MIME type and no caching (this is a development server).
 * @param {http.IncomingMessage} req @param {http.ServerResponse} res @param {string} urlPath
 */
function serveStatic(req, res, urlPath) {
  if (urlPath === '/' || urlPath === '/index.html') {
    res.writeHead(302, { location: PAGE_PATH });
    res.end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, `method ${req.method} not allowed on ${urlPath}`);
  const file = resolveFile(urlPath);
  if (!file) return sendText(res, 404, `not found: ${urlPath} (this server only serves ${SERVED.map((d) => `/${d}/`).join(' and ')})`);
  fs.stat(file, (err, stat) => {
    if (err || !stat.isFile()) return sendText(res, 404, `not found: ${urlPath}`);
    res.writeHead(200, {
      'content-type': MIME[/** @type {keyof MIME} */ (path.extname(file).toLowerCase())] ?? 'application/octet-stream',
      'content-length': stat.size,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
}

/**
 * Forwards an HTTP request to Starling and streams the answer back.
 * @param {http.IncomingMessage} req @param {http.ServerResponse} res @param {URL} target
 */
function proxyHttp(req, res, target) {
  const lib = target.protocol === 'https:' ? https : http;
  const upstream = lib.request({
    host: target.hostname, port: target.port || (target.protocol === 'https:' ? 443 : 80),
    method: req.method, path: req.url, headers: { ...req.headers, host: target.host },
  }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', (e) => {
    if (res.headersSent) return res.destroy();
    sendText(res, 502, `cannot reach the Starling server at ${target.origin}: ${e.message} (is it running? see --starling)`);
  });
  req.pipe(upstream);
}

/**
 * Forwards a WebSocket upgrade to Starling: replays the request head, then pipes bytes both ways.
 * @param {http.IncomingMessage} req @param {import('node:stream').Duplex} client @param {Buffer} head @param {URL} target
 */
function proxyUpgrade(req, client, head, target) {
  const secure = target.protocol === 'https:';
  const port = Number(target.port || (secure ? 443 : 80));
  const upstream = secure
    ? tls.connect({ host: target.hostname, port, servername: target.hostname })
    : net.connect({ host: target.hostname, port });
  const lines = [`${req.method} ${req.url} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    lines.push(`${name}: ${name.toLowerCase() === 'host' ? target.host : req.rawHeaders[i + 1]}`);
  }
  upstream.once(secure ? 'secureConnect' : 'connect', () => {
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', (e) => {
    if (client.writable) {
      const body = `cannot reach the Starling server at ${target.origin}: ${e.message}\n`;
      client.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    }
  });
  client.on('error', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('close', () => upstream.destroy());
}

/**
 * Starts the server.
 * @param {{ port?: number, host?: string, starlingUrl?: string }} [options]
 * @returns {Promise<{ server: http.Server, url: string }>} `url` ends with `/`
 */
export function startServer(options = {}) {
  const target = new URL(options.starlingUrl ?? 'http://127.0.0.1:3000');
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`--starling must be an http(s) URL, not ${target.href}`);
  const server = http.createServer((req, res) => {
    const urlPath = new URL(req.url ?? '/', 'http://x').pathname;
    if (urlPath.startsWith('/v1/')) return proxyHttp(req, res, target);
    serveStatic(req, res, urlPath);
  });
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').startsWith('/v1/')) return proxyUpgrade(req, socket, head, target);
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      const address = /** @type {net.AddressInfo} */ (server.address());
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({ server, url: `http://${host}:${address.port}/` });
    });
  });
}

/**
 * Parses `--name value` / `--name=value` flags.
 * @param {string[]} argv
 * @returns {Record<string, string>}
 */
function parseFlags(argv) {
  /** @type {Record<string, string>} */
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument \`${argv[i]}\` (usage: serve.mjs [--port N] [--host H] [--starling URL])`);
    if (m[1] === 'help') flags.help = '1';
    else flags[m[1]] = m[2] ?? argv[++i] ?? '';
  }
  return flags;
}

/** The command line entry point. */
async function main() {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.help) {
    console.log('usage: node serve.mjs [--port 8080] [--host 127.0.0.1] [--starling http://127.0.0.1:3000]\n'
      + 'Serves the web chat page and the JS SDK, and proxies /v1/* to the Starling server. Env: PORT, HOST, STARLING_URL.');
    return;
  }
  const port = Number(flags.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0…65535, not ${flags.port ?? process.env.PORT}`);
  const starlingUrl = flags.starling ?? process.env.STARLING_URL ?? 'http://127.0.0.1:3000';
  const { url } = await startServer({ port, host: flags.host ?? process.env.HOST ?? '127.0.0.1', starlingUrl });
  console.log(`serving ${url} (page: ${url.slice(0, -1)}${PAGE_PATH}; /v1/* -> ${starlingUrl})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(`serve.mjs: ${e.message}`);
    process.exit(1);
  });
}
