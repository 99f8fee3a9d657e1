import type { Redis } from 'ioredis';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCollector, type Collector, type CollectorOptions } from '../../../intake/collector.js';
import { parseSourceConfig } from '../../../intake/sources.js';
import type { CanonicalEvent } from '../../../events/schema.js';
import { dumpNat } from '../../../timeindex/dump.js';
import { ProfileDictionary } from '../../../timeindex/profiles.js';
import { IndexWriter, type WriteOutcome } from '../../../timeindex/writer.js';
import { testRedis } from '../../helpers/redis.js';
import { PBA_TEMPLATE, dataSet, ipfixMessage, pbaRecord, templateSet } from '../../parse/ipfix/encoder.js';
import { octet, port, readRejects, rejectsPath, tcpSender, udpSender, until } from './helpers.js';

// Lines as the parser tests have them (test/parse/formats/juniper-pba.test.ts, a10.test.ts).
const SD = (tag: string, used: number, epoch: string) =>
  `${tag} [junos@2636.1.1.1.2.129 internal-ip="100.64.7.20" block-used="${used}" block-max-per-host="8" block-port-low="20480" block-port-high="20607" reflexive-ip="198.51.100.44" nat-pool-name="cgn-pool" logical-system-id="0" epoch-time-64="${epoch}"]`;
const SRX = (time: string, body: string) => `<14>1 ${time} srx-cgn-2 RT_NAT - ${body}`;
const JUNIPER = [
  SRX('2026-03-14T10:26:54.120+01:00', SD('RT_SRC_NAT_PBA_ALLOC', 1, '69b529dd')),
  SRX('2026-03-14T09:56:53.000Z', SD('RT_SRC_NAT_PBA_INTERIM', 1, '69b529dd')),
  SRX('2026-03-14T09:59:59.000Z', SD('RT_SRC_NAT_PBA_RELEASE', 0, '69b5319e')),
];
const A10_HDR = '<134>May  7 10:20:30 cgn7.lab/part1 CEF:0|A10|CFW|6.0.2|';
const A10 = [
  `${A10_HDR}CGN 106|Nat Port Batch Pool Allocated|5|proto=UDP src=100.70.1.9 sourceTranslatedAddress=203.0.113.40 sourceTranslatedPort=30208 cn3=30463 cn3Label=Last Nat Port`,
  `${A10_HDR}CGN 107|Nat Port Batch Pool Freed|5|proto=UDP src=100.70.1.9 sourceTranslatedAddress=203.0.113.40 sourceTranslatedPort=30208 cn3=30463 cn3Label=Last Nat Port`,
];

const CONFIG = parseSourceConfig(`
sources:
  - name: srx
    format: juniper-pba
    match: { host: "srx-cgn-*" }
    options: { natInstance: srx-cgn-2, timezone: UTC }
  - name: a10
    format: a10
    match: { host: "cgn7.*" }
    options: { natInstance: cgn7, timezone: UTC }
  - name: lab-ipfix
    format: ipfix
    match: { host: 127.0.0.1 }
    options: { natInstance: ipfix-box }
`);

let redis: Redis;
let profiles: ProfileDictionary;
beforeAll(async () => {
  redis = (await testRedis()).redis;
});
beforeEach(async () => {
  await redis.flushdb();
  profiles = new ProfileDictionary(redis);
});

// The samples are from 2026: retention is counted from a fixed "now", so they stay storable.
const NOW = Date.UTC(2026, 5, 15);
const indexWriter = () => new IndexWriter(redis, profiles, { days: 365, now: () => NOW });

const running: Collector[] = [];
afterEach(async () => {
  // a test that failed half-way still frees its ports; stop() is idempotent
  for (const c of running.splice(0)) {
    c.abandon();
    await c.stop();
  }
});
async function collector(o: Partial<CollectorOptions> = {}) {
  const rejects = rejectsPath();
  const c = await startCollector({
    syslog: [
      { transport: 'udp', host: '127.0.0.1', port: 0 },
      { transport: 'tcp', host: '127.0.0.1', port: 0 },
    ],
    config: CONFIG,
    writer: indexWriter(),
    rejects,
    flushIntervalMs: 0,
    now: () => NOW,
    ...o,
  });
  running.push(c);
  return { c, rejects };
}

