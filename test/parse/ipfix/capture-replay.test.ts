import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSourceConfig } from '../../../intake/sources.js';
import { replayCapture } from '../../../intake/capture-replay.js';
import { exporterSources } from '../../../intake/exporter-sources.js';
import { startIpfixCollector } from '../../../intake/ipfix-listener.js';
import type { CanonicalEvent } from '../../../events/schema.js';
import type { Reject } from '../../../intake/pipeline.js';
import { JUNIPER_V9, juniper, pbaAt, xrAdd, xrDel } from './capture-fixtures.js';
import { CISCO_265, CISCO_266, PBA_TEMPLATE, dataSet, ipfixMessage, templateSet, v9Packet } from './encoder.js';
import { ethernet, ipv4, pcapFile, pcapngFile, sll, udp, udp4 } from './pcap-writer.js';

const T0 = Date.UTC(2026, 9, 25, 0, 59, 58, 123);
const EXPORT = Math.floor(T0 / 1000) + 1;
const PORT_IN_CAPTURE = 4739;

const config = parseSourceConfig(`
defaults: { natInstance: unconfigured-cgn }
sources:
  - { name: rfc-cgn, format: ipfix, match: { host: 127.0.0.1 }, options: { natInstance: cgn-rfc, vrf: Broadband } }
  - { name: juniper-mx, format: ipfix, match: { host: 127.0.0.2 }, options: { natInstance: mx, ipfixNatEventNumbering: juniper } }
  - { name: asr9k, format: ipfix, match: { host: 127.0.0.3 }, options: { natInstance: asr9k, ipfixNatEventNumbering: cisco-iosxr } }
  - { name: syslog-box, format: juniper-pba, match: { host: 127.0.0.4 }, options: { timezone: UTC } }
`);

const pba = pbaAt(T0);

/** What four exporters send, in order: templates first, data in later packets. */
const sent: { from: string; payload: Buffer }[] = [
  // RFC 8158 IPFIX: template in domain 1 only, so domain 2's data has no template
  { from: '127.0.0.1', payload: ipfixMessage({ exportTime: EXPORT, domain: 1 }, [templateSet(10, [PBA_TEMPLATE])]) },
  { from: '127.0.0.2', payload: v9Packet({ unixSecs: EXPORT }, [templateSet(9, [JUNIPER_V9])]) },
  { from: '127.0.0.3', payload: v9Packet({ unixSecs: EXPORT, sourceId: 0x1234 }, [templateSet(9, [CISCO_265, CISCO_266])]) },
  { from: '127.0.0.1', payload: ipfixMessage({ exportTime: EXPORT, domain: 1 }, [dataSet(300, [pba(16, '100.64.0.1', 1024), pba(16, '100.64.0.2', 1536)])]) },
  { from: '127.0.0.1', payload: ipfixMessage({ exportTime: EXPORT, domain: 2 }, [dataSet(300, [pba(16, '100.64.0.3', 2048)])]) },
  { from: '127.0.0.2', payload: v9Packet({ unixSecs: EXPORT + 1 }, [dataSet(400, [juniper(1, '100.64.1.1', 4096), juniper(3, '100.64.1.2', 0)], 2)]) },
  { from: '127.0.0.3', payload: v9Packet({ unixSecs: EXPORT + 2, sourceId: 0x1234 }, [dataSet(265, [xrAdd('10.0.0.1', 2048)])]) },
  // an exporter of Cisco templates nobody configured: skipped with the fix in the reason
  { from: '127.0.0.4', payload: v9Packet({ unixSecs: EXPORT }, [templateSet(9, [CISCO_265]), dataSet(265, [xrAdd('10.9.9.9', 1024)])]) },
  { from: '127.0.0.3', payload: v9Packet({ unixSecs: EXPORT + 60, sourceId: 0x1234 }, [dataSet(266, [xrDel('10.0.0.1', 2048), xrDel('10.0.0.2', 4096)])]) },
  { from: '127.0.0.1', payload: ipfixMessage({ exportTime: EXPORT + 60, domain: 1 }, [dataSet(300, [pba(17, '100.64.0.1', 1024)])]) },
  { from: '127.0.0.2', payload: v9Packet({ unixSecs: EXPORT + 61 }, [dataSet(400, [juniper(2, '100.64.1.1', 4096)], 2)]) },
];

