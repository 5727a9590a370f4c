// The Starling client SDK for browsers and Node (≥ 20). No dependencies.
//
//   import { StarlingClient } from '@starling/client';
//   const client = await StarlingClient.connect({ url: 'http://127.0.0.1:3000', database: 'chat' });
//   client.table('message').onInsert((m) => console.log(m.text));
//   await client.subscribe(['SELECT * FROM message']).applied;
//   await client.call('send_message', 'hello');

export { StarlingClient } from './client.js';
export { SubscriptionHandle } from './subscription.js';
export { TableCache } from './cache.js';
export { DatabaseSchema, fetchSchema, createIdentity, httpRequest } from './schema.js';
export { ReconnectPolicy } from './reconnect.js';
export { Identity, ConnectionId, Timestamp, TimeDuration, toHex, fromHex } from './values.js';
export {
  parseType, formatType, typesEqual, isUnit, T, UNIT, PRIMITIVE_KINDS,
} from './types.js';
export {
  encode, decode, BsatnReader, BsatnWriter, readValue, writeValue, encodeType, decodeType,
} from './bsatn.js';
export { fromJSON, toJSON, stringifyJSON } from './json-values.js';
export { SUBPROTOCOLS, encodeClientMessage, decodeServerMessage } from './messages.js';
export {
  StarlingError, BsatnError, TypeSyntaxError, HttpError, ConnectionError, ProtocolError,
  ReducerError, SubscriptionError, QueryError, SchemaError,
} from './errors.js';
