import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureFileUdp, captureKind } from '../../../parse/ipfix/capture.js';
import { PcapFormatError } from '../../../parse/ipfix/capture-error.js';
import type { PcapItem } from '../../../parse/ipfix/frames.js';
import { T0, data, exp, scratchDir, tpl } from './capture-fixtures.js';
import { ethernet, ipv4, ipv6, pcapFile, pcapngFile, sll, udp, udp4, type NgItem } from './pcap-writer.js';

const scratch = scratchDir('whohad-pcapng-');

async function write(name: string, bytes: Buffer): Promise<string> {
  const path = join(scratch(), name);
  await writeFile(path, bytes);
  return path;
}

async function readAll(path: string, dstPorts?: number[]): Promise<PcapItem[]> {
  const out: PcapItem[] = [];
  for await (const item of captureFileUdp(path, { dstPorts })) out.push(item);
  return out;
}

/** Ethernet frames of one exporter's traffic mixed with what a capture also holds. */
const frames = [
  { at: T0, data: ethernet(udp4(exp(tpl))) },
  { at: T0 + 1, data: ethernet(ipv4('192.0.2.10', '192.0.2.99', 6, Buffer.alloc(20))) },
  { at: T0 + 2, data: ethernet(udp4({ src: '192.0.2.10', dst: '192.0.2.53', srcPort: 40000, dstPort: 53, payload: Buffer.from('dns?') }), 0x0800, [100]) },
  { at: T0 + 3, data: ethernet(udp4(exp(data)), 0x0800, [100, 200]) },
  { at: T0 + 4, data: ethernet(ipv6('2001:db8::10', '2001:db8::99', 17, udp(exp(data, '2001:db8::10'))), 0x86dd) },
];

describe('captureKind', () => {
  it('tells classic pcap (both byte orders, µs and ns) and pcapng from anything else by the magic number', () => {
    for (const little of [false, true]) {
      for (const nano of [false, true]) expect(captureKind(pcapFile([], { linkType: 1, little, nano }))).toBe('pcap');
      expect(captureKind(pcapngFile({ interfaces: [], items: [], little }))).toBe('pcapng');
    }
    // the first four bytes are enough to say pcapng; with twelve the byte-order magic must agree
    expect(captureKind(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]))).toBe('pcapng');
    expect(captureKind(Buffer.from('\n\r\r\nnot a capture'))).toBeNull();
    expect(captureKind(Buffer.from('2026-10-25 00:59:58 NAT44 ...'))).toBeNull();
    expect(captureKind(Buffer.from([0xa1, 0xb2]))).toBeNull();
  });
});