interface Outcome {
  events: CanonicalEvent[];
  rejects: string[];
  skips: string[];
}

let dir: string;
const sockets: Socket[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whohad-replay-'));
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => new Promise<void>((done) => s.close(() => done()))));
  await rm(dir, { recursive: true, force: true });
});

/** The same packets through a real collector socket on 127.0.0.1, each from its exporter's own address. */
async function overUdp(): Promise<Outcome> {
  const out: Outcome = { events: [], rejects: [], skips: [] };
  let marked!: () => void;
  const marker = new Promise<void>((r) => (marked = r));
  const collector = await startIpfixCollector({
    host: '127.0.0.1',
    port: 0,
    decoder: exporterSources(config).decoder,
    onEvents: (batch) => out.events.push(...batch),
    onReject: (r) => (r.reason.startsWith('version 0 ') ? marked() : out.rejects.push(r.reason)),
    onSkip: (r) => out.skips.push(`${r.code}: ${r.reason}`),
  });
  try {
    const from = new Map<string, Socket>();
    for (const a of new Set(sent.map((s) => s.from))) {
      const s = createSocket('udp4');
      await new Promise<void>((done) => s.bind(0, a, done));
      sockets.push(s);
      from.set(a, s);
    }
    const send = (s: Socket, b: Buffer) => new Promise<void>((ok, fail) => s.send(b, collector.address.port, '127.0.0.1', (err) => (err ? fail(err) : ok())));
    for (const p of sent) await send(from.get(p.from)!, p.payload);
    // loopback datagrams reach one socket in the order sent: once the marker is in, all are
    await send(from.get('127.0.0.1')!, Buffer.from([0, 0, 0, 0]));
    await marker;
  } finally {
    await collector.close();
  }
  return out;
}

async function replay(path: string): Promise<Outcome & { rejected: Reject[]; result: Awaited<ReturnType<typeof replayCapture>>; frames: number[] }> {
  const out = { events: [] as CanonicalEvent[], rejects: [] as string[], skips: [] as string[], rejected: [] as Reject[], frames: [] as number[] };
  const result = await replayCapture({
    path,
    config,
    dstPorts: [PORT_IN_CAPTURE],
    batchSize: 3,
    onBatch: async (events, frames) => {
      out.events.push(...events);
      out.frames.push(...frames);
    },
    onReject: (r) => {
      out.rejected.push(r);
      out.rejects.push(r.reason);
    },
  });
  for (const s of result.skippedBy) {
    // the collector reports each skip; the replay counts them per cause with the first reason
    out.skips.push(...Array.from({ length: s.count }, () => `${s.code}: ${s.first}`));
  }
  return { ...out, result };
}

const dns = { src: '127.0.0.1', dst: '127.0.0.53', srcPort: 40000, dstPort: 53, payload: Buffer.from('dns?') };
const toCollector = (p: (typeof sent)[number]) => ({ src: p.from, dst: '127.0.0.1', srcPort: 50000, dstPort: PORT_IN_CAPTURE, payload: p.payload });

