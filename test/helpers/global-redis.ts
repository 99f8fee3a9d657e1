import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startRedisServer } from '../../redis/embedded.js';

/** One throw-away redis-server for the whole run; each test file takes its own database. */
export default async function setup(project: TestProject) {
  const dir = `.redis-test/${process.pid}`;
  const redis = await startRedisServer({ dir, appendonly: false, databases: 256 });
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
