// Algebraic types: the in-memory model, the parser for the type strings of the schema JSON
// (`AlgebraicType.description` on the server, e.g. `array<(x: f32, y: f32)>`), and the printer
// that writes the same syntax back.
//
// Syntax (whitespace is allowed between tokens):
//   type    := primitive | 'array<' type '>' | 'option<' type '>' | product | sum
//   product := '(' [ field { ',' field } ] ')'          field   := name ':' type
//   sum     := '{' [ variant { '|' variant } ] '}'      variant := name [ ':' type ]
// A variant without `: type` carries no data (its payload is the empty product `()`). Unnamed
// fields and variants are printed by the server as their index (`0`, `1`, …) and parse as names.

import { TypeSyntaxError } from './errors.js';

/**
 * @typedef {'bool'|'i8'|'u8'|'i16'|'u16'|'i32'|'u32'|'i64'|'u64'|'i128'|'u128'|'f32'|'f64'
 *   |'string'|'bytes'|'identity'|'connection_id'|'timestamp'|'time_duration'|'schedule_at'} PrimitiveKind
 */

/**
 * An algebraic type.
 * @typedef {{ kind: PrimitiveKind }
 *   | { kind: 'array', elem: AlgebraicType }
 *   | { kind: 'option', inner: AlgebraicType }
 *   | { kind: 'product', fields: Member[] }
 *   | { kind: 'sum', variants: Member[] }} AlgebraicType
 */

/**
 * A product field or sum variant. `name` is null for an unnamed member.
 * @typedef {{ name: string | null, type: AlgebraicType }} Member
 */

/** Names of the primitive types as the schema JSON spells them. */
export const PRIMITIVE_KINDS = Object.freeze([
  'bool', 'i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'i128', 'u128', 'f32', 'f64',
  'string', 'bytes', 'identity', 'connection_id', 'timestamp', 'time_duration', 'schedule_at',
]);

const PRIMITIVES = new Map(PRIMITIVE_KINDS.map((k) => [k, Object.freeze({ kind: k })]));

/** Constructors for types, for code that builds types by hand. */
export const T = Object.freeze({
  bool: PRIMITIVES.get('bool'), i8: PRIMITIVES.get('i8'), u8: PRIMITIVES.get('u8'),
  i16: PRIMITIVES.get('i16'), u16: PRIMITIVES.get('u16'), i32: PRIMITIVES.get('i32'),
  u32: PRIMITIVES.get('u32'), i64: PRIMITIVES.get('i64'), u64: PRIMITIVES.get('u64'),
  i128: PRIMITIVES.get('i128'), u128: PRIMITIVES.get('u128'), f32: PRIMITIVES.get('f32'),
  f64: PRIMITIVES.get('f64'), string: PRIMITIVES.get('string'), bytes: PRIMITIVES.get('bytes'),
  identity: PRIMITIVES.get('identity'), connectionId: PRIMITIVES.get('connection_id'),
  timestamp: PRIMITIVES.get('timestamp'), timeDuration: PRIMITIVES.get('time_duration'),
  scheduleAt: PRIMITIVES.get('schedule_at'),
  /** @param {AlgebraicType} elem @returns {AlgebraicType} */
  array: (elem) => ({ kind: 'array', elem }),
  /** @param {AlgebraicType} inner @returns {AlgebraicType} */
  option: (inner) => ({ kind: 'option', inner }),
  /**
   * A product from `[name, type]` pairs (name null for unnamed fields).
   * @param {Array<[string | null, AlgebraicType]>} fields @returns {AlgebraicType}
   */
  product: (fields) => ({ kind: 'product', fields: fields.map(([name, type]) => ({ name, type })) }),
  /**
   * A sum from `[name, type]` pairs; a missing type means a unit variant.
   * @param {Array<[string | null, AlgebraicType?]>} variants @returns {AlgebraicType}
   */
  sum: (variants) => ({
    kind: 'sum',
    variants: variants.map(([name, type]) => ({ name, type: type ?? UNIT })),
  }),
});

/** The empty product `()`, the payload of a variant that carries no data. @type {AlgebraicType} */
export const UNIT = Object.freeze({ kind: 'product', fields: Object.freeze([]) });

/**
 * Whether `type` is the empty product.
 * @param {AlgebraicType} type
 * @returns {boolean}
 */
export function isUnit(type) {
  return type.kind === 'product' && type.fields.length === 0;
}

/**
 * The key of a member in JS values and JSON: its name, or its index for an unnamed member.
 * @param {Member} member
 * @param {number} index
 * @returns {string}
 */
export function memberKey(member, index) {
  return member.name ?? String(index);
}

/**
 * Parses a type string of the schema JSON (e.g. `option<array<(x: f32, y: f32)>>`).
 * @param {string} text
 * @returns {AlgebraicType}
 * @throws {TypeSyntaxError} when the text is not a type
 */
export function parseType(text) {
  const p = new Parser(text);
  const type = p.type(0);
  p.skipSpace();
  if (p.pos < text.length) p.fail(`unexpected \`${text[p.pos]}\` after the type`);
  return type;
}

const NAME_CHAR = /[^\s:,|(){}<>]/u;
const MAX_DEPTH = 64;

class Parser {
  /** @param {string} text */
  constructor(text) {
    this.text = text;
    this.pos = 0;
  }

  /** @param {string} message @returns {never} */
  fail(message) {
    throw new TypeSyntaxError(message, this.text, this.pos);
  }

  skipSpace() {
    while (this.pos < this.text.length && /\s/u.test(this.text[this.pos])) this.pos++;
  }

