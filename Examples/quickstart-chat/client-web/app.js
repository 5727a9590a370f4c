// The quickstart chat in the browser: connects to a Starling database running
// Examples/quickstart-chat, subscribes to every user and message, and renders them from the
// SDK's client cache. No framework, no build step: the SDK is imported by relative path.
//
// Query string: ?server=URL (default: this page's origin, i.e. through serve.mjs's proxy) and
// ?db=NAME (default `quickstart-chat`, the name `starling start --demo` publishes it under).

import { StarlingClient } from '../../../Clients/typescript/src/index.js';

const params = new URLSearchParams(location.search);
const SERVER = (params.get('server') || location.origin).replace(/\/+$/, '');
const DATABASE = params.get('db') || 'quickstart-chat';
/** localStorage key of the token: tokens belong to a server, not to one database. */
const TOKEN_KEY = `starling-chat-token:${SERVER}`;

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  where: $('where'), status: $('status'), banner: $('banner'),
  messages: $('messages'), empty: $('empty'), online: $('online'), onlineCount: $('online-count'),
  meName: $('me-name'), meId: $('me-id'),
  messageForm: /** @type {HTMLFormElement} */ ($('message-form')), messageInput: /** @type {HTMLInputElement} */ ($('message-input')),
  messageError: $('message-error'),
  nameForm: /** @type {HTMLFormElement} */ ($('name-form')), nameInput: /** @type {HTMLInputElement} */ ($('name-input')),
  nameError: $('name-error'),
};

/** @type {StarlingClient | null} */
let client = null;

/**
 * Shows the connection state in the header pill (`data-state` is what the browser test reads).
 * @param {'connecting' | 'connected' | 'reconnecting' | 'failed'} state
 * @param {string} [detail] shown as the tooltip
 */
function setStatus(state, detail = '') {
  const labels = { connecting: 'connecting…', connected: 'connected', reconnecting: 'reconnecting…', failed: 'not connected' };
  ui.status.dataset.state = state;
  ui.status.textContent = labels[state];
  ui.status.title = detail;
  document.body.dataset.connection = state;
}

/**
 * Shows (or with an empty text hides) an error line.
 * @param {HTMLElement} element @param {string} text
 */