async function chains(ip: string) {
  return [...(await dumpNat(redis, ip)).entries()].map(([cid, entries]) => [cid, entries.map((e) => [e.start, e.end])]);
}

describe('collect: syslog round trips', () => {
  it('UDP: one message per datagram, trailing newline or not, stored under the source matched by hostname', async () => {
    const { c } = await collector();
    const udp = await udpSender();
    await udp.send(`${JUNIPER[0]}\n`, port(c, 'syslog', 'udp'));
    await udp.send(JUNIPER[1], port(c, 'syslog', 'udp'));
    await udp.send(`${JUNIPER[2]}\r\n`, port(c, 'syslog', 'udp'));
    await until(c, 'three messages', (s) => s.total.received === 3);
    await c.flush();
    const s = await c.stop();
    await udp.close();
    expect(s.sources).toEqual({ srx: { received: 3, events: 3, stored: 3, rejected: 0, skipped: 0, dropped: 0, pending: 0 } });
    expect(await chains('198.51.100.44')).toEqual([['srx-cgn-2|20480|20607|*', [[Date.UTC(2026, 2, 14, 9, 26, 53), Date.UTC(2026, 2, 14, 9, 59, 58)]]]]);
  });

  it('TCP: octet counting and LF framing on different connections, routed by host to two formats with their own options', async () => {
    const { c } = await collector();
    const juniper = await tcpSender(port(c, 'syslog', 'tcp'));
    const a10 = await tcpSender(port(c, 'syslog', 'tcp'));
    // split mid-frame and mid-line, as TCP may deliver them
    const frames = JUNIPER.map(octet).join('');
    await juniper.write(frames.slice(0, 100));
    await a10.write(`${A10[0]}\r\n${A10[1].slice(0, 30)}`);
    await juniper.write(frames.slice(100));
    await a10.write(`${A10[1].slice(30)}\n`);
    await until(c, 'five messages', (s) => s.total.received === 5);
    await c.flush();
    await juniper.end();
    await a10.end();
    const s = await c.stop();
    expect(s.sources.srx).toMatchObject({ received: 3, stored: 3, rejected: 0 });
    expect(s.sources.a10).toMatchObject({ received: 2, stored: 2, rejected: 0 });
    expect(await chains('198.51.100.44')).toEqual([['srx-cgn-2|20480|20607|*', [[Date.UTC(2026, 2, 14, 9, 26, 53), Date.UTC(2026, 2, 14, 9, 59, 58)]]]]);
    const at = Date.UTC(2026, 4, 7, 10, 20, 30);
    expect(await chains('203.0.113.40')).toEqual([['cgn7|30208|30463|17', [[at, at]]]]);
  });

  it('rejects an over-long TCP frame with a reason under the source its header names, and keeps the connection', async () => {
    const { c, rejects } = await collector({ maxMessage: 1024 });
    const tcp = await tcpSender(port(c, 'syslog', 'tcp'));
    const long = SRX('2026-03-14T09:26:53Z', `RT_SRC_NAT_PBA_ALLOC ${'x'.repeat(2000)}`);
    await tcp.write(octet(long) + octet(JUNIPER[0]));
    await until(c, 'two messages', (s) => s.total.received === 2);
    await c.flush();
    await tcp.end();
    const s = await c.stop();
    expect(s.sources.srx).toMatchObject({ received: 2, stored: 1, rejected: 1 });
    const [r] = readRejects(rejects);
    expect(r).toMatchObject({ source: 'srx', seq: null, from: '127.0.0.1', reason: `octet-counted frame of ${Buffer.byteLength(long)} bytes is longer than the limit of 1024: skipped unread` });
    expect(r.text).toBe(long.slice(0, 512));
  });
});

