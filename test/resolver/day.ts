import type { Cluster, Redis } from 'ioredis';
import { expect } from 'vitest';
import type { CanonicalEvent, LeaseEvent, NatEvent } from '../../events/schema.js';
import { normaliseQuery, type NormalisedQuery, type QueryInput } from '../../resolver/query.js';
import { Resolver } from '../../resolver/resolve.js';
import { IndexReader } from '../../timeindex/reader.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents, privateIpOf, publicIpOf, rng, type IspShape } from '../../loadtest/synthetic-isp.js';

/**
 * A generated day and a half of traffic around the night Copenhagen repeats 02:00-03:00
 * (2026-10-25), for comparing two read paths answer by answer: a small synthetic ISP (lost
 * releases, handovers, lease renewals and reuse) plus the corners the generator lacks (a
 * handover in one second, an orphan release, sightings, an address-only block, two protocols
 * and NAT instances on one block, a second VRF and one without leases, an IPv6 inside address,
 * direct public IPv4 and a delegated IPv6 prefix), with duplicates, stored in shuffled batches.
 * The queries ask every way a door may: ISO with Z or an offset, epoch seconds and
 * milliseconds, local time with tz (the repeated hour included), with and without a port.
 */
export const SHAPE: IspShape = { ...DEFAULT_SHAPE, publicIps: 5, blocksPerIp: 6, days: 2, meanHoldHours: 2, privateIps: 80, start: Date.UTC(2026, 9, 24), seed: 11 };
export const NOW = SHAPE.start + 3 * 86_400_000;
export const RESOLVER_CONFIG = { toleranceS: 2, retentionDays: 365, interimIntervalS: 3600, directVrf: 'default', now: () => NOW };

const H = 3_600_000;
const T = (h: number) => SHAPE.start + Math.round(h * H);
const CORNER_IP = '198.51.100.10';

function nat(over: Partial<NatEvent> & Pick<NatEvent, 'event' | 'at' | 'privateIp'>): NatEvent {
  return { kind: 'nat', natInstance: 'cgn2', publicIp: CORNER_IP, portStart: 2048, portEnd: 3071, privateVrf: 'default', protocol: null, allocatedAt: null, source: 'corner', ...over };
}

function lease(over: Partial<LeaseEvent> & Pick<LeaseEvent, 'event' | 'at' | 'ip' | 'subscriberId'>): LeaseEvent {
  return { kind: 'lease', vrf: 'default', expiresAt: over.event === 'start' ? over.at + 86_400_000 : null, identifiers: {}, source: 'dhcp-corner', ...over };
}

