import type { Mapping, NatConfigFormat } from './format.js';

/**
 * Most holders one version names for an address asked without a port. Deterministic NAT shares
 * an address among its sharing ratio of hosts (typically 8 to 256), MAP among 2^PSID-length CEs;
 * a look-up without a port names them all, as it names every logged block, up to this many.
 */
export const MAX_HOLDERS = 1024;

/**
 * Every inside holder of `publicIp` under one version's rules, in port order, each once: what a
 * look-up without a port names. The formats compute only reverse (address and port → holder),
 * so the port space is walked; every port of a holder found is marked, since each port has one
 * holder (formats refuse rules that give it two), and is not asked again: a MAP address costs
 * one reverse per CE, not per port.
 */
export function holdersOf(format: NatConfigFormat, rules: unknown, publicIp: string, max = MAX_HOLDERS): { holders: Mapping[]; cut: boolean } {
  const known = new Uint8Array(65536);
  const holders: Mapping[] = [];
  const seen = new Set<string>();
  for (let port = 0; port <= 65535; port++) {
    if (known[port] === 1) continue;
    const m = format.reverse(rules, publicIp, port);
    if (m === null) continue;
    known[port] = 1;
    for (const r of m.ports) known.fill(1, Math.max(0, r.start), Math.min(65535, r.end) + 1);
    // a holder listed with two ranges of one address (a table may) is named once
    if (seen.has(m.inside)) continue;
    if (holders.length === max) return { holders, cut: true };
    seen.add(m.inside);
    holders.push(m);
  }
  return { holders, cut: false };
}
