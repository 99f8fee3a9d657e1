import { describe, expect, it } from 'vitest';
import { IpfixDecoder, type IpfixDecoderOptions } from '../../../parse/ipfix/decoder.js';
import {
  CISCO_256, CISCO_257, CISCO_265, CISCO_266, PBA_TEMPLATE, SESSION_TEMPLATE, collect, dataSet, ip, ipfixMessage, ntp, pbaRecord, rec,
  sessionRecord, templateSet, u16, u32, u64, u8, v9OptionsTemplateSet, v9Packet, type TemplateDef,
} from './encoder.js';

const T0 = Date.UTC(2026, 9, 25, 0, 59, 58, 123);
const EXPORT = Math.floor(T0 / 1000) + 1;

/** Decodes IPFIX data records of one template from a fresh decoder. */
function ipfix(template: TemplateDef, records: Buffer[], options: IpfixDecoderOptions = {}) {
  const d = new IpfixDecoder(options);
  const c = collect();
  d.packet(ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [template]), dataSet(template.id, records)]), '192.0.2.1', c.sink);
  return c;
}

const brief = (c: ReturnType<typeof collect>) => c.list().map((e) => [e.event, e.publicIp, e.portStart, e.portEnd, e.privateIp, e.privateVrf, e.protocol]);

describe('RFC 8158 numbering', () => {
  it('maps port block allocation 16 and de-allocation 17, with the inside VRF id as a string', () => {
    const c = ipfix(PBA_TEMPLATE, [
      pbaRecord({ ms: T0, ev: 16, vrf: 7, inside: '100.64.12.34', outside: '198.51.100.7', start: 1024, end: 1535 }),
      pbaRecord({ ms: T0 + 60_000, ev: 17, vrf: 7, inside: '100.64.12.34', outside: '198.51.100.7', start: 1024, end: 1535 }),
    ], { natInstance: 'cgn-east' });
    expect(c.rejects).toEqual([]);
    expect(c.list()).toEqual([
      {
        kind: 'nat', event: 'alloc', at: T0, natInstance: 'cgn-east', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535,
        privateIp: '100.64.12.34', privateVrf: '7', protocol: null, allocatedAt: null, source: 'ipfix',
      },
      {
        kind: 'nat', event: 'release', at: T0 + 60_000, natInstance: 'cgn-east', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535,
        privateIp: '100.64.12.34', privateVrf: '7', protocol: null, allocatedAt: null, source: 'ipfix',
      },
    ]);
  });

  it('maps the exporter\'s VRF id through the source\'s vrfMap, as every format does', () => {
    const c = ipfix(PBA_TEMPLATE, [
      pbaRecord({ ms: T0, ev: 16, vrf: 7, inside: '100.64.12.34', outside: '198.51.100.7', start: 1024, end: 1535 }),
      pbaRecord({ ms: T0, ev: 16, vrf: 0, inside: '100.64.12.35', outside: '198.51.100.7', start: 1536, end: 2047 }),
      pbaRecord({ ms: T0, ev: 16, vrf: 9, inside: '100.64.12.36', outside: '198.51.100.7', start: 2048, end: 2559 }),
    ], { vrf: 'global', vrfMap: { 7: 'Broadband', global: 'default' } });
    expect(c.rejects).toEqual([]);
    expect(c.list().map((e) => e.privateVrf)).toEqual(['Broadband', 'default', '9']);
  });

  it('maps NAT44 session create/delete 4/5 to one-port blocks of the outside port', () => {
    const c = ipfix(SESSION_TEMPLATE, [
      sessionRecord({ ms: T0, ev: 4, inside: '100.64.0.5', outside: '198.51.100.9', proto: 6, port: 51000, outPort: 40123 }),
      sessionRecord({ ms: T0 + 1, ev: 5, inside: '100.64.0.5', outside: '198.51.100.9', proto: 17, port: 51000, outPort: 40124 }),
    ]);
    expect(c.rejects).toEqual([]);
    expect(brief(c)).toEqual([
      ['alloc', '198.51.100.9', 40123, 40123, '100.64.0.5', 'default', 6],
      ['release', '198.51.100.9', 40124, 40124, '100.64.0.5', 'default', 17],
    ]);
  });

  it('maps address binding 14/15 to address-only events and the legacy 1/2 by the fields present', () => {
    const addr: TemplateDef = { id: 320, fields: [[323, 8], [230, 1], [8, 4], [225, 4]] };
    const c = ipfix(addr, [rec(u64(T0), u8(14), ip('100.64.0.1'), ip('198.51.100.1')), rec(u64(T0), u8(15), ip('100.64.0.1'), ip('198.51.100.1'))]);
    expect(brief(c)).toEqual([
      ['alloc', '198.51.100.1', null, null, '100.64.0.1', 'default', null],
      ['release', '198.51.100.1', null, null, '100.64.0.1', 'default', null],
    ]);
    const legacy = ipfix(PBA_TEMPLATE, [pbaRecord({ ms: T0, ev: 1, inside: '100.64.0.2', outside: '198.51.100.2', start: 5000, end: 5099 })]);
    expect(brief(legacy)).toEqual([['alloc', '198.51.100.2', 5000, 5099, '100.64.0.2', 'default', null]]);
    const bare = ipfix(addr, [rec(u64(T0), u8(1), ip('100.64.0.1'), ip('198.51.100.1'))]);
    expect(bare.rejects.map((r) => r.reason)).toEqual(['natEvent 1 (NAT translation create) has neither a port range (361/362) nor an outside port (227)']);
  });

  it('skips (and does not reject) exhaustion, quota and threshold events', () => {
    const t: TemplateDef = { id: 321, fields: [[323, 8], [230, 1], [283, 4]] };
    const c = ipfix(t, [3, 12, 13, 18].map((ev) => rec(u64(T0), u8(ev), u32(1))));
    expect(c.events).toEqual([]);
    expect(c.rejects).toEqual([]);
    expect(c.skips.map((s) => s.reason)).toEqual([
      'natEvent 3 (NAT addresses exhausted) is not an attribution record',
      'natEvent 12 (NAT ports exhausted) is not an attribution record',
      'natEvent 13 (quota exceeded) is not an attribution record',
      'natEvent 18 (threshold reached) is not an attribution record',
    ]);
  });

  it('rejects undefined natEvent values and skips records without natEvent', () => {
    const c = ipfix(PBA_TEMPLATE, [pbaRecord({ ms: T0, ev: 42, inside: '100.64.0.1', outside: '198.51.100.1', start: 1, end: 2 })]);
    expect(c.rejects.map((r) => r.reason)).toEqual([
      'natEvent 42 is not defined in the RFC 8158 numbering (check ipfixNatEventNumbering for exporter 192.0.2.1)',
    ]);
    const flow = ipfix({ id: 330, fields: [[8, 4], [12, 4], [1, 4]] }, [rec(ip('10.0.0.1'), ip('10.0.0.2'), u32(1500))]);
    expect(flow.skips.map((s) => s.reason)).toEqual(['template 330 has no natEvent (230): not a NAT event record']);
  });

  it('reads NAT64 inside IPv6 and IPv6 outside addresses', () => {
    const t: TemplateDef = { id: 322, fields: [[323, 8], [230, 1], [27, 16], [225, 4], [4, 1], [227, 2]] };
    const c = ipfix(t, [rec(u64(T0), u8(6), ip('2001:db8::1:0:0:5'), ip('198.51.100.3'), u8(58), u16(7))]);
    expect(brief(c)).toEqual([['alloc', '198.51.100.3', 7, 7, '2001:db8::1:0:0:5', 'default', 58]]);
    const t6: TemplateDef = { id: 323, fields: [[230, 1], [8, 4], [225, 4], [281, 16]] };
    const c6 = ipfix(t6, [rec(u8(14), ip('10.0.0.1'), ip('0.0.0.0'), ip('2001:db8:ffff::1'))]);
    expect(brief(c6)).toEqual([['alloc', '2001:db8:ffff::1', null, null, '10.0.0.1', 'default', null]]);
  });

  it('attributes an RFC 8158 port block that carries both inside addresses (DS-Lite) to the B4, not 192.0.0.2', () => {
    const t: TemplateDef = { id: 325, fields: [[323, 8], [230, 1], [8, 4], [27, 16], [225, 4], [361, 2], [362, 2]] };
    const c = ipfix(t, [
      rec(u64(T0), u8(16), ip('192.0.0.2'), ip('2001:db8:b4:7::2'), ip('198.51.100.70'), u16(2048), u16(2303)),
      rec(u64(T0), u8(16), ip('192.0.0.2'), ip('2001:db8:b4:8::2'), ip('198.51.100.70'), u16(2304), u16(2559)),
      // a NAT44 subscriber on the same template: the IPv6 field left all zero
      rec(u64(T0), u8(16), ip('100.64.0.8'), ip('::'), ip('198.51.100.70'), u16(2560), u16(2815)),
    ]);
    expect(c.rejects).toEqual([]);
    expect(brief(c)).toEqual([
      ['alloc', '198.51.100.70', 2048, 2303, '2001:db8:b4:7::2', 'default', null],
      ['alloc', '198.51.100.70', 2304, 2559, '2001:db8:b4:8::2', 'default', null],
      ['alloc', '198.51.100.70', 2560, 2815, '100.64.0.8', 'default', null],
    ]);
  });
});

