import { Compile } from 'typebox/compile';
import { LeaseEventSchema, NatEventSchema, type CanonicalEvent, type LeaseEvent, type NatEvent } from './schema.js';
import { canonicalIp } from '../core/ip.js';
import { isoMs, parseIsoInstant } from '../core/time.js';

const natShape = Compile(NatEventSchema);
const leaseShape = Compile(LeaseEventSchema);

export type EventResult = { ok: true; event: CanonicalEvent } | { ok: false; reason: string };

function shapeError(errors: Iterable<{ instancePath: string; message: string; params?: any }>): string {
  for (const e of errors) {
    if (e.message === 'schema is false') continue;
    const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'event';
    if (e.params?.additionalProperties) return `${where}: unknown field ${JSON.stringify(e.params.additionalProperties[0])}`;
    if (e.params?.requiredProperties) return `${where}: missing field ${JSON.stringify(e.params.requiredProperties[0])}`;
    return `${where} ${e.message}`;
  }
  return 'event does not match the canonical schema';
}

function instant(text: string, field: string): number | string {
  const ms = parseIsoInstant(text);
  return ms === null ? `${field}: ${JSON.stringify(text)} is not an ISO 8601 instant with Z or an offset (years 1970-9999)` : ms;
}

function address(text: string, field: string): string {
  return canonicalIp(text) ?? `${field}: ${JSON.stringify(text)} is not an IPv4 or IPv6 address`;
}

/**
 * Reads one canonical event as it arrives on the wire (JSON) into the internal form, or says
 * exactly which field is wrong. Used by the HTTP ingest, the CLI and the `canonical` parser.
 */
export function eventFromWire(obj: unknown): EventResult {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return { ok: false, reason: 'event must be a JSON object' };
  const kind = (obj as { kind?: unknown }).kind;
  if (kind === 'nat') return natFromWire(obj);
  if (kind === 'lease') return leaseFromWire(obj);
  return { ok: false, reason: `kind must be "nat" or "lease", got ${JSON.stringify(kind) ?? 'nothing'}` };
}

function natFromWire(obj: object): EventResult {
  if (!natShape.Check(obj)) return { ok: false, reason: shapeError(natShape.Errors(obj) as any) };
  const w = obj as any;
  const at = instant(w.at, 'at');
  if (typeof at === 'string') return { ok: false, reason: at };
  let allocatedAt: number | null = null;
  if (w.allocatedAt != null) {
    const a = instant(w.allocatedAt, 'allocatedAt');
    if (typeof a === 'string') return { ok: false, reason: a };
    allocatedAt = a;
  }
  const publicIp = canonicalIp(w.publicIp);
  if (!publicIp) return { ok: false, reason: address(w.publicIp, 'publicIp') };
  const privateIp = canonicalIp(w.privateIp);
  if (!privateIp) return { ok: false, reason: address(w.privateIp, 'privateIp') };
  const event: NatEvent = {
    kind: 'nat',
    event: w.event,
    at,
    natInstance: w.natInstance ?? 'default',
    publicIp,
    portStart: w.portStart,
    portEnd: w.portEnd,
    privateIp,
    privateVrf: w.privateVrf ?? 'default',
    protocol: w.protocol ?? null,
    allocatedAt,
    source: w.source ?? 'canonical',
  };
  const problem = natProblem(event);
  return problem ? { ok: false, reason: problem } : { ok: true, event };
}

function leaseFromWire(obj: object): EventResult {
  if (!leaseShape.Check(obj)) return { ok: false, reason: shapeError(leaseShape.Errors(obj) as any) };
  const w = obj as any;
  const at = instant(w.at, 'at');
  if (typeof at === 'string') return { ok: false, reason: at };
  let expiresAt: number | null = null;
  if (w.expiresAt != null) {
    const x = instant(w.expiresAt, 'expiresAt');
    if (typeof x === 'string') return { ok: false, reason: x };
    expiresAt = x;
  }
  const ip = canonicalIp(w.ip);
  if (!ip) return { ok: false, reason: address(w.ip, 'ip') };
  // defined, not assigned: a "__proto__" key stays a plain key instead of replacing the prototype
  const identifiers = Object.fromEntries(Object.entries(w.identifiers ?? {})) as Record<string, string | null>;
  const event: LeaseEvent = {
    kind: 'lease',
    event: w.event,
    at,
    ip,
    vrf: w.vrf ?? 'default',
    subscriberId: w.subscriberId,
    expiresAt,
    identifiers,
    source: w.source ?? 'canonical',
  };
  if (w.endTimeUnknown === true) event.endTimeUnknown = true;
  const problem = leaseProblem(event);
  return problem ? { ok: false, reason: problem } : { ok: true, event };
}

