import { Redis } from 'ioredis';
import { afterAll, expect, inject } from 'vitest';
import { connectRedis, defineCommands } from '../../commands.js';
import type { CanonicalEvent } from '../../events/schema.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { flushCluster, wholeKeyspace } from './cluster.js';

/** Set by vitest.cluster.config.ts: the run's Redis is a Cluster (one database, files in turn). */
export const onCluster = Boolean(process.env.WHOHAD_TEST_CLUSTER);

/**
 * A client on a database of the run's redis-server that no other test file uses, emptied
 * first. Database 0 only holds the counter that hands the others out.
 */
let flushed = false;

export async function testRedisUrl(): Promise<string> {
  const base = inject('redisUrl');
  if (onCluster) {
    // once per file: later apps of the file share the keyspace (a cluster has one database)
    if (!flushed) await flushCluster(base);
    flushed = true;
    return base;
  }
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
  // on a Cluster: the service's own client (pipelines split per node), FLUSHDB and KEYS on every
  // primary; typed as Redis for the suites written against one (the commands they use are common)
  const redis = onCluster ? (wholeKeyspace(connectRedis(url)) as unknown as Redis) : new Redis(url);
  // every command of every room, as the service's own clients have them
  defineCommands(redis);
  afterAll(async () => {
    await redis.quit();
  });
  return { url, redis };
}

/** A test database holding `events` as the writer stores them, and its number (for MONITOR). */
export async function testIndex(events: CanonicalEvent[]): Promise<{ url: string; redis: Redis; db: number }> {
  const t = await testRedis();
  const out = await new IndexWriter(t.redis, new ProfileDictionary(t.redis), { days: 36500, now: Date.now }).write(events);
  expect(out.failed).toEqual([]);
  return { ...t, db: Number(new URL(t.url).pathname.slice(1)) };
}