describe('addresses', () => {
  it('writes IPv4-mapped IPv6 addresses as IPv4', () => {
    const t: TemplateDef = { id: 324, fields: [[230, 1], [27, 16], [281, 16]] };
    const c = ipfix(t, [rec(u8(14), ip('::ffff:100.64.0.9'), ip('::ffff:198.51.100.4'))]);
    expect(brief(c)).toEqual([['alloc', '198.51.100.4', null, null, '100.64.0.9', 'default', null]]);
  });
});

describe('port ranges', () => {
  it('expands a block with portRangeStepSize > 1 into one event per port', () => {
    const c = ipfix(PBA_TEMPLATE, [pbaRecord({ ms: T0, ev: 16, inside: '100.64.0.1', outside: '198.51.100.1', start: 1000, end: 1008, step: 4, num: 3 })]);
    expect(c.rejects).toEqual([]);
    expect(c.list().map((e) => [e.portStart, e.portEnd])).toEqual([[1000, 1000], [1004, 1004], [1008, 1008]]);
  });

  it('rejects a stepped block larger than maxPortsPerRecord, and inconsistent or reversed ranges', () => {
    const c = ipfix(PBA_TEMPLATE, [
      pbaRecord({ ms: T0, ev: 16, inside: '100.64.0.1', outside: '198.51.100.1', start: 1024, end: 65535, step: 64, num: 1008 }),
      pbaRecord({ ms: T0, ev: 16, inside: '100.64.0.1', outside: '198.51.100.1', start: 1024, end: 1535, num: 256 }),
      pbaRecord({ ms: T0, ev: 16, inside: '100.64.0.1', outside: '198.51.100.1', start: 2000, end: 1000, num: 0 }),
    ], { maxPortsPerRecord: 512 });
    expect(c.events).toEqual([]);
    expect(c.rejects.map((r) => r.reason)).toEqual([
      'natEvent 16 (port block allocation): non-contiguous block of 1008 ports (step 64) exceeds maxPortsPerRecord 512',
      'natEvent 16 (port block allocation): portRangeStart 1024 to portRangeEnd 1535 is 512 ports but portRangeNumPorts is 256',
      'natEvent 16 (port block allocation): port range 2000-1000 is not a valid range',
    ]);
  });

  it('derives the end from portRangeNumPorts when portRangeEnd is absent', () => {
    const t: TemplateDef = { id: 340, fields: [[230, 1], [8, 4], [225, 4], [361, 2], [364, 2]] };
    const c = ipfix(t, [rec(u8(16), ip('100.64.0.1'), ip('198.51.100.1'), u16(2048), u16(128))]);
    expect(c.list().map((e) => [e.portStart, e.portEnd])).toEqual([[2048, 2175]]);
  });
  it('reads portRangeEnd 0 beside portRangeNumPorts as "not used", as exporters send it (the block ends by its size)', () => {
    // natEvent 1 (create) with 361/362/363/364 = 1536/0/1/512, per protocol: as a deployed exporter sends it
    const t: TemplateDef = { id: 341, fields: [[323, 8], [230, 1], [4, 1], [8, 4], [225, 4], [361, 2], [362, 2], [363, 2], [364, 2]] };
    const c = ipfix(t, [
      rec(u64(T0), u8(1), u8(17), ip('100.66.0.9'), ip('198.51.100.30'), u16(1536), u16(0), u16(1), u16(512)),
      rec(u64(T0), u8(2), u8(6), ip('100.66.0.9'), ip('198.51.100.30'), u16(1536), u16(0), u16(2), u16(4)),
      // with no size the block cannot be bounded: still a reject
      rec(u64(T0), u8(1), u8(6), ip('100.66.0.9'), ip('198.51.100.30'), u16(1536), u16(0), u16(1), u16(0)),
    ]);
    expect(brief(c)).toEqual([
      ['alloc', '198.51.100.30', 1536, 2047, '100.66.0.9', 'default', 17],
      ['release', '198.51.100.30', 1536, 1536, '100.66.0.9', 'default', 6],
      ['release', '198.51.100.30', 1538, 1538, '100.66.0.9', 'default', 6],
      ['release', '198.51.100.30', 1540, 1540, '100.66.0.9', 'default', 6],
      ['release', '198.51.100.30', 1542, 1542, '100.66.0.9', 'default', 6],
    ]);
    expect(c.rejects.map((r) => r.reason)).toEqual(['natEvent 1 (NAT translation create): port range 1536-0 is not a valid range']);
  });
});

