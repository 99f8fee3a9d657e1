import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { purgeAccessLog } from '../../audit/purge.js';
import { auditKeys } from '../../audit/log.js';
import { verifyChain } from '../../audit/read.js';
import { connectRedis } from '../../commands.js';
import type { RedisClient } from '../../redis/cluster.js';
import { primaries } from '../../redis/cluster.js';
import { buildApp } from '../../service/app.js';
import { loadConfig } from '../../config.js';
import { NOW, PURPOSE } from '../helpers/app.js';
import { testRedisUrl } from '../helpers/redis.js';
import { Cluster } from 'ioredis';

/**
 * The access log on a cluster: one chain, all of it in the slot of `{audit}` (the stream, its
 * head and anchor, and the user/case/subscriber indexes), so the append script stays atomic;
 * the purge finds the index keys by SCAN on every primary. Also what access.test.ts checks with
 * a database per app: 503 when the log cannot be written, and 429 for an address that keeps
 * failing, counted in Redis so that every instance sees it.
 */
const EVENTS = [
  { kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.1' },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.0.1', subscriberId: 'sub-A', expiresAt: '2026-10-26T00:00:00Z' },
];
const Q = `ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}`;

let redis: RedisClient;
let app: Awaited<ReturnType<typeof buildApp>>;
let h: { authorization: string };

beforeAll(async () => {
  redis = connectRedis(await testRedisUrl());
  app = await buildApp({ config: loadConfig({ WHOHAD_AUTH_FAIL_LIMIT: '3' }), redis, now: () => NOW, logger: false });
  h = { authorization: `Bearer ${(await app.tokens.create('ivy', ['investigator', 'ingest'])).token}` };
  expect((await app.inject({ method: 'POST', url: '/v1/events', headers: h, payload: EVENTS })).json().accepted).toBe(2);
});

afterAll(async () => {
  await app.close();
  await redis.quit();
});

describe('the access log on a Redis Cluster', () => {
  it('keeps every key of the log in one slot, on one primary', async () => {
    expect(redis).toBeInstanceOf(Cluster);
    for (let i = 0; i < 5; i++) expect((await app.inject({ url: `/v1/attribution?${Q}`, headers: h })).statusCode).toBe(200);
    const slots = new Set<number>();
    const holders = new Set<number>();
    for (const m of await primaries(redis as Cluster)) {
      const keys = await m.keys('{audit}*');
      if (keys.length) holders.add(m.options.port!);
      for (const k of keys) slots.add(Number(await m.cluster('KEYSLOT', k)));
    }
    expect(slots.size).toBe(1);
    expect(holders.size).toBe(1);
    // the five look-ups and the ingest request before them (every ingest request is recorded)
    expect(await verifyChain(redis)).toMatchObject({ ok: true, records: 6 });
  });

  it('purges past retention with index keys found on every primary, and still verifies', async () => {
    const rows = await redis.xrange(auditKeys.log, '-', '+');
    const boundary = Number(rows[2][0].split('-')[0]);
    const dropped = await purgeAccessLog(redis, app.accessLog, 1, boundary + 86_400_000);
    expect(dropped).toBeGreaterThanOrEqual(1);
    const v = await verifyChain(redis);
    expect(v).toMatchObject({ ok: true, chains: [{ chain: app.accessLog.chain, anchorSeq: dropped }] });
    // the indexes no longer point at dropped records
    const byUser = await redis.zrangebyscore(`${auditKeys.index}user:ivy`, '-inf', `(${boundary}`);
    expect(byUser).toEqual([]);
  });

  it('answers 503 and discloses nothing when the record cannot be written', async () => {
    const heads = await redis.hgetall(auditKeys.heads);
    await redis.del(auditKeys.heads);
    await redis.set(auditKeys.heads, 'not a hash');
    const r = await app.inject({ url: `/v1/attribution?${Q}`, headers: h });
    expect(r.statusCode).toBe(503);
    expect(r.body).not.toContain('sub-A');
    await redis.del(auditKeys.heads);
    await redis.hset(auditKeys.heads, heads);
    expect((await app.inject({ url: `/v1/attribution?${Q}`, headers: h })).statusCode).toBe(200);
    expect((await verifyChain(redis)).ok).toBe(true);
  });

  it('refuses with 429, in every instance, an address that keeps failing, but not a valid token from it', async () => {
    const other = await buildApp({ config: loadConfig({ WHOHAD_AUTH_FAIL_LIMIT: '3' }), redis, now: () => NOW, logger: false });
    const from = { remoteAddress: '203.0.113.9' };
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await (i % 2 ? other : app).inject({ url: `/v1/attribution?${Q}`, headers: { authorization: 'Bearer whd_bad' }, ...from })).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    // a valid token proves itself: a flood from a shared address must not lock out those behind it
    expect((await other.inject({ url: `/v1/attribution?${Q}`, headers: h, ...from })).statusCode).toBe(200);
    await other.close();
  });
});
