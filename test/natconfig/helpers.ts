import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { ROLES } from '../../audit/tokens.js';
import { connectRedis } from '../../commands.js';
import { loadConfig } from '../../config.js';
import { closeClient } from '../../redis/client.js';
import { buildApp } from '../../service/app.js';
import { wholeKeyspace } from '../helpers/cluster.js';
import { NOW, type TestApp } from '../helpers/app.js';
import { testRedisUrl } from '../helpers/redis.js';
import { lineFormat } from './fixture-format.js';

/** The service as testApp builds it, offering the test's own configuration format. */
export async function natConfigApp(): Promise<TestApp> {
  const redis = wholeKeyspace(connectRedis(await testRedisUrl()));
  const dataDir = mkdtempSync(join(tmpdir(), 'whohad-natconfig-'));
  const config = loadConfig({ WHOHAD_MAX_EVENT_LOOP_DELAY_MS: '0', WHOHAD_DATA_DIR: dataDir });
  const app = await buildApp({ config, redis, now: () => NOW, logger: false, natConfigFormats: [lineFormat] });
  afterAll(async () => {
    await app.close();
    await closeClient(redis);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const { token } = await app.tokens.create('tester', [...ROLES]);
  return Object.assign(app, { auth: { authorization: `Bearer ${token}` } });
}