describe('time, protocol and outside address checks', () => {
  it('prefers IE 323, then 325/324 (NTP format), then 322, then the export time', () => {
    const t: TemplateDef = { id: 350, fields: [[230, 1], [8, 4], [225, 4], [325, 8], [322, 4]] };
    const c = ipfix(t, [
      rec(u8(14), ip('10.0.0.1'), ip('192.0.2.9'), ntp(T0), u32(0)),
      rec(u8(14), ip('10.0.0.1'), ip('192.0.2.9'), Buffer.alloc(8), u32(EXPORT - 30)),
      rec(u8(14), ip('10.0.0.1'), ip('192.0.2.9'), Buffer.alloc(8), u32(0)),
    ]);
    expect(c.list().map((e) => e.at)).toEqual([T0, (EXPORT - 30) * 1000, EXPORT * 1000]);
  });

  it('rejects protocols the canonical event cannot carry and an all-zero outside address', () => {
    const c = ipfix(SESSION_TEMPLATE, [
      sessionRecord({ ms: T0, ev: 4, inside: '100.64.0.5', outside: '198.51.100.9', proto: 47, port: 1, outPort: 2 }),
      sessionRecord({ ms: T0, ev: 4, inside: '100.64.0.5', outside: '0.0.0.0', proto: 6, port: 1, outPort: 2 }),
    ]);
    expect(c.rejects.map((r) => [r.position, r.reason])).toEqual([
      ['192.0.2.1 offset 68', 'protocol 47 cannot be represented (only 1, 6, 17, 58 or all)'],
      ['192.0.2.1 offset 100', 'outside address is unspecified (all zero)'],
    ]);
  });
});

