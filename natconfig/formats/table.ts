import { canonicalIp, ipv4ToU32, u32ToIpv4 } from '../../core/ip.js';
import type { ClaimedRange, Mapping, NatConfigFormat, RuleError } from '../format.js';
import { decimal } from './lines.js';
import { bigToV6, readV4, readV6, v6Mask, v6Text } from './prefixes.js';

const bigToV6Canonical = (n: bigint) => canonicalIp(bigToV6(n))!;

/**
 * An explicit mapping table, the form an operator exports from a device's own `show` command
 * when the device's formula is not public (A10 fixed-NAT, Junos deterministic NAPT, Nokia
 * deterministic NAT) or not one formula at all. CSV with a header naming four columns, in any order:
 *
 *   inside,public_ip,port_start,port_end
 *   100.64.0.1,198.51.100.1,1024,2047
 *   2001:db8:12:3400::/56,198.51.100.2,1024,65535
 *
 * `inside` is an IPv4 or IPv6 address, or an IPv6 prefix `network/length` (a DS-Lite B4 or a
 * MAP CE); `public_ip` an IPv4 address; the ports an inclusive range. Several rows of one inside
 * give it several ranges of one public address. Refused, naming both lines: two rows sharing a
 * public address and port, one inside on two public addresses, and an inside prefix holding
 * another row's inside (a look-up would have two answers). Fields may be double-quoted; blank
 * lines and lines starting with `#` carry nothing; no other column is accepted, since a column
 * this reader does not understand could change what a row means.
 */

interface Row {
  line: number;
  inside: string;
  publicIp: number;
  start: number;
  end: number;
}

interface Holder {
  inside: string;
  publicIp: number;
  ranges: Array<{ start: number; end: number; line: number }>;
}

export interface TableRules {
  /** Inside addresses (IPv4, IPv6) and IPv6 prefixes, by canonical text. */
  byInside: Map<string, Holder>;
  /** The prefix lengths that occur among IPv6 insides, to find the row holding an address. */
  v6Lengths: number[];
  /** Per public address, its ranges sorted by first port. */
  byPublic: Map<number, Array<{ start: number; end: number; holder: Holder }>>;
}

const COLUMNS = ['inside', 'public_ip', 'port_start', 'port_end'] as const;

function fields(text: string): string[] | string {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const f = raw.trim();
    const quoted = /^"([^"]*)"$/.exec(f);
    if (quoted) out.push(quoted[1].trim());
    else if (f.includes('"')) return `field ${JSON.stringify(f)} has a stray quote`;
    else out.push(f);
  }
  return out;
}

/** The canonical text of an inside, or why it is not one. */
function readInside(text: string): string | { error: string } {
  if (text.includes('/')) {
    const p = readV6(text, true);
    if (typeof p === 'string') return { error: `inside: ${p}` };
    // a /128 is the address itself, so both spellings find the same row
    return p.length === 128 ? bigToV6Canonical(p.base) : v6Text(p);
  }
  return canonicalIp(text) ?? { error: `inside: ${JSON.stringify(text)} is not an IP address or IPv6 prefix` };
}

function readRows(text: string): { rows: Row[]; errors: RuleError[] } {
  const errors: RuleError[] = [];
  const rows: Row[] = [];
  let order: number[] | null = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const body = lines[i].trim();
    if (body === '' || body.startsWith('#')) continue;
    if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(body)) {
      errors.push({ line, message: 'contains a control character' });
      continue;
    }
    const cells = fields(body);
    if (typeof cells === 'string') {
      errors.push({ line, message: cells });
      continue;
    }
    if (order === null) {
      const names = cells.map((c) => c.toLowerCase());
      const unknown = names.filter((n) => !(COLUMNS as readonly string[]).includes(n));
      const missing = COLUMNS.filter((c) => !names.includes(c));
      const twice = names.filter((n, j) => names.indexOf(n) !== j);
      if (unknown.length || missing.length || twice.length) {
        const why = [unknown.length && `unknown ${unknown.map((n) => JSON.stringify(n)).join(', ')}`, missing.length && `missing ${missing.join(', ')}`, twice.length && `repeated ${twice.join(', ')}`].filter(Boolean);
        return { rows, errors: [...errors, { line, message: `the header must name the columns ${COLUMNS.join(',')}: ${why.join('; ')}` }] };
      }
      order = COLUMNS.map((c) => names.indexOf(c));
      continue;
    }
    if (cells.length !== COLUMNS.length) {
      errors.push({ line, message: `has ${cells.length} fields; the header names ${COLUMNS.length}` });
      continue;
    }
    const [insideText, publicText, startText, endText] = order.map((j) => cells[j]);
    const inside = readInside(insideText);
    const publicIp = readV4(publicText);
    const start = decimal(startText, 0, 65535);
    const end = decimal(endText, 0, 65535);
    const wrong =
      typeof inside !== 'string' ? inside.error
      : publicIp === null ? `public_ip: ${JSON.stringify(publicText)} is not an IPv4 address`
      : start === null ? `port_start: ${JSON.stringify(startText)} is not a port (0-65535)`
      : end === null ? `port_end: ${JSON.stringify(endText)} is not a port (0-65535)`
      : end < start ? `port_end ${end} is below port_start ${start}`
      : null;
    if (wrong) errors.push({ line, message: wrong });
    else rows.push({ line, inside: inside as string, publicIp: publicIp!, start: start!, end: end! });
  }
  if (order === null) errors.push({ line: 1, message: `no header: the first line must name the columns ${COLUMNS.join(',')}` });
  return { rows, errors };
}

