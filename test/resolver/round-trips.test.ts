import { beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { CanonicalEvent } from '../../events/schema.js';
import { normalisedOrThrow } from '../../resolver/query.js';
import { Resolver } from '../../resolver/resolve.js';
import { IndexReader } from '../../timeindex/reader.js';
import { leaseKeys } from '../../timeindex/keys.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { testIndex } from '../helpers/redis.js';

/**
 * What a look-up costs Redis on a single server, as Redis itself sees it (MONITOR lists every
 * command a client sends and every command a script runs): both hops in one script call, and in
 * the usual case each hop one bounded range read, the lease chain's meta not read at all.
 */
const T0 = Date.UTC(2026, 9, 25, 8);
const at = (min: number) => new Date(T0 + min * 60_000).toISOString();
const EVENTS = [
  { kind: 'nat', event: 'alloc', at: T0, natInstance: 'cgn1', publicIp: '198.51.100.1', portStart: 1024, portEnd: 2047, privateIp: '100.64.0.1', privateVrf: 'default', protocol: null, allocatedAt: null, source: 'rt' },
  { kind: 'nat', event: 'release', at: T0 + 3_600_000, natInstance: 'cgn1', publicIp: '198.51.100.1', portStart: 1024, portEnd: 2047, privateIp: '100.64.0.1', privateVrf: 'default', protocol: null, allocatedAt: null, source: 'rt' },
  { kind: 'nat', event: 'alloc', at: T0 + 3_600_000, natInstance: 'cgn1', publicIp: '198.51.100.1', portStart: 1024, portEnd: 2047, privateIp: '100.64.0.2', privateVrf: 'default', protocol: null, allocatedAt: null, source: 'rt' },
  { kind: 'lease', event: 'start', at: T0 - 3_600_000, ip: '100.64.0.1', vrf: 'default', subscriberId: 'S1', expiresAt: T0 + 86_400_000, identifiers: {}, source: 'dhcp' },
  { kind: 'lease', event: 'start', at: T0 - 3_600_000, ip: '100.64.0.2', vrf: 'default', subscriberId: 'S2', expiresAt: T0 + 86_400_000, identifiers: {}, source: 'dhcp' },
  { kind: 'lease', event: 'start', at: T0 - 3_600_000, ip: '203.0.113.5', vrf: 'default', subscriberId: 'S-DIRECT', expiresAt: T0 + 86_400_000, identifiers: {}, source: 'dhcp' },
] as CanonicalEvent[];

let redis: Redis;
let db: number;
let resolver: Resolver;

const q = normalisedOrThrow;

/** The commands Redis ran for this test's database while `work` ran: sent (`client`) and by scripts (`lua`). */
async function commandsOf(work: () => Promise<unknown>): Promise<Array<{ source: 'client' | 'lua'; args: string[] }>> {
  const monitor = await redis.monitor();
  const seen: Array<{ source: 'client' | 'lua'; args: string[] }> = [];
  const marker = `end-${Math.random()}`;
  const ended = new Promise<void>((done) => {
    monitor.on('monitor', (_time: string, args: string[], source: string, database: string) => {
      if (Number(database) !== db) return;
      if (args[0].toLowerCase() === 'echo' && args[1] === marker) return done();
      seen.push({ source: source === 'lua' ? 'lua' : 'client', args: args.map((a) => a.toLowerCase()) });
    });
  });
  try {
    await work();
    await redis.echo(marker);
    await ended;
  } finally {
    monitor.disconnect();
  }
  return seen;
}

beforeAll(async () => {
  ({ redis, db } = await testIndex(EVENTS));
  // written by a named ingest, in a VRF of its own: the profile text the script splits has three parts
  const named = await new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now }).write([
    { ...EVENTS[0], publicIp: '198.51.100.9', privateIp: '100.64.9.1', privateVrf: 'cust|a' },
    { ...EVENTS[3], ip: '100.64.9.1', vrf: 'cust|a', subscriberId: 'S-NAMED' },
  ] as CanonicalEvent[], { path: 'token', tokenId: 'feed-1' });
  expect(named.failed).toEqual([]);
  resolver = new Resolver(new IndexReader(redis), new ProfileDictionary(redis), { toleranceS: 2, retentionDays: 36500, interimIntervalS: 3600, directVrf: 'default', now: Date.now });
  // the profiles this process has not seen yet are read once, then known
  await resolver.resolve(q({ ip: '198.51.100.1', port: '1500', at: at(30) }));
});

const scriptCalls = (cmds: Array<{ source: string; args: string[] }>) => cmds.filter((c) => c.source === 'client');

