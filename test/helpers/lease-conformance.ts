import { existsSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalIp, ipv6Prefix } from '../../core/ip.js';
import type { TextFormat } from '../../parse/format.js';
import { iscDhcpd } from '../../parse/formats/isc-dhcpd.js';
import { keaCsv } from '../../parse/formats/kea-csv.js';
import { keaLegal } from '../../parse/formats/kea-legal.js';
import { radiusDetail } from '../../parse/formats/radius-detail.js';
import { linesOf, parseStream } from '../../intake/pipeline.js';
import { formatByName } from '../../parse/registry.js';
import type { CanonicalEvent, LeaseEvent } from '../../events/schema.js';
import type { SourceOptions } from '../../schemas/source-config.js';
import { dumpLeases } from '../../timeindex/dump.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { defineCommands } from '../../commands.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { parse, type Outcome } from './parse.js';
import { testRedis } from './redis.js';

/**
 * One set of checks for a folder of lease files described by an `expected-intervals.json`
 * (the real samples' own schema, test/samples): the project's own fixtures run them in `npm test`,
 * the real samples in `npm run test:samples`. Folders: `isc-dhcpd/`, `kea/` (`.csv` memfiles,
 * `.log` legal logs) and `radius/`.
 */

export interface Interval {
  file: string;
  ip: string;
  start: string;
  end: string | null;
  identifiers: Record<string, string>;
  source_lines: number[];
}
export interface LegalEvent {
  file: string;
  line: number;
  timestamp: string;
  tz_abbrev: string;
  action: string;
  ip?: string;
  lifetime_s?: number;
}
export interface Expected {
  files: Record<string, { non_holding_records?: Array<{ ip: string; line: number }>; rows_without_holding?: Array<{ line: number }> }>;
  intervals: Interval[];
  events: LegalEvent[];
}

export function loadExpected(dir: URL): Expected {
  return JSON.parse(readFileSync(new URL('expected-intervals.json', dir), 'utf8')) as Expected;
}

/** The expected files' identifier names → whohad's identifier keys. */
const KEYS: Record<string, string> = {
  hwaddr: 'mac', uid: 'clientId', client_id: 'clientId', circuit_id: 'circuitId', remote_id: 'remoteId', subscriber_id: 'relaySubscriberId',
  hostname: 'hostname', vendor_class: 'vendorClass', duid: 'duid', iaid_raw: 'iaidRaw', relay: 'relayAddress',
  username: 'username', calling_station_id: 'callingStationId', called_station_id: 'calledStationId', nas_ip: 'nasIp',
  nas_port: 'nasPort', acct_session_id: 'acctSessionId',
};

/** The zones the Kea manual's abbreviations stand for in its examples (CET is +01:00 in winter). */
const ZONES: Record<string, string> = { CET: 'Europe/Copenhagen', PST: 'America/Los_Angeles' };

export function formatOf(file: string): TextFormat | null {
  if (file.startsWith('isc-dhcpd/')) return iscDhcpd;
  if (file.startsWith('radius/')) return radiusDetail;
  if (file.endsWith('.csv')) return keaCsv;
  if (file.endsWith('.log')) return keaLegal;
  return null;
}

function optionsOf(expected: Expected, file: string): SourceOptions {
  const abbrev = expected.events.find((e) => e.file === file)?.tz_abbrev;
  if (abbrev) return { timezone: ZONES[abbrev] };
  // The Livingston headers are US Pacific wall time; the records carry epoch Timestamps too.
  if (file.startsWith('radius/')) return { timezone: 'America/Los_Angeles' };
  return {};
}

export function streamFiles(expected: Expected): string[] {
  return Object.keys(expected.files).filter((f) => formatOf(f));
}

/**
 * Every event any subscriber key yields: a record that lacks one key is rejected under it and
 * read under another, and the expected intervals do not depend on the key.
 */
function parseAllKeys(dir: URL, expected: Expected, file: string): { all: Outcome<LeaseEvent>['events']; byDefault: Outcome<LeaseEvent> } {
  const format = formatOf(file)!;
  const text = readFileSync(new URL(file, dir), 'utf8');
  const byDefault = parse(format, text, optionsOf(expected, file));
  const all = [...byDefault.events];
  for (const subscriberKey of ['mac', 'clientId', 'duid', 'username'] as const) {
    all.push(...parse(format, text, { ...optionsOf(expected, file), subscriberKey }).events);
  }
  return { all, byDefault };
}

const ipMatches = (e: { ip: string; identifiers: Record<string, string | null> }, ip: string) =>
  ip.includes('/') ? e.identifiers.prefix === ip : e.ip === ip;

/**
 * What a parser alone decides: which records start a holding, at what time, for which address
 * and identifiers, and that the interval's end is among the times the records state. Merging
 * and end bases are the time index's job (see describeIndexChains).
 */
