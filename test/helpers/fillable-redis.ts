import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { ROLES } from '../../audit/tokens.js';
import { connectRedis } from '../../commands.js';
import { loadConfig } from '../../config.js';
import { closeClient } from '../../redis/client.js';
import type { RedisClient } from '../../redis/cluster.js';
import { startRedisServer, type RunningRedis } from '../../redis/embedded.js';
import { buildApp } from '../../service/app.js';
import { NOW } from './app.js';
import { SMALL_ISP } from './events.js';

export interface FillableRedis {
  client: RedisClient;
  app: FastifyInstance;
  auth: { authorization: string };
  dir: string;
}

/**
 * A service on a redis-server of the test file's own that refuses writes once full
 * (noeviction), holding the small ISP; a test fills it with `maxmemory 1`. Call at the top level:
 * the returned object is filled in before the tests run.
 */
export function fillableRedis(): FillableRedis {
  const s = { dir: mkdtempSync(join(tmpdir(), 'whohad-full-')) } as FillableRedis;
  let server: RunningRedis | undefined;
  beforeAll(async () => {
    server = await startRedisServer({ dir: join(s.dir, 'redis'), appendonly: false, extraArgs: ['--maxmemory-policy', 'noeviction'] });
    s.client = connectRedis(server.url);
    s.app = await buildApp({ config: loadConfig({ WHOHAD_DATA_DIR: s.dir, WHOHAD_MAX_EVENT_LOOP_DELAY_MS: '0' }), redis: s.client, now: () => NOW, logger: false });
    s.auth = { authorization: `Bearer ${(await s.app.tokens.create('tester', [...ROLES])).token}` };
    const r = await s.app.inject({ method: 'POST', url: '/v1/events', headers: s.auth, payload: SMALL_ISP });
    expect(r.json().accepted).toBe(SMALL_ISP.length);
  });
  afterAll(async () => {
    await s.app?.close();
    if (s.client) await closeClient(s.client);
    await server?.stop();
    rmSync(s.dir, { recursive: true, force: true });
  });
  return s;
}