describe('replayCapture', () => {
  it('gives, from a pcap and a pcapng of the same packets, what the UDP collector gives for them', async () => {
    const live = await overUdp();
    // the capture holds other traffic too: a DNS query and a TCP segment, which the port filter leaves out
    const classic = pcapFile(
      [{ at: T0, data: ethernet(udp4(dns)) }, ...sent.map((p, i) => ({ at: T0 + i, data: ethernet(udp4(toCollector(p)), 0x0800, [100]) })), { at: T0, data: ethernet(ipv4('127.0.0.1', '127.0.0.1', 6, Buffer.alloc(20))) }],
      { linkType: 1 },
    );
    const ng = pcapngFile({
      interfaces: [{ linkType: 113 }, { linkType: 1, tsresol: 9 }],
      items: [{ iface: 1, at: T0, data: ethernet(udp4(dns)) }, ...sent.map((p, i) => ({ iface: i % 2, at: T0 + i, data: i % 2 ? ethernet(udp4(toCollector(p))) : sll(ipv4(p.from, '127.0.0.1', 17, udp(toCollector(p)))) }))],
      little: true,
    });
    await writeFile(join(dir, 'gap.pcap'), classic);
    await writeFile(join(dir, 'gap.pcapng'), ng);

    // the collector's own view, to be sure the comparison compares something
    expect(live.events.map((e) => e.kind === 'nat' && [e.natInstance, e.event, e.privateIp, e.privateVrf, e.portStart, e.source])).toEqual([
      ['cgn-rfc', 'alloc', '100.64.0.1', 'Broadband', 1024, 'ipfix'],
      ['cgn-rfc', 'alloc', '100.64.0.2', 'Broadband', 1536, 'ipfix'],
      ['mx', 'alloc', '100.64.1.1', 'default', 4096, 'netflow-v9'],
      ['asr9k', 'alloc', '10.0.0.1', 'default', 2048, 'netflow-v9'],
      ['asr9k', 'release', '10.0.0.1', 'default', 2048, 'netflow-v9'],
      ['cgn-rfc', 'release', '100.64.0.1', 'Broadband', 1024, 'ipfix'],
      ['mx', 'release', '100.64.1.1', 'default', 4096, 'netflow-v9'],
    ]);
    expect(live.rejects).toHaveLength(2);
    expect(live.skips).toEqual([
      'not-attribution-event: natEvent 3 (pool exhausted) is not an attribution record',
      'looks-like-cisco-iosxr: looks like Cisco IOS-XR CGN template 265: set ipfixNatEventNumbering: cisco-iosxr for exporter 127.0.0.4 (in the options of a source with format: ipfix matching its address)',
    ]);

    for (const name of ['gap.pcap', 'gap.pcapng']) {
      const r = await replay(join(dir, name));
      expect(r.events).toEqual(live.events);
      expect(r.rejects).toEqual(live.rejects);
      expect([...r.skips].sort()).toEqual([...live.skips].sort());
      expect(r.result).toMatchObject({ format: 'ipfix', capture: name.endsWith('ng') ? 'pcapng' : 'pcap', lines: sent.length, events: 7, rejected: 2, skipped: 2 });
      // each event and reject names the frame it came from (the DNS query is frame 1)
      expect(r.frames).toEqual([5, 5, 7, 8, 10, 11, 12]);
      expect(r.rejected.map((x) => [x.file, x.line, x.text])).toEqual([
        [join(dir, name), 6, 'exporter 127.0.0.1, frame 6 offset 16'],
        [join(dir, name), 10, 'exporter 127.0.0.3, frame 10 offset 34'],
      ]);
      expect(r.result.exporters).toEqual([
        { exporter: '127.0.0.1', source: 'rfc-cgn', events: 3, rejected: 1, skipped: 0 },
        { exporter: '127.0.0.2', source: 'juniper-mx', events: 2, rejected: 0, skipped: 1 },
        { exporter: '127.0.0.3', source: 'asr9k', events: 2, rejected: 1, skipped: 0 },
        { exporter: '127.0.0.4', source: 'ipfix:127.0.0.4', events: 0, rejected: 0, skipped: 1 },
      ]);
    }
  });

  it('reports a cut capture as a reject after storing what came before, and refuses files that are no capture', async () => {
    const whole = pcapFile(sent.slice(0, 5).map((p, i) => ({ at: T0 + i, data: udp4(toCollector(p)) })), { linkType: 101 });
    const path = join(dir, 'cut.pcap');
    await writeFile(path, whole.subarray(0, whole.length - 3));
    const r = await replay(path);
    expect(r.events.map((e) => e.kind === 'nat' && e.privateIp)).toEqual(['100.64.0.1', '100.64.0.2']);
    expect(r.result).toMatchObject({ lines: 4, events: 2, rejected: 1 });
    expect(r.rejected[0]).toMatchObject({ line: 5, reason: expect.stringMatching(/^capture ends inside frame data at byte \d+/) });

    const text = join(dir, 'nat.log');
    await writeFile(text, 'Oct 25 00:59:58 mx RT_NAT: RT_SRC_NAT_PBA_ALLOC ...\n');
    await expect(replay(text)).rejects.toMatchObject({ code: 'capture-not-a-capture', offset: 0 });
  });
});
