import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalIp, ipv6Prefix } from '../../core/ip.js';
import { linesOf, parseStream } from '../../ingest/pipeline.js';
import { formatByName } from '../../ingest/registry.js';
import type { CanonicalEvent } from '../../schemas/events.js';
import { dumpLeases } from '../../timeindex/dump.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { testRedis } from '../helpers/redis.js';

/**
 * The real lease files in shared/samples yield exactly the holding intervals listed in
 * expected-intervals.json once ingested: parser, writer and the time index's merge together.
 * Each file is stored twice, the second time in reverse order, and must give the same chains.
 */
const samples = new URL('../../../shared/samples/leases/', import.meta.url);
interface Expected {
  file: string;
  ip: string;
  start: string;
  end: string | null;
}
const expected = JSON.parse(readFileSync(new URL('expected-intervals.json', samples), 'utf8')) as { intervals: Expected[]; events: Array<{ file: string; tz_abbrev?: string }> };

const ZONES: Record<string, string> = { CET: 'Europe/Berlin', PST: 'America/Los_Angeles' };
/** A delegated prefix is chained under its "network/length" text (timeindex/keys.ts leaseAddress). */
function addressOf(ip: string): string {
  const p = ip.includes('/') ? ipv6Prefix(ip) : null;
  if (typeof p === 'string') throw new Error(p);
  return p && p.length < 128 ? p.prefix : canonicalIp(ip.split('/')[0])!;
}

function formatOf(file: string): string {
  if (file.startsWith('isc-dhcpd/')) return 'isc-dhcpd';
  if (file.startsWith('radius/')) return 'radius-detail';
  return file.endsWith('.csv') ? 'kea-csv' : 'kea-legal';
}

const files = [...new Set(expected.intervals.map((i) => i.file))].sort();
let redis: Redis;
let writer: IndexWriter;

beforeAll(async () => {
  ({ redis } = await testRedis());
  writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now });
});

async function eventsOf(file: string): Promise<CanonicalEvent[]> {
  const zone = expected.events.find((e) => e.file === file)?.tz_abbrev;
  const events: CanonicalEvent[] = [];
  await parseStream({
    lines: linesOf(new URL(file, samples).pathname),
    format: formatByName(formatOf(file)),
    options: zone ? { timezone: ZONES[zone] } : {},
    context: { now: Date.UTC(2026, 0, 1) },
    file,
    onBatch: async (e) => void events.push(...e),
    onReject: () => {},
  });
  return events;
}

async function holdings(ips: string[]) {
  const out: Array<[string, string, string | null]> = [];
  for (const ip of ips) {
    for (const e of await dumpLeases(redis, 'default', ip)) {
      if (!e.orphan) out.push([ip, new Date(e.start).toISOString().replace('.000', ''), e.end === null ? null : new Date(e.end).toISOString().replace('.000', '')]);
    }
  }
  return out.sort();
}

describe('real lease files, ingested', () => {
  it.each(files)('%s', async (file) => {
    const want = expected.intervals.filter((i) => i.file === file);
    const ips = [...new Set(want.map((i) => addressOf(i.ip)))];
    const events = await eventsOf(file);
    await redis.flushdb();
    expect((await writer.write(events)).failed).toEqual([]);
    const got = await holdings(ips);
    expect(got).toEqual(want.map((i) => [addressOf(i.ip), i.start, i.end]).sort());
    await redis.flushdb();
    for (const e of [...events].reverse()) await writer.write([e]);
    expect(await holdings(ips)).toEqual(got);
  });
});
