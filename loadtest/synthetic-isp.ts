import { u32ToIpv4 } from '../core/ip.js';
import type { LeaseEvent, NatEvent } from '../events/schema.js';

/**
 * A synthetic ISP for benchmarks: public addresses carved into 1024-port blocks, each block
 * handed from subscriber to subscriber (a few allocations per block per day, most released,
 * some releases lost), and DHCP leases of the inside addresses with renewals and reuse.
 * Seeded, so two runs produce the same data.
 */
export interface IspShape {
  publicIps: number;
  blocksPerIp: number;
  days: number;
  /** Mean allocation length in hours. */
  meanHoldHours: number;
  privateIps: number;
  start: number;
  seed: number;
  /**
   * Churn of the port blocks: allocations per block per day. Unset: the default mix (a mean hold
   * of `meanHoldHours` capped at a day, about 3 a day at 6 h). Set: three quarters of each cycle
   * held, one quarter free, no cap, so 0.3 means holdings of about 2.5 days.
   */
  allocsPerBlockPerDay?: number;
  /** Churn of the leases: holdings per inside address per day (unset: `meanHoldHours` of leaseEvents). */
  holdingsPerAddressPerDay?: number;
}

export const DEFAULT_SHAPE: IspShape = {
  publicIps: 256,
  blocksPerIp: 63,
  days: 30,
  meanHoldHours: 6,
  privateIps: 100_000,
  start: Date.UTC(2026, 9, 1),
  seed: 42,
};

export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const exp = (r: () => number, mean: number) => -Math.log(1 - r()) * mean;
const PUBLIC_BASE = (198 << 24) + (18 << 16); // 198.18.0.0/15, the benchmarking range
const PRIVATE_BASE = (100 << 24) + (64 << 16); // 100.64.0.0/10

export const publicIpOf = (i: number) => u32ToIpv4((PUBLIC_BASE + i) >>> 0);
export const privateIpOf = (i: number) => u32ToIpv4((PRIVATE_BASE + i) >>> 0);

/** One block's allocations and (mostly) releases, in time order. */
function* blockEvents(shape: IspShape, r: () => number, ip: number, b: number): Generator<NatEvent> {
  const end = shape.start + shape.days * 86_400_000;
  const publicIp = publicIpOf(ip);
  const portStart = 1024 + b * 1024;
  let t = shape.start + Math.floor(r() * 3_600_000);
  const cycle = shape.allocsPerBlockPerDay ? 86_400_000 / shape.allocsPerBlockPerDay : null;
  while (t < end) {
    const hold = cycle ? 600_000 + Math.floor(exp(r, 0.75 * cycle - 600_000)) : Math.min(86_399_000, 600_000 + Math.floor(exp(r, shape.meanHoldHours * 3_600_000)));
    const privateIp = privateIpOf(Math.floor(r() * shape.privateIps));
    const base = { kind: 'nat', natInstance: 'cgn1', publicIp, portStart, portEnd: portStart + 1023, privateIp, privateVrf: 'default', protocol: null, allocatedAt: null, source: 'synthetic' } as const;
    yield { ...base, event: 'alloc', at: t };
    // one release in fifty is lost, as over UDP syslog; the next allocation supersedes it
    if (r() >= 0.02) yield { ...base, event: 'release', at: t + hold };
    t += hold + 1000 + Math.floor(exp(r, cycle ? 0.25 * cycle : 2 * 3_600_000));
  }
}

/**
 * Port-block allocations of the whole ISP in time order, as a CGNAT device logs them: the
 * blocks' own sequences merged by time (a block's release may be logged after another block's
 * later allocation, as happens).
 */
export function* natEvents(shape: IspShape): Generator<NatEvent> {
  const r = rng(shape.seed);
  const heads: Array<{ next: NatEvent; rest: Generator<NatEvent> }> = [];
  for (let ip = 0; ip < shape.publicIps; ip++) {
    for (let b = 0; b < shape.blocksPerIp; b++) {
      const rest = blockEvents(shape, rng(Math.floor(r() * 2 ** 32)), ip, b);
      const first = rest.next();
      if (!first.done) heads.push({ next: first.value, rest });
    }
  }
  // a binary heap on the next event's time
  const less = (i: number, j: number) => heads[i].next.at < heads[j].next.at;
  const swap = (i: number, j: number) => ([heads[i], heads[j]] = [heads[j], heads[i]]);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const m = l + 1 < heads.length && less(l + 1, l) ? l + 1 : l;
      if (l >= heads.length || !less(m, i)) return;
      swap(i, m);
      i = m;
    }
  };
  for (let i = (heads.length >> 1) - 1; i >= 0; i--) down(i);
  while (heads.length > 0) {
    const top = heads[0];
    yield top.next;
    const n = top.rest.next();
    if (n.done) {
      heads[0] = heads[heads.length - 1];
      heads.pop();
    } else {
      top.next = n.value;
    }
    down(0);
  }
}

/** Lease holdings of the inside addresses: DHCP starts with renewals, ends, and reuse. */
export function* leaseEvents(shape: IspShape, meanHoldHours = 20): Generator<LeaseEvent> {
  const r = rng(shape.seed + 1);
  const end = shape.start + shape.days * 86_400_000;
  // a cycle of 9/10 held, 1/10 free when a churn is given
  const cycle = shape.holdingsPerAddressPerDay ? 86_400_000 / shape.holdingsPerAddressPerDay : null;
  for (let p = 0; p < shape.privateIps; p++) {
    const ip = privateIpOf(p);
    let subscriber = Math.floor(r() * 2_000_000);
    let t = shape.start - Math.floor(r() * 86_400_000);
    while (t < end) {
      const hold = cycle ? 3_600_000 + Math.floor(exp(r, Math.max(0.9 * cycle - 3_600_000, 600_000))) : 3_600_000 + Math.floor(exp(r, meanHoldHours * 3_600_000));
      const subscriberId = `S${String(subscriber).padStart(7, '0')}`;
      const base = { kind: 'lease', ip, vrf: 'default', subscriberId, identifiers: {}, source: 'synthetic' } as const;
      // a one-day lease renewed at half its time (DHCP T1) until the holding ends
      for (let s = t; s < t + hold; s += 43_200_000) yield { ...base, event: 'start', at: s, expiresAt: s + 86_400_000 };
      yield { ...base, event: 'end', at: t + hold, expiresAt: null };
      t += hold + Math.floor(exp(r, cycle ? 0.1 * cycle : 3_600_000));
      if (r() < 0.1) subscriber = Math.floor(r() * 2_000_000);
    }
  }
}
