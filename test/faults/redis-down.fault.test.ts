import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../audit/tokens.js';
import { connectRedis } from '../../commands.js';
import type { RedisClient } from '../../redis/cluster.js';
import { buildApp } from '../../service/app.js';
import { loadConfig } from '../../config.js';
import { NOW, PURPOSE } from '../helpers/app.js';
import { FaultyRedis, until } from './helpers.js';

/**
 * Redis goes away under a running service and comes back: look-ups answer 503 with
 * Retry-After and disclose nothing, /readyz says not ready, the process stays up, and the
 * same app answers again once Redis is back, without a restart.
 */

let redis: FaultyRedis;
let client: RedisClient;
let app: FastifyInstance;
let auth: { authorization: string };
const LOOKUP = `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}`;

beforeAll(async () => {
  redis = await FaultyRedis.start();
  client = connectRedis(redis.url);
  client.on('error', () => {});
  app = await buildApp({ config: loadConfig({}), redis: client, now: () => NOW, logger: false });
  auth = { authorization: `Bearer ${(await app.tokens.create('tester', [...ROLES])).token}` };
  const r = await app.inject({
    method: 'POST', url: '/v1/events', headers: auth,
    payload: [
      { kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.1' },
      { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.0.1', subscriberId: 'sub-A', expiresAt: '2026-10-26T00:00:00Z' },
    ],
  });
  expect(r.json()).toEqual({ accepted: 2, rejected: [] });
});
afterAll(async () => {
  await app?.close();
  client?.disconnect();
  await redis?.stop();
});

describe('Redis down under a running service', () => {
  it('answers 503 with Retry-After while Redis is away, and 200 again once it is back, without a restart', async () => {
    const before = await app.inject({ url: LOOKUP, headers: auth });
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ status: 'unique', subscriberId: 'sub-A' });

    await redis.kill();

    const down = await app.inject({ url: LOOKUP, headers: auth });
    expect(down.statusCode).toBe(503);
    expect(Number(down.headers['retry-after'])).toBeGreaterThan(0);
    expect(down.body).not.toContain('sub-A');
    expect(down.json().message).toMatch(/not reachable/);

    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['retry-after']).toBeDefined();
    expect(ready.json().status).toBe('not ready');

    // the process is up: liveness still answers, and so does a request needing no Redis
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const ingest = await app.inject({ method: 'POST', url: '/v1/events', headers: auth, payload: [] });
    expect(ingest.statusCode).toBe(503);

    await redis.restart();
    // the client reconnects by itself: wait for the service to say so
    await until('/readyz answering 200', async () => (await app.inject({ url: '/readyz' })).statusCode === 200);
    const after = await app.inject({ url: LOOKUP, headers: auth });
    expect(after.statusCode).toBe(200);
    // the data survived the kill (append-only file, appendfsync always)
    expect(after.json()).toMatchObject({ status: 'unique', subscriberId: 'sub-A' });
    expect(after.json().candidates).toEqual(before.json().candidates);
  });
});
