import { DomainError } from '../core/domain-error.js';
import { canonicalIp, ipv4ToU32, isIpv4 } from '../core/ip.js';
import { parseIsoInstant } from '../core/time.js';
import type { ClaimedRange, NatConfigFormat } from './format.js';
import type { NatConfigRegistry } from './registry.js';

/** A version as an operator enters it (CLI options or the REST body). */
export interface VersionInput {
  instance: string;
  format: string;
  /** The configuration text. */
  text: string;
  validFrom: string;
  validTo?: string | null;
  origin?: string | null;
  /** The id of a version of the same instance this one ends at its validFrom. */
  supersedes?: string | null;
}

export interface CheckedInput {
  instance: string;
  format: NatConfigFormat;
  text: string;
  rules: unknown;
  claims: ClaimedRange[];
  fromMs: number;
  toMs: number | null;
  origin: string | null;
  supersedes: string | null;
}

/** Largest configuration text: a mapping table of a large pool, with room to spare. */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;
/** Errors of the text shown in one message; the rest are counted. */
const SHOWN_ERRORS = 10;

export const INSTANCE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
export const VERSION_ID_PATTERN = '^[0-9a-f]{16}$';
const INSTANCE = new RegExp(INSTANCE_PATTERN);
const VERSION_ID = new RegExp(VERSION_ID_PATTERN);
// the access log's rule for free text: it ends up in its CSV export
const CONTROL = /[\u0000-\u001f\u007f]/;

/** An ISO 8601 instant with Z or an offset, or a bad_time naming the field. */
export function instantOf(text: string, field: string): number {
  const ms = parseIsoInstant(text);
  if (ms === null) throw new DomainError('bad_time', `${JSON.stringify(text)} is not an ISO 8601 instant with Z or an offset (e.g. 2026-11-02T12:00:00Z)`, field);
  return ms;
}

export function checkInstance(text: string, field = 'instance'): string {
  if (!INSTANCE.test(text)) throw new DomainError('bad_parameter', `${JSON.stringify(text)} is not an instance name: 1 to 128 letters, digits and . _ : - , starting with a letter or digit`, field);
  return text;
}

export function checkVersionId(text: string, field = 'id'): string {
  if (!VERSION_ID.test(text)) throw new DomainError('bad_parameter', `${JSON.stringify(text)} is not a version id (16 hex digits, as whohad natconfig list shows)`, field);
  return text;
}

/** Checks everything about a version that does not depend on the stored ones, and reads its rules. */
export function checkVersionInput(input: VersionInput, registry: NatConfigRegistry): CheckedInput {
  const instance = checkInstance(input.instance);
  const format = registry.get(input.format);
  const fromMs = instantOf(input.validFrom, 'validFrom');
  const toMs = input.validTo === undefined || input.validTo === null ? null : instantOf(input.validTo, 'validTo');
  if (toMs !== null && toMs <= fromMs) throw new DomainError('bad_parameter', `${input.validTo} is not after validFrom ${input.validFrom}: a version is in force from validFrom up to, not including, validTo`, 'validTo');
  const origin = input.origin === undefined || input.origin === null ? null : input.origin;
  if (origin !== null && (origin.length === 0 || origin.length > 512 || CONTROL.test(origin))) {
    throw new DomainError('bad_parameter', 'must be 1 to 512 characters without control characters (a file name or a device)', 'origin');
  }
  const supersedes = input.supersedes === undefined || input.supersedes === null ? null : checkVersionId(input.supersedes, 'supersedes');
  const text = input.text;
  if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) throw new DomainError('too_large', `the configuration text is over ${MAX_TEXT_BYTES} bytes`, 'text');
  if (text.includes('\u0000')) throw new DomainError('bad_input', `the configuration text holds a NUL byte (line ${text.slice(0, text.indexOf('\u0000')).split('\n').length}): it is not UTF-8 text`, 'text');
  if (text.trim() === '') throw new DomainError('bad_input', 'the configuration text is empty', 'text');
  const parsed = format.parse(text);
  if (!parsed.ok) {
    const shown = parsed.errors.slice(0, SHOWN_ERRORS).map((e) => `line ${e.line}: ${e.message}`);
    const more = parsed.errors.length > SHOWN_ERRORS ? `; and ${parsed.errors.length - SHOWN_ERRORS} more` : '';
    throw new DomainError('bad_input', `the configuration text does not read as ${format.name}: ${shown.join('; ')}${more}`, 'text');
  }
  const claims = format.claims(parsed.rules);
  if (claims.length === 0) throw new DomainError('bad_input', `the configuration claims no public address: nothing to attribute by it`, 'text');
  for (const c of claims) {
    const first = canonicalIp(c.first);
    const last = canonicalIp(c.last);
    // a format's own promise: not something the operator could fix
    if (!first || !last || !isIpv4(first) || !isIpv4(last) || ipv4ToU32(first) > ipv4ToU32(last)) throw new Error(`format ${format.name} claimed ${c.first}-${c.last}, which is no IPv4 range`);
  }
  return { instance, format, text, rules: parsed.rules, claims: claims.map((c) => ({ first: c.first, last: c.last })), fromMs, toMs, origin, supersedes };
}
