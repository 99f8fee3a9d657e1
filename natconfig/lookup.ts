import { DomainError } from '../core/domain-error.js';
import { canonicalIp, ipv6Prefix, isIpv4 } from '../core/ip.js';
import { isoMs } from '../core/time.js';
import type { Mapping } from './format.js';
import { checkInstance, instantOf } from './input.js';
import type { InForce, NatConfigVersions } from './versions.js';

/**
 * Forward and reverse through the versions in force at an instant: what an operator compares
 * with the device's own commands before trusting a configuration, and what the evidence of a
 * computed answer names (the version, the formula, the inside holder and the ports).
 */

/** One version's answer: its mapping, or null when the formula gives none (a port of no host). */
export interface VersionAnswer {
  id: string;
  instance: string;
  version: number;
  format: string;
  validFrom: string;
  inForceUntil: string | null;
  mapping: Mapping | null;
  /** Why this version could not be computed with (its format not installed here, its text unreadable). */
  problem: string | null;
}

export interface ForwardAnswer {
  instance: string;
  inside: string;
  at: string;
  answers: VersionAnswer[];
}

export interface ReverseAnswer {
  ip: string;
  port: number;
  at: string;
  answers: VersionAnswer[];
  /** More than one version claims the address at that instant: no answer may choose between them. */
  conflict: boolean;
}

function answerOf(f: InForce, compute: (f: InForce) => Mapping | null): VersionAnswer {
  const v = f.version;
  const base = { id: v.id, instance: v.instance, version: v.version, format: v.format, validFrom: v.validFrom, inForceUntil: v.inForceUntil };
  if (f.problem !== null || f.format === null) return { ...base, mapping: null, problem: f.problem ?? `format ${v.format} is not installed here` };
  return { ...base, mapping: compute(f), problem: null };
}

/** An inside address (IPv4 or IPv6) or IPv6 prefix in the one form formats receive. */
export function insideOf(text: string): string {
  if (text.includes('/')) {
    const p = ipv6Prefix(text);
    if (typeof p === 'string') throw new DomainError('bad_ip', `${p}: give an inside IPv4 or IPv6 address, or an IPv6 prefix address/length`, 'inside');
    return p.prefix;
  }
  const ip = canonicalIp(text);
  if (!ip) throw new DomainError('bad_ip', `${JSON.stringify(text)} is not an IPv4 or IPv6 address, nor an IPv6 prefix`, 'inside');
  return ip;
}

export function publicIpOf(text: string): string {
  const ip = canonicalIp(text);
  if (!ip) throw new DomainError('bad_ip', `${JSON.stringify(text)} is not an IPv4 address`, 'ip');
  if (!isIpv4(ip)) throw new DomainError('bad_ip', `${ip} is IPv6: the public side of a NAT configuration is IPv4`, 'ip');
  return ip;
}

export function portOf(text: string | number): number {
  const s = String(text);
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) throw new DomainError('bad_port', `${JSON.stringify(s)} is not a decimal port from 0 to 65535`, 'port');
  return Number(s);
}

/** The public address and ports `inside` had under the versions of `instance` in force at `at`. */
export async function forwardAt(store: NatConfigVersions, q: { instance: string; inside: string; at: string }): Promise<ForwardAnswer> {
  const instance = checkInstance(q.instance);
  const inside = insideOf(q.inside);
  const atMs = instantOf(q.at, 'at');
  const inForce = await store.instanceAt(instance, atMs);
  if (inForce.length === 0) throw new DomainError('not_found', `no version of instance ${instance} is in force at ${isoMs(atMs)} (whohad natconfig list --instance ${instance} shows its versions)`);
  const answers = inForce.map((f) => answerOf(f, (g) => g.format!.forward(g.rules, inside)));
  if (answers.every((a) => a.mapping === null && a.problem === null)) {
    throw new DomainError('not_found', `${inside} is inside no rule of instance ${instance} at ${isoMs(atMs)} (version${inForce.length > 1 ? 's' : ''} ${answers.map((a) => `${a.version} id ${a.id}`).join(', ')})`, 'inside');
  }
  return { instance, inside, at: isoMs(atMs), answers };
}

/** The inside holder of `ip`:`port` under every version that claims the address at `at`. */
export async function reverseAt(store: NatConfigVersions, q: { ip: string; port: string | number; at: string }): Promise<ReverseAnswer> {
  const ip = publicIpOf(q.ip);
  const port = portOf(q.port);
  const atMs = instantOf(q.at, 'at');
  const inForce = await store.versionsAt(ip, atMs);
  if (inForce.length === 0) throw new DomainError('not_found', `no NAT configuration version claims ${ip} at ${isoMs(atMs)}`);
  const answers = inForce.map((f) => answerOf(f, (g) => g.format!.reverse(g.rules, ip, port)));
  return { ip, port, at: isoMs(atMs), answers, conflict: answers.length > 1 };
}
