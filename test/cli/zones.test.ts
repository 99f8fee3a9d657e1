import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { until } from '../faults/helpers.js';
import { runCli } from '../helpers/cli-process.js';
import { testRedisUrl } from '../helpers/redis.js';
import { tempDir, whohad } from './run.js';

/**
 * `whohad ingest` and `whohad parse` with sources whose times carry no zone: refused at start
 * unless a zone is configured or given with --timezone, never read as UTC without a word, and
 * every per-file summary says which zone was applied.
 */

vi.setConfig({ testTimeout: 120_000 });

// A BSD syslog (RFC 3164) header has no zone and no year: two days ago at noon, Copenhagen wall clock.
const wall = DateTime.now().setZone('Europe/Copenhagen').minus({ days: 2 }).set({ hour: 12, minute: 0, second: 0, millisecond: 0 });
const header = `${wall.toFormat('LLL')} ${String(wall.day).padStart(2, ' ')} ${wall.toFormat('HH:mm:ss')}`;
const ALLOC = `<14>${header} srx-cgn-2 RT_NAT: RT_SRC_NAT_PBA_ALLOC: Subscriber 100.64.60.9 used/maximum [3/8] blocks, allocates port block [8192-8319] from 203.0.113.71 in source pool POOL_A lsys_id: 0`;
const recent = new Date(Date.now() - 86_400_000).toISOString();
const LEASE = JSON.stringify({ kind: 'lease', event: 'start', at: recent, ip: '100.64.9.1', subscriberId: 'sub-1', expiresAt: null });

let dir: string;
let env: Record<string, string>;
const file = (name: string, lines: string[]) => {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
};
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);

beforeAll(async () => {
  dir = tempDir('whohad-zones-');
  env = { REDIS_URL: await testRedisUrl(), WHOHAD_DATA_DIR: join(dir, 'data') };
});

describe('a zone-less format with no zone configured', () => {
  it('ingest refuses to start with one line naming the file, the format and what to set, exit 2, before Redis is opened', async () => {
    const path = file('srx.log', [ALLOC]);
    const r = await whohad(['ingest', '--format', 'juniper-pba', path], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `whohad: ${path}: format juniper-pba reads BSD syslog header times (RFC 3164 headers carry no zone), and no timezone is set: ` +
        "set timezone for it (the zone of the device's clock, or UTC if it logs UTC), in its options or in defaults, or give --timezone ZONE\n",
    );
  });

  it('parse refuses the same, and auto (which may choose such a format) too; a canonical file needs no zone', async () => {
    const path = file('srx2.log', [ALLOC]);
    const p = await whohad(['parse', '--format', 'juniper-pba', path], { env });
    expect(p.code).toBe(2);
    expect(p.stdout).toBe('');
    expect(lastLine(p.stderr)).toMatch(new RegExp(`^whohad: ${path}: format juniper-pba reads BSD syslog header times .* or give --timezone ZONE$`));
    const a = await whohad(['parse', '--format', 'auto', path], { env });
    expect(a.code).toBe(2);
    expect(lastLine(a.stderr)).toMatch(new RegExp(`^whohad: ${path}: format auto may choose a format whose times carry no zone .* or give --timezone ZONE$`));
    const canonical = file('leases.ndjson', [LEASE]);
    const c = await whohad(['parse', canonical], { env });
    expect(c.code).toBe(0);
    expect(c.stderr).toContain(`${canonical}: zone: none needed (canonical times carry their own offset or are UTC)`);
  });

  it('a source configuration without a zone for the file is refused the same way; standard input is named as such', async () => {
    const config = join(dir, 'sources.yaml');
    writeFileSync(config, 'sources:\n  - name: feed\n    format: canonical\n    match: { path: "*.ndjson" }\n');
    const path = file('srx3.log', [ALLOC]);
    const r = await whohad(['parse', '--config', config, '--format', 'cisco-asa', path], { env });
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(new RegExp(`^whohad: ${path}: format cisco-asa reads .* or give --timezone ZONE$`));
    const stdin = await whohad(['parse', '--format', 'a10', '-'], { env });
    expect(stdin.code).toBe(2);
    expect(lastLine(stdin.stderr)).toMatch(/^whohad: standard input: format a10 reads BSD syslog header times/);
  });

  it('a --timezone that is no IANA zone is refused naming it', async () => {
    const path = file('srx4.log', [ALLOC]);
    for (const bad of ['Europe/Kopenhagen', '', '+01:00']) {
      const r = await whohad(['parse', '--format', 'juniper-pba', '--timezone', bad, path], { env });
      expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
      expect(lastLine(r.stderr)).toBe(`whohad: --timezone ${JSON.stringify(bad)}: unknown time zone (use an IANA name such as Europe/Copenhagen or UTC)`);
    }
  });
});

