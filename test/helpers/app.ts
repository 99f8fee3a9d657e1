import type { FastifyInstance } from 'fastify';
import { afterAll } from 'vitest';
import { ROLES } from '../../audit/tokens.js';
import { redisClient } from '../../core/redis-connect.js';
import { buildApp } from '../../service/app.js';
import { loadConfig } from '../../service/config.js';
import { testRedisUrl } from './redis.js';

/** "Now" for the service in tests: a month after the day most tests live in. */
export const NOW = Date.UTC(2026, 10, 23, 12);

/** The case, legal basis and purpose every test look-up gives. */
export const PURPOSE = 'case=C-2026-117&legalBasis=court-order&purpose=fraud%20complaint';

export type TestApp = FastifyInstance & {
  /** Authorization header of a token holding every role. */
  auth: { authorization: string };
};

/** The service on its own test database, for `inject`, with a token that may do everything. */
export async function testApp(env: Record<string, string> = {}): Promise<TestApp> {
  const redis = redisClient(await testRedisUrl());
  const app = await buildApp({ config: loadConfig(env), redis, now: () => NOW, logger: false });
  afterAll(async () => {
    await app.close();
    await redis.quit();
  });
  const { token } = await app.tokens.create('tester', [...ROLES]);
  return Object.assign(app, { auth: { authorization: `Bearer ${token}` } });
}
