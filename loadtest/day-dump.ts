// A generated day (shuffled, with duplicates and lost releases) written by this checkout's writer
// and answered by its resolver, dumped as JSON: every key of the index and every answer. Run it
// in two checkouts (before and after a change to the index or the resolver) on empty databases
// and compare the files: a change that must not alter answers leaves them byte-identical.
//   npx tsx loadtest/day-dump.ts redis://127.0.0.1:6379/1 SEED OUT.json
import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { Resolver } from '../resolver/resolve.js';
import { normaliseQuery } from '../resolver/query.js';
type Query = Record<string, unknown>;
import type { CanonicalEvent } from '../events/schema.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import { IndexReader } from '../timeindex/reader.js';
import { defineCommands } from '../commands.js';
import { IndexWriter } from '../timeindex/writer.js';
import { DEFAULT_SHAPE, leaseEvents, natEvents, publicIpOf, privateIpOf, rng } from './synthetic-isp.js';

const [url, seedS, out] = process.argv.slice(2);
const seed = Number(seedS);
const shape = { ...DEFAULT_SHAPE, publicIps: 6, blocksPerIp: 8, days: 2, privateIps: 60, meanHoldHours: 3, seed };
const r = rng(seed * 7919 + 1);
const events: CanonicalEvent[] = [...natEvents(shape), ...leaseEvents(shape, 5)];
// duplicates and any order: the merge must not depend on them, and neither tree may differ
const dup = Math.floor(events.length / 10);
for (let i = 0; i < dup; i++) events.push(events[Math.floor(r() * events.length)]);
const keyed = events.map((e) => ({ e, k: r() })).sort((a, b) => a.k - b.k).map((x) => x.e);
const NOW = shape.start + 3 * 86400_000;

const redis = new Redis(url);
await redis.flushdb();
defineCommands(redis);
const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 365, now: () => NOW });
const failures: unknown[] = [];
for (let i = 0; i < keyed.length; ) {
  const size = 1 + Math.floor(r() * 300);
  const batch = keyed.slice(i, i + size);
  const res = await writer.write(batch);
  for (const f of res.failed) failures.push({ event: batch[f.index], reason: f.reason });
  i += size;
}
const dump: Record<string, unknown> = {};
for (const key of (await redis.keys('*')).sort()) {
  const type = await redis.type(key);
  if (type === 'zset') dump[key] = await redis.zrange(key, '0', '-1', 'WITHSCORES');
  else if (type === 'hash') dump[key] = Object.entries(await redis.hgetall(key)).sort();
  else if (type === 'set') dump[key] = (await redis.smembers(key)).sort();
  else if (type === 'string') dump[key] = await redis.get(key);
  else dump[key] = type;
}
const resolver = new Resolver(new IndexReader(redis), new ProfileDictionary(redis), { toleranceS: 2, retentionDays: 365, interimIntervalS: 3600, directVrf: 'default', now: () => NOW });
const queries: Query[] = [];
for (let ip = 0; ip < shape.publicIps; ip++) {
  for (let m = -30; m < 2 * 24 * 60 + 60; m += 37) {
    const at = new Date(shape.start + m * 60_000).toISOString();
    for (const port of [1024 + Math.floor(r() * 8 * 1024), 1024 + Math.floor(r() * 8 * 1024), null]) queries.push({ ip: publicIpOf(ip), port, at, tolerance: Math.floor(r() * 3) * 30 });
  }
}
for (let p = 0; p < 10; p++) queries.push({ ip: privateIpOf(p), port: null, at: new Date(shape.start + p * 3600_000).toISOString() });
const answers = [];
for (const q of queries) { const n = normaliseQuery(q as never); if (!n.ok) throw n.errors[0]; answers.push(await resolver.resolve(n.query)); }
const statuses: Record<string, number> = {};
for (const a of answers) statuses[(a as { status: string }).status] = (statuses[(a as { status: string }).status] ?? 0) + 1;
writeFileSync(out, JSON.stringify({ events: keyed.length, failures, keys: Object.keys(dump).length, dump, answers }, null, 1));
console.log(JSON.stringify({ seed, events: keyed.length, failures: failures.length, keys: Object.keys(dump).length, queries: queries.length, statuses }));
await redis.quit();
