import { u32ToIpv4 } from '../../core/ip.js';
import type { ClaimedRange, Mapping, NatConfigFormat, RuleError } from '../format.js';
import { configLines, decimal } from './lines.js';
import { bigToV6, readV4, readV4Prefix, readV6, v4Contains, v4Text, v6Covers, v6Overlap, v6Text, type V4Prefix, type V6Prefix } from './prefixes.js';

/**
 * Basic Mapping Rules of MAP (RFC 7597 §5, used unchanged by MAP-T, RFC 7599 §5): the end-user
 * IPv6 prefix of a CE carries, after the rule IPv6 prefix, `o` EA bits; their first `p = 32 - r`
 * bits complete the rule IPv4 prefix (length r) to the CE's IPv4 address and the remaining
 * `k = o - p` bits are its PSID. The PSID picks the CE's ports (RFC 7597 §5.1): a port is
 * `A · 2^(16-a) + PSID · 2^m + j` with `a` the PSID offset (6 unless given), `m = 16 - a - k`,
 * every j below 2^m and every A from 1 to 2^a - 1 (A = 0 only when a = 0), so the ports below
 * 2^(16-a) belong to no CE. A rule with no EA bits (RFC 7599 Appendix A, examples 4 and 5) names
 * one CE: its IPv4 prefix is a /32 and its PSID, if any, is given with the rule.
 *
 * One line per rule:
 *   rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length 16 [psid-offset 6] [psid-length 8] [psid 0x34]
 *
 * Not supported, refused with the reason: a rule whose EA bits are fewer than the IPv4 suffix
 * (each CE would hold an IPv4 prefix rather than one address and a port set), and an end-user
 * prefix longer than /64 (the MAP address puts a 64-bit interface identifier after it, §6).
 */

export interface MapRule {
  line: number;
  ipv6: V6Prefix;
  ipv4: V4Prefix;
  /** EA-bit length (o). */
  ea: number;
  /** PSID offset (a), PSID length (k) and the contiguous bits (m). */
  a: number;
  k: number;
  m: number;
  /** The PSID a rule without EA bits gives its one CE; null when the PSID comes from the EA bits. */
  psid: number | null;
}

export interface MapRules {
  rules: MapRule[];
}

const DEFAULT_PSID_OFFSET = 6;
const KEYS = ['ipv6-prefix', 'ipv4-prefix', 'ea-length', 'psid-offset', 'psid-length', 'psid'] as const;
type Key = (typeof KEYS)[number];

function readPsid(text: string): number | null {
  if (/^0x[0-9a-f]{1,4}$/i.test(text)) return parseInt(text.slice(2), 16);
  return decimal(text, 0, 65535);
}

