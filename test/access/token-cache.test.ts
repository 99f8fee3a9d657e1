import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TOKEN_REVOKED_CHANNEL, TOKEN_SUBSCRIBER_NAME, TokenCache } from '../../audit/token-cache.js';
import { TokenStore, type Principal } from '../../audit/tokens.js';
import { tokenRevoke } from '../../cli/admin.js';
import { connectRedis } from '../../commands.js';
import { loadConfig } from '../../config.js';
import { closeClient } from '../../redis/client.js';
import { buildApp } from '../../service/app.js';
import { NOW, PURPOSE } from '../helpers/app.js';
import { runCommand } from '../helpers/cli-output.js';
import { onCluster, testRedisUrl } from '../helpers/redis.js';

const sha = '0'.repeat(64);
const who: Principal = { tokenId: 'abcdefabcdef', name: 'ivy', roles: ['investigator'], sources: null };

/** Waits for an event of the cache unless it already holds (never a sleep). */
const whenLive = async (c: TokenCache) => {
  if (!c.live) await once(c, 'live');
};

/** The subscriber connection of this test's database, found by its name, killed as an outage would. */
async function killSubscriber(admin: Redis, db: number): Promise<void> {
  const list = (await admin.client('LIST')) as string;
  const ids = list
    .split('\n')
    .filter((l) => l.includes(` name=${TOKEN_SUBSCRIBER_NAME} `) && l.includes(` db=${db} `))
    .map((l) => /(?:^| )id=(\d+)/.exec(l)![1]);
  expect(ids.length).toBeGreaterThan(0);
  for (const id of ids) await admin.client('KILL', 'ID', id);
}