describe('collect: messages no source recognises', () => {
  it('auto: an unconfigured host gets its own auto parser; if nothing recognises it, every message is rejected, counted and kept', async () => {
    const { c, rejects } = await collector();
    const udp = await udpSender();
    const mystery = (i: number) => `<13>May  7 10:20:${String(i).padStart(2, '0')} mystery-box app: something unrelated ${i}`;
    for (let i = 0; i < 20; i++) await udp.send(mystery(i), port(c, 'syslog', 'udp'));
    // auto decides after 20 non-empty messages; then rejects them all
    await until(c, 'twenty rejects', (s) => s.total.rejected === 20);
    const s = await c.stop();
    await udp.close();
    expect(s.sources['auto:mystery-box']).toEqual({ received: 20, events: 0, stored: 0, rejected: 20, skipped: 0, dropped: 0, pending: 0 });
    const kept = readRejects(rejects);
    expect(kept).toHaveLength(20);
    expect(kept[0]).toMatchObject({ source: 'auto:mystery-box', seq: 1, from: '127.0.0.1', text: mystery(0) });
    expect(kept[0].reason).toMatch(/^no configured source matches host mystery-box, and auto recognised none of its first messages \(tried canonical, kea-csv, .*\): configure a source/);
  });

  it('auto: an unconfigured host whose lines a format recognises is stored, with its host as natInstance', async () => {
    const { c } = await collector({ config: null });
    const udp = await udpSender();
    await udp.send(JUNIPER[0], port(c, 'syslog', 'udp'));
    await until(c, 'one event', (s) => s.total.events === 1);
    await c.flush();
    const s = await c.stop();
    await udp.close();
    expect(s.sources['auto:srx-cgn-2']).toMatchObject({ received: 1, stored: 1 });
    expect((await chains('198.51.100.44'))[0][0]).toBe('srx-cgn-2|20480|20607|*');
  });

  it('reject: with unmatched=reject, a message of an unconfigured host is rejected at once, naming host and sender', async () => {
    const { c, rejects } = await collector({ unmatched: 'reject' });
    const tcp = await tcpSender(port(c, 'syslog', 'tcp'));
    await tcp.write('<13>May  7 10:20:30 stranger app: hello\n');
    await until(c, 'one reject', (s) => s.total.rejected === 1);
    await tcp.end();
    const s = await c.stop();
    expect(s.sources).toEqual({ unmatched: { received: 1, events: 0, stored: 0, rejected: 1, skipped: 0, dropped: 0, pending: 0 } });
    expect(readRejects(rejects)).toMatchObject([
      { source: 'unmatched', from: '127.0.0.1', reason: 'no configured source matches host "stranger" (sender 127.0.0.1): add a source with match.host for it', text: '<13>May  7 10:20:30 stranger app: hello' },
    ]);
  });
});

describe('collect: a source read with the wrong parser', () => {
  const RELAYED = parseSourceConfig(`
defaults:
  timezone: UTC
sources:
  - name: kea-relay
    format: kea-csv
    # Kea CSV rows have no syslog header: the relay's address says whose they are
    match: { host: 127.0.0.2 }
  - name: fw1
    format: a10
    match: { host: fw1 }
`);

  it("a message naming a host no source matches is not read by the parser of the sender's source", async () => {
    const { c } = await collector({ config: RELAYED });
    // the relay forwards a Juniper box's messages: they carry its hostname, and the relay's address
    const relay = await udpSender('127.0.0.2');
    for (const line of JUNIPER) await relay.send(line, port(c, 'syslog', 'udp'));
    await until(c, 'three messages', (s) => s.total.received === 3);
    await c.flush();
    const s = await c.stop();
    await relay.close();
    expect(s.sources['kea-relay']).toBeUndefined();
    expect(s.sources['auto:srx-cgn-2']).toMatchObject({ received: 3, events: 3, stored: 3, skipped: 0 });
  });

  it('a source whose first messages are mostly skipped or rejected is reported as probably the wrong format, with what auto-detection reads', async () => {
    const log: string[] = [];
    const { c } = await collector({ config: RELAYED, log: (l) => log.push(l) });
    const tcp = await tcpSender(port(c, 'syslog', 'tcp'));
    const line = JUNIPER[0].replace('srx-cgn-2', 'fw1');
    await tcp.write(Array.from({ length: 20 }, () => `${line}\n`).join(''));
    await until(c, 'twenty messages', (s) => s.total.received === 20);
    await tcp.end();
    const s = await c.stop();
    expect(s.sources.fw1).toMatchObject({ received: 20, events: 0, skipped: 20 });
    expect(log.filter((l) => l.startsWith('fw1: '))).toEqual([
      'fw1: probably the wrong format: 20 of 20 lines were skipped or rejected as a10; auto-detection reads it as juniper-pba: set format: juniper-pba for it in the source configuration',
    ]);
  });
});