function showError(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

/**
 * A readable explanation of a connection failure, with a hint for the usual causes.
 * @param {any} error a StarlingError (HttpError / ConnectionError) or anything else thrown
 * @returns {string}
 */
function explainConnectError(error) {
  const message = error?.message ?? String(error);
  if (location.protocol === 'file:') return `${message}. Open this page through serve.mjs (see README.md), not as a file.`;
  if (error?.status === 404) {
    return `${message}. Publish the chat module under that name, or pass ?db=NAME (\`starling start --demo\` publishes it as \`quickstart-chat\`).`;
  }
  if (error?.code === 'SERVER_UNREACHABLE') {
    return new URL(SERVER).origin === location.origin
      ? `${message}. Is serve.mjs forwarding to a running server (\`--starling URL\`)?`
      : `${message}. Is a Starling server running at ${SERVER}?`;
  }
  return message;
}

/**
 * A short form of an identity for people without a name.
 * @param {import('../../../Clients/typescript/src/index.js').Identity} identity
 * @returns {string}
 */
function shortId(identity) {
  return identity.toHexString().slice(0, 8);
}

/**
 * The display name of an identity: its chosen name, else the start of its hex form.
 * @param {import('../../../Clients/typescript/src/index.js').Identity} identity
 * @returns {{ text: string, named: boolean }}
 */
function displayName(identity) {
  const user = client?.table('user').find(identity);
  return user?.name ? { text: user.name, named: true } : { text: shortId(identity), named: false };
}

/**
 * Formats a message time: hours and minutes today, else the date too.
 * @param {Date} date @returns {string}
 */
function formatTime(date) {
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/**
 * Creates an element with a class and text.
 * @param {string} tag @param {string} className @param {string} [text] @returns {HTMLElement}
 */
function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Re-renders the messages in `sent` order, keeping the view at the bottom if it was there. */
function renderMessages() {
  if (!client) return;
  const list = ui.messages;
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const rows = client.table('message').rows();
  rows.sort((a, b) => (a.sent.micros < b.sent.micros ? -1 : a.sent.micros > b.sent.micros ? 1 : 0));
  const items = rows.map((m) => {
    const li = el('li', 'message');
    const own = client?.identity ? m.sender.equals(client.identity) : false;
    if (own) li.classList.add('own');
    li.dataset.sender = m.sender.toHexString();
    const meta = el('div', 'meta');
    const who = displayName(m.sender);
    meta.append(el('span', who.named ? 'sender' : 'sender anonymous', who.text));
    const date = m.sent.toDate();
    const time = /** @type {HTMLTimeElement} */ (el('time', '', formatTime(date)));
    time.dateTime = date.toISOString();
    time.title = date.toLocaleString();
    meta.append(time);
    li.append(meta, el('p', 'text', m.text));
    return li;
  });
  list.replaceChildren(...items);
  ui.empty.hidden = items.length > 0;
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/** Re-renders the online list and the "You" panel. */
function renderUsers() {
  if (!client) return;
  const me = client.identity;
  const online = client.table('user').rows().filter((u) => u.online);
  const label = (/** @type {any} */ u) => u.name || shortId(u.identity);
  online.sort((a, b) => label(a).localeCompare(label(b)));
  ui.online.replaceChildren(...online.map((u) => {
    const li = el('li', '');
    li.dataset.identity = u.identity.toHexString();
    li.append(el('span', u.name ? 'name' : 'name ident', label(u)));
    if (me && u.identity.equals(me)) li.append(el('span', 'you', '(you)'));
    return li;
  }));
  ui.onlineCount.textContent = String(online.length);
  if (me) {
    const mine = displayName(me);
    ui.meName.textContent = mine.named ? mine.text : 'no name yet';
    ui.meId.textContent = shortId(me);
    ui.meId.title = me.toHexString();
  }
}

let renderQueued = false;
/** Renders once after the current batch of cache callbacks (a transaction may change many rows). */
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  queueMicrotask(() => {
    renderQueued = false;
    renderUsers();
    renderMessages();
  });
}

/**
 * Connects, retrying the first connection until it works (the SDK reconnects by itself after
 * that). A saved token the server rejects is dropped, and a new identity is minted.
 * @returns {Promise<StarlingClient>}
 */
async function connect() {
  let delayMs = 1000;
  for (;;) {
    setStatus('connecting');
    const token = localStorage.getItem(TOKEN_KEY) ?? undefined;
    try {
      return await StarlingClient.connect({ url: SERVER, database: DATABASE, token });
    } catch (e) {
      const error = /** @type {any} */ (e);
      if (token && (error?.status === 401 || error?.status === 403)) {
        console.warn('the server rejected the saved token; starting with a new identity', error);
        localStorage.removeItem(TOKEN_KEY);
        continue;
      }
      const text = explainConnectError(error);
      setStatus('failed', text);
      showBanner(`Cannot connect to \`${DATABASE}\` at ${SERVER}: ${text} Retrying in ${Math.round(delayMs / 1000)} s…`);
      await new Promise((r) => setTimeout(r, delayMs));
      delayMs = Math.min(delayMs * 2, 15_000);
    }
  }
}

/** @param {string} text shows a banner under the header (empty hides it) */
function showBanner(text) {
  ui.banner.textContent = text;
  ui.banner.hidden = !text;
}

/**
 * Calls a reducer for a form: disables its button meanwhile, shows a failure inline.
 * @param {HTMLFormElement} form @param {HTMLElement} errorLine @param {string} reducer @param {string} arg
 * @returns {Promise<boolean>} whether the call committed
 */
async function callFromForm(form, errorLine, reducer, arg) {
  const button = /** @type {HTMLButtonElement} */ (form.querySelector('button'));
  button.disabled = true;
  try {
    if (!client) throw new Error('not connected yet');
    await client.call(reducer, arg);
    showError(errorLine, '');
    return true;
  } catch (e) {
    const error = /** @type {any} */ (e);
    // REDUCER_FAILED carries the module's own message, e.g. "messages must not be empty".
    if (error?.code === 'REDUCER_FAILED') showError(errorLine, `Not sent: ${error.reason}`);
    else if (error?.code === 'NOT_CONNECTED') showError(errorLine, 'Not sent: not connected right now; try again once the status says connected.');
    else showError(errorLine, error?.message ?? String(e));
    return false;
  } finally {
    button.disabled = false;
  }
}

/** Wires the forms (submitting a form is also what Enter in its input does). */
function wireForms() {
  ui.messageForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = ui.messageInput.value;
    if (await callFromForm(ui.messageForm, ui.messageError, 'send_message', text)) {
      if (ui.messageInput.value === text) ui.messageInput.value = '';
      ui.messages.scrollTop = ui.messages.scrollHeight;
    }
    ui.messageInput.focus();
  });
  ui.messageInput.addEventListener('input', () => showError(ui.messageError, ''));
  ui.nameForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (await callFromForm(ui.nameForm, ui.nameError, 'set_name', ui.nameInput.value)) ui.nameInput.value = '';
  });
}

/** Starts the app: connect, register the cache callbacks, subscribe. */
async function main() {
  ui.where.textContent = `${DATABASE} @ ${SERVER.replace(/^https?:\/\//, '')}`;
  wireForms();
  client = await connect();
  showBanner('');
  localStorage.setItem(TOKEN_KEY, /** @type {string} */ (client.token));
  setStatus('connected');

  client.onConnect(({ token }) => {
    localStorage.setItem(TOKEN_KEY, token);
    setStatus('connected');
    showBanner('');
  });
  client.onDisconnect((error, willReconnect) => {
    setStatus(willReconnect ? 'reconnecting' : 'failed', error.message);
    if (!willReconnect) showBanner(`Disconnected: ${error.message}. Reload the page to try again.`);
  });
  client.onError((error) => console.warn('[chat]', error));

  for (const name of ['user', 'message']) {
    const table = client.table(name);
    table.onInsert(scheduleRender);
    table.onDelete(scheduleRender);
    table.onUpdate(scheduleRender);
  }
  const subscription = client.subscribe(['SELECT * FROM user', 'SELECT * FROM message']);
  subscription.onError((e) => showBanner(`The subscription failed: ${e.message}`));
  await subscription.applied;
  document.body.dataset.ready = 'true';
  scheduleRender();
  ui.messageInput.focus();
}

main().catch((e) => {
  console.error(e);
  setStatus('failed', String(e?.message ?? e));
  showBanner(`The chat stopped: ${e?.message ?? e}`);
});
