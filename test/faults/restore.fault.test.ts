import { copyFileSync, cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventFromWire } from '../../events/wire.js';
import { Resolver } from '../../resolver/resolve.js';
import { asking } from '../helpers/query.js';
import type { CanonicalEvent } from '../../events/schema.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexReader } from '../../timeindex/reader.js';
import { defineCommands } from '../../commands.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { FaultyRedis, differences, keyspace, tempDir, until } from './helpers.js';
import { scenarioLines } from './scenario.js';

/**
 * Backup and restore as docs/operations-backup.md describes them, on real redis-server
 * processes: a copy of the append-only directory after BGREWRITEAOF, and a copy of dump.rdb
 * after BGSAVE, each started as a fresh server, hold the same keys and answer the same.
 */

const events: CanonicalEvent[] = scenarioLines(512, 3).flatMap((l) => {
  try {
    const r = eventFromWire(JSON.parse(l));
    // the scenario's unreadable line and its event older than retention are left out
    return r.ok && r.event.at > Date.now() - 300 * 86_400_000 ? [r.event] : [];
  } catch {
    return [];
  }
});
const NOW = Date.now();
const servers: FaultyRedis[] = [];
let source: FaultyRedis;
let want: Map<string, unknown>;
let answers: unknown[];

/** A grid of look-ups over the scenario: addresses, ports and instants across its sessions. */
async function lookups(url: string): Promise<unknown[]> {
  const redis = new Redis(url);
  defineCommands(redis);
  const resolver = asking(new Resolver(new IndexReader(redis), new ProfileDictionary(redis), { toleranceS: 2, retentionDays: 365, interimIntervalS: 86_400, directVrf: 'default', now: () => NOW }));
  const base = Math.floor(NOW / 86_400_000) * 86_400_000 - 20 * 86_400_000;
  const out: unknown[] = [];
  for (let h = 0; h < 9; h += 0.75) {
    for (const ip of ['198.51.100.1', '198.51.100.5', '198.51.100.8']) {
      for (const port of [1500, 20_000, 60_000]) out.push(await resolver.resolve({ ip, port, at: new Date(base + h * 3_600_000).toISOString() }));
    }
  }
  await redis.quit();
  return out;
}

async function info(redis: Redis, field: string): Promise<string> {
  return new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(await redis.info('persistence'))?.[1] ?? '';
}

async function fresh(dir: string, appendonly: boolean): Promise<FaultyRedis> {
  const r = await FaultyRedis.start({ dir, appendonly, appendfsync: 'everysec' });
  servers.push(r);
  return r;
}

beforeAll(async () => {
  source = await FaultyRedis.start({ appendfsync: 'everysec' });
  servers.push(source);
  const redis = new Redis(source.url);
  defineCommands(redis);
  const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 365, now: () => NOW });
  for (let i = 0; i < events.length; i += 2000) expect((await writer.write(events.slice(i, i + 2000))).failed).toEqual([]);
  want = await keyspace(redis);
  await redis.quit();
  answers = await lookups(source.url);
  expect(want.size).toBeGreaterThan(1000);
  expect(answers.filter((a) => (a as { status: string }).status === 'unique').length).toBeGreaterThan(10);
});
afterAll(async () => {
  for (const s of servers) await s.stop();
});

describe('backup and restore', () => {
  it('append-only directory: BGREWRITEAOF, copy appendonlydir, start a server on the copy', async () => {
    const redis = new Redis(source.url);
    await redis.bgrewriteaof();
    await until('the rewrite to finish', async () => (await info(redis, 'aof_rewrite_in_progress')) === '0' && (await info(redis, 'aof_rewrite_scheduled')) === '0');
    await redis.quit();
    const dir = tempDir('whohad-restore-aof-');
    cpSync(join(source.dir, 'appendonlydir'), join(dir, 'appendonlydir'), { recursive: true });
    const restored = await fresh(dir, true);
    const r = new Redis(restored.url);
    expect(differences(want, await keyspace(r))).toEqual([]);
    await r.quit();
    expect(await lookups(restored.url)).toEqual(answers);
  });

  it('snapshot: BGSAVE, copy dump.rdb, start with appendonly no, then turn the append-only file on', async () => {
    const redis = new Redis(source.url);
    expect(existsSync(join(source.dir, 'dump.rdb'))).toBe(false);
    await redis.bgsave();
    // BGSAVE answers once the child is forked; the snapshot is written when it is no longer in progress
    await until('the snapshot to be written', async () => (await info(redis, 'rdb_bgsave_in_progress')) === '0');
    expect(await info(redis, 'rdb_last_bgsave_status')).toBe('ok');
    await redis.quit();
    const dir = tempDir('whohad-restore-rdb-');
    copyFileSync(join(source.dir, 'dump.rdb'), join(dir, 'dump.rdb'));

    const restored = await fresh(dir, false);
    const r = new Redis(restored.url);
    expect(differences(want, await keyspace(r))).toEqual([]);
    // the embedded server runs with the append-only file: write it from the restored data
    await r.config('SET', 'appendonly', 'yes');
    await until('the append-only file to be written', async () => (await info(r, 'aof_rewrite_in_progress')) === '0' && (await info(r, 'aof_rewrite_scheduled')) === '0' && (await info(r, 'aof_enabled')) === '1');
    await r.quit();
    await restored.stop(false);
    const again = await fresh(dir, true);
    const r2 = new Redis(again.url);
    expect(differences(want, await keyspace(r2))).toEqual([]);
    await r2.quit();
    expect(await lookups(again.url)).toEqual(answers);
  });

  it('the trap the procedure avoids: dump.rdb alone under a server started with appendonly yes loads nothing', async () => {
    const dir = tempDir('whohad-restore-trap-');
    copyFileSync(join(source.dir, 'dump.rdb'), join(dir, 'dump.rdb'));
    const wrong = await fresh(dir, true);
    const r = new Redis(wrong.url);
    expect(await r.dbsize()).toBe(0);
    await r.quit();
  });
});
