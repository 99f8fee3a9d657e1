import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../redis/cluster.js';
import { PURPOSE } from '../helpers/app.js';
import { fillableRedis } from '../helpers/fillable-redis.js';
import { aroundLookups } from '../bulk/helpers.js';

/**
 * A Redis that is full (maxmemory with noeviction) refuses every write: bulk answers 503 saying
 * so, not a 500, and a job that Redis stops mid-way ends failed rather than running for ever.
 */
const service = fillableRedis();
let client: RedisClient;
let app: FastifyInstance;
let auth: { authorization: string };
beforeAll(() => {
  ({ client, app, auth } = service);
});

/** Redis refuses every write that needs memory from now on (1 byte), or takes them again (0: no limit). */
const full = (on: boolean) => client.config('SET', 'maxmemory', on ? '1' : '0');

const csv = `id,ip,port,timestamp\n${Array.from({ length: 600 }, (_, i) => `r${i},198.51.100.7,1100,2026-10-25T00:30:00Z`).join('\n')}\n`;
const post = (path: string) => app.inject({ method: 'POST', url: `/v1/attribution/bulk${path}?${PURPOSE}`, headers: { ...auth, 'content-type': 'text/csv' }, payload: csv });

describe('bulk when Redis is full', () => {
  it('answers 503 with Retry-After and says why, for a streamed upload and a background job', async () => {
    await full(true);
    try {
      for (const path of ['', '/jobs']) {
        const r = await post(path);
        expect(r.statusCode, `${path}: ${r.body}`).toBe(503);
        expect(r.headers['retry-after']).toBeDefined();
        expect(r.json().message).toMatch(/Redis is full/);
        expect(r.body).not.toMatch(/EXECABORT|sub-A/);
      }
    } finally {
      await full(false);
    }
  });

  it('ends a background job that Redis stopped as failed, not running', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((ok) => (release = ok));
    const restore = aroundLookups(app.resolver, async (_q, next) => {
      if (++calls > 300) await gate;
      return next();
    });
    try {
      const created = await post('/jobs');
      expect(created.statusCode, created.body).toBe(202);
      const { job } = created.json();
      await full(true);
      release();
      let state;
      for (;;) {
        state = (await app.inject({ headers: auth, url: `/v1/attribution/bulk/${job}` })).json();
        if (state.state !== 'running') break;
        await new Promise((ok) => setImmediate(ok));
      }
      expect(state.state).toBe('failed');
      expect(state.error).toMatch(/stopped before its end|OOM|full/);
      await full(false);
      // and it stays failed once Redis takes writes again
      expect((await app.inject({ headers: auth, url: `/v1/attribution/bulk/${job}` })).json().state).toBe('failed');
    } finally {
      restore();
      await full(false);
    }
  });
});
