import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IpfixDecoder } from '../../../parse/ipfix/decoder.js';
import { PcapFormatError } from '../../../parse/ipfix/capture-error.js';
import type { PcapItem } from '../../../parse/ipfix/frames.js';
import { pcapFileUdp, pcapUdp } from '../../../parse/ipfix/pcap.js';
import { collect } from './encoder.js';
import { T0, data, exp, scratchDir, tpl } from './capture-fixtures.js';
import { ethernet, ipv4, ipv6, pcapFile, sll, udp, udp4 } from './pcap-writer.js';

const scratch = scratchDir('whohad-pcap-');

async function readAll(path: string, dstPorts?: number[]): Promise<PcapItem[]> {
  const out: PcapItem[] = [];
  for await (const item of pcapFileUdp(path, { dstPorts })) out.push(item);
  return out;
}

describe('pcap reader', () => {
  it('replays an Ethernet capture with 802.1Q into the decoder, skipping other traffic', async () => {
    const path = join(scratch(), 'eth.pcap');
    const dns = { src: '192.0.2.10', dst: '192.0.2.53', srcPort: 40000, dstPort: 53, payload: Buffer.from('dns?') };
    await writeFile(
      path,
      pcapFile(
        [
          { at: T0, data: ethernet(udp4(exp(tpl))) },
          { at: T0 + 1, data: ethernet(ipv4('192.0.2.10', '192.0.2.99', 6, Buffer.alloc(20))) },
          { at: T0 + 2, data: ethernet(udp4(dns), 0x0800, [100]) },
          { at: T0 + 3, data: ethernet(udp4(exp(data)), 0x0800, [100, 200]) },
          { at: T0 + 4, data: ethernet(Buffer.alloc(28), 0x0806) },
        ],
        { linkType: 1 },
      ),
    );
    const items = await readAll(path, [4739]);
    expect(items.map((i) => (i.kind === 'udp' ? [i.frame, i.src, i.srcPort, i.dst, i.dstPort, i.at, i.payload.length] : i))).toEqual([
      [1, '192.0.2.10', 50000, '192.0.2.99', 4739, T0, tpl.length],
      [4, '192.0.2.10', 50000, '192.0.2.99', 4739, T0 + 3, data.length],
    ]);
    const d = new IpfixDecoder({ natInstance: 'cgn1' });
    const c = collect();
    for (const i of items) if (i.kind === 'udp') d.packet(i.payload, i.src, c.sink, `eth.pcap frame ${i.frame}`);
    expect(c.rejects).toEqual([]);
    expect(c.events.map((x) => [x.position, x.e.publicIp, x.e.portStart, x.e.portEnd, x.e.privateIp, x.e.at])).toEqual([
      ['eth.pcap frame 4 offset 20', '198.51.100.7', 1024, 1535, '100.64.12.34', T0],
    ]);
    // without the port filter the DNS datagram comes through too
    expect((await readAll(path)).filter((i) => i.kind === 'udp')).toHaveLength(3);
  });

  it('reads little-endian nanosecond captures of raw IP and Linux cooked frames, IPv4 and IPv6', () => {
    const v6 = ipv6('2001:db8::10', '2001:db8::99', 17, udp(exp(tpl, '2001:db8::10')));
    const raw = pcapFile([{ at: T0, data: udp4(exp(tpl)) }, { at: T0 + 7, data: v6 }], { linkType: 101, little: true, nano: true });
    const cooked = pcapFile([{ at: T0, data: sll(udp4(exp(tpl))) }, { at: T0, data: sll(v6, 0x86dd) }], { linkType: 113 });
    for (const file of [raw, cooked]) {
      const items = [...pcapUdp(file)];
      expect(items.map((i) => (i.kind === 'udp' ? [i.src, i.payload.equals(tpl)] : i))).toEqual([
        ['192.0.2.10', true],
        ['2001:db8::10', true],
      ]);
    }
    expect([...pcapUdp(raw)].map((i) => (i.kind === 'udp' ? i.at : 0))).toEqual([T0, T0 + 7]);
  });

  it('reports datagrams cut by the snap length, IP fragments, and a capture cut mid-frame', () => {
    const frag = ipv4('192.0.2.10', '192.0.2.99', 17, udp(exp(Buffer.alloc(100))), 0x2000);
    const tail = ipv4('192.0.2.10', '192.0.2.99', 17, Buffer.alloc(50), 0x000d);
    const file = pcapFile(
      [
        { at: T0, data: ethernet(udp4(exp(data))), snap: 60 },
        { at: T0, data: ethernet(frag) },
        { at: T0, data: ethernet(tail) },
        { at: T0, data: ethernet(udp4(exp(tpl))) },
      ],
      { linkType: 1, little: true },
    );
    const items = [...pcapUdp(file.subarray(0, file.length - 5))];
    expect(items).toEqual([
      { kind: 'problem', frame: 1, reason: 'UDP datagram from 192.0.2.10 is cut: 57 bytes announced, 26 captured (snap length too short?)' },
      { kind: 'problem', frame: 2, reason: "IPv4 fragment from 192.0.2.10: fragmented exports are not reassembled (lower the exporter's MTU / template size)" },
      { kind: 'problem', frame: 4, reason: `capture ends inside frame data at byte ${24 + (16 + 60) + (16 + 142) + (16 + 84) + 16} (${14 + 20 + 8 + tpl.length} bytes announced)` },
    ]);
  });

  it('refuses pcapng with the conversion command, and files that are not captures', async () => {
    const ng = join(scratch(), 'x.pcapng');
    await writeFile(ng, Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, ...Array(20).fill(0)]));
    await expect(readAll(ng)).rejects.toThrow(new PcapFormatError('pcapng not supported; convert with editcap -F pcap'));
    expect(() => [...pcapUdp(Buffer.alloc(30, 0x41))]).toThrow('not a pcap file: magic 0x41414141');
    expect(() => [...pcapUdp(pcapFile([], { linkType: 105 }))]).toThrow('pcap link type 105 is not supported');
    const short = join(scratch(), 'short.pcap');
    await writeFile(short, Buffer.alloc(10));
    await expect(readAll(short)).rejects.toThrow('not a pcap file: 10 bytes is shorter than the 24-byte header');
  });

  it('streams a capture larger than its read chunk', async () => {
    const path = join(scratch(), 'big.pcap');
    const frames = Array.from({ length: 20_000 }, (_, n) => ({ at: T0 + n, data: ethernet(udp4(exp(n === 0 ? tpl : data))) }));
    await writeFile(path, pcapFile(frames, { linkType: 1 }));
    const d = new IpfixDecoder();
    const c = collect();
    let n = 0;
    for await (const i of pcapFileUdp(path)) {
      if (i.kind === 'udp') d.packet(i.payload, i.src, c.sink);
      n++;
    }
    expect(n).toBe(20_000);
    expect(c.rejects).toEqual([]);
    expect(c.events).toHaveLength(19_999);
  });
});