export function describeParsers(dir: URL, expected: Expected): void {
  describe.each(streamFiles(expected))('%s', (file) => {
    it('exists', () => expect(existsSync(new URL(file, dir)), file).toBe(true));
    const { all, byDefault } = parseAllKeys(dir, expected, file);
    const intervals = expected.intervals.filter((i) => i.file === file);

    it('starts every expected holding at its start, for its address and identifiers', () => {
      for (const iv of intervals) {
        const mine = all.filter((e) => ipMatches(e, iv.ip) && iv.source_lines.includes(e.line));
        const label = `${iv.ip} from line ${iv.source_lines[0]}`;
        expect(mine.some((e) => e.event === 'start' && e.at === Date.parse(iv.start)), `${label}: start ${iv.start}`).toBe(true);
        const ids: Record<string, string | null> = {};
        for (const e of mine) Object.assign(ids, e.identifiers);
        for (const [k, v] of Object.entries(iv.identifiers)) {
          expect(KEYS[k], `identifier name ${k} is mapped`).toBeDefined();
          expect(ids[KEYS[k]], `${label}: ${k}`).toBe(v);
        }
        if (iv.end !== null) {
          const end = Date.parse(iv.end);
          const stated = mine.some((e) => (e.event === 'start' ? e.expiresAt === end : e.at === end));
          expect(stated, `${label}: end ${iv.end} is stated by its records`).toBe(true);
        }
      }
    });

    it('starts nothing but the expected holdings', () => {
      for (const e of all.filter((x) => x.event === 'start')) {
        const owner = intervals.find((iv) => ipMatches(e, iv.ip) && iv.source_lines.includes(e.line));
        expect(owner, `start for ${e.ip} at line ${e.line}`).toBeDefined();
      }
    });

    it('skips, not rejects, the records that hold nothing', () => {
      const meta = expected.files[file];
      const lines = [...(meta.non_holding_records ?? []).map((r) => r.line), ...(meta.rows_without_holding ?? []).map((r) => r.line)];
      for (const line of lines) {
        expect(all.filter((e) => e.line === line && e.event === 'start'), `line ${line}`).toEqual([]);
        expect(byDefault.skips.some((s) => s.line === line), `line ${line} skipped`).toBe(true);
      }
    });

    it('rejects nothing but records lacking the default subscriber key', () => {
      for (const r of byDefault.rejects) expect(r.reason, `line ${r.line}`).toMatch(/subscriberKey defaults to/);
    });
  });

  it('reads each legal-log line at the expected UTC instant with the expected lifetime', () => {
    const legal = expected.events.filter((e) => e.file.endsWith('.log'));
    for (const ev of legal) {
      const { byDefault } = parseAllKeys(dir, expected, ev.file);
      const at = byDefault.events.filter((e) => e.line === ev.line);
      const label = `${ev.file}:${ev.line} ${ev.action}`;
      if (ev.action === 'admin-delete-by-identifier') {
        // the address was already deleted on the line before: nothing left open to end
        expect(at, label).toEqual([]);
        expect(byDefault.skips.some((s) => s.line === ev.line), label).toBe(true);
        continue;
      }
      expect(at, label).toHaveLength(1);
      const e = at[0];
      expect(e.at, label).toBe(Date.parse(ev.timestamp));
      expect(e.ip, label).toBe(ev.ip);
      const ends = ev.action === 'released' || ev.action === 'admin-delete';
      expect(e.event, label).toBe(ends ? 'end' : 'start');
      if (ev.lifetime_s !== undefined) expect(e.expiresAt, label).toBe(e.at + ev.lifetime_s * 1000);
    }
  });
}

/** A delegated prefix is chained under its "network/length" text (timeindex/keys.ts leaseAddress). */
function addressOf(ip: string): string {
  const p = ip.includes('/') ? ipv6Prefix(ip) : null;
  if (typeof p === 'string') throw new Error(p);
  return p && p.length < 128 ? p.prefix : canonicalIp(ip.split('/')[0])!;
}

function formatNameOf(file: string): string {
  if (file.startsWith('isc-dhcpd/')) return 'isc-dhcpd';
  if (file.startsWith('radius/')) return 'radius-detail';
  return file.endsWith('.csv') ? 'kea-csv' : 'kea-legal';
}

/**
 * Parser, writer and the time index's merge together: each file, once ingested, holds exactly
 * its expected intervals. Each file is stored twice, the second time in reverse order, and must
 * give the same chains.
 */
export function describeIndexChains(dir: URL, expected: Expected): void {
  const files = [...new Set(expected.intervals.map((i) => i.file))].sort();
  let redis: Redis;
  let writer: IndexWriter;

  beforeAll(async () => {
    ({ redis } = await testRedis());
    defineCommands(redis);
    writer = new IndexWriter(redis, new ProfileDictionary(redis), { days: 36500, now: Date.now });
  });

  async function eventsOf(file: string): Promise<CanonicalEvent[]> {
    const events: CanonicalEvent[] = [];
    await parseStream({
      lines: linesOf(new URL(file, dir).pathname),
      format: formatByName(formatNameOf(file)),
      options: optionsOf(expected, file),
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
}