function corners(): CanonicalEvent[] {
  return [
    // a handover in one second: A released and B allocated at the same instant
    nat({ event: 'alloc', at: T(1), privateIp: '100.127.0.1' }),
    nat({ event: 'release', at: T(5), privateIp: '100.127.0.1' }),
    nat({ event: 'alloc', at: T(5), privateIp: '100.127.0.2' }),
    nat({ event: 'release', at: T(9), privateIp: '100.127.0.2' }),
    // a release whose allocation was lost, then a sighting without an allocation time
    nat({ event: 'release', at: T(12), privateIp: '100.127.0.3' }),
    nat({ event: 'interim', at: T(14), privateIp: '100.127.0.4' }),
    nat({ event: 'interim', at: T(15), privateIp: '100.127.0.4' }),
    // an open block last seen long ago (a log gap)
    nat({ event: 'alloc', at: T(20), privateIp: '100.127.0.5', portStart: 4096, portEnd: 5119 }),
    // two protocols and two instances on one block
    nat({ event: 'alloc', at: T(2), privateIp: '100.127.0.6', portStart: 8192, portEnd: 9215, protocol: 6, natInstance: 'cgn3' }),
    nat({ event: 'alloc', at: T(2), privateIp: '100.127.0.7', portStart: 8192, portEnd: 9215, protocol: 17, natInstance: 'cgn4' }),
    nat({ event: 'release', at: T(30), privateIp: '100.127.0.6', portStart: 8192, portEnd: 9215, protocol: 6, natInstance: 'cgn3' }),
    // a second VRF, and a VRF whose leases nobody sent
    nat({ event: 'alloc', at: T(3), privateIp: '10.0.0.8', portStart: 10240, portEnd: 11263, privateVrf: 'cust-b', source: 'corner-b' }),
    nat({ event: 'alloc', at: T(3), privateIp: '10.0.0.9', portStart: 11264, portEnd: 12287, privateVrf: 'cust-nobody' }),
    // an IPv6 inside address
    nat({ event: 'alloc', at: T(4), privateIp: '2001:db8:ffff::9', portStart: 12288, portEnd: 13311 }),
    // address-only NAT on another public address
    nat({ event: 'alloc', at: T(6), privateIp: '100.127.0.10', publicIp: '198.51.100.11', portStart: null, portEnd: null }),
    nat({ event: 'release', at: T(26), privateIp: '100.127.0.10', publicIp: '198.51.100.11', portStart: null, portEnd: null }),
    lease({ event: 'start', at: T(0), ip: '100.127.0.1', subscriberId: 'C-A' }),
    lease({ event: 'start', at: T(0.5), ip: '100.127.0.2', subscriberId: 'C-B' }),
    lease({ event: 'end', at: T(7), ip: '100.127.0.2', subscriberId: 'C-B' }),
    lease({ event: 'start', at: T(7), ip: '100.127.0.2', subscriberId: 'C-B2' }),
    lease({ event: 'start', at: T(-2), ip: '100.127.0.3', subscriberId: 'C-C' }),
    lease({ event: 'start', at: T(13), ip: '100.127.0.4', subscriberId: 'C-D' }),
    lease({ event: 'expire', at: T(16), ip: '100.127.0.4', subscriberId: 'C-D' }),
    lease({ event: 'start', at: T(19), ip: '100.127.0.5', subscriberId: 'C-E' }),
    lease({ event: 'start', at: T(1), ip: '100.127.0.6', subscriberId: 'C-F' }),
    lease({ event: 'start', at: T(1), ip: '100.127.0.7', subscriberId: 'C-G' }),
    lease({ event: 'start', at: T(1), ip: '10.0.0.8', vrf: 'cust-b', subscriberId: 'C-H' }),
    lease({ event: 'start', at: T(1), ip: '10.0.0.8', subscriberId: 'C-not-this-vrf' }),
    lease({ event: 'start', at: T(1), ip: '2001:db8:ffff::9', subscriberId: 'C-V6' }),
    lease({ event: 'start', at: T(5), ip: '100.127.0.10', subscriberId: 'C-I' }),
    // direct public addresses: IPv4, and an IPv6 delegated prefix beside its network address
    lease({ event: 'start', at: T(2), ip: '203.0.113.9', subscriberId: 'C-DIRECT' }),
    lease({ event: 'end', at: T(22), ip: '203.0.113.9', subscriberId: 'C-DIRECT' }),
    lease({ event: 'start', at: T(2), ip: '2001:db8:1200::', subscriberId: 'C-PD', identifiers: { prefix: '2001:db8:1200::/56' } }),
    lease({ event: 'start', at: T(3), ip: '2001:db8:1200::', subscriberId: 'C-PD-ADDR' }),
  ];
}

