import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startCollector, type Collector, type CollectorState } from '../../intake/collector.js';
import { parseSourceConfig } from '../../intake/sources.js';
import { connectRedis } from '../../commands.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { port, rejectsPath, tcpSender, until as collectorUntil } from '../intake/collect/helpers.js';
import { cleanAndFaulty, differences, keyspace } from './helpers.js';
import { scenarioLines } from './scenario.js';

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
const SLICE = 2000;
const SLICES = Math.ceil(lines.length / SLICE);

interface Disturbance {
  /** Runs before slice `slice` of the input is sent. */
  beforeSlice(c: Collector, slice: number): Promise<void>;
  /** Awaited once everything is sent, before the collector is expected to have it all. */
  settled(): Promise<void>;
}

const servers = cleanAndFaulty();

async function collect(url: string, disturbance?: Disturbance): Promise<{ state: CollectorState; log: string[] }> {
  const redis = connectRedis(url);
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
    for (let s = 0; s < SLICES; s++) {
      await disturbance?.beforeSlice(c, s);
      await tcp.write(`${lines.slice(s * SLICE, (s + 1) * SLICE).join('\n')}\n`);
    }
    await disturbance?.settled();
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

    // Killed before a slice is sent, so events are still to come and a write must fail while
    // Redis is away: the kills are tied to the input, not to how fast this machine stores it.
    const killBefore = new Set([Math.floor(SLICES * 0.2), Math.floor(SLICES * 0.5)]);
    let kills = 0;
    let restarted = Promise.resolve();
    const disturbed = await collect(servers.faulty.url, {
      async beforeSlice(c, slice) {
        if (!killBefore.has(slice)) return;
        await restarted;
        const failures = c.state().storeFailures;
        await servers.faulty.kill();
        kills++;
        // Redis stays away until a write has failed, so the retry path runs every time
        restarted = collectorUntil(c, 'a failed write', (s) => s.storeFailures > failures).then(() => servers.faulty.restart());
      },
      settled: () => restarted,
    });
    expect(kills).toBe(2);
    expect(disturbed.log.some((l) => /^store: .*; retrying \d+ pending events/.test(l))).toBe(true);
    expect(disturbed.state.sources.feed).toEqual(undisturbed.state.sources.feed);

    const a = new Redis(servers.clean.url);
    const b = new Redis(servers.faulty.url);
    const [want, got] = [await keyspace(a, { index: true }), await keyspace(b, { index: true })];
    await Promise.all([a.quit(), b.quit()]);
    expect(want.size).toBeGreaterThan(2_000);
    // the index and the address registry ({whohad:addr:N}): a registration lost with a failed
    // write is sent again (see the test below)
    expect(differences(want, got)).toEqual([]);
    expect(got.size).toBe(want.size);
  });

  // AddressRegistry counts an address as registered only once Redis has taken the SADD.
  it('registers an address again after a write that Redis did not take', async () => {
    const redis = connectRedis(servers.faulty.url);
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