  /** @param {string} ch @returns {boolean} */
  eat(ch) {
    this.skipSpace();
    if (this.text[this.pos] === ch) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** @param {string} ch */
  expect(ch) {
    if (!this.eat(ch)) {
      this.fail(this.pos < this.text.length ? `expected \`${ch}\`, found \`${this.text[this.pos]}\`` : `expected \`${ch}\`, found the end`);
    }
  }

  /** @returns {string} */
  name() {
    this.skipSpace();
    const start = this.pos;
    while (this.pos < this.text.length && NAME_CHAR.test(this.text[this.pos])) this.pos++;
    if (this.pos === start) {
      this.fail(this.pos < this.text.length ? `expected a name, found \`${this.text[this.pos]}\`` : 'expected a name, found the end');
    }
    return this.text.slice(start, this.pos);
  }

  /** @param {number} depth @returns {AlgebraicType} */
  type(depth) {
    if (depth >= MAX_DEPTH) this.fail(`type nested deeper than ${MAX_DEPTH} levels`);
    this.skipSpace();
    if (this.eat('(')) return this.product(depth);
    if (this.eat('{')) return this.sum(depth);
    const start = this.pos;
    const word = this.name();
    if (word === 'array' || word === 'option') {
      this.expect('<');
      const inner = this.type(depth + 1);
      this.expect('>');
      return word === 'array' ? { kind: 'array', elem: inner } : { kind: 'option', inner };
    }
    const prim = PRIMITIVES.get(word);
    if (!prim) {
      this.pos = start;
      this.fail(`unknown type \`${word}\``);
    }
    return prim;
  }

  /** @param {number} depth @returns {AlgebraicType} */
  product(depth) {
    /** @type {Member[]} */
    const fields = [];
    if (this.eat(')')) return { kind: 'product', fields };
    do {
      const name = this.name();
      this.expect(':');
      fields.push({ name, type: this.type(depth + 1) });
    } while (this.eat(','));
    this.expect(')');
    return { kind: 'product', fields };
  }

  /** @param {number} depth @returns {AlgebraicType} */
  sum(depth) {
    /** @type {Member[]} */
    const variants = [];
    if (this.eat('}')) return { kind: 'sum', variants };
    do {
      const name = this.name();
      const type = this.eat(':') ? this.type(depth + 1) : UNIT;
      variants.push({ name, type });
    } while (this.eat('|'));
    this.expect('}');
    if (variants.length > 256) this.fail(`a sum has at most 256 variants, this one has ${variants.length}`);
    return { kind: 'sum', variants };
  }
}

/**
 * Writes a type in the schema JSON's syntax (the inverse of `parseType`; unnamed members are
 * written as their index, as the server does).
 * @param {AlgebraicType} type
 * @returns {string}
 */
export function formatType(type) {
  switch (type.kind) {
    case 'array':
      return `array<${formatType(type.elem)}>`;
    case 'option':
      return `option<${formatType(type.inner)}>`;
    case 'product':
      return `(${type.fields.map((f, i) => `${memberKey(f, i)}: ${formatType(f.type)}`).join(', ')})`;
    case 'sum':
      return `{${type.variants.map((v, i) => (isUnit(v.type) ? memberKey(v, i) : `${memberKey(v, i)}: ${formatType(v.type)}`)).join(' | ')}}`;
    default:
      return type.kind;
  }
}

/**
 * Whether two types are structurally equal (member names included).
 * @param {AlgebraicType} a
 * @param {AlgebraicType} b
 * @returns {boolean}
 */
export function typesEqual(a, b) {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'array':
      return typesEqual(a.elem, /** @type {any} */ (b).elem);
    case 'option':
      return typesEqual(a.inner, /** @type {any} */ (b).inner);
    case 'product':
    case 'sum': {
      const am = a.kind === 'product' ? a.fields : a.variants;
      const bm = /** @type {any} */ (b)[a.kind === 'product' ? 'fields' : 'variants'];
      return am.length === bm.length && am.every((m, i) => m.name === bm[i].name && typesEqual(m.type, bm[i].type));
    }
    default:
      return true;
  }
}

/**
 * The smallest number of bytes a value of this type takes in BSATN (docs/BSATN.md, "Decoder
 * obligations" 4); used to refuse impossible array lengths before looping.
 * @param {AlgebraicType} type
 * @returns {number}
 */
export function minimumSize(type) {
  switch (type.kind) {
    case 'string': case 'bytes': case 'array': return 4;
    case 'option': return 1;
    case 'product': return type.fields.reduce((n, f) => n + minimumSize(f.type), 0);
    case 'sum': return 1 + (type.variants.length ? Math.min(...type.variants.map((v) => minimumSize(v.type))) : 0);
    default: return /** @type {number} */ (fixedSize(type));
  }
}

/**
 * The encoded size shared by every value of this type, or null for variable-size types.
 * @param {AlgebraicType} type
 * @returns {number | null}
 */
export function fixedSize(type) {
  switch (type.kind) {
    case 'bool': case 'i8': case 'u8': return 1;
    case 'i16': case 'u16': return 2;
    case 'i32': case 'u32': case 'f32': return 4;
    case 'i64': case 'u64': case 'f64': case 'timestamp': case 'time_duration': return 8;
    case 'i128': case 'u128': case 'connection_id': return 16;
    case 'identity': return 32;
    case 'schedule_at': return 9;
    case 'string': case 'bytes': case 'array': case 'option': return null;
    case 'product': {
      let n = 0;
      for (const f of type.fields) {
        const s = fixedSize(f.type);
        if (s === null) return null;
        n += s;
      }
      return n;
    }
    case 'sum': {
      if (type.variants.length === 0) return 1;
      const first = fixedSize(type.variants[0].type);
      if (first === null) return null;
      return type.variants.every((v) => fixedSize(v.type) === first) ? 1 + first : null;
    }
    default:
      return null;
  }
}