/** The events in a seeded shuffled order with a tenth duplicated, cut into batches of 1-300. */
export function dayBatches(): CanonicalEvent[][] {
  const r = rng(SHAPE.seed * 7919 + 1);
  const events: CanonicalEvent[] = [...natEvents(SHAPE), ...leaseEvents(SHAPE, 5), ...corners()];
  const dup = Math.floor(events.length / 10);
  for (let i = 0; i < dup; i++) events.push(events[Math.floor(r() * events.length)]);
  const keyed = events.map((e) => ({ e, k: r() })).sort((a, b) => a.k - b.k).map((x) => x.e);
  const out: CanonicalEvent[][] = [];
  for (let i = 0; i < keyed.length; ) {
    const size = 1 + Math.floor(r() * 300);
    out.push(keyed.slice(i, i + size));
    i += size;
  }
  return out;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The instant written every way a door reads one (offsets and local times as Copenhagen's clock shows). */
function timeForms(ms: number, r: () => number): Pick<QueryInput, 'at' | 'tz'> {
  const form = r();
  if (form < 0.3) return { at: new Date(ms).toISOString().replace('.000Z', 'Z') };
  if (form < 0.4) return { at: String(Math.floor(ms / 1000)) };
  if (form < 0.5) return { at: String(ms) };
  const offsetH = ms < Date.UTC(2026, 9, 25, 1) ? 2 : 1;
  const local = new Date(ms + offsetH * H).toISOString().slice(0, 19);
  if (form < 0.65) return { at: `${local}+${pad(offsetH)}:00` };
  return { at: local, tz: 'Europe/Copenhagen' };
}

export function dayQueries(): QueryInput[] {
  const r = rng(4242);
  const tolerance = () => [undefined, 0, 2, 30, 300][Math.floor(r() * 5)];
  const out: QueryInput[] = [];
  const end = SHAPE.start + SHAPE.days * 86_400_000;
  for (let ip = 0; ip <= SHAPE.publicIps; ip++) {
    for (let t = SHAPE.start - H; t < end + H; t += 17 * 60_000 + Math.floor(r() * 120_000)) {
      const ports: Array<number | null> = [1024 + Math.floor(r() * SHAPE.blocksPerIp * 1024), 1024 + Math.floor(r() * (SHAPE.blocksPerIp + 1) * 1024)];
      if (r() < 0.2) ports.push(null);
      for (const port of ports) {
        const tol = tolerance();
        out.push({ ip: publicIpOf(ip), port: port === null ? null : String(port), ...timeForms(t, r), ...(tol === undefined ? {} : { tolerance: String(tol) }) });
      }
    }
  }
  // exactly on the allocations' handovers: the release of one holder is the start of the next
  for (const e of natEvents(SHAPE)) {
    if (r() < 0.08) out.push({ ip: e.publicIp, port: String(e.portStart! + Math.floor(r() * 1024)), at: new Date(e.at).toISOString(), tolerance: String(Math.floor(r() * 3)) });
  }
  // the repeated hour, every quarter: both instants
  for (let m = 0; m < 60; m += 15) {
    for (let ip = 0; ip < 2; ip++) out.push({ ip: publicIpOf(ip), port: String(1024 + Math.floor(r() * 6144)), at: `2026-10-25T02:${pad(m)}:00`, tz: 'Europe/Copenhagen' });
  }
  const corner = (port: number | null, h: number, extra: Partial<QueryInput> = {}) => {
    for (const tol of ['0', '2', '3600']) {
      out.push({ ip: CORNER_IP, port: port === null ? null : String(port), at: new Date(T(h)).toISOString(), tolerance: tol, ...extra });
    }
  };
  for (const h of [0.5, 1, 3, 5, 5 - 1 / 3600, 5 + 1 / 3600, 7, 9, 10, 11.5, 12, 13, 14, 14.5, 15, 16, 22, 40]) corner(2500, h);
  for (const h of [19, 21, 23, 30, 45]) corner(4500, h);
  for (const h of [1, 2, 10, 31, 45]) {
    corner(8500, h);
    corner(8500, h, { protocol: 6 });
    corner(8500, h, { protocol: 17, natInstance: 'cgn4' });
    corner(8500, h, { natInstance: 'cgn3' });
  }
  for (const h of [2, 10, 30]) {
    corner(10500, h);
    corner(11500, h);
    corner(12500, h);
    corner(null, h);
    for (const tol of ['0', '600']) out.push({ ip: '198.51.100.11', port: String(4000 + h), at: new Date(T(h)).toISOString(), tolerance: tol });
  }
  for (const h of [1, 2.5, 10, 21.5, 23]) {
    out.push({ ip: '203.0.113.9', port: '443', at: new Date(T(h)).toISOString() });
    out.push({ ip: '2001:db8:1200::1', port: '443', at: new Date(T(h)).toISOString(), tolerance: '3600' });
    out.push({ ip: '2001:db8:1200::', port: null, at: new Date(T(h)).toISOString() });
  }
  for (let p = 0; p < 10; p++) out.push({ ip: privateIpOf(p), port: null, at: new Date(SHAPE.start + p * H).toISOString() });
  // before retention
  out.push({ ip: publicIpOf(0), port: '2000', at: '2020-01-01T00:00:00Z' });
  return out;
}

/** The day stored in `redis`, a resolver over it, and every query of the day as asked and normalised. */
export async function storedDay(redis: Redis | Cluster): Promise<{ resolver: Resolver; queries: Array<{ input: QueryInput; query: NormalisedQuery }> }> {
  const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 365, now: RESOLVER_CONFIG.now });
  for (const batch of dayBatches()) {
    const out = await writer.write(batch);
    expect(out.failed).toEqual([]);
  }
  const resolver = new Resolver(new IndexReader(redis), new ProfileDictionary(redis), RESOLVER_CONFIG);
  const queries = dayQueries().map((input) => {
    const n = normaliseQuery(input);
    if (!n.ok) throw new Error(`${JSON.stringify(input)}: ${n.errors[0].message}`);
    return { input, query: n.query };
  });
  return { resolver, queries };
}
