import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testRedisUrl } from '../helpers/redis.js';
import { until } from '../faults/helpers.js';
import { isIngestStatsKey } from '../../intake/source-stats.js';
import { JUNIPER_V9, juniper, pbaAt, xrAdd, xrDel } from '../parse/ipfix/capture-fixtures.js';
import { CISCO_265, CISCO_266, PBA_TEMPLATE, dataSet, ipfixMessage, templateSet, v9Packet } from '../parse/ipfix/encoder.js';
import { ethernet, ipv4, pcapFile, pcapngFile, sll, udp, udp4 } from '../parse/ipfix/pcap-writer.js';
import { tempDir, whohad, type CliRun } from './run.js';

/**
 * One decoder, two transports: a capture of IPFIX / NetFlow v9 exports replayed with
 * `whohad ingest --format ipfix` gives the same index, key for key, as the same packets sent to
 * a running `whohad collect --ipfix` over a real UDP socket on 127.0.0.1.
 */

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const T0 = Date.now() - 3 * 86_400_000;
const EXPORT = Math.floor(T0 / 1000) + 1;
const PORT_IN_CAPTURE = 4739;

const CONFIG = `
defaults: { natInstance: unconfigured-cgn }
sources:
  - { name: rfc-cgn, format: ipfix, match: { host: 127.0.0.1 }, options: { natInstance: cgn-rfc, vrf: Broadband } }
  - { name: juniper-mx, format: ipfix, match: { host: 127.0.0.2 }, options: { natInstance: mx, ipfixNatEventNumbering: juniper } }
  - { name: asr9k, format: ipfix, match: { host: 127.0.0.3 }, options: { natInstance: asr9k, ipfixNatEventNumbering: cisco-iosxr } }
`;

const pba = pbaAt(T0);

/** RFC 8158 port blocks (natEvent 16/17), Juniper-numbered v9, Cisco IOS-XR v9 (configured, and one exporter not). */
const sent: { from: string; payload: Buffer }[] = [
  { from: '127.0.0.1', payload: ipfixMessage({ exportTime: EXPORT, domain: 1 }, [templateSet(10, [PBA_TEMPLATE])]) },
  { from: '127.0.0.2', payload: v9Packet({ unixSecs: EXPORT }, [templateSet(9, [JUNIPER_V9])]) },
  { from: '127.0.0.3', payload: v9Packet({ unixSecs: EXPORT, sourceId: 0x1234 }, [templateSet(9, [CISCO_265, CISCO_266])]) },
  { from: '127.0.0.1', payload: ipfixMessage({ exportTime: EXPORT, domain: 1 }, [dataSet(300, [pba(16, '100.64.0.1', 1024), pba(16, '100.64.0.2', 1536)])]) },
  { from: '127.0.0.2', payload: v9Packet({ unixSecs: EXPORT + 1 }, [dataSet(400, [juniper(1, '100.64.1.1', 4096), juniper(3, '100.64.1.2', 0)], 2)]) },
  { from: '127.0.0.3', payload: v9Packet({ unixSecs: EXPORT + 2, sourceId: 0x1234 }, [dataSet(265, [xrAdd('10.0.0.1', 2048), xrAdd('10.0.0.2', 4096)])]) },
  { from: '127.0.0.4', payload: v9Packet({ unixSecs: EXPORT }, [templateSet(9, [CISCO_265]), dataSet(265, [xrAdd('10.9.9.9', 1024)])]) },
  { from: '127.0.0.3', payload: v9Packet({ unixSecs: EXPORT + 60, sourceId: 0x1234 }, [dataSet(266, [xrDel('10.0.0.1', 2048)])]) },
  { from: '127.0.0.1', payload: ipfixMessage({ exportTime: EXPORT + 60, domain: 1 }, [dataSet(300, [pba(17, '100.64.0.1', 1024)])]) },
  { from: '127.0.0.2', payload: v9Packet({ unixSecs: EXPORT + 61 }, [dataSet(400, [juniper(2, '100.64.1.1', 4096)], 2)]) },
];

const toCollector = (p: (typeof sent)[number]) => ({ src: p.from, dst: '127.0.0.1', srcPort: 50000, dstPort: PORT_IN_CAPTURE, payload: p.payload });
const dns = { src: '127.0.0.1', dst: '127.0.0.53', srcPort: 40000, dstPort: 53, payload: Buffer.from('dns?') };