/** Two rows that give one public address and port to two holders (or one holder twice). */
function portClashes(rows: Row[]): RuleError[] {
  const sorted = [...rows].sort((a, b) => a.publicIp - b.publicIp || a.start - b.start || a.line - b.line);
  const errors: RuleError[] = [];
  let reach: Row | null = null;
  for (const row of sorted) {
    if (reach && reach.publicIp === row.publicIp && row.start <= reach.end) {
      const [early, late] = reach.line < row.line ? [reach, row] : [row, reach];
      errors.push({ line: late.line, message: `${u32ToIpv4(row.publicIp)} ports ${late.start}-${late.end} overlap ${early.start}-${early.end} of line ${early.line}: one address and port in two rows` });
    }
    if (!reach || reach.publicIp !== row.publicIp || row.end > reach.end) reach = row;
  }
  return errors;
}

function build(rows: Row[]): { rules: TableRules; errors: RuleError[] } {
  const errors: RuleError[] = [];
  const byInside = new Map<string, Holder>();
  for (const row of rows) {
    const held = byInside.get(row.inside);
    if (!held) byInside.set(row.inside, { inside: row.inside, publicIp: row.publicIp, ranges: [{ start: row.start, end: row.end, line: row.line }] });
    else if (held.publicIp !== row.publicIp) {
      errors.push({ line: row.line, message: `${row.inside} is mapped to ${u32ToIpv4(row.publicIp)} here and to ${u32ToIpv4(held.publicIp)} on line ${held.ranges[0].line}: an inside has one public address` });
    } else held.ranges.push({ start: row.start, end: row.end, line: row.line });
  }
  // an inside prefix that holds another row's inside would answer a look-up twice
  const v6 = [...byInside.values()].filter((h) => h.inside.includes(':')).map((h) => ({ h, p: readV6(h.inside, false) as { base: bigint; length: number } }));
  v6.sort((a, b) => a.p.length - b.p.length);
  const seen = new Map<string, Holder>();
  const lengths = new Set<number>();
  for (const { h, p } of v6) {
    const outer = [...lengths].map((len) => seen.get(`${p.base & v6Mask(len)}/${len}`)).find((o) => o !== undefined);
    if (outer) {
      const line = Math.max(h.ranges[0].line, outer.ranges[0].line);
      errors.push({ line, message: `${h.inside} lies inside ${outer.inside} (lines ${Math.min(h.ranges[0].line, outer.ranges[0].line)} and ${line}): a look-up would have two holders` });
      continue;
    }
    seen.set(`${p.base}/${p.length}`, h);
    lengths.add(p.length);
  }
  const byPublic = new Map<number, Array<{ start: number; end: number; holder: Holder }>>();
  for (const holder of byInside.values()) {
    holder.ranges.sort((a, b) => a.start - b.start);
    const list = byPublic.get(holder.publicIp) ?? [];
    for (const r of holder.ranges) list.push({ start: r.start, end: r.end, holder });
    byPublic.set(holder.publicIp, list);
  }
  for (const list of byPublic.values()) list.sort((a, b) => a.start - b.start);
  return { rules: { byInside, v6Lengths: [...lengths].sort((a, b) => b - a), byPublic }, errors };
}

function parse(text: string): { ok: true; rules: TableRules } | { ok: false; errors: RuleError[] } {
  const { rows, errors } = readRows(text);
  errors.push(...portClashes(rows));
  const built = build(rows);
  errors.push(...built.errors);
  if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => a.line - b.line) };
  if (rows.length === 0) return { ok: false, errors: [{ line: 1, message: 'the table has no rows: it maps nothing' }] };
  return { ok: true, rules: built.rules };
}

function mappingOf(h: Holder): Mapping {
  return {
    inside: h.inside,
    publicIp: u32ToIpv4(h.publicIp),
    ports: h.ranges.map(({ start, end }) => ({ start, end })),
    formula: `table line${h.ranges.length > 1 ? 's' : ''} ${h.ranges.map((r) => r.line).join(', ')}: ${h.inside} → ${u32ToIpv4(h.publicIp)} ports ${h.ranges.map((r) => `${r.start}-${r.end}`).join(', ')}`,
  };
}

function forward(rules: TableRules, inside: string): Mapping | null {
  const asked = readInside(inside);
  if (typeof asked !== 'string') return null;
  const exact = rules.byInside.get(asked);
  if (exact) return mappingOf(exact);
  if (!asked.includes(':')) return null;
  const p = readV6(asked, false);
  if (typeof p === 'string') return null;
  for (const len of rules.v6Lengths) {
    if (len > p.length) continue;
    const h = rules.byInside.get(v6Text({ base: p.base & v6Mask(len), length: len }));
    if (h) return mappingOf(h);
  }
  return null;
}

function reverse(rules: TableRules, publicIp: string, port: number): Mapping | null {
  const addr = readV4(publicIp);
  const list = addr === null ? undefined : rules.byPublic.get(addr);
  if (!list || !Number.isInteger(port)) return null;
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (port < list[mid].start) hi = mid - 1;
    else if (port > list[mid].end) lo = mid + 1;
    else return mappingOf(list[mid].holder);
  }
  return null;
}

function claims(rules: TableRules): ClaimedRange[] {
  const ips = [...rules.byPublic.keys()].sort((a, b) => a - b);
  const out: ClaimedRange[] = [];
  for (const ip of ips) {
    const last = out.at(-1);
    if (last && ipv4ToU32(last.last) + 1 === ip) last.last = u32ToIpv4(ip);
    else out.push({ first: u32ToIpv4(ip), last: u32ToIpv4(ip) });
  }
  return out;
}

export const table: NatConfigFormat<TableRules> = { name: 'table', parse, forward, reverse, claims };