describe('Juniper numbering (draft-02 for IPFIX, 1/2/3 for NetFlow v9)', () => {
  it('reads natEvent 14/15 as port block allocation/de-allocation, unlike RFC 8158', () => {
    const records = [
      pbaRecord({ ms: T0, ev: 14, inside: '100.64.0.1', outside: '198.51.100.1', start: 24064, end: 24191 }),
      pbaRecord({ ms: T0 + 1, ev: 15, inside: '100.64.0.1', outside: '198.51.100.1', start: 24064, end: 24191 }),
    ];
    expect(brief(ipfix(PBA_TEMPLATE, records, { ipfixNatEventNumbering: 'juniper' }))).toEqual([
      ['alloc', '198.51.100.1', 24064, 24191, '100.64.0.1', 'default', null],
      ['release', '198.51.100.1', 24064, 24191, '100.64.0.1', 'default', null],
    ]);
    // the misread the reference warns about: IANA numbering calls 14 an address binding
    expect(brief(ipfix(PBA_TEMPLATE, records))).toEqual([
      ['alloc', '198.51.100.1', null, null, '100.64.0.1', 'default', null],
      ['release', '198.51.100.1', null, null, '100.64.0.1', 'default', null],
    ]);
  });

  it('reads Juniper IPFIX 1/2 as NAT44 sessions and skips 10/11', () => {
    const c = ipfix(SESSION_TEMPLATE, [
      sessionRecord({ ms: T0, ev: 1, inside: '100.64.0.5', outside: '198.51.100.9', proto: 6, port: 51000, outPort: 40123 }),
      sessionRecord({ ms: T0, ev: 2, inside: '100.64.0.5', outside: '198.51.100.9', proto: 6, port: 51000, outPort: 40123 }),
      sessionRecord({ ms: T0, ev: 10, inside: '100.64.0.5', outside: '198.51.100.9', proto: 6, port: 0, outPort: 0 }),
    ], { ipfixNatEventNumbering: 'juniper' });
    expect(brief(c)).toEqual([
      ['alloc', '198.51.100.9', 40123, 40123, '100.64.0.5', 'default', 6],
      ['release', '198.51.100.9', 40123, 40123, '100.64.0.5', 'default', 6],
    ]);
    expect(c.skips.map((s) => s.reason)).toEqual(['natEvent 10 (NAT ports exhausted) is not an attribution record']);
  });

  it('reads Juniper NetFlow v9 create/delete by the fields present, and per exporter via optionsFor', () => {
    const d = new IpfixDecoder({ optionsFor: (ex) => (ex === 'mx1' ? { ipfixNatEventNumbering: 'juniper', natInstance: 'mx1' } : undefined) });
    const c = collect();
    const t: TemplateDef = { id: 256, fields: [[230, 1], [8, 4], [225, 4], [361, 2], [362, 2]] };
    const pkt = v9Packet({ unixSecs: EXPORT }, [
      templateSet(9, [t]),
      dataSet(256, [rec(u8(1), ip('10.0.0.1'), ip('192.0.2.1'), u16(1024), u16(2047)), rec(u8(3), ip('0.0.0.0'), ip('0.0.0.0'), u16(0), u16(0))]),
    ]);
    d.packet(pkt, 'mx1', c.sink);
    expect(c.list().map((e) => [e.natInstance, e.event, e.portStart, e.portEnd, e.source, e.at])).toEqual([['mx1', 'alloc', 1024, 2047, 'netflow-v9', EXPORT * 1000]]);
    expect(c.skips.map((s) => s.reason)).toEqual(['natEvent 3 (pool exhausted) is not an attribution record']);
    d.packet(pkt, 'other', c.sink);
    // the other exporter is RFC 8158: 1 is the generic create, 3 addresses exhausted
    expect(c.list().map((e) => e.natInstance)).toEqual(['mx1', 'default']);
  });
});

