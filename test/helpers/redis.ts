import { Redis } from 'ioredis';
import { afterAll, inject } from 'vitest';

/**
 * A client on a database of the run's redis-server that no other test file uses, emptied
 * first. Database 0 only holds the counter that hands the others out.
 */
export async function testRedisUrl(): Promise<string> {
  const base = inject('redisUrl');
  const counter = new Redis(base, { lazyConnect: true });
  const db = await counter.incr('test:next-db');
  await counter.quit();
  if (db > 255) throw new Error('more test files than test databases; raise databases in global-redis.ts');
  const url = `${base}/${db}`;
  const c = new Redis(url);
  await c.flushdb();
  await c.quit();
  return url;
}

export async function testRedis(): Promise<{ url: string; redis: Redis }> {
  const url = await testRedisUrl();
  const redis = new Redis(url);
  afterAll(async () => {
    await redis.quit();
  });
  return { url, redis };
}
