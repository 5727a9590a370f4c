// BSATN encoding of types themselves (docs/BSATN.md, "Types"): a one-byte tag, then the tag's
// parameters. The server sends types this way in OneOffQueryResponse column schemas.

import { BsatnError } from './errors.js';
import { PRIMITIVE_KINDS } from './types.js';

/** Type tags in order: 0 sum, 1 product, 2 array, 3 string, … 23 schedule_at. */
const TAGS = [
  'sum', 'product', 'array', 'string', 'bool', 'i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64',
  'i128', 'u128', 'f32', 'f64', 'bytes', 'option', 'identity', 'connection_id', 'timestamp',
  'time_duration', 'schedule_at',
];
const TAG_OF = new Map(TAGS.map((k, i) => [k, i]));
const PRIMITIVE = new Map(PRIMITIVE_KINDS.map((k) => [k, Object.freeze({ kind: k })]));

/** Types nested deeper than this are refused when decoding (`LENGTH_TOO_LARGE`). */
export const MAX_TYPE_DEPTH = 64;

/**
 * Reads a type from `r` (a `BsatnReader`).
 * @param {import('./bsatn.js').BsatnReader} r
 * @param {number} [depth] nesting level of this node (1 for the outermost)
 * @returns {import('./types.js').AlgebraicType}
 */
export function decodeType(r, depth = 1) {
  const at = r.pos;
  if (depth > MAX_TYPE_DEPTH) throw new BsatnError('LENGTH_TOO_LARGE', `type nested deeper than ${MAX_TYPE_DEPTH} levels`, at);
  const tag = r.u8();
  const kind = TAGS[tag];
  if (kind === undefined) throw new BsatnError('INVALID_TAG', `invalid type tag ${tag} (expected 0...23)`, at);
  switch (kind) {
    case 'array':
      return { kind: 'array', elem: decodeType(r, depth + 1) };
    case 'option':
      return { kind: 'option', inner: decodeType(r, depth + 1) };
    case 'product':
    case 'sum': {
      const countAt = r.pos;
      const n = r.length(2);
      if (kind === 'sum' && n > 256) throw new BsatnError('LENGTH_TOO_LARGE', `a sum type has at most 256 variants, found ${n}`, countAt);
      const members = [];
      for (let i = 0; i < n; i++) {
        const nameAt = r.pos;
        const nameTag = r.u8();
        let name = null;
        if (nameTag === 0) name = r.string();
        else if (nameTag !== 1) throw new BsatnError('INVALID_TAG', `invalid member name tag ${nameTag} (expected 0 or 1)`, nameAt);
        members.push({ name, type: decodeType(r, depth + 1) });
      }
      return kind === 'sum' ? { kind: 'sum', variants: members } : { kind: 'product', fields: members };
    }
    default:
      return /** @type {import('./types.js').AlgebraicType} */ (PRIMITIVE.get(kind));
  }
}

/**
 * Writes a type to `w` (a `BsatnWriter`).
 * @param {import('./types.js').AlgebraicType} type
 * @param {import('./bsatn.js').BsatnWriter} w
 */
export function encodeType(type, w) {
  const tag = TAG_OF.get(type.kind);
  if (tag === undefined) throw new BsatnError('TYPE_MISMATCH', `unknown type kind \`${type.kind}\``, -1);
  w.u8(tag);
  switch (type.kind) {
    case 'array':
      return encodeType(type.elem, w);
    case 'option':
      return encodeType(type.inner, w);
    case 'product':
    case 'sum': {
      const members = type.kind === 'product' ? type.fields : type.variants;
      w.u32(members.length);
      for (const m of members) {
        if (m.name === null) w.u8(1);
        else {
          w.u8(0);
          w.string(m.name);
        }
        encodeType(m.type, w);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
