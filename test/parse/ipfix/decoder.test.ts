import { describe, expect, it } from 'vitest';
import { IpfixDecoder } from '../../../parse/ipfix/decoder.js';
import {
  PBA_TEMPLATE, collect, dataSet, ip, ipfixMessage, ipfixOptionsTemplateSet, pbaRecord, rec, templateSet, u16, u32, u64, u8,
  v9Packet, varlen, withdrawalSet,
} from './encoder.js';

const T0 = Date.UTC(2026, 9, 25, 0, 59, 58, 123);
const EXPORT = Math.floor(T0 / 1000) + 1;
const alloc = pbaRecord({ ms: T0, ev: 16, inside: '100.64.12.34', outside: '198.51.100.7', start: 1024, end: 1535 });

describe('IpfixDecoder: message structure', () => {
  it('decodes a template and a data set in one IPFIX message', () => {
    const d = new IpfixDecoder({ natInstance: 'cgn1' });
    const c = collect();
    d.packet(ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [PBA_TEMPLATE]), dataSet(300, [alloc])]), '192.0.2.1', c.sink);
    expect(c.rejects).toEqual([]);
    expect(c.list()).toEqual([
      {
        kind: 'nat', event: 'alloc', at: T0, natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535,
        privateIp: '100.64.12.34', privateVrf: 'default', protocol: null, allocatedAt: null, source: 'ipfix',
      },
    ]);
    // 16-byte header, then the template set (4 + 4 + 9 * 4 = 44 bytes), then the data set header
    expect(c.events[0].position).toBe('192.0.2.1 offset 64');
  });

  it('keeps templates across packets and reads several records and padding in one set', () => {
    const d = new IpfixDecoder();
    const c = collect();
    d.packet(ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [PBA_TEMPLATE])]), 'e', c.sink);
    const second = pbaRecord({ ms: T0 + 5, ev: 17, inside: '100.64.0.9', outside: '198.51.100.8', start: 2048, end: 2111 });
    d.packet(ipfixMessage({ exportTime: EXPORT }, [dataSet(300, [alloc, second], 3)]), 'e', c.sink);
    expect(c.rejects).toEqual([]);
    expect(c.list().map((e) => [e.event, e.publicIp, e.portStart, e.portEnd, e.at])).toEqual([
      ['alloc', '198.51.100.7', 1024, 1535, T0],
      ['release', '198.51.100.8', 2048, 2111, T0 + 5],
    ]);
  });

  it('rejects a data set with an unknown template, naming exporter, domain and template, and goes on', () => {
    const d = new IpfixDecoder();
    const c = collect();
    d.packet(ipfixMessage({ exportTime: EXPORT, domain: 7 }, [dataSet(300, [alloc]), templateSet(10, [PBA_TEMPLATE]), dataSet(300, [alloc])]), '192.0.2.1', c.sink);
    expect(c.rejects).toEqual([
      { position: '192.0.2.1 offset 16', reason: 'data set for unknown template 300 (exporter 192.0.2.1, observation domain 7): no template received yet' },
    ]);
    expect(c.events).toHaveLength(1);
  });

  it('scopes templates by exporter: one exporter\'s template is not used for another', () => {
    const d = new IpfixDecoder();
    const c = collect();
    d.packet(ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [PBA_TEMPLATE])]), '192.0.2.1', c.sink);
    d.packet(ipfixMessage({ exportTime: EXPORT }, [dataSet(300, [alloc])]), '192.0.2.2', c.sink);
    expect(c.events).toEqual([]);
    expect(c.rejects.map((r) => r.reason)).toEqual(['data set for unknown template 300 (exporter 192.0.2.2, observation domain 0): no template received yet']);
  });

  it('keeps the same template id apart in two observation domains', () => {
    const d = new IpfixDecoder();
    const c = collect();
    // domain 1: the PBA layout; domain 2: template 300 is a short address-binding layout
    const other = { id: 300, fields: [[230, 1], [8, 4], [225, 4]] as [number, number][] };
    d.packet(ipfixMessage({ exportTime: EXPORT, domain: 1 }, [templateSet(10, [PBA_TEMPLATE])]), 'e', c.sink);
    d.packet(ipfixMessage({ exportTime: EXPORT, domain: 2 }, [templateSet(10, [other])]), 'e', c.sink);
    d.packet(ipfixMessage({ exportTime: EXPORT, domain: 2 }, [dataSet(300, [rec(u8(14), ip('100.64.1.1'), ip('198.51.100.1'))])]), 'e', c.sink);
    d.packet(ipfixMessage({ exportTime: EXPORT, domain: 1 }, [dataSet(300, [alloc])]), 'e', c.sink);
    expect(c.rejects).toEqual([]);
    expect(c.list().map((e) => [e.privateIp, e.publicIp, e.portStart, e.portEnd, e.at])).toEqual([
      ['100.64.1.1', '198.51.100.1', null, null, EXPORT * 1000],
      ['100.64.12.34', '198.51.100.7', 1024, 1535, T0],
    ]);
  });

  it('withdraws one template, and all templates of a domain with id 2', () => {
    const d = new IpfixDecoder();
    const c = collect();
    const t2 = { ...PBA_TEMPLATE, id: 301 };
    d.packet(ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [PBA_TEMPLATE, t2])]), 'e', c.sink);
    expect(d.templateCount).toBe(2);
    d.packet(ipfixMessage({ exportTime: EXPORT }, [withdrawalSet([300]), dataSet(300, [alloc]), dataSet(301, [alloc])]), 'e', c.sink);
    expect(c.events).toHaveLength(1);
    expect(c.rejects.map((r) => r.reason)).toEqual(['data set for unknown template 300 (exporter e, observation domain 0): no template received yet']);
    d.packet(ipfixMessage({ exportTime: EXPORT }, [withdrawalSet([2])]), 'e', c.sink);
    expect(d.templateCount).toBe(0);
  });

  it('reads variable-length fields (short and 3-byte lengths) and keeps enterprise fields apart', () => {
    const d = new IpfixDecoder();
    const c = collect();
    // an enterprise field numbered 225 (PEN 12276) precedes the IANA 225: only the IANA one is the outside address
    const t = {
      id: 400,
      fields: [[230, 1], [284, 65535], [8, 4], [225, 4, 12276], [225, 4], [361, 2], [362, 2], [9999, 65535, 6527]] as [number, number, number?][],
    };
    const long = Buffer.alloc(300, 0x41);
    const r = rec(u8(16), varlen('pool-a'), ip('100.64.0.1'), ip('1.2.3.4'), ip('198.51.100.20'), u16(4096), u16(4159), varlen(long));
    d.packet(ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [t]), dataSet(400, [r, r], 2)]), 'e', c.sink);
    expect(varlen(long).subarray(0, 3)).toEqual(Buffer.from([255, 1, 44]));
    expect(c.rejects).toEqual([]);
    expect(c.list().map((e) => [e.privateIp, e.publicIp, e.portStart, e.portEnd])).toEqual([
      ['100.64.0.1', '198.51.100.20', 4096, 4159],
      ['100.64.0.1', '198.51.100.20', 4096, 4159],
    ]);
  });

  it('rejects a record whose variable-length field runs past its set, with the offset', () => {
    const d = new IpfixDecoder();
    const c = collect();
    const t = { id: 401, fields: [[230, 1], [284, 65535], [8, 4], [225, 4], [361, 2], [362, 2]] as [number, number][] };
    const bad = rec(u8(16), u8(200), Buffer.from('only-sixteen-byt'));
    const short = rec(u8(16), u8(1), Buffer.from('x'));
    d.packet(ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [t]), dataSet(401, [bad]), dataSet(401, [short])]), 'e', c.sink);
    expect(c.events).toEqual([]);
    expect(c.rejects).toEqual([
      { position: 'e offset 52', reason: 'truncated record of template 401 at offset 54: field 2 runs past the end of its set' },
      { position: 'e offset 74', reason: 'truncated record of template 401: 3 bytes left, a record needs at least 14' },
    ]);
  });

  it('rejects a truncated message with the offset, after reading its complete sets', () => {
    const d = new IpfixDecoder();
    const c = collect();
    const msg = ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [PBA_TEMPLATE]), dataSet(300, [alloc]), dataSet(300, [alloc])]);
    d.packet(msg.subarray(0, msg.length - 10), 'e', c.sink);
    expect(c.events).toHaveLength(1);
    expect(c.rejects).toEqual([{ position: 'e offset 93', reason: 'truncated set 300: it claims 33 bytes, 23 remain' }]);
  });

  it('rejects a cut header and a cut template without throwing', () => {
    const d = new IpfixDecoder();
    const c = collect();
    d.packet(Buffer.from([0, 10, 0, 40, 1]), 'e', c.sink);
    const msg = ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [PBA_TEMPLATE])]);
    // keep the set header honest but cut the last field of the template
    const cut = Buffer.from(msg.subarray(0, msg.length - 2));
    cut.writeUInt16BE(cut.length, 2);
    cut.writeUInt16BE(cut.length - 16, 18);
    d.packet(cut, 'e', c.sink);
    d.packet(Buffer.from('hello world, not netflow'), 'e', c.sink);
    d.packet(Buffer.alloc(0), 'e', c.sink);
    expect(c.rejects).toEqual([
      { position: 'e offset 0', reason: 'truncated IPFIX header: 5 of 16 bytes' },
      { position: 'e offset 56', reason: 'truncated template 300: field 9 of 9 is cut' },
      { position: 'e offset 0', reason: 'version 26725 is neither NetFlow v9 nor IPFIX (10)' },
      { position: 'e offset 0', reason: 'packet of 0 bytes has no version field' },
    ]);
    expect(d.templateCount).toBe(0);
  });

  it('survives random bytes after a valid header without throwing', () => {
    const d = new IpfixDecoder();
    const c = collect();
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 255;
    d.packet(ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [PBA_TEMPLATE])]), 'e', c.sink);
    for (let n = 0; n < 500; n++) {
      const body = Buffer.from(Array.from({ length: 4 + (n % 90) }, rnd));
      body.writeUInt16BE(n % 3 === 0 ? 300 : n % 3 === 1 ? 2 : 3, 0);
      body.writeUInt16BE(Math.min(body.length, 4 + rnd()), 2);
      expect(() => d.packet(ipfixMessage({ exportTime: EXPORT }, [body]), 'e', c.sink)).not.toThrow();
    }
    expect(c.rejects.every((r) => !r.reason.startsWith('decoder error'))).toBe(true);
  });

  it('learns IPFIX options templates and uses the VRF name they map', () => {
    const d = new IpfixDecoder();
    const c = collect();
    const opts = ipfixOptionsTemplateSet(500, [[234, 4]], [[236, 65535]]);
    const vrfRec = rec(u32(3), varlen('Broadband'));
    const r = pbaRecord({ ms: T0, ev: 16, vrf: 3, inside: '10.0.0.1', outside: '100.1.1.1', start: 2048, end: 3071 });
    const r2 = pbaRecord({ ms: T0, ev: 16, vrf: 4, inside: '10.0.0.2', outside: '100.1.1.1', start: 3072, end: 4095 });
    d.packet(ipfixMessage({ exportTime: EXPORT }, [opts, dataSet(500, [vrfRec]), templateSet(10, [PBA_TEMPLATE]), dataSet(300, [r, r2])]), 'e', c.sink);
    expect(c.rejects).toEqual([]);
    expect(c.list().map((e) => e.privateVrf)).toEqual(['Broadband', '4']);
  });
});

