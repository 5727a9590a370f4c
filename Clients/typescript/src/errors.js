// Error types of the Starling client SDK. Every error the SDK raises is a `StarlingError` with a
// stable string `code` (UPPER_SNAKE_CASE) that programs can switch on; the message is for people.

/**
 * Base class of every error raised by the SDK.
 */
export class StarlingError extends Error {
  /**
   * @param {string} code stable machine-readable code, e.g. `CONNECTION_LOST`
   * @param {string} message what went wrong and, where possible, what to do
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    /** @type {string} */
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A value could not be encoded or decoded in BSATN (or mapped from/to JSON).
 * `code` is one of `UNEXPECTED_END`, `INVALID_BOOL`, `INVALID_UTF8`, `INVALID_TAG`,
 * `TRAILING_BYTES`, `LENGTH_TOO_LARGE`, `TYPE_MISMATCH` (docs/BSATN.md, "Errors").
 */
export class BsatnError extends StarlingError {
  /**
   * @param {string} code
   * @param {string} message
   * @param {number} offset byte offset in the input where the problem was found (-1 when encoding)
   */
  constructor(code, message, offset) {
    super(code, offset >= 0 ? `${message} at byte ${offset}` : message);
    /** @type {number} */
    this.offset = offset;
    /** The numeric code of docs/BSATN.md (1 unexpectedEnd … 7 typeMismatch). @type {number} */
    this.numericCode = BSATN_NUMERIC_CODES[code] ?? 0;
  }
}

/** @type {Record<string, number>} */
const BSATN_NUMERIC_CODES = {
  UNEXPECTED_END: 1,
  INVALID_BOOL: 2,
  INVALID_UTF8: 3,
  INVALID_TAG: 4,
  TRAILING_BYTES: 5,
  LENGTH_TOO_LARGE: 6,
  TYPE_MISMATCH: 7,
};

/** A type string from the schema JSON could not be parsed (`code` = `TYPE_SYNTAX`). */
export class TypeSyntaxError extends StarlingError {
  /**
   * @param {string} message
   * @param {string} text the whole type string
   * @param {number} position 0-based character position of the problem
   */
  constructor(message, text, position) {
    super('TYPE_SYNTAX', `${message} at position ${position} in type \`${text}\``);
    this.text = text;
    this.position = position;
  }
}

/**
 * An HTTP request to the server failed (`code` = `HTTP_ERROR`). `status` is the HTTP status
 * (0 when the server could not be reached) and `body` the server's text answer.
 */
export class HttpError extends StarlingError {
  /**
   * @param {string} message
   * @param {number} status
   * @param {string} body
   * @param {{ cause?: unknown }} [options]
   */
  constructor(message, status, body, options) {
    super(status === 0 ? 'SERVER_UNREACHABLE' : 'HTTP_ERROR', message, options);
    this.status = status;
    this.body = body;
  }
}

/**
 * The WebSocket could not be opened, was lost, or was closed by the server.
 *
 * Codes: `CONNECT_FAILED` (handshake refused; `status`/`body` say why when known),
 * `CONNECTION_LOST` (dropped without a close frame, 1006), `CLOSED` (closed by `close()`),
 * and for server close frames: `MALFORMED_MESSAGE` (1007), `UNSUPPORTED_DATA` (1003),
 * `MESSAGE_TOO_BIG` (1009), `SLOW_CONSUMER` / `POLICY_VIOLATION` (1008), `PROTOCOL_VIOLATION`
 * (1002), `SERVER_GOING_AWAY` (1001), `SERVER_ERROR` (1011), `SERVICE_RESTART` (1012: the module's
 * schema changed; the client reconnects with the new schema), `CLOSED_BY_SERVER` (others).
 */
export class ConnectionError extends StarlingError {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{ closeCode?: number, reason?: string, status?: number, body?: string, cause?: unknown }} [details]
   */
  constructor(code, message, details = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    /** WebSocket close code, when the connection was closed. @type {number | undefined} */
    this.closeCode = details.closeCode;
    /** The close reason the server sent. @type {string | undefined} */
    this.reason = details.reason;
    /** HTTP status of a refused handshake. @type {number | undefined} */
    this.status = details.status;
    /** HTTP body of a refused handshake. @type {string | undefined} */
    this.body = details.body;
  }
}

