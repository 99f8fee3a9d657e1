import { leaseProblem } from '../../events/wire.js';
import type { LeaseEvent } from '../../events/schema.js';
import type { SourceOptions } from '../../schemas/source-config.js';
import type { ParseSink } from '../format.js';

/**
 * What the four lease parsers share: identifier normalisation, choosing the subscriber key and
 * emitting a checked lease event. Identifier keys are camelCase: mac, clientId, circuitId,
 * remoteId, relaySubscriberId (option-82 / DHCPv6 subscriber-id, named apart from the event's
 * subscriberId), duid, iaid, hostname, username, prefix, and per-format extras.
 */

export type SubscriberKey = NonNullable<SourceOptions['subscriberKey']>;
export type Identifiers = Record<string, string | null>;

/** Identifier values longer than the canonical schema allows are left out rather than cut. */
const MAX_IDENTIFIER = 256;
const MAX_SUBSCRIBER = 128;

const HEX_DIGITS = '0123456789abcdef';
const NORMAL_HEX = /^[0-9a-f]{2}(?::[0-9a-f]{2})*$/;
const LOOSE_HEX = /^[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2})*$/;

/**
 * Colon hex as the samples' convention has it: lower case, two digits per octet. ISC writes
 * option values with %x ("0:1:3:e9"), so short groups are padded. Text that is not colon hex
 * (a Kea admin client-id typed as "1234567890") is returned unchanged: guessing its octets
 * could make two different identifiers equal.
 */
export function normHex(text: string): string {
  if (NORMAL_HEX.test(text)) return text;
  if (!LOOSE_HEX.test(text)) return text;
  let out = '';
  for (const part of text.toLowerCase().split(':')) {
    out += (out ? ':' : '') + (part.length === 1 ? '0' + part : part);
  }
  return out;
}

export function bytesToHex(bytes: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] & 255;
    if (i) out += ':';
    out += HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15];
  }
  return out;
}

/**
 * The bytes of an ISC quoted string (without its quotes): non-printable bytes are written as
 * octal escapes (`\001`), and a backslash quotes the next character.
 */
export function iscStringBytes(body: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c !== 92 || i + 1 >= body.length) {
      out.push(c & 255);
      continue;
    }
    let j = i + 1;
    let n = 0;
    let digits = 0;
    while (digits < 3 && j < body.length && body.charCodeAt(j) >= 48 && body.charCodeAt(j) <= 55) {
      n = n * 8 + body.charCodeAt(j) - 48;
      j++;
      digits++;
    }
    if (digits > 0) {
      out.push(n & 255);
      i = j - 1;
    } else {
      out.push(body.charCodeAt(i + 1) & 255);
      i++;
    }
  }
  return out;
}

/** Sets an identifier when the record has it; empty and oversize values are left out. */
export function setId(ids: Identifiers, key: string, value: string | null | undefined): void {
  if (value === null || value === undefined || value === '' || value.length > MAX_IDENTIFIER) return;
  ids[key] = value;
}

/** What a DHCPv4 record is keyed by when no subscriberKey is configured. */
export const DHCP4_DEFAULT_KEYS: readonly SubscriberKey[] = ['mac', 'clientId'];

/**
 * The subscriber key's value, or the reject reason naming the missing identifier and the
 * setting that chose it. A configured subscriberKey is strict; without one, the defaults are
 * tried in order (a DHCPv4 client with no hardware address is still known by its client-id).
 */
export function pickSubscriber(ids: Identifiers, options: SourceOptions, defaults: SubscriberKey | readonly SubscriberKey[]): { id: string } | { reason: string } {
  const keys = options.subscriberKey ? [options.subscriberKey] : typeof defaults === 'string' ? [defaults] : defaults;
  const key = keys.find((k) => ids[k]) ?? keys[0];
  const value = ids[key];
  if (value === null || value === undefined || value === '') {
    const how = options.subscriberKey ? `subscriberKey is "${key}"` : `subscriberKey defaults to ${keys.map((k) => `"${k}"`).join(' or ')} for this record`;
    const has = Object.keys(ids).filter((k) => ids[k]).join(', ') || 'none';
    return { reason: `record has no ${keys.join(' or ')} (${how}; identifiers present: ${has})` };
  }
  if (value.length > MAX_SUBSCRIBER) return { reason: `${key} is longer than ${MAX_SUBSCRIBER} characters and cannot be the subscriberId` };
  return { id: value };
}

export interface LeaseFields {
  event: LeaseEvent['event'];
  at: number;
  ip: string;
  subscriberId: string;
  expiresAt: number | null;
  /** An end the source states without its time: `at` is the last known activity. */
  endTimeUnknown?: true;
  identifiers: Identifiers;
}

/** Builds the internal event, checks it (events/wire leaseProblem) and hands it to the sink. */
export function emitLease(sink: ParseSink, line: number, f: LeaseFields, vrf: string, source: string): void {
  const e: LeaseEvent = {
    kind: 'lease',
    event: f.event,
    at: f.at,
    ip: f.ip,
    vrf,
    subscriberId: f.subscriberId,
    expiresAt: f.event === 'start' ? f.expiresAt : null,
    identifiers: f.identifiers,
    source,
  };
  if (f.endTimeUnknown) e.endTimeUnknown = true;
  if (!Number.isFinite(e.at) || e.at < 0) {
    sink.reject(line, `event time ${e.at} is before 1970 or not a time`);
    return;
  }
  const problem = leaseProblem(e);
  if (problem) sink.reject(line, problem);
  else sink.event(e, line);
}

const MONTHS: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/** English three-letter month number, or 0. */
export function monthNumber(name: string): number {
  return MONTHS[name] ?? 0;
}