/**
 * Characters a stored name may not hold: controls (C0, DEL, C1; CR LF among them, so nothing
 * stored can pose as a line of a log, a CSV or the Redis protocol), bidirectional-formatting
 * marks (which make one id display as another in a report) and unpaired UTF-16 surrogates
 * (not representable in UTF-8: Redis would return something other than what was sent).
 */
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function textProblem(field: string, value: string): string | null {
  if (UNSAFE_TEXT.test(value)) return `${field} contains control characters, bidirectional marks or unpaired surrogates`;
  // what a decoder puts where the bytes were not UTF-8: the name as sent is not known
  if (value.includes('\ufffd')) return `${field} contains U+FFFD: the input was not valid UTF-8`;
  return null;
}

/**
 * Names that become part of Redis keys or of the profile dictionary: a VRF is inside the hash
 * tag `{vrf|ip}` of the lease keys, so braces would move it (and split a lease's keys across
 * cluster slots); a source is stored as `vrf|source` and read back split at the last `|`.
 */
function nameProblems(e: { source: string }, vrfs: Array<[string, string]>, others: Array<[string, string]>): string | null {
  for (const [field, v] of [...vrfs, ...others, ['source', e.source] as [string, string]]) {
    const p = textProblem(field, v);
    if (p) return p;
  }
  for (const [field, v] of vrfs) if (/[{}]/.test(v)) return `${field} ${JSON.stringify(v)} contains { or }, which Redis keys reserve`;
  if (e.source.includes('|')) return `source ${JSON.stringify(e.source)} contains |, which the profile dictionary reserves`;
  return null;
}

/** Checks the rules a schema cannot say. Parsers call this on what they build, too. */
export function natProblem(e: NatEvent): string | null {
  const names = nameProblems(e, [['privateVrf', e.privateVrf]], [['natInstance', e.natInstance]]);
  if (names) return names;
  if ((e.portStart === null) !== (e.portEnd === null)) return 'portStart and portEnd must both be set or both be null';
  if (e.portStart !== null && e.portEnd !== null && e.portStart > e.portEnd) {
    return `portStart ${e.portStart} is above portEnd ${e.portEnd}`;
  }
  if (e.allocatedAt !== null && e.allocatedAt > e.at) return 'allocatedAt is after at';
  if (e.event === 'alloc' && e.allocatedAt !== null && e.allocatedAt !== e.at) return 'an alloc event cannot restate a different allocatedAt';
  return null;
}

export function leaseProblem(e: LeaseEvent): string | null {
  const names = nameProblems(e, [['vrf', e.vrf]], [['subscriberId', e.subscriberId]]);
  if (names) return names;
  if (e.event !== 'start' && e.expiresAt !== null) return `expiresAt belongs to start events, not ${e.event}`;
  if (e.expiresAt !== null && e.expiresAt < e.at) return 'expiresAt is before at';
  if (e.endTimeUnknown && e.event !== 'end') return `endTimeUnknown belongs to end events, not ${e.event}`;
  return null;
}

/** The wire (JSON) form of an internal event, as `whohad parse` prints it. */
export function eventToWire(e: CanonicalEvent): Record<string, unknown> {
  if (e.kind === 'nat') {
    return {
      kind: 'nat', event: e.event, at: isoMs(e.at), natInstance: e.natInstance, publicIp: e.publicIp,
      portStart: e.portStart, portEnd: e.portEnd, privateIp: e.privateIp, privateVrf: e.privateVrf,
      protocol: e.protocol, allocatedAt: e.allocatedAt === null ? null : isoMs(e.allocatedAt), source: e.source,
    };
  }
  return {
    kind: 'lease', event: e.event, at: isoMs(e.at), ip: e.ip, vrf: e.vrf, subscriberId: e.subscriberId,
    expiresAt: e.expiresAt === null ? null : isoMs(e.expiresAt), ...(e.endTimeUnknown ? { endTimeUnknown: true } : {}),
    identifiers: e.identifiers, source: e.source,
  };
}
