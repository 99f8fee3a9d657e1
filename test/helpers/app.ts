import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { ROLES } from '../../audit/tokens.js';
import { connectRedis } from '../../commands.js';
import { closeClient } from '../../redis/client.js';
import { buildApp } from '../../service/app.js';
import { loadConfig } from '../../config.js';
import { wholeKeyspace } from './cluster.js';
import { testRedisUrl } from './redis.js';

/** "Now" for the service in tests: a month after the day most tests live in. */
export const NOW = Date.UTC(2026, 10, 23, 12);

/** The case, legal basis and purpose every test look-up gives. */
export const PURPOSE = 'case=C-2026-117&legalBasis=court-order&purpose=fraud%20complaint';

export type TestApp = FastifyInstance & {
  /** Authorization header of a token holding every role. */
  auth: { authorization: string };
};

let apps = 0;

/** The service on its own test database, for `inject`, with a token that may do everything. */
export async function testApp(env: Record<string, string> = {}): Promise<TestApp> {
  // a `redis-cluster://` URL (npm run test:cluster) gives a Cluster; KEYS then asks every primary
  const redis = wholeKeyspace(connectRedis(await testRedisUrl()));
  // Shedding load is a test of its own (test/hostile/http-limits.test.ts): elsewhere a busy test
  // machine must not turn an answer into a 503, so the event-loop limit is off unless asked for.
  // Files the service keeps (background bulk results) go to a directory of this app's own.
  const dataDir = env.WHOHAD_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'whohad-test-'));
  const app = await buildApp({ config: loadConfig({ WHOHAD_MAX_EVENT_LOOP_DELAY_MS: '0', WHOHAD_DATA_DIR: dataDir, ...env }), redis, now: () => NOW, logger: false });
  afterAll(async () => {
    await app.close();
    await closeClient(redis);
    if (!env.WHOHAD_DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
  });
  // on a cluster the apps of one file share a keyspace, so each needs its own token name
  const { token } = await app.tokens.create(process.env.WHOHAD_TEST_CLUSTER && apps++ > 0 ? `tester-${apps}` : 'tester', [...ROLES]);
  return Object.assign(app, { auth: { authorization: `Bearer ${token}` } });
}
