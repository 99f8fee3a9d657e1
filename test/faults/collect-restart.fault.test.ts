import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startCollector, type Collector, type CollectorState } from '../../ingest/collect/collector.js';
import { parseSourceConfig } from '../../ingest/config.js';
import { redisClient } from '../../core/redis-connect.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { port, rejectsPath, tcpSender, until as collectorUntil } from '../collect/helpers.js';
import { cleanAndFaulty, differences, keyspace, probeClient, until } from './helpers.js';
import { inputBytes, scenarioLines } from './scenario.js';

/**
 * `whohad collect` while redis-server is killed (SIGKILL) and started again as messages flow:
 * the write queue retries what Redis did not take, TCP senders are held back meanwhile, and
 * the final state equals an undisturbed run, key by key.
 */

// canonical NDJSON lines over TCP with LF framing from 127.0.0.1 (no syslog header)
const CONFIG = parseSourceConfig(`
sources:
  - name: feed
    format: canonical
    match: { host: 127.0.0.1 }
`);
const lines = scenarioLines(1024, 4);
const EVENTS = lines.length - 2;

const servers = cleanAndFaulty();

async function collect(url: string, during?: (c: Collector) => Promise<void>): Promise<{ state: CollectorState; log: string[] }> {
  const redis = redisClient(url);
  redis.on('error', () => {});
  const log: string[] = [];
  const c = await startCollector({
    syslog: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }],
    config: CONFIG,
    writer: new IndexWriter(redis, new ProfileDictionary(redis), { days: 365, now: Date.now }),
    rejects: rejectsPath(),
    flushIntervalMs: 0,
    batchSize: 500,
    retryDelayMs: (n) => Math.min(20 * 2 ** n, 500),
    log: (l) => log.push(l),
  });
  try {
    const tcp = await tcpSender(port(c, 'syslog', 'tcp'));
    // in slices, so that the kills land while messages are still arriving
    const sending = (async () => {
      for (let i = 0; i < lines.length; i += 2000) await tcp.write(`${lines.slice(i, i + 2000).join('\n')}\n`);
    })();
    await Promise.all([sending, during?.(c)]);
    await collectorUntil(c, 'every message received', (s) => s.sources.feed?.received === lines.length);
    await c.flush();
    await tcp.end();
    return { state: await c.stop(), log };
  } finally {
    await c.stop();
    await redis.quit().catch(() => redis.disconnect());
  }
}

describe('whohad collect while Redis is killed and restarted', () => {
  it('retries until Redis takes every event, and leaves exactly the state of an undisturbed run', async () => {
    const undisturbed = await collect(servers.clean.url);
    expect(undisturbed.state.sources.feed).toMatchObject({ received: lines.length, stored: EVENTS, rejected: 2, dropped: 0, pending: 0 });

    const cleanProbe = probeClient(servers.clean.url);
    const total = await inputBytes(cleanProbe);
    cleanProbe.disconnect();
    const probe = probeClient(servers.faulty.url);
    let kills = 0;
    const disturbed = await collect(servers.faulty.url, async (c) => {
      for (const share of [0.2, 0.3]) {
        await until(`${share} of the input`, async () => (await inputBytes(probe)) >= share * total, 20_000, 5);
        await servers.faulty.kill();
        kills++;
        // Redis stays away until a write has failed, so the retry path runs every time
        await collectorUntil(c, 'a failed write', (s) => s.storeFailures > 0);
        await servers.faulty.restart();
      }
    });
    probe.disconnect();
    expect(kills).toBe(2);
    expect(disturbed.log.some((l) => /^store: .*; retrying \d+ pending events/.test(l))).toBe(true);
    expect(disturbed.state.sources.feed).toEqual(undisturbed.state.sources.feed);

    const a = new Redis(servers.clean.url);
    const b = new Redis(servers.faulty.url);
    const [want, got] = [await keyspace(a), await keyspace(b)];
    await Promise.all([a.quit(), b.quit()]);
    expect(want.size).toBeGreaterThan(2_000);
    // The index itself. The address registry ({whohad:addr:N}) is left out: IndexWriter
    // counts an address as registered once queued, so a registration lost with a failed write
    // is never sent again by the same writer (see the test below).
    const index = (m: Map<string, unknown>) => new Map([...m].filter(([k]) => !k.startsWith('{whohad:addr:')));
    expect(differences(index(want), index(got))).toEqual([]);
    expect(index(got).size).toBe(index(want).size);
  });

  // Known bug (timeindex/writer.ts, AddressRegistry.note): the address is marked registered
  // before Redis has taken the SADD. Once fixed this test passes and `.fails` must go.
  it('registers an address again after a write that Redis did not take', async () => {
    const redis = redisClient(servers.faulty.url);
    redis.on('error', () => {});
    try {
      await redis.flushdb();
      const writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 365, now: Date.now });
      const event = { kind: 'lease', event: 'start', at: Date.now() - 60_000, ip: '100.77.0.1', vrf: 'default', subscriberId: 's', expiresAt: null, identifiers: {}, source: 'canonical' } as const;
      expect((await writer.write([event])).failed).toEqual([]);
      await servers.faulty.kill();
      const event2 = { ...event, ip: '100.77.0.2' };
      const down = await writer.write([event2]).catch((err: Error) => ({ failed: [{ index: 0, reason: err.message }], stored: 0 }));
      expect(down.stored).toBe(0);
      await servers.faulty.restart();
      expect((await writer.write([event2])).failed).toEqual([]);
      const plain = new Redis(servers.faulty.url);
      const registered = await keyspace(plain);
      await plain.quit();
      const members = [...registered].filter(([k]) => k.startsWith('{whohad:addr:')).flatMap(([, v]) => v as string[]);
      expect(members.sort()).toEqual(['default|100.77.0.1', 'default|100.77.0.2']);
    } finally {
      redis.disconnect();
    }
  });
});
