import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { ingestCommand } from '../../cli/ingest.js';
import { cleanAndFaulty, differences, keyspace, probeClient, tempDir, until } from './helpers.js';
import { inputBytes, scenarioLines } from './scenario.js';

/**
 * `whohad ingest` of a large file while redis-server is killed (SIGKILL) twice and started
 * again on the same port and directory. With `appendfsync always` what Redis acknowledged
 * survives the kill; ingest retries what it did not acknowledge. The final state must equal
 * an undisturbed run of the same file into another server, key by key.
 */

const lines = scenarioLines();
const file = join(tempDir('whohad-ingest-fault-'), 'events.ndjson');
writeFileSync(file, `${lines.join('\n')}\n`);

const servers = cleanAndFaulty();

/** What the ingest command printed so far (a test waits on it). */
const printed = { out: '', err: '' };

/** Runs the ingest command against `url`, capturing what it prints. */
async function ingest(url: string, during?: () => Promise<void>) {
  process.env.REDIS_URL = url;
  printed.out = '';
  printed.err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((printed.out += String(s)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((printed.err += String(s)), true));
  try {
    const run = ingestCommand([file], { format: 'canonical', retryDelayMs: (n) => Math.min(20 * 2 ** n, 500) });
    const [code] = await Promise.all([run, during?.()]);
    return { code, out: printed.out, err: printed.err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('whohad ingest while Redis is killed and restarted', () => {
  it('resumes and leaves exactly the state of an undisturbed run: nothing lost, nothing doubled', async () => {
    const undisturbed = await ingest(servers.clean.url);
    expect(undisturbed.code).toBe(0);
    expect(undisturbed.out).toMatch(/^stored 196608 events from 196610 lines; rejected 2 \(1 unreadable, 1 refused by the store\)/);

    const probe = probeClient(servers.faulty.url);
    const cleanProbe = probeClient(servers.clean.url);
    const total = await inputBytes(cleanProbe);
    cleanProbe.disconnect();
    let kills = 0;
    const disturb = async () => {
      // kill once a quarter of the data went in, and again after a third of what was left (the
      // counter restarts with the server), so that however late a kill lands, data is still to come
      let left = total;
      for (const share of [0.25, 0.33]) {
        left -= await until(`${share} of the input`, async () => {
          const bytes = await inputBytes(probe);
          return bytes >= share * left && bytes;
        }, 20_000, 5);
        const failures = printed.err.split('Redis did not take').length;
        await servers.faulty.kill();
        kills++;
        // Redis stays away until ingest has seen a batch fail, so the retry path runs every time
        await until('ingest to report a batch Redis did not take', () => printed.err.split('Redis did not take').length > failures, 2000, 5);
        await servers.faulty.restart();
      }
    };
    const disturbed = await ingest(servers.faulty.url, disturb);
    probe.disconnect();
    expect(kills).toBe(2);
    expect(disturbed.code).toBe(0);
    // the retries happened, and counted every event once
    expect(disturbed.err).toMatch(/Redis did not take \d+ events \(.*\); retrying \(attempt 1/);
    expect(disturbed.out).toBe(undisturbed.out);

    const a = new Redis(servers.clean.url);
    const b = new Redis(servers.faulty.url);
    const [want, got] = [await keyspace(a, { index: true }), await keyspace(b, { index: true })];
    await Promise.all([a.quit(), b.quit()]);
    expect(want.size).toBeGreaterThan(10_000);
    expect(differences(want, got)).toEqual([]);
    expect(got.size).toBe(want.size);
  });
});