describe('collect: IPFIX', () => {
  it('decodes exports over UDP with the options of the source matching the exporter address', async () => {
    const { c } = await collector({ syslog: [], ipfix: [{ host: '127.0.0.1', port: 0 }] });
    const udp = await udpSender();
    const T0 = Date.UTC(2026, 9, 25, 0, 59, 58, 123);
    const exportTime = Math.floor(T0 / 1000) + 1;
    await udp.send(ipfixMessage({ exportTime, domain: 3 }, [templateSet(10, [PBA_TEMPLATE])]), port(c, 'ipfix', 'udp'));
    await udp.send(
      ipfixMessage({ exportTime, domain: 3 }, [dataSet(300, [pbaRecord({ ms: T0, ev: 16, inside: '100.64.12.34', outside: '198.51.100.7', start: 1024, end: 1535 })])]),
      port(c, 'ipfix', 'udp'),
    );
    await until(c, 'one event', (s) => s.total.events === 1);
    await c.flush();
    const s = await c.stop();
    await udp.close();
    expect(s.ipfixPackets).toBe(2);
    expect(s.sources['lab-ipfix']).toMatchObject({ received: 1, events: 1, stored: 1, pending: 0 });
    expect(await chains('198.51.100.7')).toEqual([['ipfix-box|1024|1535|*', [[T0, null]]]]);
  });
});

/** A writer whose writes wait for `release`, or fail while `failing` says so. */
function controlledWriter(real: IndexWriter) {
  let gate: Promise<void> | null = null;
  let open = () => {};
  const w = {
    failures: 0,
    failing: (_attempt: number) => false,
    calls: 0,
    hold() {
      gate = new Promise<void>((r) => (open = r));
    },
    release() {
      gate = null;
      open();
    },
    async write(events: readonly CanonicalEvent[]): Promise<WriteOutcome> {
      w.calls++;
      if (gate) await gate;
      if (w.failing(w.calls)) {
        w.failures++;
        throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      }
      return real.write(events);
    },
  };
  return w;
}