describe('pcapng reader', () => {
  it('yields the same datagrams as a classic pcap of the same frames, in both byte orders', async () => {
    const classic = await readAll(await write('same.pcap', pcapFile(frames, { linkType: 1 })), [4739]);
    expect(classic.map((i) => (i.kind === 'udp' ? [i.frame, i.src, i.at] : i))).toEqual([
      [1, '192.0.2.10', T0],
      [4, '192.0.2.10', T0 + 3],
      [5, '2001:db8::10', T0 + 4],
    ]);
    // a name-resolution and a statistics block between packets do not count as frames
    const items: NgItem[] = [...frames.slice(0, 2), { block: 4, body: Buffer.alloc(4) }, ...frames.slice(2), { block: 5, body: Buffer.alloc(12) }];
    for (const little of [false, true]) {
      const ng = await readAll(await write(`same-${little}.pcapng`, pcapngFile({ interfaces: [{ linkType: 1 }], items, little })), [4739]);
      expect(ng).toEqual(classic);
    }
  });

  it('reads each interface with its own link type and timestamp resolution, and simple packet blocks', async () => {
    const path = await write(
      'multi.pcapng',
      pcapngFile({
        interfaces: [{ linkType: 1, snapLen: 60 }, { linkType: 113, tsresol: 9 }],
        items: [
          { iface: 1, at: T0 + 5, data: sll(udp4(exp(tpl, '192.0.2.20'))) },
          { iface: 0, at: T0 + 6, data: ethernet(udp4(exp(Buffer.alloc(8)))), simple: true },
          // cut to the interface's 60-byte snap length, as a simple packet block says only by its size
          { iface: 0, at: T0 + 7, data: ethernet(udp4(exp(data))), simple: true, snap: 60 },
        ],
      }),
    );
    expect(await readAll(path)).toEqual([
      { kind: 'udp', frame: 1, at: T0 + 5, src: '192.0.2.20', srcPort: 50000, dst: '192.0.2.99', dstPort: 4739, payload: tpl },
      { kind: 'udp', frame: 2, at: 0, src: '192.0.2.10', srcPort: 50000, dst: '192.0.2.99', dstPort: 4739, payload: Buffer.alloc(8) },
      { kind: 'problem', frame: 3, reason: `UDP datagram from 192.0.2.10 is cut: ${8 + data.length} bytes announced, 26 captured (snap length too short?)` },
    ]);
  });

  it('reports a capture cut inside a block after the frames before it, naming the offset', async () => {
    const whole = pcapngFile({ interfaces: [{ linkType: 1 }], items: frames });
    const lastBlock = 32 + frames[4].data.length + ((4 - (frames[4].data.length % 4)) % 4);
    const at = whole.length - lastBlock;
    const items = await readAll(await write('cut.pcapng', whole.subarray(0, whole.length - 7)), [4739]);
    expect(items.map((i) => (i.kind === 'udp' ? i.frame : i))).toEqual([
      1,
      4,
      { kind: 'problem', frame: 5, reason: `capture ends inside a ${lastBlock}-byte block at byte ${at}: the file was cut (copied while still being written?); the frames before it were read` },
    ]);
  });

  it('refuses files that are no capture, unsupported link types and broken blocks with a code and the offset', async () => {
    const refusal = async (name: string, bytes: Buffer) => {
      try {
        await readAll(await write(name, bytes));
      } catch (err) {
        expect(err).toBeInstanceOf(PcapFormatError);
        const e = err as PcapFormatError;
        return { code: e.code, offset: e.offset, message: e.message };
      }
      throw new Error(`${name} was read without complaint`);
    };
    const text = await refusal('log.txt', Buffer.from('2026-10-25T00:59:58Z nat alloc ...\n'));
    expect(text).toEqual({
      code: 'capture-not-a-capture',
      offset: 0,
      message: `${join(scratch(), 'log.txt')} is not a pcap or pcapng capture (no capture magic number at offset 0): give a tcpdump/Wireshark capture, or read a text log with its own --format`,
    });

    const wifi = pcapngFile({ interfaces: [{ linkType: 1 }, { linkType: 105 }], items: [] });
    // the second interface block follows the 28-byte section header and the 24-byte first interface (with its end-of-options)
    expect(await refusal('wifi.pcapng', wifi)).toEqual({
      code: 'capture-link-type',
      offset: 52,
      message: 'pcapng interface 1 (block at offset 52) has link type 105, which is not supported (Ethernet, raw IP, loopback, Linux cooked): capture on the interface facing the exporters (tcpdump -i IFACE)',
    });
    expect(await refusal('wifi.pcap', pcapFile([], { linkType: 105 }))).toMatchObject({ code: 'capture-link-type', offset: 20 });

    const good = pcapngFile({ interfaces: [{ linkType: 1 }], items: frames.slice(0, 1) });
    const badTrailer = Buffer.from(good);
    badTrailer.writeUInt32BE(999, badTrailer.length - 4);
    expect(await refusal('trailer.pcapng', badTrailer)).toEqual({
      code: 'capture-bad-block',
      offset: 52,
      message: `pcapng block at offset 52 starts with length ${good.length - 52} but ends with 999: the file is damaged (repair it with pcapfix)`,
    });

    const stranger = pcapngFile({ interfaces: [{ linkType: 1 }], items: [{ iface: 3, at: T0, data: frames[0].data }] });
    expect(await refusal('iface.pcapng', stranger)).toMatchObject({ code: 'capture-unknown-interface', offset: 52 });

    const odd = Buffer.from(good);
    odd.writeUInt32BE(30, 4);
    expect(await refusal('odd.pcapng', odd)).toMatchObject({ code: 'capture-bad-block', offset: 0 });
    expect(await refusal('empty.pcap', Buffer.alloc(0))).toMatchObject({ code: 'capture-not-a-capture', offset: 0 });
  });
});
