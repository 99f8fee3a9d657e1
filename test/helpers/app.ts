import type { FastifyInstance } from 'fastify';
import { afterAll } from 'vitest';
import { redisClient } from '../../core/redis-connect.js';
import { buildApp } from '../../service/app.js';
import { loadConfig } from '../../service/config.js';
import { testRedisUrl } from './redis.js';

/** "Now" for the service in tests: a month after the day most tests live in. */
export const NOW = Date.UTC(2026, 10, 23, 12);

/** The service on its own test database, for `inject`. */
export async function testApp(env: Record<string, string> = {}): Promise<FastifyInstance> {
  const redis = redisClient(await testRedisUrl());
  const app = await buildApp({ config: loadConfig(env), redis, now: () => NOW, logger: false });
  afterAll(async () => {
    await app.close();
    await redis.quit();
  });
  return app;
}