describe('--timezone and the zone in every summary', () => {
  it('parse reads the header time in the zone given and says so in the file\'s summary', async () => {
    const path = file('cph.log', [ALLOC]);
    const r = await whohad(['parse', '--format', 'juniper-pba', '--timezone', 'Europe/Copenhagen', path], { env });
    expect(r.code).toBe(0);
    const [event] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(Date.parse(event.at)).toBe(wall.toMillis());
    expect(r.stderr).toContain(`${path}: juniper-pba: 1 lines, 1 events, 0 rejected, 0 skipped\n${path}: zone: Europe/Copenhagen applied to 1 time(s) without a zone; 0 carried their own\n`);
  });

  it('ingest stores it and says which zone it applied', async () => {
    const path = file('cph2.log', [ALLOC]);
    const r = await whohad(['ingest', '--format', 'juniper-pba', '--timezone', 'Europe/Copenhagen', path], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${path}: juniper-pba: 1 lines, 1 events, 1 stored, 0 rejected, 0 skipped\n${path}: zone: Europe/Copenhagen applied to 1 time(s) without a zone; 0 carried their own\n`);
    expect(r.stdout).toBe('stored 1 events from 1 lines; rejected 0 (0 unreadable, 0 refused by the store); skipped 0\n');
  });

  it("a source's own timezone wins over --timezone, which wins over the configuration's defaults", async () => {
    const config = join(dir, 'zones.yaml');
    writeFileSync(
      config,
      'defaults: { timezone: America/New_York }\nsources:\n' +
        '  - name: own\n    format: juniper-pba\n    match: { path: "own-*.log" }\n    options: { timezone: UTC }\n' +
        '  - name: plain\n    format: juniper-pba\n    match: { path: "plain-*.log" }\n',
    );
    const own = file('own-1.log', [ALLOC]);
    const plain = file('plain-1.log', [ALLOC]);
    const r = await whohad(['parse', '--config', config, '--timezone', 'Europe/Copenhagen', own, plain], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${own}: zone: UTC applied to 1 time(s) without a zone; 0 carried their own`);
    expect(r.stderr).toContain(`${plain}: zone: Europe/Copenhagen applied to 1 time(s) without a zone; 0 carried their own`);
    const [a, b] = r.stdout.trim().split('\n').map((l) => Date.parse(JSON.parse(l).at));
    expect(a - b).toBe(wall.offset * 60_000);
    const defaults = await whohad(['parse', '--config', config, plain], { env });
    expect(defaults.stderr).toContain(`${plain}: zone: America/New_York applied to 1 time(s) without a zone; 0 carried their own`);
  });
});

describe('ingest --follow', () => {
  it('refuses a zone-less format without a zone, and with --timezone says at its end which zone it applied', async () => {
    const path = file('follow.log', [ALLOC]);
    const state = join(dir, 'follow-state');
    const refused = await whohad(['ingest', '--follow', '--format', 'juniper-pba', '--state', state, path], { env });
    expect(refused.code).toBe(2);
    expect(lastLine(refused.stderr)).toMatch(new RegExp(`^whohad: ${path}: format juniper-pba reads BSD syslog header times .* or give --timezone ZONE$`));
    const run = runCli(['ingest', '--follow', '--format', 'juniper-pba', '--timezone', 'Europe/Copenhagen', '--state', state, path], env);
    // its recorded position past the line: the line's event is stored
    await until('the follower to record its position', () => {
      const [f] = readdirSync(state).filter((n) => n.endsWith('.json'));
      return f !== undefined && JSON.parse(readFileSync(join(state, f), 'utf8')).line === 1;
    }, 3000);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.err).toContain(`${path}: zone: Europe/Copenhagen applied to 1 time(s) without a zone; 0 carried their own\n`);
    expect(run.out).toMatch(/^stored 1 events from 1 lines;/m);
  });
});
