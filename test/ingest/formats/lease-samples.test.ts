import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { TextFormat } from '../../../ingest/format.js';
import { iscDhcpd } from '../../../ingest/formats/isc-dhcpd.js';
import { keaCsv } from '../../../ingest/formats/kea-csv.js';
import { keaLegal, parseLegalBody } from '../../../ingest/formats/kea-legal.js';
import { radiusDetail } from '../../../ingest/formats/radius-detail.js';
import type { LeaseEvent } from '../../../schemas/events.js';
import type { SourceOptions } from '../../../schemas/source-config.js';
import { parse, type Outcome } from '../../helpers/parse.js';

/**
 * The real sample files next to the repository (read in place, never copied into it) against
 * expected-intervals.json. Only what a parser alone decides is checked here: which records
 * start a holding, at what time, for which address and identifiers, and that the interval's
 * end is among the times the records state. Merging and end bases are the time index's job.
 */

const SAMPLES = new URL('../../../../shared/samples/leases/', import.meta.url);
const SAMPLES_DIR = fileURLToPath(SAMPLES);
if (!existsSync(new URL('expected-intervals.json', SAMPLES))) {
  throw new Error(`lease samples not found at ${SAMPLES_DIR} (expected ../shared/samples/leases/ beside the repository root)`);
}

interface Interval {
  file: string;
  ip: string;
  start: string;
  end: string | null;
  identifiers: Record<string, string>;
  source_lines: number[];
}
interface LegalEvent {
  file: string;
  line: number;
  timestamp: string;
  tz_abbrev: string;
  action: string;
  ip?: string;
  lifetime_s?: number;
}
interface Expected {
  files: Record<string, { non_holding_records?: Array<{ ip: string; line: number }>; rows_without_holding?: Array<{ line: number }> }>;
  intervals: Interval[];
  events: LegalEvent[];
}

const expected = JSON.parse(readFileSync(new URL('expected-intervals.json', SAMPLES), 'utf8')) as Expected;

/** The samples' identifier names → whohad's identifier keys. */
const KEYS: Record<string, string> = {
  hwaddr: 'mac', uid: 'clientId', client_id: 'clientId', circuit_id: 'circuitId', remote_id: 'remoteId', subscriber_id: 'relaySubscriberId',
  hostname: 'hostname', vendor_class: 'vendorClass', duid: 'duid', iaid_raw: 'iaidRaw', relay: 'relayAddress',
  username: 'username', calling_station_id: 'callingStationId', called_station_id: 'calledStationId', nas_ip: 'nasIp',
  nas_port: 'nasPort', acct_session_id: 'acctSessionId',
};

/** The zones the Kea manual's abbreviations stand for in its examples. */
const ZONES: Record<string, string> = { CET: 'Europe/Copenhagen', PST: 'America/Los_Angeles' };

function formatOf(file: string): TextFormat | null {
  if (file.startsWith('isc-dhcpd/')) return iscDhcpd;
  if (file.startsWith('radius/')) return radiusDetail;
  if (file.endsWith('.csv')) return keaCsv;
  if (file.endsWith('.log')) return keaLegal;
  return null;
}

function optionsOf(file: string): SourceOptions {
  const abbrev = expected.events.find((e) => e.file === file)?.tz_abbrev;
  if (abbrev) return { timezone: ZONES[abbrev] };
  // The Livingston headers are US Pacific wall time; the records carry epoch Timestamps too.
  if (file.startsWith('radius/')) return { timezone: 'America/Los_Angeles' };
  return {};
}

/**
 * Every event any subscriber key yields: a record that lacks one key is rejected under it and
 * read under another, and the expected intervals do not depend on the key.
 */
function parseAllKeys(file: string): { all: Outcome<LeaseEvent>['events']; byDefault: Outcome<LeaseEvent> } {
  const format = formatOf(file)!;
  const text = readFileSync(new URL(file, SAMPLES), 'utf8');
  const byDefault = parse(format, text, optionsOf(file));
  const all = [...byDefault.events];
  for (const subscriberKey of ['mac', 'clientId', 'duid', 'username'] as const) {
    all.push(...parse(format, text, { ...optionsOf(file), subscriberKey }).events);
  }
  return { all, byDefault };
}

const ipMatches = (e: { ip: string; identifiers: Record<string, string | null> }, ip: string) =>
  ip.includes('/') ? e.identifiers.prefix === ip : e.ip === ip;

const streamFiles = Object.keys(expected.files).filter((f) => formatOf(f));

describe('lease parsers on the real samples', () => {
  it('has sample files to read', () => {
    expect(streamFiles.length).toBeGreaterThanOrEqual(18);
    for (const f of streamFiles) expect(existsSync(new URL(f, SAMPLES)), f).toBe(true);
  });

  describe.each(streamFiles)('%s', (file) => {
    const { all, byDefault } = parseAllKeys(file);
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
    expect(legal.length).toBeGreaterThanOrEqual(10);
    for (const ev of legal) {
      const { byDefault } = parseAllKeys(ev.file);
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

  it.each(['kea/kea-unittest__legal4-entry-bodies.txt', 'kea/kea-unittest__legal6-entry-bodies.txt'])('reads every entry body of %s', (file) => {
    const bodies = readFileSync(new URL(file, SAMPLES), 'utf8').split('\n').filter((l) => l.trim());
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) {
      const entry = parseLegalBody(body);
      if (typeof entry === 'string' || entry.kind !== 'lease') throw new Error(`${body}: ${entry}`);
      expect(['192.2.1.100', '2001:db8:1::', '2001:db8:1::/64'], body).toContain(entry.address);
      if (entry.action === 'released') expect(entry.lifetime, body).toBeUndefined();
      else expect([6735, 713], body).toContain(entry.lifetime);
      if (body.includes('hardware address')) expect(entry.ids.mac, body).toBe('08:00:2b:02:3f:4e');
      if (body.includes('DUID')) expect(entry.ids.duid, body).toBe('17:34:e2:ff:09:92:54');
      if (body.includes('circuit-id: 68')) expect(entry.ids.circuitId, body).toBe('68:6f:77:64:79');
      if (body.includes('remote-id: 87')) expect(entry.ids.remoteId, body).toBe('87:f6:79:77:ef');
      if (body.includes('subscriber-id: 1a')) expect(entry.ids.relaySubscriberId, body).toBe('1a:2b:3c:4d:5e:6f');
      expect(JSON.stringify(entry.ids), body).not.toContain('context');
    }
  });
});
