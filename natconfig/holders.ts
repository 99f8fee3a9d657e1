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
 * so the port space is walked, jumping over each holder's range once it is found; a port that
 * belongs to no host is stepped over one at a time.
 */
export function holdersOf(format: NatConfigFormat, rules: unknown, publicIp: string, max = MAX_HOLDERS): { holders: Mapping[]; cut: boolean } {
  const seen = new Set<string>();
  const holders: Mapping[] = [];
  let port = 0;
  while (port <= 65535) {
    const m = format.reverse(rules, publicIp, port);
    if (m === null) {
      port++;
      continue;
    }
    if (!seen.has(m.inside)) {
      if (holders.length === max) return { holders, cut: true };
      seen.add(m.inside);
      holders.push(m);
    }
    const range = m.ports.find((r) => r.start <= port && port <= r.end);
    // a format whose mapping does not list the port it was asked for is not trusted to skip
    port = range ? range.end + 1 : port + 1;
  }
  return { holders, cut: false };
}