// CLIENT KILL and MONITOR reach one server: on a Cluster the subscription and the reads may sit on another node
describe.skipIf(onCluster)('the token cache', () => {
  let url: string;
  let redis: Redis;
  let db: number;
  const caches: TokenCache[] = [];
  beforeAll(async () => {
    url = await testRedisUrl();
    db = Number(url.split('/').pop());
    redis = connectRedis(url) as Redis;
  });
  afterAll(async () => {
    for (const c of caches) c.stop();
    await closeClient(redis);
  });
  afterEach(() => vi.unstubAllEnvs());

  const cacheOf = (maxAgeMs: number) => {
    const c = new TokenCache(maxAgeMs);
    caches.push(c);
    c.start(redis);
    return c;
  };

  it('serves a verified token without Redis until its revocation is announced, then refuses it', async () => {
    const cache = cacheOf(60_000);
    const store = new TokenStore(redis, cache);
    await whenLive(cache);
    const { token, info } = await store.create('cached', ['investigator']);
    expect(await store.authenticate(token)).toMatchObject({ name: 'cached' });
    // revoked behind the service's back, without the message: the cache still answers (it is in use)
    const hash = (await redis.hget('{whohad}:token-names', 'cached'))!;
    await redis.hset(`{whohad}:token:${hash}`, 'revoked', new Date().toISOString());
    expect(await store.authenticate(token)).toMatchObject({ tokenId: info.tokenId });
    // the announcement reaches the cache and the next request is refused
    const invalidated = once(cache, 'invalidated');
    await redis.publish(TOKEN_REVOKED_CHANNEL, hash);
    expect((await invalidated)[0]).toBe(hash);
    expect(await store.authenticate(token)).toEqual({ refused: 'revoked token' });
  });

  it('never keys an entry by the token itself', async () => {
    const cache = cacheOf(60_000);
    const store = new TokenStore(redis, cache);
    await whenLive(cache);
    const { token } = await store.create('keyed', ['investigator']);
    await store.authenticate(token);
    const keys = [...(cache as unknown as { entries: Map<string, unknown> }).entries.keys()];
    expect(keys).toContain(await redis.hget('{whohad}:token-names', 'keyed'));
    expect(keys.some((k) => k.includes(token.slice(17)) || k.includes(token))).toBe(false);
  });

  it('reads afresh after its maximum age, so a revocation without a message still takes effect', async () => {
    let now = 1_000_000;
    const cache = new TokenCache(1000, 100, () => now);
    caches.push(cache);
    cache.start(redis);
    const store = new TokenStore(redis, cache);
    await whenLive(cache);
    const { token } = await store.create('aged', ['investigator']);
    await store.authenticate(token);
    const hash = (await redis.hget('{whohad}:token-names', 'aged'))!;
    await redis.hset(`{whohad}:token:${hash}`, 'revoked', new Date().toISOString());
    expect(await store.authenticate(token)).toMatchObject({ name: 'aged' });
    now += 1000;
    expect(await store.authenticate(token)).toEqual({ refused: 'revoked token' });
  });

  it('keeps no read that a revocation overtook', async () => {
    const cache = cacheOf(60_000);
    await whenLive(cache);
    const before = cache.generation;
    const invalidated = once(cache, 'invalidated');
    await redis.publish(TOKEN_REVOKED_CHANNEL, sha);
    await invalidated;
    cache.put(sha, who, before);
    expect(cache.get(sha)).toBeUndefined();
    cache.put(sha, who, cache.generation);
    expect(cache.get(sha)).toBe(who);
  });

  it('is bypassed while its subscription is down, and serves again once it is back', async () => {
    const cache = cacheOf(60_000);
    const store = new TokenStore(redis, cache);
    await whenLive(cache);
    const { token } = await store.create('outage', ['investigator']);
    await store.authenticate(token);
    const down = once(cache, 'down');
    await killSubscriber(redis, db);
    await down;
    expect(cache.live).toBe(false);
    expect(cache.get((await redis.hget('{whohad}:token-names', 'outage'))!)).toBeUndefined();
    // a revocation whose message the dead subscription would have missed is seen at once
    const hash = (await redis.hget('{whohad}:token-names', 'outage'))!;
    await redis.hset(`{whohad}:token:${hash}`, 'revoked', new Date().toISOString());
    expect(await store.authenticate(token)).toEqual({ refused: 'revoked token' });
    // the client reconnects and subscribes again; from then on the cache serves
    await whenLive(cache);
    const other = await store.create('after-outage', ['investigator']);
    await store.authenticate(other.token);
    const afterHash = (await redis.hget('{whohad}:token-names', 'after-outage'))!;
    expect(cache.get(afterHash)).toMatchObject({ name: 'after-outage' });
    // and the new subscription carries revocations again: a message from elsewhere drops the entry
    const invalidated = once(cache, 'invalidated');
    await redis.publish(TOKEN_REVOKED_CHANNEL, afterHash);
    expect(await invalidated).toEqual([afterHash]);
    expect(cache.get(afterHash)).toBeUndefined();
  });

  it('a revocation through the CLI reaches a second service instance that holds the token, and its next request is refused', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'whohad-token-cache-'));
    const appOn = async () => {
      const client = connectRedis(url);
      const app = await buildApp({ config: loadConfig({ WHOHAD_MAX_EVENT_LOOP_DELAY_MS: '0', WHOHAD_DATA_DIR: dataDir }), redis: client, now: () => NOW, logger: false });
      return { app, close: async () => (await app.close(), await closeClient(client)) };
    };
    const a = await appOn();
    const b = await appOn();
    try {
      await whenLive(b.app.tokenCache);
      const { token } = await a.app.tokens.create('two-instances', ['investigator']);
      const ask = () => b.app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}`, headers: { authorization: `Bearer ${token}` } });
      expect((await ask()).statusCode).toBe(200);
      const invalidated = once(b.app.tokenCache, 'invalidated');
      vi.stubEnv('REDIS_URL', url);
      vi.stubEnv('WHOHAD_DATA_DIR', dataDir);
      const revoked = await runCommand(() => tokenRevoke('two-instances'));
      expect(revoked.code).toBe(0);
      await invalidated;
      const refused = await ask();
      expect(refused.statusCode).toBe(401);
      expect(refused.json().message).toBe('revoked token');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a request with a valid token reads neither the refusal counter nor, once cached, the token', async () => {
    const client = connectRedis(url);
    const dataDir = mkdtempSync(join(tmpdir(), 'whohad-token-cache-'));
    const app = await buildApp({ config: loadConfig({ WHOHAD_MAX_EVENT_LOOP_DELAY_MS: '0', WHOHAD_DATA_DIR: dataDir }), redis: client, now: () => NOW, logger: false });
    const monitor = await new Redis(url).monitor();
    try {
      await whenLive(app.tokenCache);
      const { token } = await app.tokens.create('quiet', ['investigator']);
      const ask = () => app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}`, headers: { authorization: `Bearer ${token}` } });
      expect((await ask()).statusCode).toBe(200);
      const seen: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[], _source: string, database: string) => {
        if (Number(database) === db) seen.push(args);
      });
      // a marker through the monitored connection's server shows when the look-up's commands are all seen
      const marker = `marker-${Date.now()}`;
      expect((await ask()).statusCode).toBe(200);
      const markerSeen = new Promise<void>((ok) => monitor.on('monitor', (_t: string, args: string[]) => args.includes(marker) && ok()));
      await client.echo(marker);
      await markerSeen;
      const touched = seen.flat();
      expect(touched.some((x) => x.startsWith('{whohad}:fail:'))).toBe(false);
      expect(touched.some((x) => x.startsWith('{whohad}:token:'))).toBe(false);
      expect(seen.some((c) => c[0].toLowerCase() === 'evalsha' || c[0].toLowerCase() === 'eval')).toBe(true); // the look-up itself was seen
    } finally {
      monitor.disconnect();
      await app.close();
      await closeClient(client);
    }
  });
});