function readRule(line: number, words: string[]): MapRule | RuleError {
  const fail = (message: string): RuleError => ({ line, message });
  if (words[0] !== 'rule') return fail(`expected "rule ipv6-prefix … ipv4-prefix … ea-length …", found ${JSON.stringify(words.join(' '))}`);
  const given = new Map<Key, string>();
  for (let i = 1; i < words.length; i += 2) {
    const key = words[i] as Key;
    if (!KEYS.includes(key)) return fail(`unknown word ${JSON.stringify(words[i])} (expected one of ${KEYS.join(', ')})`);
    if (words[i + 1] === undefined) return fail(`"${key}" needs a value`);
    if (given.has(key)) return fail(`"${key}" is given twice`);
    given.set(key, words[i + 1]);
  }
  for (const key of ['ipv6-prefix', 'ipv4-prefix', 'ea-length'] as const) {
    if (!given.has(key)) return fail(`"${key}" is missing`);
  }
  const ipv6 = readV6(given.get('ipv6-prefix')!, true);
  if (typeof ipv6 === 'string') return fail(`ipv6-prefix: ${ipv6}`);
  if (!given.get('ipv6-prefix')!.includes('/')) return fail('ipv6-prefix: needs a /length');
  const ipv4 = readV4Prefix(given.get('ipv4-prefix')!);
  if (typeof ipv4 === 'string') return fail(`ipv4-prefix: ${ipv4}`);
  if (ipv4.hostBitsSet) return fail(`ipv4-prefix: ${JSON.stringify(given.get('ipv4-prefix'))} has bits set beyond /${ipv4.length} (the prefix is ${v4Text(ipv4)})`);
  const ea = decimal(given.get('ea-length')!, 0, 48);
  if (ea === null) return fail(`ea-length: ${JSON.stringify(given.get('ea-length'))} is not a number of bits from 0 to 48`);
  const a = given.has('psid-offset') ? decimal(given.get('psid-offset')!, 0, 15) : DEFAULT_PSID_OFFSET;
  if (a === null) return fail(`psid-offset: ${JSON.stringify(given.get('psid-offset'))} is not a number of bits from 0 to 15`);
  const kGiven = given.has('psid-length') ? decimal(given.get('psid-length')!, 0, 16) : undefined;
  if (kGiven === null) return fail(`psid-length: ${JSON.stringify(given.get('psid-length'))} is not a number of bits from 0 to 16`);
  if (ipv6.length + ea > 64) return fail(`ipv6-prefix /${ipv6.length} and ${ea} EA bits make an end-user prefix longer than /64`);

  const p = 32 - ipv4.length;
  let k: number;
  let psid: number | null = null;
  if (ea > 0) {
    if (ea < p) return fail(`${ea} EA bits are fewer than the ${p} bits of the IPv4 suffix: each CE would hold an IPv4 prefix, which is not supported`);
    k = ea - p;
    if (k > 16) return fail(`${ea} EA bits leave a PSID of ${k} bits after the ${p}-bit IPv4 suffix; a PSID has at most 16`);
    if (kGiven !== undefined && kGiven !== k) return fail(`psid-length ${kGiven} contradicts the EA bits: ${ea} - (32 - ${ipv4.length}) = ${k}`);
    if (given.has('psid')) return fail('"psid" is given, but the PSID of a rule with EA bits comes from each CE\'s prefix');
  } else {
    if (ipv4.length !== 32) return fail(`a rule with no EA bits names one CE, so its ipv4-prefix must be a /32, not /${ipv4.length}`);
    k = kGiven ?? 0;
    if (k > 0) {
      if (!given.has('psid')) return fail(`a rule with no EA bits and a ${k}-bit PSID needs "psid"`);
      psid = readPsid(given.get('psid')!);
      if (psid === null || psid >= 2 ** k) return fail(`psid: ${JSON.stringify(given.get('psid'))} is not a ${k}-bit PSID (0 to ${2 ** k - 1})`);
    } else if (given.has('psid')) {
      return fail('"psid" is given without a psid-length');
    }
  }
  if (k > 0 && a + k > 16) return fail(`psid-offset ${a} and a ${k}-bit PSID exceed the 16 bits of a port`);
  return { line, ipv6, ipv4, ea, a, k, m: 16 - a - k, psid };
}

/** The ports of one PSID (RFC 7597 §5.1), in order; with no PSID, the whole port space. */
export function psidPorts(rule: Pick<MapRule, 'a' | 'k' | 'm'>, psid: number): Array<{ start: number; end: number }> {
  if (rule.k === 0) return [{ start: 0, end: 65535 }];
  const out: Array<{ start: number; end: number }> = [];
  for (let A = rule.a > 0 ? 1 : 0; A < 2 ** rule.a; A++) {
    const start = A * 2 ** (16 - rule.a) + psid * 2 ** rule.m;
    out.push({ start, end: start + 2 ** rule.m - 1 });
  }
  return out;
}

/** The PSID a port belongs to under a rule, or null for the ports no PSID holds (A = 0 when a > 0). */
export function portPsid(rule: Pick<MapRule, 'a' | 'k' | 'm'>, port: number): number | null {
  if (rule.k === 0) return 0;
  if (rule.a > 0 && Math.floor(port / 2 ** (16 - rule.a)) === 0) return null;
  return Math.floor(port / 2 ** rule.m) % 2 ** rule.k;
}

function portSetsMeet(x: MapRule, y: MapRule): boolean {
  const psidsX = x.psid === null ? null : new Set([x.psid]);
  const psidsY = y.psid === null ? null : new Set([y.psid]);
  for (let port = 0; port <= 65535; port++) {
    const px = portPsid(x, port);
    const py = portPsid(y, port);
    if (px === null || py === null) continue;
    if ((psidsX === null || psidsX.has(px)) && (psidsY === null || psidsY.has(py))) return true;
  }
  return false;
}

function conflict(a: MapRule, b: MapRule): string | null {
  if (v6Overlap(a.ipv6, b.ipv6)) return `ipv6-prefix ${v6Text(b.ipv6)} overlaps ${v6Text(a.ipv6)} of line ${a.line}: one end-user prefix would match two rules`;
  const v4Meet = a.ipv4.base < b.ipv4.base + b.ipv4.size && b.ipv4.base < a.ipv4.base + a.ipv4.size;
  if (v4Meet && portSetsMeet(a, b)) return `ipv4-prefix ${v4Text(b.ipv4)} and its ports overlap those of line ${a.line}: one address and port would have two holders`;
  return null;
}

