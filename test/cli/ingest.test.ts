import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { reasonLabel, sourceKey } from '../../intake/source-stats.js';
import { testRedisUrl } from '../helpers/redis.js';
import { pcapFile, ethernet, udp4 } from '../parse/ipfix/pcap-writer.js';
import { tempDir, whohad } from './run.js';

/**
 * `whohad ingest` and `whohad parse` as an operator runs them, in a process of their own against
 * the run's redis-server: nothing lost without a word, and an exit code a cron job can trust.
 */

// Lines as the parser tests have them (test/parse/formats/juniper-pba.test.ts).
const SD = (tag: string, used: number, epoch: string) =>
  `${tag} [junos@2636.1.1.1.2.129 internal-ip="100.64.7.20" block-used="${used}" block-max-per-host="8" block-port-low="20480" block-port-high="20607" reflexive-ip="198.51.100.44" nat-pool-name="cgn-pool" logical-system-id="0" epoch-time-64="${epoch}"]`;
const JUNIPER = [
  `<14>1 2026-03-14T10:26:54.120+01:00 srx-cgn-2 RT_NAT - ${SD('RT_SRC_NAT_PBA_ALLOC', 1, '69b529dd')}`,
  `<14>1 2026-03-14T09:56:53.000Z srx-cgn-2 RT_NAT - ${SD('RT_SRC_NAT_PBA_INTERIM', 1, '69b529dd')}`,
  `<14>1 2026-03-14T09:59:59.000Z srx-cgn-2 RT_NAT - ${SD('RT_SRC_NAT_PBA_RELEASE', 0, '69b5319e')}`,
];

const recent = new Date(Date.now() - 86_400_000).toISOString();
const lease = (i: number, at = recent) =>
  JSON.stringify({ kind: 'lease', event: 'start', at, ip: `100.64.9.${i}`, subscriberId: `sub-${i}`, expiresAt: new Date(Date.parse(at) + 3_600_000).toISOString() });

// each run of the CLI is a process of its own: seconds, not milliseconds
vi.setConfig({ testTimeout: 120_000 });

let dir: string;
let env: Record<string, string>;
const file = (name: string, lines: string[]) => {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
};

beforeAll(async () => {
  dir = tempDir();
  env = { REDIS_URL: await testRedisUrl(), WHOHAD_DATA_DIR: join(dir, 'data') };
});

