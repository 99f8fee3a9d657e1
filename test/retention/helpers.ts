import type { Cluster, Redis } from 'ioredis';
import { expect } from 'vitest';
import { AccessLog } from '../../audit/log.js';
import { Resolver } from '../../resolver/resolve.js';
import { asking } from '../helpers/query.js';
import { HoldStore } from '../../retention/holds.js';
import type { LeaseEvent, NatEvent } from '../../events/schema.js';
import { dumpLeases, dumpNat } from '../../timeindex/dump.js';
import { BUCKET_MS, bucketOf } from '../../timeindex/format.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexReader } from '../../timeindex/reader.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { testRedis } from '../helpers/redis.js';

/** The first bucket the tests use; bucket B + n is `n` here. */
export const B = bucketOf(Date.UTC(2025, 0, 1));
const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** `hours` into bucket B + n. */
export const at = (n: number, hours: number) => (B + n) * BUCKET_MS + hours * HOUR;

/** The retention cutoff of the tests: 12 days into bucket 3, so buckets 0-2 lie wholly before it. */
export const CUTOFF = at(3, 12 * 24);
/** "Now" for a resolver whose retention ends at CUTOFF. */
export const RESOLVER_NOW = CUTOFF + 365 * DAY;

export function alloc(publicIp: string, privateIp: string, start: number, portStart = 1024, over: Partial<NatEvent> = {}): NatEvent {
  return {
    kind: 'nat', event: 'alloc', at: start, natInstance: 'cgn1', publicIp, portStart, portEnd: portStart + 511, privateIp, privateVrf: 'default',
    protocol: null, allocatedAt: null, source: 'canonical', ...over,
  };
}

export const release = (publicIp: string, privateIp: string, t: number, portStart = 1024): NatEvent => ({ ...alloc(publicIp, privateIp, t, portStart), event: 'release' });

export function leaseStart(ip: string, subscriberId: string, start: number, expires: number | null): LeaseEvent {
  return { kind: 'lease', event: 'start', at: start, ip, vrf: 'default', subscriberId, expiresAt: expires, identifiers: {}, source: 'canonical' };
}

/** A database of its own with the index, the access log and the holds on it. */
export async function store() {
  const { url, redis } = await testRedis();
  const profiles = new ProfileDictionary(redis);
  // old events must be accepted: the writer's own retention is a century here
  const writer = new IndexWriter(redis, profiles, { days: 36500, now: () => RESOLVER_NOW });
  const write = async (events: Array<NatEvent | LeaseEvent>) => {
    const r = await writer.write(events);
    expect(r.failed).toEqual([]);
  };
  const holds = new HoldStore(redis);
  const resolver = asking(new Resolver(new IndexReader(redis), new ProfileDictionary(redis), {
    toleranceS: 2, retentionDays: 365, interimIntervalS: 86_400, directVrf: 'default', now: () => RESOLVER_NOW,
  }, holds));
  return { url, redis, write, holds, log: new AccessLog(redis, 'retention-test'), resolver };
}

/** Starts of what a NAT address holds, per chain, oldest first. */
export async function natStarts(redis: Redis | Cluster, ip: string): Promise<number[]> {
  return [...(await dumpNat(redis, ip)).values()].flat().map((e) => e.start).sort((a, b) => a - b);
}

export async function leaseHolders(redis: Redis | Cluster, ip: string): Promise<string[]> {
  return (await dumpLeases(redis, 'default', ip)).map((e) => e.who.toString('utf8'));
}

export const ADMIN = { user: 'admin', tokenId: null, client: null, route: 'test' };