export function parseMapRules(text: string): { ok: true; rules: MapRules } | { ok: false; errors: RuleError[] } {
  const { lines, errors } = configLines(text);
  const rules: MapRule[] = [];
  for (const { line, words } of lines) {
    const rule = readRule(line, words);
    if ('message' in rule) {
      errors.push(rule);
      continue;
    }
    const clash = rules.map((r) => conflict(r, rule)).find((c) => c !== null);
    if (clash) {
      errors.push({ line, message: clash });
      continue;
    }
    rules.push(rule);
  }
  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => a.line - b.line) };
  if (rules.length === 0) return { ok: false, errors: [{ line: 1, message: 'no "rule" line: the configuration maps nothing' }] };
  return { ok: true, rules: { rules } };
}

/** The MAP CE's IPv6 address (RFC 7597 §6): 16 zero bits, the IPv4 address, the PSID right-aligned. */
function ceAddress(prefix: V6Prefix, ipv4: number, psid: number): string {
  return bigToV6(prefix.base | (BigInt(ipv4) << 16n) | BigInt(psid));
}

function mappingOf(kind: string, rule: MapRule, ea: bigint): Mapping {
  const prefix: V6Prefix = { base: rule.ipv6.base | (ea << BigInt(128 - rule.ipv6.length - rule.ea)), length: rule.ipv6.length + rule.ea };
  const suffix = Number(ea >> BigInt(rule.k));
  const psid = rule.psid ?? Number(ea & ((1n << BigInt(rule.k)) - 1n));
  const ipv4 = rule.ipv4.base + (rule.ea > 0 ? suffix : 0);
  const ports = rule.k === 0 ? 'all ports (no PSID)' : `PSID ${psid} (0x${psid.toString(16)}) of ${rule.k} bits, offset ${rule.a}: ${2 ** rule.a - (rule.a > 0 ? 1 : 0)} ranges of ${2 ** rule.m}`;
  return {
    inside: v6Text(prefix),
    publicIp: u32ToIpv4(ipv4),
    ports: psidPorts(rule, psid),
    formula:
      `${kind} rule ${v6Text(rule.ipv6)} ${v4Text(rule.ipv4)} ea-length ${rule.ea} (line ${rule.line}): ` +
      `EA bits 0x${ea.toString(16)} → IPv4 ${u32ToIpv4(ipv4)}, ${ports}; MAP CE address ${ceAddress(prefix, ipv4, psid)}`,
  };
}

function forward(kind: string, set: MapRules, inside: string): Mapping | null {
  const asked = readV6(inside, false);
  if (typeof asked === 'string') return null;
  const rule = set.rules.find((r) => v6Covers(r.ipv6, asked));
  // a prefix shorter than the end-user prefix spans several CEs: no single holder
  if (!rule || asked.length < rule.ipv6.length + rule.ea) return null;
  const ea = (asked.base >> BigInt(128 - rule.ipv6.length - rule.ea)) & ((1n << BigInt(rule.ea)) - 1n);
  return mappingOf(kind, rule, ea);
}

function reverse(kind: string, set: MapRules, publicIp: string, port: number): Mapping | null {
  const addr = readV4(publicIp);
  if (addr === null || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  for (const rule of set.rules) {
    if (!v4Contains(rule.ipv4, addr)) continue;
    const psid = portPsid(rule, port);
    if (psid === null || (rule.psid !== null && psid !== rule.psid)) continue;
    const ea = rule.ea === 0 ? 0n : (BigInt(addr - rule.ipv4.base) << BigInt(rule.k)) | BigInt(psid);
    return mappingOf(kind, rule, ea);
  }
  return null;
}

function claims(set: MapRules): ClaimedRange[] {
  return set.rules.map((r) => ({ first: u32ToIpv4(r.ipv4.base), last: u32ToIpv4(r.ipv4.base + r.ipv4.size - 1) }));
}

/** A format of Basic Mapping Rules under its name; MAP-E and MAP-T map addresses and ports alike. */
export function mapFormat(name: string): NatConfigFormat<MapRules> {
  return {
    name,
    parse: parseMapRules,
    forward: (rules, inside) => forward(name, rules, inside),
    reverse: (rules, publicIp, port) => reverse(name, rules, publicIp, port),
    claims,
  };
}
