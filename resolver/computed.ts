import { ipv6Prefix, isIpv4 } from '../core/ip.js';
import type { Mapping } from '../natconfig/format.js';
import { holdersOf } from '../natconfig/holders.js';
import type { InForce } from '../natconfig/versions.js';
import type { AllocationEvidence } from '../schemas/attribution.js';

/** The configuration versions a look-up consults (natconfig/versions.ts's NatConfigVersions). */
export interface ComputedNat {
  versionsDuring(publicIp: string, from: number, to: number): Promise<{ claimed: boolean; inForce: InForce[] }>;
}

/** The VRF a computed holder's lease is looked for in: a configuration names no VRF. */
export const COMPUTED_VRF = 'default';

/** One inside holder a configuration version computes for the address (and port) asked. */
export interface ComputedHolder {
  kind: 'computed';
  inForce: InForce;
  mapping: Mapping;
  /** The part of the window the version was in force, closed. */
  cover: { from: number; to: number };
  /** The port asked, or null. */
  port: number | null;
  evidence: AllocationEvidence | null;
}

/** What the configuration versions say about one look-up window. */
export interface ComputedWindow {
  holders: ComputedHolder[];
  /** Every version claiming the address during the window, whether or not it names a holder. */
  claimants: Array<{ inForce: InForce; cover: { from: number; to: number }; holderless: boolean }>;
  /** Two versions in force together, or one that cannot be computed with: no holder may be chosen. */
  conflict: boolean;
  /** A look-up without a port met more holders than are named. */
  cut: boolean;
}

const meet = (a: { from: number; to: number }, b: { from: number; to: number }) => a.from <= b.to && b.from <= a.to;

/** The inside holders the versions in force during [from, to] compute for `ip` (and `port`). */
export function computedWindow(inForce: InForce[], ip: string, port: number | null, from: number, to: number, natInstance?: string): ComputedWindow {
  const out: ComputedWindow = { holders: [], claimants: [], conflict: false, cut: false };
  for (const f of inForce) {
    if (natInstance !== undefined && f.version.instance !== natInstance) continue;
    const cover = { from: Math.max(from, f.from), to: Math.min(to, f.until - 1) };
    if (cover.from > cover.to) continue;
    // a version that claims the address but cannot be computed with here may name anyone
    if (f.problem !== null || f.format === null) {
      out.conflict = true;
      out.claimants.push({ inForce: f, cover, holderless: false });
      continue;
    }
    let mappings: Mapping[];
    if (port === null) {
      const all = holdersOf(f.format, f.rules, ip);
      mappings = all.holders;
      out.cut ||= all.cut;
    } else {
      const m = f.format.reverse(f.rules, ip, port);
      mappings = m === null ? [] : [m];
    }
    out.claimants.push({ inForce: f, cover, holderless: mappings.length === 0 });
    for (const mapping of mappings) out.holders.push({ kind: 'computed', inForce: f, mapping, cover, port, evidence: null });
  }
  for (let i = 0; i < out.claimants.length; i++) {
    for (let j = i + 1; j < out.claimants.length; j++) {
      if (meet(out.claimants[i].cover, out.claimants[j].cover)) out.conflict = true;
    }
  }
  return out;
}

/** A logged allocation as far as a contradiction needs it. */
export interface LoggedHolder {
  cover: { from: number; to: number };
  privateIp: string;
  portStart: number | null;
  portEnd: number | null;
}

/** Whether a computed inside holder (an address or an IPv6 prefix) is the logged inside address. */
function sameHolder(inside: string, privateIp: string): boolean {
  if (inside === privateIp) return true;
  if (!inside.includes('/') || isIpv4(privateIp)) return false;
  const p = ipv6Prefix(inside);
  if (typeof p === 'string') return false;
  const q = ipv6Prefix(`${privateIp}/${p.length}`);
  return typeof q !== 'string' && q.prefix === p.prefix;
}

const rangesMeet = (ports: Mapping['ports'], start: number | null, end: number | null) =>
  ports.some((r) => r.start <= (end ?? 65535) && (start ?? 0) <= r.end);

/**
 * Whether a logged allocation contradicts the configuration at an instant both cover: a
 * computed holder of an overlapping port that is someone else, or (a port asked) a version
 * claiming the address that gives the port to no host at all.
 */
export function contradicts(w: ComputedWindow, logged: LoggedHolder, port: number | null): boolean {
  for (const h of w.holders) {
    if (meet(h.cover, logged.cover) && rangesMeet(h.mapping.ports, logged.portStart, logged.portEnd) && !sameHolder(h.mapping.inside, logged.privateIp)) return true;
  }
  if (port === null) return false;
  return w.claimants.some((c) => c.holderless && meet(c.cover, logged.cover));
}

/** The range of the port set holding `port`; with no port, the whole set when it is one range. */
function rangeShown(m: Mapping, port: number | null): { start: number; end: number } | null {
  if (port !== null) return m.ports.find((r) => r.start <= port && port <= r.end) ?? null;
  return m.ports.length === 1 ? m.ports[0] : null;
}

export function computedEvidence(publicIp: string, h: ComputedHolder): AllocationEvidence {
  if (h.evidence !== null) return h.evidence;
  const v = h.inForce.version;
  const m = h.mapping;
  const shown = rangeShown(m, h.port);
  const all = `${m.ports[0].start}-${m.ports[m.ports.length - 1].end}`;
  const superseded = v.supersededBy.length > 0 && v.inForceUntil !== null && v.inForceUntil !== v.validTo;
  return (h.evidence = {
    id: `natconfig:${v.id}|${publicIp}|${all}`,
    natInstance: v.instance,
    publicIp,
    portStart: shown?.start ?? null,
    portEnd: shown?.end ?? null,
    protocol: null,
    privateIp: m.inside,
    privateVrf: COMPUTED_VRF,
    start: v.validFrom,
    startNotBefore: null,
    startInferred: false,
    end: v.inForceUntil,
    endBasis: v.inForceUntil === null ? 'open' : superseded ? 'superseded' : 'configured',
    lastSeen: null,
    source: `natconfig:${v.format}`,
    ingest: null,
    configuration: {
      id: v.id,
      instance: v.instance,
      version: v.version,
      format: v.format,
      formula: m.formula,
      inside: m.inside,
      ports: m.ports,
      validFrom: v.validFrom,
      inForceUntil: v.inForceUntil,
      enteredBy: v.enteredBy,
    },
  });
}
