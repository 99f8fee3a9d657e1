import { describe, expect, it } from 'vitest';
import { canonical } from '../../parse/formats/canonical.js';
import { feed } from '../intake/helpers.js';

const NAT = '{"kind":"nat","event":"alloc","at":"2026-10-25T00:59:58.000Z","natInstance":"cgn1","publicIp":"198.51.100.7","portStart":1024,"portEnd":1535,"privateIp":"100.64.12.34","privateVrf":"default","protocol":null,"allocatedAt":null,"source":"juniper-srx-pba"}';
const LEASE = '{"kind":"lease","event":"start","at":"2026-10-25T00:10:00.000Z","ip":"100.64.12.34","vrf":"default","subscriberId":"sub-004211","expiresAt":"2026-10-25T01:10:00.000Z","identifiers":{"mac":"00:16:3e:12:34:56","circuitId":"olt3/1/1/7","remoteId":null,"clientId":null,"username":null},"source":"kea-csv"}';

describe('canonical format', () => {
  it('reads one event a line, both kinds, keeping their own source and defaults', () => {
    const r = feed(canonical, [NAT, '', LEASE, '{"kind":"nat","event":"release","at":"2026-10-25T01:00:00Z","publicIp":"198.51.100.7","portStart":null,"portEnd":null,"privateIp":"100.64.12.34"}']);
    expect(r.rejects).toEqual([]);
    expect(r.skips).toEqual([{ line: 2, reason: 'empty line' }]);
    expect(r.events.map((e) => e.line)).toEqual([1, 3, 4]);
    expect(r.events[0].event).toMatchObject({ kind: 'nat', at: Date.UTC(2026, 9, 25, 0, 59, 58), natInstance: 'cgn1', source: 'juniper-srx-pba' });
    expect(r.events[1].event).toMatchObject({ kind: 'lease', subscriberId: 'sub-004211', source: 'kea-csv', identifiers: { circuitId: 'olt3/1/1/7' } });
    expect(r.events[2].event).toMatchObject({ natInstance: 'default', privateVrf: 'default', protocol: null, source: 'canonical' });
  });

  it('rejects a line that is not JSON with the JSON error, and a bad event with the field at fault', () => {
    const r = feed(canonical, ['{"kind":"nat",', NAT.replace('"portEnd":1535', '"portEnd":99999'), NAT.replace('198.51.100.7', '198.51.100.700'), '[1]', NAT]);
    expect(r.events.map((e) => e.line)).toEqual([5]);
    expect(r.rejects.map((x) => x.line)).toEqual([1, 2, 3, 4]);
    expect(r.rejects[0].reason).toMatch(/^not JSON: /);
    expect(r.rejects[1].reason).toContain('portEnd');
    expect(r.rejects[2].reason).toBe('publicIp: "198.51.100.700" is not an IPv4 or IPv6 address');
    expect(r.rejects[3].reason).toBe('event must be a JSON object');
  });

  it('takes a DS-Lite B4 address as privateIp, canonical, and names a bad one', () => {
    const r = feed(canonical, [NAT.replace('"100.64.12.34"', '"2001:DB8:B4:0:0:0:0:21"'), NAT.replace('"100.64.12.34"', '"2001:db8:b4::21::1"')]);
    expect(r.events.map((e) => [e.line, (e.event as { privateIp: string }).privateIp])).toEqual([[1, '2001:db8:b4::21']]);
    expect(r.rejects).toEqual([{ line: 2, reason: 'privateIp: "2001:db8:b4::21::1" is not an IPv4 or IPv6 address' }]);
  });

  it('sniffs JSON events and nothing else', () => {
    expect(canonical.sniff(NAT)).toBe(true);
    expect(canonical.sniff(`  ${LEASE}`)).toBe(true);
    expect(canonical.sniff('{"at":"2026-10-25T00:10:00Z","kind":"lease"}')).toBe(true);
    expect(canonical.sniff('{"foo":1}')).toBe(false);
    expect(canonical.sniff('<14>1 2026-03-14T10:26:54Z host app - - {"kind":"nat"}')).toBe(false);
  });
});
