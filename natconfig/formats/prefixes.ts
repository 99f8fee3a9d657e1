import ipaddr from 'ipaddr.js';
import { canonicalIp, ipv4ToU32, u32ToIpv4 } from '../../core/ip.js';
import { decimal } from './lines.js';

/** An IPv4 prefix as numbers: its first address and its length, with how many addresses it holds. */
export interface V4Prefix {
  base: number;
  length: number;
  size: number;
  /** True when the text named an address inside the prefix rather than its network address. */
  hostBitsSet: boolean;
}

/** An IPv6 prefix as a 128-bit number and its length. */
export interface V6Prefix {
  base: bigint;
  length: number;
}

/** Reads `a.b.c.d/len` strictly, or says what is wrong with it. */
export function readV4Prefix(text: string): V4Prefix | string {
  const slash = text.indexOf('/');
  if (slash < 0) return `${JSON.stringify(text)} is not an IPv4 prefix (no /length)`;
  const ip = canonicalIp(text.slice(0, slash));
  if (!ip || ip.includes(':') || ip !== text.slice(0, slash)) return `${JSON.stringify(text)} is not an IPv4 prefix`;
  const length = decimal(text.slice(slash + 1), 0, 32);
  if (length === null) return `${JSON.stringify(text)} has no valid prefix length (0-32)`;
  const size = 2 ** (32 - length);
  const addr = ipv4ToU32(ip);
  const base = addr - (addr % size);
  return { base, length, size, hostBitsSet: base !== addr };
}

export function v4Text(p: { base: number; length: number }): string {
  return `${u32ToIpv4(p.base)}/${p.length}`;
}

export function v4Contains(p: { base: number; size: number }, addr: number): boolean {
  return addr >= p.base && addr < p.base + p.size;
}

/** A canonical IPv4 address as a number, or null when the text is not one. */
export function readV4(text: string): number | null {
  const ip = canonicalIp(text);
  return ip && !ip.includes(':') ? ipv4ToU32(ip) : null;
}

export function v6ToBig(ip: string): bigint {
  let n = 0n;
  for (const b of ipaddr.IPv6.parse(ip).toByteArray()) n = (n << 8n) | BigInt(b);
  return n;
}

export function bigToV6(n: bigint): string {
  const bytes: number[] = [];
  for (let i = 15; i >= 0; i--) bytes.push(Number((n >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

const ALL = (1n << 128n) - 1n;

/** The mask of the first `length` bits of an IPv6 address. */
export function v6Mask(length: number): bigint {
  return length === 0 ? 0n : (ALL >> BigInt(128 - length)) << BigInt(128 - length);
}

/**
 * Reads an IPv6 address or `address/len`; an address alone is a /128. `exact` refuses a prefix
 * written with bits set beyond its length, where a typo and a real prefix cannot be told apart.
 */
export function readV6(text: string, exact: boolean): V6Prefix | string {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const ip = canonicalIp(addrText);
  if (!ip || !ip.includes(':')) return `${JSON.stringify(text)} is not an IPv6 address or prefix`;
  const length = slash < 0 ? 128 : decimal(text.slice(slash + 1), 0, 128);
  if (length === null) return `${JSON.stringify(text)} has no valid prefix length (0-128)`;
  const addr = v6ToBig(ip);
  const base = addr & v6Mask(length);
  if (exact && base !== addr) return `${JSON.stringify(text)} has bits set beyond /${length} (the prefix is ${bigToV6(base)}/${length})`;
  return { base, length };
}

export function v6Text(p: V6Prefix): string {
  return `${bigToV6(p.base)}/${p.length}`;
}

/** Whether the prefix `outer` holds all of `inner`. */
export function v6Covers(outer: V6Prefix, inner: V6Prefix): boolean {
  return inner.length >= outer.length && (inner.base & v6Mask(outer.length)) === outer.base;
}

export function v6Overlap(a: V6Prefix, b: V6Prefix): boolean {
  return v6Covers(a, b) || v6Covers(b, a);
}
