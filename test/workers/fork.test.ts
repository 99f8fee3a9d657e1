import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../audit/read.js';
import { ROLES, TokenStore } from '../../audit/tokens.js';
import { connectRedis } from '../../commands.js';
import type { RedisClient } from '../../redis/cluster.js';
import { startWorkers, type WorkerPool } from '../../service/workers.js';
import { PURPOSE } from '../helpers/app.js';
import { testRedisUrl } from '../helpers/redis.js';

/** `whohad serve --workers 2` without the CLI: two forked processes sharing one port. */

let pool: WorkerPool;
let redis: RedisClient;
let auth: { authorization: string };

beforeAll(async () => {
  const url = await testRedisUrl();
  redis = connectRedis(url);
  auth = { authorization: `Bearer ${(await new TokenStore(redis).create('tester', [...ROLES])).token}` };
  // workers freshly forked on a busy test machine lag while they compile; shedding is tested elsewhere
  pool = await startWorkers(2, { ...process.env, REDIS_URL: url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', WHOHAD_RETENTION_DAYS: '36500', WHOHAD_INSTANCE: 'box', WHOHAD_MAX_EVENT_LOOP_DELAY_MS: '0' });
}, 60_000);

afterAll(async () => {
  await pool?.stop();
  await redis?.quit();
});

/** One request on its own connection, so the primary hands each to the next worker. */
function call(path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const { port } = new URL(pool.address);
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', agent: false, headers: { ...auth, connection: 'close', ...init.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end(init.body);
  });
}

describe('serve --workers 2', () => {
  it('runs two processes on one port, and both answer alike', async () => {
    expect(pool.workers).toHaveLength(2);
    expect(new Set(pool.workers.map((w) => w.pid)).size).toBe(2);
    expect(new Set(pool.workers.map((w) => w.address))).toEqual(new Set([pool.address]));
    const events = [
      { kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.1' },
      { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.0.1', subscriberId: 'sub-A', expiresAt: '2026-10-26T00:00:00Z' },
    ];
    const stored = await call('/v1/events', { method: 'POST', body: JSON.stringify(events), headers: { 'content-type': 'application/json' } });
    expect(stored.status).toBe(200);
    expect(JSON.parse(stored.body)).toEqual({ accepted: 2, rejected: [] });
    const before = await pool.requestCounts();
    const answers = [];
    for (let i = 0; i < 12; i++) {
      const r = await call(`/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}`);
      expect(r.status).toBe(200);
      answers.push(JSON.parse(r.body));
    }
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ status: 'unique', subscriberId: 'sub-A' });
    // the look-ups were spread over both workers, and every one is in the one access log
    const after = await pool.requestCounts();
    const served = pool.workers.map((w) => (after.get(w.pid) ?? 0) - (before.get(w.pid) ?? 0));
    expect(served.reduce((x, y) => x + y, 0)).toBe(12);
    expect(Math.min(...served)).toBeGreaterThan(0);
    // one access-log chain per worker slot, each holding the look-ups its worker answered
    // (and the one ingest request, recorded by the worker that took it: issue 18, provenance)
    const log = await verifyChain(redis);
    expect(log).toMatchObject({ ok: true, records: 13 });
    expect(log.chains.map((c) => c.chain).sort()).toEqual(['box/worker-1', 'box/worker-2']);
    const lookupsPerChain = new Map<string, number>();
    for (const [, f] of await redis.xrange('{audit}:log', '-', '+')) {
      const r = JSON.parse(f[1]) as { kind: string; chain: string };
      if (r.kind === 'lookup') lookupsPerChain.set(r.chain, (lookupsPerChain.get(r.chain) ?? 0) + 1);
    }
    expect([...lookupsPerChain.values()].sort()).toEqual([...served].sort());
  });

  it('sums the workers\' metrics whichever worker is scraped', async () => {
    const counts = await pool.requestCounts();
    const total = [...counts.values()].reduce((x, y) => x + y, 0);
    const r = await call('/metrics');
    expect(r.status).toBe(200);
    const line = r.body.split('\n').find((l) => l.startsWith('whohad_lookups_total{status="unique"}'));
    expect(line).toBe('whohad_lookups_total{status="unique"} 12');
    const requests = r.body
      .split('\n')
      .filter((l) => l.startsWith('whohad_http_request_duration_seconds_count'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    expect(requests).toBe(total);
  });

  it('stops every worker on stop(), after its requests in flight', async () => {
    const pids = pool.workers.map((w) => w.pid);
    await pool.stop();
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(pids.filter(alive)).toEqual([]);
  });
});
