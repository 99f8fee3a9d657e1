import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../audit/tokens.js';
import { verifyChain } from '../../audit/read.js';
import { connectRedis } from '../../commands.js';
import type { RedisClient } from '../../redis/cluster.js';
import { buildApp } from '../../service/app.js';
import { loadConfig } from '../../config.js';
import { NOW, PURPOSE } from '../helpers/app.js';
import { testRedisUrl } from '../helpers/redis.js';

/**
 * Two service instances on one Redis, as behind a load balancer: whatever one stores the other
 * answers, both give the same answers, both write to one access log (a chain each) that
 * verifies, and the rate limit for refused requests counts across both.
 */
const events = [
  { kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.1' },
  { kind: 'nat', event: 'release', at: '2026-10-25T01:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.1' },
  { kind: 'nat', event: 'alloc', at: '2026-10-25T01:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.2' },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.0.1', subscriberId: 'sub-A', expiresAt: '2026-10-26T00:00:00Z' },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.0.2', subscriberId: 'sub-B', expiresAt: '2026-10-26T00:00:00Z' },
];

type App = Awaited<ReturnType<typeof buildApp>>;
let a: App;
let b: App;
/** Misconfigured: given the same instance name as `a`. */
let twin: App | undefined;
let auth: { authorization: string };
const clients: Array<RedisClient> = [];

beforeAll(async () => {
  const url = await testRedisUrl();
  const env = { WHOHAD_AUTH_FAIL_LIMIT: '5', WHOHAD_MAX_EVENT_LOOP_DELAY_MS: '0' };
  for (const _ of [0, 1, 2]) clients.push(connectRedis(url));
  a = await buildApp({ config: loadConfig({ ...env, WHOHAD_INSTANCE: 'edge-a' }), redis: clients[0], now: () => NOW, logger: false });
  b = await buildApp({ config: loadConfig({ ...env, WHOHAD_INSTANCE: 'edge-b' }), redis: clients[1], now: () => NOW, logger: false });
  auth = { authorization: `Bearer ${(await a.tokens.create('tester', [...ROLES])).token}` };
});

afterAll(async () => {
  await Promise.all([a.close(), b.close(), twin?.close()]);
  await Promise.all(clients.map((c) => c.quit()));
});

const instants = ['2026-10-25T00:30:00Z', '2026-10-25T00:59:00Z', '2026-10-25T01:00:00Z', '2026-10-25T01:00:01Z', '2026-10-25T03:00:00Z', '2026-10-24T12:00:00Z'];

describe('two instances on one Redis', () => {
  it('answer alike whichever stored the events, and keep one access log', async () => {
    // half the events through each instance
    const r1 = await a.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: events.slice(0, 3) });
    const r2 = await b.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: events.slice(3) });
    expect([r1.json().accepted, r2.json().accepted]).toEqual([3, 2]);
    const answers = async (app: App) =>
      Promise.all(
        instants.map(async (at) => {
          const r = await app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=1100&at=${at}&${PURPOSE}`, headers: auth });
          expect(r.statusCode).toBe(200);
          return r.json();
        }),
      );
    // concurrently: each instance appends to its own chain, so neither waits for the other
    const [fromA, fromB] = await Promise.all([answers(a), answers(b)]);
    expect(fromB).toEqual(fromA);
    expect(fromA.map((x) => x.status)).toEqual(['unique', 'unique', 'ambiguous', 'ambiguous', 'unique', 'not_found']);
    // each instance also recorded the ingest request it took (issue 18, provenance)
    const log = await verifyChain(clients[0]);
    expect(log).toMatchObject({ ok: true, broken: null, records: 2 * instants.length + 2 });
    expect(log.chains.map((c) => [c.chain, c.records]).sort()).toEqual([['edge-a', instants.length + 1], ['edge-b', instants.length + 1]]);
    // either instance reads the whole log (each read is itself recorded, after the page it answers)
    const pageA = (await a.inject({ url: '/v1/audit?limit=100', headers: auth })).json();
    const pageB = (await b.inject({ url: '/v1/audit?limit=100', headers: auth })).json();
    const lookups = (page: { records: Array<{ kind: string }> }) => page.records.filter((r) => r.kind === 'lookup');
    expect(lookups(pageA)).toHaveLength(2 * instants.length);
    expect(lookups(pageB)).toEqual(lookups(pageA));
    expect(new Set(lookups(pageA).map((r) => `${(r as unknown as { chain: string }).chain}#${(r as unknown as { seq: number }).seq}`)).size).toBe(2 * instants.length);
  });

  it('keep one consistent chain when two are given the same instance name', async () => {
    twin = await buildApp({ config: loadConfig({ WHOHAD_INSTANCE: 'edge-a', WHOHAD_MAX_EVENT_LOOP_DELAY_MS: '0' }), redis: clients[2], now: () => NOW, logger: false });
    const ask = (app: App) => app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}`, headers: auth });
    // concurrently, so both chain onto the same head and must retry against each other
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(i % 2 ? twin! : a)));
    expect(replies.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    const log = await verifyChain(clients[2]);
    expect(log).toMatchObject({ ok: true, broken: null });
    // plus edge-a's ingest record and its audit read of the test before
    expect(log.chains.find((c) => c.chain === 'edge-a')).toMatchObject({ records: instants.length + 22, headSeq: instants.length + 22 });
  });

  it('count refused requests from one address across instances', async () => {
    const url = `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}`;
    const from = { remoteAddress: '203.0.113.77' };
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await (i % 2 ? b : a).inject({ url, ...from })).statusCode);
    expect(codes).toEqual([401, 401, 401, 401, 401, 429]);
    // the other instance refuses that address too, while it proves nothing
    expect((await a.inject({ url, ...from })).statusCode).toBe(429);
    // a valid token is not held back by it (issue 18, item 5)
    expect((await a.inject({ url, ...from, headers: auth })).statusCode).toBe(200);
  });
});