describe('whohad ingest: the wrong format', () => {
  it('counts every skip by its reason, names the format auto-detection reads, stores nothing and exits 65', async () => {
    const path = file('juniper.log', JUNIPER);
    const r = await whohad(['ingest', '--format', 'a10', '--timezone', 'UTC', path], { env });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`${path}: a10: 3 lines, 0 events, 0 stored, 0 rejected, 3 skipped`);
    expect(r.stderr).toContain(`${path}: skipped: 3 × not an A10 CGN record (no CEF header, NAT-<proto>-<event> tag or FIXED-NAT-PORTS)`);
    expect(r.stderr).toContain(`${path}: probably the wrong format: 3 of 3 lines were skipped or rejected as a10; auto-detection reads it as juniper-pba: try --format juniper-pba`);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('whohad ingest: nothing was stored from 3 lines (0 rejected, 3 skipped): see the reasons above, and check --format');
    expect(r.stdout).toBe('stored 0 events from 3 lines; rejected 0 (0 unreadable, 0 refused by the store); skipped 3\n');
  });

  it('counts each skip under its reason in Redis, so the service shows none unclassified', async () => {
    const path = file('juniper-stats.log', JUNIPER);
    const url = await testRedisUrl();
    const r = await whohad(['ingest', '--format', 'a10', '--timezone', 'UTC', path], { env: { ...env, REDIS_URL: url } });
    expect(r.code).toBe(65);
    const redis = new Redis(url);
    try {
      const reason = 'not an A10 CGN record (no CEF header, NAT-<proto>-<event> tag or FIXED-NAT-PORTS)';
      expect(await redis.hgetall(sourceKey('a10'))).toEqual({ received: '3', skipped: '3', [`skipped:${reasonLabel(reason)}`]: '3' });
    } finally {
      await redis.quit();
    }
  });

  it('parse says the same and exits 65; --keep-skipped keeps each skipped line with its reason in the rejects file', async () => {
    const path = file('juniper2.log', JUNIPER);
    const rejects = join(dir, 'parse-rejects.ndjson');
    const r = await whohad(['parse', '--format', 'a10', '--timezone', 'UTC', '--rejects', rejects, '--keep-skipped', path], { env });
    expect(r.code).toBe(65);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${path}: a10: 3 lines, 0 events, 0 rejected, 3 skipped`);
    expect(r.stderr).toContain('auto-detection reads it as juniper-pba: try --format juniper-pba');
    const kept = readFileSync(rejects, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(kept).toEqual(JUNIPER.map((text, i) => ({ file: path, line: i + 1, reason: 'not an A10 CGN record (no CEF header, NAT-<proto>-<event> tag or FIXED-NAT-PORTS)', text, skipped: true })));
  });

  it('the right format stores everything and exits 0, saying where Redis and the data directory are', async () => {
    const path = file('juniper3.log', JUNIPER);
    const r = await whohad(['ingest', '--format', 'juniper-pba', '--timezone', 'UTC', path], { env });
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(`ingest: redis ${env.REDIS_URL} (REDIS_URL); data directory WHOHAD_DATA_DIR ${env.WHOHAD_DATA_DIR}`);
    expect(r.stderr).toContain(`${path}: juniper-pba: 3 lines, 3 events, 3 stored, 0 rejected, 0 skipped`);
    expect(r.stdout).toBe('stored 3 events from 3 lines; rejected 0 (0 unreadable, 0 refused by the store); skipped 0\n');
  });

  it('without REDIS_URL says it runs an embedded Redis, and under which data directory', async () => {
    const path = join(dir, 'empty.ndjson');
    writeFileSync(path, '');
    const r = await whohad(['ingest', path], { env: { REDIS_URL: '', WHOHAD_DATA_DIR: join(dir, 'embedded') } });
    expect(r.stderr.split('\n')[0]).toBe(`ingest: redis embedded in WHOHAD_DATA_DIR ${join(dir, 'embedded')} (set REDIS_URL to use a running Redis)`);
    expect(r.code).toBe(0);
  });
});

describe('whohad ingest: rejects and exit codes', () => {
  it('--max-reject-ratio: more rejected than allowed exits 65, as many passes; a bad ratio is refused', async () => {
    const path = file('mixed.ndjson', [lease(1), lease(2), lease(3), '{"kind":"lease"}', 'not json']);
    const over = await whohad(['ingest', '--max-reject-ratio', '0.2', path], { env });
    expect(over.code).toBe(65);
    expect(over.stderr.trimEnd().split('\n').at(-1)).toBe('whohad ingest: 2 of 5 lines rejected (40.0%), over --max-reject-ratio 0.2: see the reasons above');
    expect((await whohad(['ingest', '--max-reject-ratio', '0.4', path], { env })).code).toBe(0);
    const bad = await whohad(['ingest', '--max-reject-ratio', '40%', path], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('whohad: --max-reject-ratio "40%": give a share of the lines from 0 to 1, e.g. 0.01 for 1%');
  });

  it('keeps an event the store refused with its line and event, counted alike in the file line and the total, and re-ingestable', async () => {
    const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const path = file('old.ndjson', [lease(4), lease(5, old)]);
    const rejects = join(dir, 'refused.ndjson');
    const r = await whohad(['ingest', '--rejects', rejects, path], { env: { ...env, WHOHAD_RETENTION_DAYS: '1' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${path}: canonical: 2 lines, 2 events, 1 stored, 1 rejected (0 unreadable, 1 refused by the store), 0 skipped`);
    expect(r.stdout).toBe('stored 1 events from 2 lines; rejected 1 (0 unreadable, 1 refused by the store); skipped 0\n');
    const [kept] = readFileSync(rejects, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(kept).toMatchObject({ file: path, line: 2, text: lease(5, old), reason: expect.stringMatching(/retention/) });
    expect(kept.event).toMatchObject({ kind: 'lease', ip: '100.64.9.5', subscriberId: 'sub-5' });
    // jq -c 'select(.event) | .event' rejects.ndjson | whohad ingest -
    const again = file('again.ndjson', [JSON.stringify(kept.event)]);
    const back = await whohad(['ingest', again], { env });
    expect(back.stdout).toBe('stored 1 events from 1 lines; rejected 0 (0 unreadable, 0 refused by the store); skipped 0\n');
  });
});

describe('whohad ingest and parse: captures and the options that go with them', () => {
  it('a capture under a text format, a text file under ipfix, --follow of a capture and a bad --ipfix-port are each one line and exit 2', async () => {
    const pcap = join(dir, 'x.pcap');
    writeFileSync(pcap, pcapFile([{ at: Date.now(), data: ethernet(udp4({ src: '127.0.0.1', dst: '127.0.0.1', srcPort: 1, dstPort: 4739, payload: Buffer.alloc(4) })) }], { linkType: 1 }));
    const text = file('text.log', JUNIPER);
    const cases: Array<[string[], string]> = [
      [['ingest', '--format', 'a10', pcap], `whohad: ${pcap} is a pcap capture (binary), not a a10 log: replay it with --format ipfix (or auto)`],
      [['parse', '--format', 'ipfix', text], `whohad: ${text} is not a pcap or pcapng capture (no capture magic number at its start): --format ipfix replays tcpdump / Wireshark captures; read a text log with its own --format (or auto)`],
      [['ingest', '--format', 'ipfix', '--follow', pcap], `whohad: --follow reads text logs as they grow, and ${pcap} is a pcap capture: replay it once, without --follow`],
      [['parse', '--format', 'ipfix', '--ipfix-port', '4739,70000', pcap], 'whohad: --ipfix-port "4739,70000": "70000" is not a port from 1 to 65535 (give one or more, comma-separated, e.g. 4739,2055)'],
      [['parse', '--format', 'nosuch', text], 'whohad: --format: unknown format "nosuch"; valid formats: '],
    ];
    for (const [args, line] of cases) {
      const r = await whohad(args, { env });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr.trimEnd().split('\n').at(-1)).toContain(line);
    }
  });
});