/** The server sent something this client cannot read (`code` = `PROTOCOL_ERROR`). */
export class ProtocolError extends StarlingError {
  /** @param {string} message @param {{ cause?: unknown }} [options] */
  constructor(message, options) {
    super('PROTOCOL_ERROR', message, options);
  }
}

/**
 * A reducer call failed. `code` is `REDUCER_FAILED` (the reducer ran and returned an error or
 * trapped; `message` is the server's message), `UNKNOWN_REDUCER` (not in the schema) or
 * `INVALID_ARGUMENTS` (arguments do not match the parameters).
 */
export class ReducerError extends StarlingError {
  /**
   * @param {string} code
   * @param {string} reducer
   * @param {string} message
   * @param {{ cause?: unknown, update?: object }} [details]
   */
  constructor(code, reducer, message, details = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.reducer = reducer;
    /** The TransactionUpdate that reported the failure, when there was one. */
    this.update = details.update;
  }
}

/** A subscription was refused or failed (`code` = `SUBSCRIPTION_FAILED`). */
export class SubscriptionError extends StarlingError {
  /** @param {string} message @param {string[]} queries @param {number | undefined} queryId */
  constructor(message, queries, queryId) {
    super('SUBSCRIPTION_FAILED', message);
    this.queries = queries;
    this.queryId = queryId;
  }
}

/** A one-off query failed (`code` = `QUERY_FAILED`). */
export class QueryError extends StarlingError {
  /** @param {string} message @param {string} query */
  constructor(message, query) {
    super('QUERY_FAILED', message);
    this.query = query;
  }
}

/** A name (table, reducer, column) is not in the database's schema (`code` = `UNKNOWN_NAME`). */
export class SchemaError extends StarlingError {
  /** @param {string} message */
  constructor(message) {
    super('UNKNOWN_NAME', message);
  }
}

/**
 * The error for a WebSocket close frame (or a drop without one) the client did not ask for.
 * @param {number} closeCode
 * @param {string} reason
 * @returns {ConnectionError}
 */
export function closeError(closeCode, reason) {
  const said = reason ? `: ${reason}` : '';
  switch (closeCode) {
    case 1000:
      return new ConnectionError('CLOSED_BY_SERVER', `the server closed the connection${said}`, { closeCode, reason });
    case 1001:
      return new ConnectionError('SERVER_GOING_AWAY', `the server is going away (1001)${said}`, { closeCode, reason });
    case 1002:
      return new ConnectionError('PROTOCOL_VIOLATION', `WebSocket protocol error (1002)${said}`, { closeCode, reason });
    case 1003:
      return new ConnectionError(
        'UNSUPPORTED_DATA',
        `the server refused a frame of the wrong kind (1003: text vs binary)${said}`,
        { closeCode, reason });
    case 1006:
      return new ConnectionError(
        'CONNECTION_LOST', `the connection was lost without a close frame (1006)${said}`, { closeCode, reason });
    case 1007:
      return new ConnectionError(
        'MALFORMED_MESSAGE', `the server could not decode a message this client sent (1007)${said}`, { closeCode, reason });
    case 1008:
      return /slow consumer/i.test(reason)
        ? new ConnectionError(
          'SLOW_CONSUMER', `the server dropped this client for reading updates too slowly (1008)${said}`, { closeCode, reason })
        : new ConnectionError('POLICY_VIOLATION', `the server refused this client (1008)${said}`, { closeCode, reason });
    case 1009:
      return new ConnectionError(
        'MESSAGE_TOO_BIG', `a message this client sent is larger than the server's limit (1009)${said}`, { closeCode, reason });
    case 1011:
      return new ConnectionError('SERVER_ERROR', `the server hit an internal error (1011)${said}`, { closeCode, reason });
    case 1012:
      return new ConnectionError(
        'SERVICE_RESTART', `the server restarted the service, e.g. the module's schema changed (1012)${said}`, { closeCode, reason });
    default:
      return new ConnectionError(
        'CLOSED_BY_SERVER', `the server closed the connection with code ${closeCode}${said}`, { closeCode, reason });
  }
}
