// Drives the SDK through the platform's WebSocket (the browser path: `?token=` instead of an
// Authorization header). Run by test/native-websocket.test.js in a Node started with
// --experimental-websocket. Reads STARLING_URL, STARLING_DB, STARLING_TOKEN, STARLING_PROTOCOL;
// prints one JSON line with what it saw.
import { StarlingClient } from '../src/index.js';

const client = await StarlingClient.connect({
  url: process.env.STARLING_URL ?? '', database: process.env.STARLING_DB ?? '', token: process.env.STARLING_TOKEN,
  protocol: /** @type {any} */ (process.env.STARLING_PROTOCOL), webSocket: 'native', reconnect: false,
});
const inserted = [];
client.table('everything').onInsert((row) => inserted.push(row.text));
await client.subscribe(['SELECT * FROM everything']).applied;
const before = inserted.length;
await client.call('insert_everything', 'via native WebSocket', { tag: 'circle', value: 1 }, null);
let failure = '';
await client.call('insert_then_fail').catch((e) => { failure = e.reason; });
const [result] = await client.oneOffQuery("SELECT text FROM everything WHERE text = 'via native WebSocket'");
await client.close();
console.log(JSON.stringify({
  hasGlobalWebSocket: typeof globalThis.WebSocket === 'function', identity: client.identity?.hex, before,
  inserted: inserted.slice(before), failure, queried: result.rows.map((r) => r.text),
}));