describe('a look-up on a single Redis', () => {
  it('reads both hops in one script call', async () => {
    let answer: Awaited<ReturnType<Resolver['resolve']>> | undefined;
    const cmds = await commandsOf(async () => (answer = await resolver.resolve(q({ ip: '198.51.100.1', port: '1500', at: at(30) }))));
    expect(answer!.status).toBe('unique');
    expect(answer!.subscriberId).toBe('S1');
    expect(scriptCalls(cmds).map((c) => c.args[0])).toEqual(['evalsha']);
  });

  it('reads both hops in one call for a record whose profile names its ingest, in a VRF holding |', async () => {
    await resolver.resolve(q({ ip: '198.51.100.9', port: '1500', at: at(30) }));
    let answer: Awaited<ReturnType<Resolver['resolve']>> | undefined;
    const cmds = await commandsOf(async () => (answer = await resolver.resolve(q({ ip: '198.51.100.9', port: '1500', at: at(30) }))));
    expect(answer!.subscriberId).toBe('S-NAMED');
    expect(answer!.candidates[0].evidence[0].lease.ingest).toEqual({ path: 'token', tokenId: 'feed-1' });
    expect(scriptCalls(cmds).map((c) => c.args[0])).toEqual(['evalsha']);
  });

  it('reads each hop with one bounded range and no lease meta when the window lies inside one holding', async () => {
    const cmds = await commandsOf(() => resolver.resolve(q({ ip: '198.51.100.1', port: '1500', at: at(30) })));
    const inScript = cmds.filter((c) => c.source === 'lua');
    const ranges = inScript.filter((c) => c.args[0] === 'zrange' && c.args[1].startsWith('a:') || c.args[0] === 'zrange' && c.args[1].startsWith('l:'));
    // beside the lease chain, the set of its bounded ends (docs/time-index.md): a key that is
    // nearly always absent, so only asked whether it exists
    const bounds = leaseKeys.bounds('default', '100.64.0.1');
    expect(ranges.map((c) => [c.args[1] === bounds, ...c.args.slice(4)])).toEqual([
      [false, 'byscore', 'rev', 'limit', '0', '2', 'withscores'],
      [false, 'byscore', 'rev', 'limit', '0', '2', 'withscores'],
    ]);
    expect(inScript.filter((c) => c.args[1] === bounds).map((c) => c.args[0])).toEqual(['exists']);
    expect(inScript.filter((c) => c.args[0] === 'hmget' && c.args[1].startsWith('lm:'))).toEqual([]);
  });

  it('reads an address with no NAT record and its own lease in one script call', async () => {
    let answer: Awaited<ReturnType<Resolver['resolve']>> | undefined;
    const cmds = await commandsOf(async () => (answer = await resolver.resolve(q({ ip: '203.0.113.5', port: '443', at: at(30) }))));
    expect(answer!.subscriberId).toBe('S-DIRECT');
    expect(answer!.reasons).toContain('direct_public_address');
    expect(scriptCalls(cmds).map((c) => c.args[0])).toEqual(['evalsha']);
  });

  it('reads both instants of a repeated local hour in one script call', async () => {
    let answer: Awaited<ReturnType<Resolver['resolve']>> | undefined;
    const cmds = await commandsOf(async () => (answer = await resolver.resolve(q({ ip: '198.51.100.1', port: '1500', at: '2026-10-25T02:30:00', tz: 'Europe/Copenhagen' }))));
    expect(answer!.instants).toHaveLength(2);
    expect(scriptCalls(cmds).map((c) => c.args[0])).toEqual(['evalsha']);
  });

  it('reads a batch of 200 look-ups in one script call, each answered as alone', async () => {
    const queries = Array.from({ length: 200 }, (_, i) => q({ ip: i % 3 === 0 ? '203.0.113.5' : '198.51.100.1', port: String(1024 + i), at: at(i) }));
    let answers: unknown[] = [];
    const cmds = await commandsOf(async () => (answers = await resolver.resolveMany(queries)));
    expect(scriptCalls(cmds).map((c) => c.args[0])).toEqual(['evalsha']);
    const alone = [];
    for (const query of queries) alone.push(await resolver.resolve(query));
    expect(answers).toEqual(alone);
    expect(new Set(alone.map((a) => a.subscriberId))).toEqual(new Set(['S1', 'S2', 'S-DIRECT']));
  });

  it('splits a batch of look-ups without a port, which read every chain of an address, over several calls', async () => {
    const queries = Array.from({ length: 20 }, (_, i) => q({ ip: '198.51.100.1', port: null, at: at(i) }));
    const cmds = await commandsOf(() => resolver.resolveMany(queries));
    expect(scriptCalls(cmds).map((c) => c.args[0])).toEqual(['evalsha', 'evalsha', 'evalsha']);
  });
});