describe('collect: overload and Redis outages', () => {
  it('when the queue is full, pauses TCP and drops UDP explicitly (counted, kept in the rejects file); resumes once the store catches up', async () => {
    const writer = controlledWriter(indexWriter());
    writer.hold();
    const { c, rejects } = await collector({ writer, maxPending: 2, batchSize: 1 });
    const tcp = await tcpSender(port(c, 'syslog', 'tcp'));
    await tcp.write(JUNIPER.map((l) => `${l}\n`).join(''));
    await until(c, 'overloaded', (s) => s.overloaded);
    const udp = await udpSender();
    await udp.send(A10[0], port(c, 'syslog', 'udp'));
    await until(c, 'a UDP drop', (s) => s.total.dropped === 1);
    writer.release();
    await until(c, 'caught up', (s) => !s.overloaded && s.total.stored === 3);
    // reading goes on after the pause
    await udp.send(A10[1], port(c, 'syslog', 'udp'));
    await until(c, 'the next UDP message', (s) => s.sources.a10?.received === 2);
    await c.flush();
    await tcp.end();
    const s = await c.stop();
    await udp.close();
    expect(s.sources.srx).toMatchObject({ received: 3, stored: 3, dropped: 0 });
    expect(s.sources.a10).toMatchObject({ received: 2, stored: 1, dropped: 1, pending: 0 });
    expect(readRejects(rejects)).toMatchObject([{ source: 'a10', seq: null, text: A10[0], reason: expect.stringMatching(/^dropped: the store is behind \(\d+ events pending\) and UDP cannot be paused$/) }]);
  });

  it('retries a failed write with backoff until Redis answers, keeping the events pending meanwhile', async () => {
    const writer = controlledWriter(indexWriter());
    writer.failing = (call) => call <= 3;
    const logs: string[] = [];
    const { c } = await collector({ writer, retryDelayMs: () => 0, log: (l) => logs.push(l) });
    const udp = await udpSender();
    await udp.send(JUNIPER[0], port(c, 'syslog', 'udp'));
    await until(c, 'one event', (s) => s.total.events === 1);
    await c.flush();
    const s = await c.stop();
    await udp.close();
    expect(writer.failures).toBe(3);
    expect(s.total).toMatchObject({ stored: 1, rejected: 0, pending: 0 });
    expect(s.storeFailures).toBe(0);
    expect(logs[0]).toBe('store: connect ECONNREFUSED 127.0.0.1:6379; retrying 1 pending events (attempt 1, next in 0 ms)');
  });

  it('retries events the writer reports as not stored because Redis is away, and refuses only what the store itself refuses', async () => {
    const real = indexWriter();
    let calls = 0;
    const away = 'not stored: Reached the max retries per request limit (which is 2). Refer to "maxRetriesPerRequest" option for details.';
    // what IndexWriter reports while the connection is down: every command failed, nothing thrown
    const writer = {
      async write(events: readonly CanonicalEvent[]): Promise<WriteOutcome> {
        if (++calls <= 2) return { stored: 0, failed: events.map((_, index) => ({ index, transient: true, code: 'redis_unavailable' as const, reason: away })) };
        return real.write(events);
      },
    };
    const { c, rejects } = await collector({ writer, retryDelayMs: () => 0 });
    const udp = await udpSender();
    const tooOld = SRX('2024-01-01T00:00:00Z', SD('RT_SRC_NAT_PBA_ALLOC', 1, '65920080'));
    await udp.send(JUNIPER[0], port(c, 'syslog', 'udp'));
    await udp.send(tooOld, port(c, 'syslog', 'udp'));
    await until(c, 'two events', (s) => s.total.events === 2);
    await c.flush();
    const s = await c.stop();
    await udp.close();
    expect(calls).toBe(3);
    expect(s.sources.srx).toMatchObject({ received: 2, events: 2, stored: 1, rejected: 1, pending: 0 });
    expect(readRejects(rejects)).toMatchObject([{ source: 'srx', seq: 2, reason: expect.stringMatching(/^older than the retention period/) }]);
  });

  it('stopping while Redis stays away: abandon() keeps the pending events in the rejects file instead of losing them', async () => {
    const writer = controlledWriter(indexWriter());
    writer.failing = () => true;
    const { c, rejects } = await collector({ writer, retryDelayMs: () => 60_000 });
    const udp = await udpSender();
    await udp.send(JUNIPER[0], port(c, 'syslog', 'udp'));
    await until(c, 'one event', (s) => s.total.events === 1);
    const stopped = c.stop();
    await until(c, 'a failed write', (s) => s.storeFailures > 0);
    c.abandon();
    const s = await stopped;
    await udp.close();
    expect(s.sources.srx).toMatchObject({ received: 1, events: 1, stored: 0, rejected: 1, pending: 0 });
    const [r] = readRejects(rejects);
    expect(r).toMatchObject({ source: 'srx', seq: 1, reason: 'not stored: the collector was stopped while Redis was unavailable (re-ingest this event)' });
    expect(r.event).toMatchObject({ kind: 'nat', event: 'alloc', publicIp: '198.51.100.44', natInstance: 'srx-cgn-2' });
  });
});