/**
 * Every key of the index with its value, in an order that compares. The per-source ingest
 * counters (`isIngestStatsKey`) are left out: they describe the run (which process, when Redis
 * took each batch), not the evidence, and two runs never take a batch at the same millisecond.
 */
async function dumpAll(url: string): Promise<Record<string, unknown>> {
  const redis = new Redis(url);
  try {
    const out: Record<string, unknown> = {};
    // the access log records each run, and each profile names the ingest (collector or CLI) that
    // wrote it: by design they differ between the two paths; the index itself must not
    const withoutIngest = (text: string) => text.split('\u001f').slice(0, 2).join('\u001f');
    for (const key of (await redis.keys('*')).filter((k) => !isIngestStatsKey(k) && !k.startsWith('{audit}:')).sort()) {
      const type = await redis.type(key);
      if (type === 'zset') out[key] = await redis.zrange(key, '0', '-1', 'WITHSCORES');
      else if (key === '{whohad}:dict') out[key] = Object.entries(await redis.hgetall(key)).map(([f, v]) => [withoutIngest(f), withoutIngest(v)]).sort();
      else if (type === 'hash') out[key] = Object.entries(await redis.hgetall(key)).sort();
      else if (type === 'set') out[key] = (await redis.smembers(key)).sort();
      else if (type === 'string') out[key] = await redis.get(key);
      else if (type === 'list') out[key] = await redis.lrange(key, 0, -1);
      else out[key] = type;
    }
    return out;
  } finally {
    await redis.quit();
  }
}

let dir: string;
let config: string;
const sockets: Socket[] = [];
beforeAll(() => {
  dir = tempDir('whohad-capture-');
  config = join(dir, 'sources.yaml');
  writeFileSync(config, CONFIG);
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => new Promise<void>((done) => s.close(() => done()))));
});

/** The packets sent to a running `whohad collect --ipfix`, each from its exporter's own address. */
async function collected(redisUrl: string): Promise<CliRun> {
  const rejects = join(dir, 'collect-rejects.ndjson');
  let port: number | null = null;
  let up!: () => void;
  const listening = new Promise<void>((done) => (up = done));
  let child: { kill(s: NodeJS.Signals): boolean } | null = null;
  const run = whohad(['collect', '--ipfix', 'udp://127.0.0.1:0', '--config', config, '--rejects', rejects, '--stats-every', '0'], {
    env: { REDIS_URL: redisUrl, WHOHAD_DATA_DIR: join(dir, 'data') },
    onOutput: (all, c) => {
      child = c;
      const m = /listening: ipfix udp:\/\/127\.0\.0\.1:(\d+)/.exec(all);
      if (m && /^rejects: /m.test(all) && port === null) {
        port = Number(m[1]);
        up();
      }
    },
  });
  await Promise.race([listening, run.then((r) => Promise.reject(new Error(`collect ended before listening: ${r.stderr}`)))]);
  const from = new Map<string, Socket>();
  for (const a of new Set(sent.map((s) => s.from))) {
    const s = createSocket('udp4');
    await new Promise<void>((done) => s.bind(0, a, done));
    sockets.push(s);
    from.set(a, s);
  }
  const send = (s: Socket, b: Buffer) => new Promise<void>((ok, fail) => s.send(b, port!, '127.0.0.1', (err) => (err ? fail(err) : ok())));
  for (const p of sent) await send(from.get(p.from)!, p.payload);
  // loopback datagrams reach one socket in the order sent: once this marker is rejected, all are in
  await send(from.get('127.0.0.1')!, Buffer.from([0, 0, 0, 0]));
  await until('the marker datagram in the rejects file', () => existsSync(rejects) && readFileSync(rejects, 'utf8').includes('version 0'), 3000, 10);
  child!.kill('SIGTERM');
  return run;
}

