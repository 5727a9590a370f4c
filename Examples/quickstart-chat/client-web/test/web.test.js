// End-to-end test of the web chat client: the real `starling` server with quickstart-chat,
// serve.mjs, and two headless Chromium pages in separate browser contexts (so two identities).
//
//   node --test Examples/quickstart-chat/client-web/test/      (or ./run-tests.sh next to it)
//
// Skips if no Chromium is installed (set CHROMIUM_BIN, or see run-tests.sh). Saves a screenshot
// of the second page to test/artifacts/chat.png. See servers.js for the environment variables.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Browser, findChromium } from './chromium.js';
import { chatWasm, publishChat, startStarling, startStaticServer } from './servers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.join(here, 'artifacts');
const SCREENSHOT = path.join(ARTIFACTS, 'chat.png');
const DATABASE = 'quickstart-chat';
const CHROMIUM = findChromium();

/** What a page shows, read from its DOM (the same elements a person looks at). */
const READ_PAGE = `(() => ({
  state: document.getElementById('status').dataset.state,
  ready: document.body.dataset.ready === 'true',
  me: document.getElementById('me-name').textContent,
  online: [...document.querySelectorAll('#online li .name')].map((e) => e.textContent),
  messages: [...document.querySelectorAll('#messages .message')].map((li) => ({
    sender: li.querySelector('.sender').textContent,
    time: li.querySelector('time').textContent,
    text: li.querySelector('.text').textContent,
    own: li.classList.contains('own'),
  })),
  messageError: document.getElementById('message-error').hidden ? '' : document.getElementById('message-error').textContent,
  banner: document.getElementById('banner').hidden ? '' : document.getElementById('banner').textContent,
}))()`;

/** @type {Awaited<ReturnType<typeof startStarling>> | undefined} */
let starling;
/** @type {Awaited<ReturnType<typeof startStaticServer>> | undefined} */
let staticServer;
/** @type {Browser | undefined} */
let browser;
/** The server's data directory (kept across the restart in the test). */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-web-data-'));

before(async () => {
  if (!CHROMIUM) return;
  await chatWasm(); // builds the module the first time (about a minute), then cached
  starling = await startStarling({ dataDir });
  await publishChat(starling, DATABASE);
  staticServer = await startStaticServer(starling.url);
  browser = await Browser.launch(CHROMIUM);
}, { timeout: 900_000 });

