import { u32ToIpv4 } from '../../core/ip.js';
import type { ClaimedRange, Mapping, NatConfigFormat, RuleError } from '../format.js';
import { configLines } from './lines.js';
import { readV4, readV4Prefix, v4Contains, v4Text, type V4Prefix } from './prefixes.js';

/**
 * FD.io VPP deterministic NAT (det44), from `det44 add in A/P out B/Q` lines.
 *
 * The formula is VPP's own (src/plugins/nat/det44: `snat_det_add_map` in det44.c,
 * `snat_det_forward` / `snat_det_reverse` in det44.h), re-derived here:
 * - VPP masks both prefixes to their length, as the device stores them;
 * - sharing ratio = 2^(32-P) / 2^(32-Q) inside addresses per outside address;
 * - ports per host = floor((65535 - 1023) / ratio), the 64512 ports from 1024 up shared evenly;
 * - forward: offset = in - in_base; out = out_base + floor(offset / ratio);
 *   first port = 1024 + ports_per_host × (offset mod ratio), last = first + ports_per_host - 1;
 * - reverse: in = in_base + (out - out_base) × ratio + floor((port - 1024) / ports_per_host).
 *
 * Two places where VPP's reverse would still print an address but no host holds the port:
 * ports below 1024 (VPP's CLI refuses them) and, when the ratio does not divide 64512 (ratios of
 * 2048 and up), the ports above the last host's range, where VPP's arithmetic runs into the next
 * outside address's hosts. Both are null here: a port that belongs to no host names nobody.
 */

interface Det44Map {
  line: number;
  inside: V4Prefix;
  outside: V4Prefix;
  ratio: number;
  portsPerHost: number;
}

export interface Det44Rules {
  maps: Det44Map[];
}

const FIRST_PORT = 1024;
const USABLE_PORTS = 65535 - 1023;
// a ratio above 64512 leaves a host no port at all (VPP would divide by zero in reverse)
const MAX_RATIO_BITS = 15;

function readLine(line: number, words: string[]): Det44Map | RuleError {
  const fail = (message: string): RuleError => ({ line, message });
  if (words[0] !== 'det44' || words[1] !== 'add') {
    return fail(`expected "det44 add in <addr>/<plen> out <addr>/<plen>", found ${JSON.stringify(words.join(' '))}`);
  }
  let inside: V4Prefix | undefined;
  let outside: V4Prefix | undefined;
  // VPP's CLI reads `in` and `out` in either order
  for (let i = 2; i < words.length; i += 2) {
    const key = words[i];
    const value = words[i + 1];
    if (key === 'del') return fail('"del" removes a mapping; a configuration lists the mappings in force, so enter the configuration without it');
    if (key !== 'in' && key !== 'out') return fail(`unknown word ${JSON.stringify(key)} (expected "in" or "out")`);
    if (value === undefined) return fail(`"${key}" needs <addr>/<plen>`);
    if ((key === 'in' ? inside : outside) !== undefined) return fail(`"${key}" is given twice`);
    const prefix = readV4Prefix(value);
    if (typeof prefix === 'string') return fail(`${key}: ${prefix}`);
    // 1 << 32 in VPP's own arithmetic is undefined for a /0
    if (prefix.length === 0) return fail(`${key}: a /0 prefix is not a det44 mapping`);
    if (key === 'in') inside = prefix;
    else outside = prefix;
  }
  if (!inside) return fail('"in <addr>/<plen>" is missing');
  if (!outside) return fail('"out <addr>/<plen>" is missing');
  if (outside.length < inside.length) {
    return fail(`in ${v4Text(inside)} has fewer addresses than out ${v4Text(outside)}: the sharing ratio would be 0`);
  }
  if (outside.length - inside.length > MAX_RATIO_BITS) {
    return fail(`in ${v4Text(inside)} over out ${v4Text(outside)} shares one outside address among ${2 ** (outside.length - inside.length)} hosts: fewer than one port each`);
  }
  const ratio = 2 ** (outside.length - inside.length);
  return { line, inside, outside, ratio, portsPerHost: Math.floor(USABLE_PORTS / ratio) };
}

function overlaps(a: V4Prefix, b: V4Prefix): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

function parse(text: string): { ok: true; rules: Det44Rules } | { ok: false; errors: RuleError[] } {
  const { lines, errors } = configLines(text);
  const maps: Det44Map[] = [];
  for (const { line, words } of lines) {
    const read = readLine(line, words);
    if ('message' in read) {
      errors.push(read);
      continue;
    }
    const clash = maps.find((m) => overlaps(m.inside, read.inside) || overlaps(m.outside, read.outside));
    if (clash) {
      const side = overlaps(clash.inside, read.inside) ? `in ${v4Text(read.inside)} overlaps in ${v4Text(clash.inside)}` : `out ${v4Text(read.outside)} overlaps out ${v4Text(clash.outside)}`;
      errors.push({ line, message: `${side} of line ${clash.line}: one address or port would have two holders` });
      continue;
    }
    maps.push(read);
  }
  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => a.line - b.line) };
  if (maps.length === 0) return { ok: false, errors: [{ line: 1, message: 'no "det44 add" line: the configuration maps nothing' }] };
  return { ok: true, rules: { maps } };
}

function mappingOf(map: Det44Map, offset: number): Mapping {
  const host = offset % map.ratio;
  const first = FIRST_PORT + map.portsPerHost * host;
  const outOffset = Math.floor(offset / map.ratio);
  return {
    inside: u32ToIpv4(map.inside.base + offset),
    publicIp: u32ToIpv4(map.outside.base + outOffset),
    ports: [{ start: first, end: first + map.portsPerHost - 1 }],
    formula:
      `vpp-det44 in ${v4Text(map.inside)} out ${v4Text(map.outside)} (line ${map.line}): sharing ratio ${map.ratio}, ` +
      `${map.portsPerHost} ports per host; inside offset ${offset} → outside offset ${outOffset}, ` +
      `ports 1024 + ${map.portsPerHost} × ${host}`,
  };
}

function forward(rules: Det44Rules, inside: string): Mapping | null {
  const addr = readV4(inside);
  if (addr === null) return null;
  const map = rules.maps.find((m) => v4Contains(m.inside, addr));
  return map ? mappingOf(map, addr - map.inside.base) : null;
}

function reverse(rules: Det44Rules, publicIp: string, port: number): Mapping | null {
  const addr = readV4(publicIp);
  if (addr === null || !Number.isInteger(port) || port < FIRST_PORT || port > 65535) return null;
  const map = rules.maps.find((m) => v4Contains(m.outside, addr));
  if (!map) return null;
  const host = Math.floor((port - FIRST_PORT) / map.portsPerHost);
  if (host >= map.ratio) return null;
  return mappingOf(map, (addr - map.outside.base) * map.ratio + host);
}

function claims(rules: Det44Rules): ClaimedRange[] {
  return rules.maps.map((m) => ({ first: u32ToIpv4(m.outside.base), last: u32ToIpv4(m.outside.base + m.outside.size - 1) }));
}

export const vppDet44: NatConfigFormat<Det44Rules> = { name: 'vpp-det44', parse, forward, reverse, claims };