describe('ingest --format ipfix of a capture', () => {
  it('gives, from a pcap and from a pcapng, the same index as collect --ipfix gives for the same packets', async () => {
    const live = await testRedisUrl();
    const fromPcap = await testRedisUrl();
    const fromPcapng = await testRedisUrl();

    // other traffic in the capture too (DNS, TCP), which --ipfix-port leaves out; VLAN tags, SLL, IPv4 on two interfaces
    const pcap = join(dir, 'gap.pcap');
    writeFileSync(
      pcap,
      pcapFile(
        [
          { at: T0, data: ethernet(udp4(dns)) },
          ...sent.map((p, i) => ({ at: T0 + i, data: ethernet(udp4(toCollector(p)), 0x0800, [100]) })),
          { at: T0, data: ethernet(ipv4('127.0.0.1', '127.0.0.1', 6, Buffer.alloc(20))) },
        ],
        { linkType: 1 },
      ),
    );
    const pcapng = join(dir, 'gap.pcapng');
    writeFileSync(
      pcapng,
      pcapngFile({
        interfaces: [{ linkType: 113 }, { linkType: 1, tsresol: 9 }],
        items: [
          { iface: 1, at: T0, data: ethernet(udp4(dns)) },
          ...sent.map((p, i) => ({ iface: i % 2, at: T0 + i, data: i % 2 ? ethernet(udp4(toCollector(p))) : sll(ipv4(p.from, '127.0.0.1', 17, udp(toCollector(p)))) })),
        ],
        little: true,
      }),
    );

    const c = await collected(live);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/collect: final: received \d+, events 8, stored 8, rejected 1, skipped 2, dropped 0, pending 0/);

    const a = await whohad(['ingest', '--format', 'ipfix', '--config', config, '--ipfix-port', String(PORT_IN_CAPTURE), pcap], { env: { REDIS_URL: fromPcap, WHOHAD_DATA_DIR: join(dir, 'data') } });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toContain(`${pcap}: ipfix (pcap): 10 datagrams, 8 events, 8 stored, 0 rejected, 2 skipped`);
    expect(a.stderr).toContain(
      `${pcap}: skipped: 1 × looks like Cisco IOS-XR CGN template 265: set ipfixNatEventNumbering: cisco-iosxr for exporter 127.0.0.4 ` +
        '(in the options of a source with format: ipfix matching its address); 1 × natEvent 3 (pool exhausted) is not an attribution record',
    );
    expect(a.stdout).toBe('stored 8 events from 10 lines; rejected 0 (0 unreadable, 0 refused by the store); skipped 2\n');

    // auto recognises the capture by its magic number
    const b = await whohad(['ingest', '--format', 'auto', '--config', config, '--ipfix-port', String(PORT_IN_CAPTURE), pcapng], { env: { REDIS_URL: fromPcapng, WHOHAD_DATA_DIR: join(dir, 'data') } });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toContain(`auto: ${pcapng}: a pcapng capture, replayed as ipfix`);
    expect(b.stderr).toContain(`${pcapng}: ipfix (pcapng): 10 datagrams, 8 events, 8 stored, 0 rejected, 2 skipped`);

    const want = await dumpAll(live);
    expect(Object.keys(want).length).toBeGreaterThan(10);
    expect(await dumpAll(fromPcap)).toEqual(want);
    expect(await dumpAll(fromPcapng)).toEqual(want);
  });

  it('parse --format ipfix prints the events the collector would store, with the options of each exporter', async () => {
    const pcap = join(dir, 'gap.pcap');
    const r = await whohad(['parse', '--format', 'ipfix', '--config', config, pcap]);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => [e.natInstance, e.event, e.privateIp, e.privateVrf, e.portStart])).toEqual([
      ['cgn-rfc', 'alloc', '100.64.0.1', 'Broadband', 1024],
      ['cgn-rfc', 'alloc', '100.64.0.2', 'Broadband', 1536],
      ['mx', 'alloc', '100.64.1.1', 'default', 4096],
      ['asr9k', 'alloc', '10.0.0.1', 'default', 2048],
      ['asr9k', 'alloc', '10.0.0.2', 'default', 4096],
      ['asr9k', 'release', '10.0.0.1', 'default', 2048],
      ['cgn-rfc', 'release', '100.64.0.1', 'Broadband', 1024],
      ['mx', 'release', '100.64.1.1', 'default', 4096],
    ]);
    // without --ipfix-port the DNS datagram is read too, and rejected as no IPFIX
    expect(r.stderr).toMatch(/ipfix \(pcap\): 11 datagrams, 8 events, 1 rejected, 2 skipped/);
  });
});
