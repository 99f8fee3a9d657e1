import type { ClaimedRange, Mapping, NatConfigFormat } from '../../natconfig/format.js';
import { canonicalIp, ipv4ToU32, u32ToIpv4 } from '../../core/ip.js';

/**
 * A configuration format for tests only: one mapping a line, `INSIDE PUBLIC FIRST-LAST`
 * (`#` starts a comment). It stands for any real format, so the history can be tested
 * without depending on one vendor's formula.
 */
export interface Row {
  inside: string;
  publicIp: string;
  start: number;
  end: number;
}

const mapping = (r: Row): Mapping => ({ inside: r.inside, publicIp: r.publicIp, ports: [{ start: r.start, end: r.end }], formula: `table row ${r.inside} -> ${r.publicIp}:${r.start}-${r.end}` });

export const lineFormat: NatConfigFormat<Row[]> = {
  name: 'test-lines',
  parse(text) {
    const rules: Row[] = [];
    const errors: Array<{ line: number; message: string }> = [];
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') return;
      const m = /^(\S+)\s+(\S+)\s+(\d+)-(\d+)$/.exec(line);
      const inside = m && canonicalIp(m[1]);
      const pub = m && canonicalIp(m[2]);
      if (!m || !inside || !pub || pub.includes(':') || +m[3] > +m[4] || +m[4] > 65535) errors.push({ line: i + 1, message: `not INSIDE PUBLIC FIRST-LAST: ${JSON.stringify(raw)}` });
      else rules.push({ inside, publicIp: pub, start: +m[3], end: +m[4] });
    });
    return errors.length ? { ok: false, errors } : { ok: true, rules };
  },
  forward: (rules, inside) => {
    const r = rules.find((x) => x.inside === inside);
    return r ? mapping(r) : null;
  },
  reverse: (rules, ip, port) => {
    const r = rules.find((x) => x.publicIp === ip && x.start <= port && port <= x.end);
    return r ? mapping(r) : null;
  },
  claims(rules): ClaimedRange[] {
    const ips = [...new Set(rules.map((r) => ipv4ToU32(r.publicIp)))].sort((a, b) => a - b);
    return ips.map((n) => ({ first: u32ToIpv4(n), last: u32ToIpv4(n) }));
  },
};

/** Two inside hosts sharing 198.51.100.1, and one on .2. */
export const CONFIG_A = ['# pool A', '100.64.0.1 198.51.100.1 1024-2047', '100.64.0.2 198.51.100.1 2048-3071', '100.64.0.3 198.51.100.2 1024-2047'].join('\n');
/** The pool renumbered: .1 now maps to 198.51.100.1:4096-5119. */
export const CONFIG_B = ['100.64.0.1 198.51.100.1 4096-5119', '100.64.0.2 198.51.100.1 5120-6143'].join('\n');
/** Another pool of its own. */
export const CONFIG_OTHER = '100.65.0.1 203.0.113.9 1024-2047';