describe('Cisco IOS-XR CGN NetFlow v9 (template ids are the events)', () => {
  const cisco = { ipfixNatEventNumbering: 'cisco-iosxr' as const, natInstance: 'asr9k' };
  const add = (vrf: number, inside: string, outside: string, start: number, end: number) => rec(u32(vrf), u32(0), ip(inside), ip(outside), u16(start), u16(end));
  const del = (vrf: number, inside: string, start: number) => rec(u32(vrf), ip(inside), u16(start));

  it('completes a bulk delete (266, no outside IP) from the bulk add (265) it matches', () => {
    const d = new IpfixDecoder(cisco);
    const c = collect();
    d.packet(v9Packet({ unixSecs: EXPORT, sourceId: 0x1234 }, [templateSet(9, [CISCO_265, CISCO_266]), dataSet(265, [add(1, '10.0.0.1', '100.1.1.1', 2048, 3071)])]), 'xr', c.sink);
    d.packet(v9Packet({ unixSecs: EXPORT + 600, sourceId: 0x1234 }, [dataSet(266, [del(1, '10.0.0.1', 2048)])]), 'xr', c.sink);
    expect(c.rejects).toEqual([]);
    expect(c.list()).toEqual([
      {
        kind: 'nat', event: 'alloc', at: EXPORT * 1000, natInstance: 'asr9k', publicIp: '100.1.1.1', portStart: 2048, portEnd: 3071,
        privateIp: '10.0.0.1', privateVrf: '1', protocol: null, allocatedAt: null, source: 'netflow-v9',
      },
      {
        kind: 'nat', event: 'release', at: (EXPORT + 600) * 1000, natInstance: 'asr9k', publicIp: '100.1.1.1', portStart: 2048, portEnd: 3071,
        privateIp: '10.0.0.1', privateVrf: '1', protocol: null, allocatedAt: null, source: 'netflow-v9',
      },
    ]);
  });

  it('rejects a bulk delete whose add it never saw, and one already completed', () => {
    const d = new IpfixDecoder(cisco);
    const c = collect();
    d.packet(v9Packet({ unixSecs: EXPORT, sourceId: 0x1234 }, [templateSet(9, [CISCO_265, CISCO_266]), dataSet(265, [add(1, '10.0.0.1', '100.1.1.1', 2048, 3071)])]), 'xr', c.sink);
    // same inside IP and port, but another VRF: not the same block
    d.packet(v9Packet({ unixSecs: EXPORT, sourceId: 0x1234 }, [dataSet(266, [del(2, '10.0.0.1', 2048), del(1, '10.0.0.1', 2048), del(1, '10.0.0.1', 2048)])]), 'xr', c.sink);
    expect(c.list().map((e) => e.event)).toEqual(['alloc', 'release']);
    const miss = (vrf: number) =>
      `template 266 (NAT44 bulk delete) carries no outside address, and no earlier add from exporter xr source id 4660 matches inside VRF ${vrf}, inside IP 10.0.0.1, start port 2048 (the add was missed or forgotten)`;
    expect(c.rejects).toEqual([
      { position: 'xr offset 24', reason: miss(2) },
      { position: 'xr offset 44', reason: miss(1) },
    ]);
  });

  it('forgets the oldest open blocks beyond openBlockLimit', () => {
    const d = new IpfixDecoder({ ...cisco, openBlockLimit: 2 });
    const c = collect();
    const adds = [1, 2, 3].map((n) => add(0, `10.0.0.${n}`, '100.1.1.1', 1024 * n, 1024 * n + 1023));
    d.packet(v9Packet({ unixSecs: EXPORT }, [templateSet(9, [CISCO_265, CISCO_266]), dataSet(265, adds)]), 'xr', c.sink);
    d.packet(v9Packet({ unixSecs: EXPORT }, [dataSet(266, [del(0, '10.0.0.1', 1024), del(0, '10.0.0.3', 3072)])]), 'xr', c.sink);
    expect(c.list().filter((e) => e.event === 'release').map((e) => [e.privateIp, e.portStart, e.portEnd, e.privateVrf])).toEqual([['10.0.0.3', 3072, 4095, 'default']]);
    expect(c.rejects).toHaveLength(1);
  });

  it('completes NAT44 deletes (257) by inside VRF, IP, port and protocol', () => {
    const d = new IpfixDecoder(cisco);
    const c = collect();
    const a = rec(u32(0), u32(0), ip('10.0.0.7'), ip('100.1.1.2'), u16(5555), u16(33333), u8(17));
    d.packet(v9Packet({ unixSecs: EXPORT }, [templateSet(9, [CISCO_256, CISCO_257]), dataSet(256, [a], 1)]), 'xr', c.sink);
    d.packet(v9Packet({ unixSecs: EXPORT + 5 }, [dataSet(257, [rec(u32(0), ip('10.0.0.7'), u16(5555), u8(6)), rec(u32(0), ip('10.0.0.7'), u16(5555), u8(17))])]), 'xr', c.sink);
    expect(brief(c)).toEqual([
      ['alloc', '100.1.1.2', 33333, 33333, '10.0.0.7', 'default', 17],
      ['release', '100.1.1.2', 33333, 33333, '10.0.0.7', 'default', 17],
    ]);
    expect(c.rejects.map((r) => r.reason)).toEqual([
      'template 257 (NAT44 delete) carries no outside address, and no earlier add from exporter xr source id 0 matches inside VRF 0, inside IP 10.0.0.7, inside port 5555, protocol 6 (the add was missed or forgotten)',
    ]);
  });

  it('names VRFs from the option template 262 (VRF id ↔ name)', () => {
    const d = new IpfixDecoder(cisco);
    const c = collect();
    const name = Buffer.alloc(12);
    name.write('Broadband');
    d.packet(
      v9Packet({ unixSecs: EXPORT }, [
        v9OptionsTemplateSet(262, [[234, 4]], [[236, 12]]),
        dataSet(262, [rec(u32(5), name)], 0),
        templateSet(9, [CISCO_265, CISCO_266]),
        dataSet(265, [add(5, '10.0.0.1', '100.1.1.1', 2048, 3071)]),
      ]),
      'xr',
      c.sink,
    );
    d.packet(v9Packet({ unixSecs: EXPORT }, [dataSet(266, [del(5, '10.0.0.1', 2048)])]), 'xr', c.sink);
    expect(c.rejects).toEqual([]);
    expect(c.list().map((e) => [e.event, e.privateVrf])).toEqual([['alloc', 'Broadband'], ['release', 'Broadband']]);
    expect(c.skips).toEqual([]);
  });

  it('attributes DS-Lite bulk blocks (269/270) to the B4 IPv6 address, not the shared inside IPv4', () => {
    const d = new IpfixDecoder(cisco);
    const c = collect();
    const t269: TemplateDef = { id: 269, fields: [[234, 4], [235, 4], [8, 4], [27, 16], [225, 4], [361, 2], [362, 2]] };
    const t270: TemplateDef = { id: 270, fields: [[234, 4], [8, 4], [27, 16], [361, 2]] };
    d.packet(v9Packet({ unixSecs: EXPORT }, [
      templateSet(9, [t269, t270]),
      dataSet(269, [rec(u32(0), u32(0), ip('192.0.0.2'), ip('2001:db8:b4::1'), ip('100.1.1.9'), u16(4096), u16(4607))]),
      dataSet(270, [rec(u32(0), ip('192.0.0.2'), ip('2001:db8:b4::1'), u16(4096))]),
    ]), 'xr', c.sink);
    expect(c.rejects).toEqual([]);
    expect(brief(c)).toEqual([
      ['alloc', '100.1.1.9', 4096, 4607, '2001:db8:b4::1', 'default', null],
      ['release', '100.1.1.9', 4096, 4607, '2001:db8:b4::1', 'default', null],
    ]);
  });

  it('skips templates that are not Cisco CGN NAT records', () => {
    const d = new IpfixDecoder(cisco);
    const c = collect();
    d.packet(v9Packet({ unixSecs: EXPORT }, [templateSet(9, [{ id: 300, fields: [[8, 4]] }]), dataSet(300, [ip('10.0.0.1')])]), 'xr', c.sink);
    expect(c.skips.map((s) => s.reason)).toEqual(['template 300 is not a Cisco IOS-XR CGN NAT template']);
  });

  it('says how to configure an unconfigured exporter whose v9 templates are exactly Cisco IOS-XR CGN ones', () => {
    const d = new IpfixDecoder();
    const c = collect();
    const t272: TemplateDef = { id: 272, fields: [[234, 4], [8, 4], [12, 4], [7, 2], [11, 2], [4, 1]] };
    // 265 exactly; 266 with one field more (not Cisco's); 272 exactly
    const not266: TemplateDef = { id: 266, fields: [...CISCO_266.fields, [4, 1]] };
    d.packet(v9Packet({ unixSecs: EXPORT }, [
      templateSet(9, [CISCO_265, not266, t272]),
      dataSet(265, [add(0, '10.0.0.1', '100.1.1.1', 2048, 3071)]),
      dataSet(266, [rec(u32(0), ip('10.0.0.1'), u16(2048), u8(0))], 1),
      dataSet(272, [rec(u32(0), ip('10.0.0.1'), ip('203.0.113.9'), u16(5555), u16(443), u8(6))], 1),
    ]), '192.0.2.7', c.sink);
    const hint = (id: number) =>
      `looks like Cisco IOS-XR CGN template ${id}: set ipfixNatEventNumbering: cisco-iosxr for exporter 192.0.2.7 (in the options of a source with format: ipfix matching its address)`;
    expect(c.skips.map((s) => [s.code, s.reason])).toEqual([
      ['looks-like-cisco-iosxr', hint(265)],
      ['not-nat-record', 'template 266 has no natEvent (230): not a NAT event record'],
      ['looks-like-cisco-iosxr', hint(272)],
    ]);
    expect(c.events).toEqual([]);
    expect(c.rejects).toEqual([]);
  });

  it('names Nokia NAT IPFIX when it skips it: no natEvent, and the inside address only inside aluNatSubString', () => {
    // as nfdump issue 533 describes it: flowStart/flowEndMilliseconds (152/153) tell add from
    // delete, enterprise 637 fields 91/92 (service ids) and 93 (aluNatSubString) name the subscriber
    const nokia: TemplateDef = { id: 400, fields: [[152, 8], [4, 1], [225, 4], [361, 2], [362, 2], [91, 4, 637], [93, 32, 637]] };
    const other: TemplateDef = { id: 401, fields: [[152, 8], [4, 1], [225, 4], [93, 32, 9]] };
    const c = collect();
    new IpfixDecoder().packet(ipfixMessage({ exportTime: EXPORT }, [
      templateSet(10, [nokia, other]),
      dataSet(400, [rec(u64(T0), u8(6), ip('198.51.100.80'), u16(1024), u16(1087), u32(1), Buffer.from('sub-0042@100.64.9.9'.padEnd(32, '\0')))]),
      dataSet(401, [rec(u64(T0), u8(6), ip('198.51.100.80'), Buffer.alloc(32))]),
    ]), '192.0.2.8', c.sink);
    expect(c.events).toEqual([]);
    expect(c.skips.map((x) => [x.code, x.reason])).toEqual([
      ['looks-like-nokia-nat', 'template 400 looks like Nokia NAT IPFIX (aluNatSubString, enterprise 637): it carries no natEvent and its inside address only inside a string whose layout is not documented, so it is not read; log these blocks by syslog (events 2012/2013) or NAT RADIUS accounting'],
      ['not-nat-record', 'template 401 has no natEvent (230): not a NAT event record'],
    ]);
  });

  it('does not take an IPFIX template with Cisco ids and fields for Cisco NetFlow v9', () => {
    const c = collect();
    const d = new IpfixDecoder();
    d.packet(ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [CISCO_265]), dataSet(265, [add(0, '10.0.0.1', '100.1.1.1', 2048, 3071)])]), '192.0.2.7', c.sink);
    expect(c.skips.map((s) => s.code)).toEqual(['not-nat-record']);
  });
});
