import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import access from '../../service/plugins/access.js';
import holdStore from '../../service/plugins/hold-store.js';
import indexServices from '../../service/plugins/index-services.js';
import openapi from '../../service/plugins/openapi.js';
import redisPlugin from '../../service/plugins/redis.js';
import schemas from '../../service/plugins/schemas.js';
import holdsRoutes from '../../service/routes/holds.js';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';

// a client that never connects: these apps are only assembled, never asked anything
const idle = new Redis({ lazyConnect: true });
afterAll(() => idle.disconnect());

const resolverConfig = { toleranceS: 2, retentionDays: 365, interimIntervalS: 300, directVrf: 'default', now: Date.now };

/** What `ready()` refuses with, or null when the app assembles. */
async function assembleError(build: (app: ReturnType<typeof Fastify>) => void): Promise<string | null> {
  const app = Fastify({ logger: false });
  build(app);
  try {
    await app.ready();
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await app.close();
  }
}

describe('plugins declare what they need', () => {
  it('refuses to assemble a plugin whose dependency is missing, naming it', async () => {
    expect(await assembleError((app) => app.register(access, { instance: 'x', failLimitPerMinute: 5 }))).toMatch(/dependency 'redis' of plugin 'access' is not registered/);
    expect(await assembleError((app) => app.register(redisPlugin, { redis: idle }).register(indexServices, { resolver: resolverConfig }))).toMatch(/dependency 'hold-store' of plugin 'index-services' is not registered/);
    expect(await assembleError((app) => app.register(openapi))).toMatch(/dependency 'schemas' of plugin 'openapi' is not registered/);
    // a route refers to `Error#`: without the schemas plugin the reference would dangle
    expect(await assembleError((app) => app.register(redisPlugin, { redis: idle }).register(holdsRoutes))).toMatch(/dependency 'schemas' of plugin 'routes\/holds' is not registered/);
  });

  it('registers the shared schemas without the API document', async () => {
    const app = Fastify({ logger: false });
    await app.register(schemas);
    await app.ready();
    expect(Object.keys(app.getSchemas())).toEqual(['NatEvent', 'LeaseEvent', 'AllocationEvidence', 'LeaseEvidence', 'AttributionAnswer', 'Error']);
    expect(app.hasRoute({ method: 'GET', url: '/openapi.json' })).toBe(false);
    await app.close();
  });

  it('takes Redis in one place and hands the same client to every service', async () => {
    const app = Fastify({ logger: false });
    await app.register(redisPlugin, { redis: idle }).register(holdStore).register(indexServices, { resolver: resolverConfig });
    await app.ready();
    expect(app.redis).toBe(idle);
    await app.close();
  });
});

describe('one hold store', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await testApp();
  });

  it('is the one the resolver asks whether a hold keeps an instant past retention', async () => {
    const covers = vi.spyOn(app.holdStore, 'covers');
    // two years before the service's "now": past the default 365 days of retention
    const r = await app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=1100&at=2024-10-25T00:30:00Z&${PURPOSE}`, headers: app.auth });
    expect(r.json().status).toBe('outside_retention');
    expect(covers).toHaveBeenCalledWith('198.51.100.7', Date.parse('2024-10-25T00:30:00Z'));
    covers.mockRestore();
  });

  it('is the one the holds routes write through', async () => {
    const create = vi.spyOn(app.holdStore, 'create');
    const r = await app.inject({
      method: 'POST', url: '/v1/holds', headers: app.auth,
      payload: { case: 'C-1', publicIps: ['198.51.100.7'], from: '2024-10-25T00:00:00Z', to: '2024-10-26T00:00:00Z' },
    });
    expect(r.statusCode).toBe(201);
    expect(create).toHaveBeenCalledTimes(1);
    expect(await create.mock.results[0].value).toEqual(r.json());
    create.mockRestore();
  });
});

describe('/metrics goes through the role hook', () => {
  let app: TestApp;
  beforeAll(async () => {
    // loopback scraping without a token is a setting, off by default (issue 18, item 10)
    app = await testApp({ WHOHAD_AUTH_FAIL_LIMIT: '2', WHOHAD_METRICS_LOOPBACK: 'true' });
  });
  const from = { remoteAddress: '203.0.113.9' };

  it('answers loopback without a token, and records nothing', async () => {
    const denied = Number(await app.redis.get('{whohad}:denied-count'));
    expect((await app.inject({ url: '/metrics', remoteAddress: '127.0.0.2' })).statusCode).toBe(200);
    expect(Number(await app.redis.get('{whohad}:denied-count'))).toBe(denied);
  });

  it('records a refused scrape in the access log and says how to get in', async () => {
    const r = await app.inject({ url: '/metrics', ...from });
    expect(r.statusCode).toBe(401);
    expect(r.json().message).toBe('no token (send Authorization: Bearer <token>); /metrics answers loopback or a token with the admin role');
    await app.refusals.flush(); // refusals without a valid token are recorded per source once a minute
    const auditor = (await app.tokens.create('metrics-auditor', ['auditor'])).token;
    const records = (await app.inject({ url: '/v1/audit?limit=5', headers: { authorization: `Bearer ${auditor}` } })).json().records;
    expect(records[0]).toMatchObject({ kind: 'denied', route: 'GET /metrics', client: '203.0.113.9', tokenId: null });
  });

  it('answers an address that keeps failing 429, as every route does', async () => {
    expect((await app.inject({ url: '/metrics', ...from })).statusCode).toBe(401);
    const r = await app.inject({ url: '/metrics', ...from });
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBe('60');
  });
});