after(async () => {
  // Each step on its own, so one failure does not leave the other processes running.
  await browser?.close().catch((e) => console.error('closing Chromium:', e));
  await staticServer?.stop().catch((e) => console.error('stopping serve.mjs:', e));
  await starling?.stop().catch((e) => console.error('stopping starling:', e));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Whether a page's messages contain one with this sender and text.
 * @param {{ messages: Array<{ sender: string, text: string }> }} view @param {string} sender @param {string} text
 */
function shows(view, sender, text) {
  return view.messages.some((m) => m.sender === sender && m.text === text);
}

test('two browsers chat through the web client', { skip: CHROMIUM ? false : 'no Chromium installed (set CHROMIUM_BIN or run run-tests.sh)', timeout: 180_000 }, async (t) => {
  assert.ok(browser && staticServer && starling);
  t.diagnostic(`${browser.version}; starling at ${starling.url}; pages from ${staticServer.url}`);
  const pageUrl = `${staticServer.url}Examples/quickstart-chat/client-web/index.html?db=${DATABASE}`;
  const a = await browser.newPage(pageUrl);
  const b = await browser.newPage(pageUrl);
  try {
    const connected = (/** @type {any} */ v) => v.state === 'connected' && v.ready;
    await a.waitFor(READ_PAGE, connected, 'page A to connect and subscribe');
    await b.waitFor(READ_PAGE, connected, 'page B to connect and subscribe');
    const tokens = await Promise.all([a, b].map((p) => p.evaluate(`localStorage.getItem('starling-chat-token:' + location.origin)`)));
    assert.ok(tokens[0] && tokens[1], 'both pages keep a token in localStorage');
    assert.notEqual(tokens[0], tokens[1], 'separate browser contexts get separate identities');

    // Names, typed into the name field and submitted with Enter.
    await a.typeAndPressEnter('#name-input', 'Ann');
    await b.typeAndPressEnter('#name-input', 'Bob');
    const bothOnline = (/** @type {any} */ v) => v.online.includes('Ann') && v.online.includes('Bob');
    await a.waitFor(READ_PAGE, bothOnline, 'page A to list Ann and Bob as online');
    const bView = await b.waitFor(READ_PAGE, bothOnline, 'page B to list Ann and Bob as online');
    assert.equal(bView.me, 'Bob');
    assert.equal(bView.online.length, 2, `exactly two users online, got ${JSON.stringify(bView.online)}`);

    // A → B, then B → A.
    await a.typeAndPressEnter('#message-input', 'Hello from Ann!');
    await b.waitFor(READ_PAGE, (v) => shows(v, 'Ann', 'Hello from Ann!'), 'page B to show the message from Ann');
    await b.typeAndPressEnter('#message-input', 'Hi Ann, Bob here. The web client works.');
    const aView = await a.waitFor(READ_PAGE, (v) => shows(v, 'Bob', 'Hi Ann, Bob here. The web client works.'), 'page A to show the reply from Bob');
    assert.deepEqual(aView.messages.map((/** @type {any} */ m) => m.text), ['Hello from Ann!', 'Hi Ann, Bob here. The web client works.'],
      'messages in the order they were sent');
    assert.deepEqual(aView.messages.map((/** @type {any} */ m) => m.own), [true, false], 'A\'s own message is marked as own');
    assert.match(aView.messages[0].time, /\d/, 'each message shows its time');
    assert.equal(await a.evaluate(`document.getElementById('message-input').value`), '', 'the input is cleared after sending');

    // An empty message is refused by the module; the page shows its reason inline.
    await a.typeAndPressEnter('#message-input', '   ');
    const refused = await a.waitFor(READ_PAGE, (v) => v.messageError !== '', 'page A to show the reducer error');
    assert.match(refused.messageError, /must not be empty/);
    assert.equal(refused.messages.length, 2, 'the refused message was not added');
    await a.screenshot(path.join(ARTIFACTS, 'chat-error.png'));

    // A reload keeps the identity (token from localStorage): still Ann, still two users online.
    await a.goto(pageUrl);
    const reloaded = await a.waitFor(READ_PAGE, (v) => connected(v) && v.me === 'Ann' && v.online.length === 2,
      'page A to come back as Ann after a reload');
    assert.equal(reloaded.messages.length, 2);
    await b.waitFor(READ_PAGE, (v) => v.online.length === 2 && bothOnline(v), 'page B to still list Ann and Bob');

    // A third message so the screenshot shows a conversation, then the screenshot of page B.
    await a.typeAndPressEnter('#message-input', 'Still me after a reload, same identity.');
    await b.waitFor(READ_PAGE, (v) => v.messages.length === 3, 'page B to show the third message');

    // The server restarts (same data directory and port): both pages show `reconnecting`, then
    // reconnect by themselves with the same identities, and the chat goes on.
    const port = starling.port;
    await starling.stop();
    await a.waitFor(READ_PAGE, (v) => v.state === 'reconnecting', 'page A to show `reconnecting`');
    await b.waitFor(READ_PAGE, (v) => v.state === 'reconnecting', 'page B to show `reconnecting`');
    await b.screenshot(path.join(ARTIFACTS, 'chat-reconnecting.png'));
    starling = await startStarling({ dataDir, port });
    const back = (/** @type {any} */ v) => v.state === 'connected' && v.messages.length === 3 && bothOnline(v) && v.online.length === 2;
    await a.waitFor(READ_PAGE, back, 'page A to reconnect after the server restart', 30_000);
    await b.waitFor(READ_PAGE, back, 'page B to reconnect after the server restart', 30_000);
    await b.typeAndPressEnter('#message-input', 'Back after a server restart.');
    await a.waitFor(READ_PAGE, (v) => shows(v, 'Bob', 'Back after a server restart.'), 'page A to show the message sent after the restart');
    await b.waitFor(READ_PAGE, (v) => v.messages.length === 4, 'page B to show its own message');
    await b.screenshot(SCREENSHOT);
    t.diagnostic(`screenshot: ${SCREENSHOT}`);
    assert.deepEqual([...a.log, ...b.log].filter((l) => l.startsWith('exception')), [], 'no uncaught exceptions in the pages');
  } catch (e) {
    await b.screenshot(path.join(ARTIFACTS, 'failure-b.png')).catch(() => {});
    await a.screenshot(path.join(ARTIFACTS, 'failure-a.png')).catch(() => {});
    console.error(`page A log:\n${a.log.join('\n')}\npage B log:\n${b.log.join('\n')}\nstarling output:\n${starling.output().slice(-4000)}`);
    throw e;
  }
});
