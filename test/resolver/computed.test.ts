import { beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { CanonicalEvent } from '../../events/schema.js';
import { mapE } from '../../natconfig/formats/map-e.js';
import { vppDet44 } from '../../natconfig/formats/vpp-det44.js';
import { NatConfigRegistry } from '../../natconfig/registry.js';
import { NatConfigVersions } from '../../natconfig/versions.js';
import { normalisedOrThrow } from '../../resolver/query.js';
import { Resolver } from '../../resolver/resolve.js';
import { IndexReader } from '../../timeindex/reader.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { onCluster, testIndex } from '../helpers/redis.js';

/**
 * The computed NAT hop through the resolver itself: a version this installation cannot compute
 * with is a conflict, never a silent "nobody"; a MAP prefix meets the delegated prefixes that
 * hold it and no narrower one; and consulting the configurations costs a logged look-up one GET,
 * sent beside its script call and shared by the look-ups asked together.
 */
const T0 = Date.UTC(2026, 10, 2);
const iso = (ms: number) => new Date(ms).toISOString();
const lease = (ip: string, subscriberId: string, prefix?: string) =>
  ({ kind: 'lease', event: 'start', at: T0, ip, vrf: 'default', subscriberId, expiresAt: T0 + 86_400_000, identifiers: prefix ? { prefix } : {}, source: 'dhcp' }) as CanonicalEvent;
const EVENTS = [
  { kind: 'nat', event: 'alloc', at: T0, natInstance: 'logged', publicIp: '203.0.113.1', portStart: 1024, portEnd: 2047, privateIp: '100.64.0.1', privateVrf: 'default', protocol: null, allocatedAt: null, source: 'rt' },
  lease('100.64.0.1', 'S-LOGGED'),
  lease('10.9.0.3', 'S-DET'),
  // a /48 holding the CE's /56, and a /60 inside it that is only part of the CE's prefix
  lease('2001:db8:12::', 'S-WIDE', '2001:db8:12::/48'),
  lease('2001:db8:12:e200::', 'S-PART', '2001:db8:12:e200::/60'),
] as CanonicalEvent[];

let redis: Redis;
let db: number;
let resolver: Resolver;
let blind: Resolver;

const q = normalisedOrThrow;
const entrant = { user: 'test', record: async () => undefined };

beforeAll(async () => {
  ({ redis, db } = await testIndex(EVENTS));
  const store = new NatConfigVersions(redis, new NatConfigRegistry([vppDet44, mapE]));
  await store.enter({ instance: 'det', format: 'vpp-det44', text: 'det44 add in 10.9.0.0/24 out 198.51.100.64/28\n', validFrom: iso(T0) }, entrant);
  await store.enter({ instance: 'map', format: 'map-e', text: 'rule ipv6-prefix 2001:db8::/40 ipv4-prefix 192.0.2.0/24 ea-length 16 psid-offset 6\n', validFrom: iso(T0) }, entrant);
  const config = { toleranceS: 2, retentionDays: 36500, interimIntervalS: 3600, directVrf: 'default', now: Date.now };
  resolver = new Resolver(new IndexReader(redis), new ProfileDictionary(redis), config, undefined, new NatConfigVersions(redis, new NatConfigRegistry([vppDet44, mapE])));
  // an installation that does not know vpp-det44 (the version's stored format)
  blind = new Resolver(new IndexReader(redis), new ProfileDictionary(redis), config, undefined, new NatConfigVersions(redis, new NatConfigRegistry([mapE])));
});

const at = iso(T0 + 3_600_000);

describe('the computed NAT hop through the resolver', () => {
  it('answers by the formula where this installation knows the format', async () => {
    // offset 3 over ratio 16: 198.51.100.64, host 3, ports 13120-17151
    const a = await resolver.resolve(q({ ip: '198.51.100.64', port: '13130', at }));
    expect(a).toMatchObject({ status: 'unique', subscriberId: 'S-DET' });
  });

  it('answers a version it cannot compute with as config_conflict, naming no one rather than "nobody had it"', async () => {
    const a = await blind.resolve(q({ ip: '198.51.100.64', port: '13130', at }));
    expect(a.status).toBe('not_found');
    expect(a.reasons).toContain('config_conflict');
    expect(a.reasons).not.toContain('direct_public_address');
  });

  it('leads a MAP prefix to every delegated prefix holding it, not to a narrower one', async () => {
    const a = await resolver.resolve(q({ ip: '192.0.2.18', port: '5000', at }));
    expect(a).toMatchObject({ status: 'unique', subscriberId: 'S-WIDE' });
    expect(a.candidates[0].evidence[0].lease.ip).toBe('2001:db8:12::/48');
  });

  // counted with MONITOR on the one server; a Cluster spreads the commands over its nodes
  it.skipIf(onCluster)('costs a logged look-up one GET beside its script call, shared by look-ups asked together', async () => {
    await resolver.resolve(q({ ip: '203.0.113.1', port: '1500', at }));
    const monitor = await redis.monitor();
    const seen: string[] = [];
    const marker = `end-${Math.random()}`;
    const ended = new Promise<void>((done) => {
      monitor.on('monitor', (_time: string, args: string[], source: string, database: string) => {
        if (Number(database) !== db || source === 'lua') return;
        if (args[0].toLowerCase() === 'echo' && args[1] === marker) return done();
        seen.push(args[0].toLowerCase());
      });
    });
    try {
      const one = await resolver.resolve(q({ ip: '203.0.113.1', port: '1500', at }));
      expect(one).toMatchObject({ status: 'unique', subscriberId: 'S-LOGGED' });
      const many = await resolver.resolveMany(Array.from({ length: 20 }, () => q({ ip: '203.0.113.1', port: '1500', at })));
      expect(many.every((m) => m.subscriberId === 'S-LOGGED')).toBe(true);
      await redis.echo(marker);
      await ended;
    } finally {
      monitor.disconnect();
    }
    expect(seen).toEqual(['get', 'evalsha', 'get', 'evalsha']);
  });
});
