import { hash } from 'node:crypto';
import { canonicalJson } from './canonical.js';
import type { AuditEntry } from './log.js';

/**
 * The fields of a record in the order canonicalJson writes them (sorted), split where `hash`
 * goes: the hash is taken over the record without it, and the stored record is the same text
 * with it, so both come from one serialisation.
 */
const BEFORE_HASH = ['case', 'chain', 'client', 'count', 'details', 'disclosed'] as const;
const AFTER_HASH = ['kind', 'legalBasis', 'normalised', 'prev', 'purpose', 'query', 'reason', 'route', 'seq', 'status', 'time', 'tokenId', 'user'] as const;
const KNOWN = new Set<string>([...BEFORE_HASH, ...AFTER_HASH]);

type Body = AuditEntry & { chain: string; seq: number; prev: string };

/** Strings and numbers are most fields: written without the recursive walk. */
const value = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || v === null ? JSON.stringify(v) : canonicalJson(v));

function part(o: Record<string, unknown>, keys: readonly string[]): string {
  let out = '';
  for (const k of keys) {
    const v = o[k];
    if (v === undefined) continue;
    out += `${out ? ',' : ''}"${k}":${value(v)}`;
  }
  return out;
}

export interface RecordBytes {
  /** SHA-256 (hex) of the canonical JSON of the record without its hash. */
  hash: string;
  /** The canonical JSON of the record with its hash: what the log stores. */
  json: string;
}

/**
 * A record's hash and stored text, byte for byte what `recordHash` and `canonicalJson` give
 * (the form `audit verify` and checkpoints check), from one pass over the fields and one hash.
 * A record with a field outside the known set takes the general path.
 */
export function recordBytes(body: Body): RecordBytes {
  const o = body as unknown as Record<string, unknown>;
  for (const k in o) {
    if (!KNOWN.has(k) && o[k] !== undefined) return general(body);
  }
  const before = part(o, BEFORE_HASH);
  const after = part(o, AFTER_HASH);
  const sep = before && after ? ',' : '';
  const h = hash('sha256', `{${before}${sep}${after}}`, 'hex');
  const json = `{${before}${before ? ',' : ''}"hash":"${h}"${after ? ',' : ''}${after}}`;
  return { hash: h, json };
}

function general(body: Body): RecordBytes {
  const h = hash('sha256', canonicalJson(body), 'hex');
  return { hash: h, json: canonicalJson({ ...body, hash: h }) };
}