describe('IpfixDecoder: NetFlow v9', () => {
  it('reads v9 templates, padding and data, timed by the packet header', () => {
    const d = new IpfixDecoder();
    const c = collect();
    const t = { id: 260, fields: [[230, 1], [8, 4], [225, 4], [4, 1], [227, 2]] as [number, number][] };
    const r = rec(u8(1), ip('10.1.1.1'), ip('203.0.113.5'), u8(6), u16(40001));
    d.packet(v9Packet({ unixSecs: EXPORT, sourceId: 5 }, [templateSet(9, [t], 0), dataSet(260, [r], 0)]), 'rtr', c.sink);
    expect(c.rejects).toEqual([]);
    expect(c.list()).toEqual([
      {
        kind: 'nat', event: 'alloc', at: EXPORT * 1000, natInstance: 'default', publicIp: '203.0.113.5', portStart: 40001, portEnd: 40001,
        privateIp: '10.1.1.1', privateVrf: 'default', protocol: 6, allocatedAt: null, source: 'netflow-v9',
      },
    ]);
  });

  it('keeps v9 source ids apart and names them in the unknown-template reason', () => {
    const d = new IpfixDecoder();
    const c = collect();
    const t = { id: 260, fields: [[230, 1], [8, 4], [225, 4], [227, 2]] as [number, number][] };
    d.packet(v9Packet({ unixSecs: EXPORT, sourceId: 1 }, [templateSet(9, [t])]), 'rtr', c.sink);
    d.packet(v9Packet({ unixSecs: EXPORT, sourceId: 2 }, [dataSet(260, [rec(u8(1), ip('10.1.1.1'), ip('203.0.113.5'), u16(1))])]), 'rtr', c.sink);
    expect(c.rejects.map((r) => r.reason)).toEqual(['data set for unknown template 260 (exporter rtr, source id 2): no template received yet']);
  });

  it('does not confuse an IPFIX template with a v9 one of the same id', () => {
    const d = new IpfixDecoder();
    const c = collect();
    d.packet(ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [PBA_TEMPLATE])]), 'e', c.sink);
    d.packet(v9Packet({ unixSecs: EXPORT }, [dataSet(300, [alloc])]), 'e', c.sink);
    expect(c.events).toEqual([]);
    expect(c.rejects).toHaveLength(1);
  });
});

describe('IpfixDecoder: 8-byte reads', () => {
  it('reads observationTimeMilliseconds beyond 32 bits exactly', () => {
    const d = new IpfixDecoder();
    const c = collect();
    const t = { id: 310, fields: [[323, 8], [230, 1], [8, 4], [225, 4]] as [number, number][] };
    d.packet(ipfixMessage({ exportTime: EXPORT }, [templateSet(10, [t]), dataSet(310, [rec(u64(T0), u8(14), ip('10.0.0.1'), ip('192.0.2.77'))])]), 'e', c.sink);
    expect(c.list()[0].at).toBe(T0);
  });
});
