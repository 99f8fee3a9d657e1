import { describe, expect, it } from 'vitest';
import { nokia } from '../../../parse/formats/nokia.js';
import { expectRejectedContaining, one, run, skipReason } from '../../helpers/parse.js';

// The SR OS message format for these events was not found (nat-log-formats.md §8), so these
// lines carry the event number and the TIMETRA-NAT-MIB objects the reference names.
const hdr = (sec: number) => `<188>1 2026-04-01T10:00:${String(sec).padStart(2, '0')}.000Z bng1 TMNX - - -`;
const block = (outside: string, p1: number, p2: number, inside = '100.80.1.1', vrtr = '3') =>
  `tmnxNatNotifyOutsideVRtrID=1 tmnxNatNotifyOutsideAddr=${outside} tmnxNatNotifyPort=${p1} tmnxNatNotifyPort2=${p2} tmnxNatNotifyLsnSubId=276824064 tmnxNatNotifyInsideAddr=${inside} tmnxNatNotifyInsideVRtrID=${vrtr} tmnxNatNotifyNumber=1`;

describe('nokia', () => {
  it('reads 2012 true as an allocation, inside router id as the VRF', () => {
    const e = one(nokia, `${hdr(0)} 77 MINOR: NAT #2012 Base tmnxNatNotifyTruthValue=true ${block('198.51.100.20', 2048, 2111)}`, { natInstance: 'bng1' });
    expect(e).toEqual({
      kind: 'nat', event: 'alloc', at: Date.UTC(2026, 3, 1, 10, 0, 0), natInstance: 'bng1', publicIp: '198.51.100.20', portStart: 2048, portEnd: 2111,
      privateIp: '100.80.1.1', privateVrf: '3', protocol: null, allocatedAt: null, source: 'nokia',
    });
  });

  it('reads 2012/2013 false as a release; SNMP spellings of names and truth values', () => {
    const r = run(nokia, [
      `${hdr(1)} 78 MINOR: NAT #2012 Base tmnxNatNotifyTruthValue=false ${block('198.51.100.20', 2048, 2111)}`,
      `${hdr(2)} tmnxNatPlBlockAllocationL2Aw TIMETRA-NAT-MIB::tmnxNatNotifyTruthValue.0=true(1) TIMETRA-NAT-MIB::tmnxNatNotifyOutsideAddr.0=198.51.100.21 tmnxNatNotifyPort=4000 tmnxNatNotifyPort2=4031 tmnxNatNotifyInsideAddr=192.168.1.2`,
      `${hdr(3)} 79 MINOR: NAT #2013 Base tmnxNatNotifyTruthValue=2 tmnxNatNotifyOutsideAddr=198.51.100.21 tmnxNatNotifyPort=4000 tmnxNatNotifyPort2=4031 tmnxNatNotifyInsideAddr=192.168.1.2`,
    ], { vrf: 'esm' });
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.publicIp, e.portStart, e.portEnd, e.privateIp, e.privateVrf])).toEqual([
      ['release', '198.51.100.20', 2048, 2111, '100.80.1.1', '3'],
      ['alloc', '198.51.100.21', 4000, 4031, '192.168.1.2', 'esm'],
      ['release', '198.51.100.21', 4000, 4031, '192.168.1.2', 'esm'],
    ]);
  });

  it('reads 2021 naming a block as its release', () => {
    const e = one(nokia, `${hdr(5)} 80 MINOR: NAT #2021 Base ${block('198.51.100.22', 6000, 6063)}`);
    expect(e).toMatchObject({ event: 'release', publicIp: '198.51.100.22', portStart: 6000, portEnd: 6063, privateIp: '100.80.1.1', privateVrf: '3' });
  });

  it('releases every block the subscriber still holds when 2021 names none', () => {
    const r = run(nokia, [
      `${hdr(0)} #2012 tmnxNatNotifyTruthValue=true ${block('198.51.100.20', 2048, 2111)}`,
      `${hdr(1)} #2012 tmnxNatNotifyTruthValue=true ${block('198.51.100.20', 2112, 2175)}`,
      `${hdr(2)} #2012 tmnxNatNotifyTruthValue=true ${block('198.51.100.20', 2176, 2239)}`,
      `${hdr(3)} #2012 tmnxNatNotifyTruthValue=false ${block('198.51.100.20', 2112, 2175)}`,
      `${hdr(4)} #2012 tmnxNatNotifyTruthValue=true ${block('198.51.100.20', 3000, 3063, '100.80.1.2')}`,
      `${hdr(9)} #2021 tmnxNatNotifyLsnSubId=276824064 tmnxNatNotifyInsideAddr=100.80.1.1 tmnxNatNotifyInsideVRtrID=3`,
      `${hdr(9)} #2021 tmnxNatNotifyInsideAddr=100.80.1.1 tmnxNatNotifyInsideVRtrID=3`,
    ]);
    const releases = r.events.filter((x) => x.line === 6).map((e) => [e.event, e.at, e.publicIp, e.portStart, e.portEnd, e.privateIp, e.privateVrf]);
    expect(releases).toEqual([
      ['release', Date.UTC(2026, 3, 1, 10, 0, 9), '198.51.100.20', 2048, 2111, '100.80.1.1', '3'],
      ['release', Date.UTC(2026, 3, 1, 10, 0, 9), '198.51.100.20', 2176, 2239, '100.80.1.1', '3'],
    ]);
    // The blocks are gone after the first 2021; the second has nothing left to free.
    expect(r.rejects).toEqual([{ line: 7, reason: expect.stringContaining('no open block of 100.80.1.1 (router 3) was seen') }]);
  });

  it('skips the events that are not block records, and other lines', () => {
    expect(skipReason(nokia, `${hdr(0)} 81 MINOR: NAT #2016 Base tmnxNatNotifyOutsideAddr=198.51.100.20`)).toContain('summary event');
    expect(skipReason(nokia, `${hdr(0)} 82 MINOR: NAT #2041 Base x=1`)).toContain('deterministic-map');
    expect(skipReason(nokia, `${hdr(0)} 83 MINOR: SYSTEM #2009 Base ssh login`)).toContain('event 2009');
    expect(skipReason(nokia, `${hdr(0)} 84 MINOR: CHASSIS fan ok`)).toContain('not an SR OS NAT event');
  });

  it('rejects records that miss what attribution needs, naming it, with line numbers', () => {
    expectRejectedContaining(nokia, [
      ['tmnxNatNotifyTruthValue missing', `${hdr(0)} #2012 ${block('198.51.100.20', 2048, 2111)}`],
      ['tmnxNatNotifyTruthValue "maybe"', `${hdr(0)} #2012 tmnxNatNotifyTruthValue=maybe ${block('198.51.100.20', 2048, 2111)}`],
      ['tmnxNatNotifyPort2 missing', `${hdr(0)} #2012 tmnxNatNotifyTruthValue=true tmnxNatNotifyOutsideAddr=198.51.100.20 tmnxNatNotifyPort=2048 tmnxNatNotifyInsideAddr=100.80.1.1`],
      ['tmnxNatNotifyInsideAddr (inside address) missing', `${hdr(0)} #2012 tmnxNatNotifyTruthValue=true tmnxNatNotifyOutsideAddr=198.51.100.20 tmnxNatNotifyPort=2048 tmnxNatNotifyPort2=2111`],
      ['portStart 2111 is above portEnd 2048', `${hdr(0)} #2012 tmnxNatNotifyTruthValue=true ${block('198.51.100.20', 2111, 2048)}`],
      ['tmnxNatNotifyInsideVRtrID "vprn1"', `${hdr(0)} #2012 tmnxNatNotifyTruthValue=true ${block('198.51.100.20', 2048, 2111, '100.80.1.1', 'vprn1')}`],
      ['without naming them', `${hdr(0)} #2021 tmnxNatNotifyInsideAddr=100.80.9.9`],
      ['no time', `#2012 tmnxNatNotifyTruthValue=true ${block('198.51.100.20', 2048, 2111)}`],
    ]);
  });

  it('sniffs', () => {
    expect(nokia.sniff(`${hdr(0)} #2012 tmnxNatNotifyTruthValue=true ${block('198.51.100.20', 2048, 2111)}`)).toBe(true);
    expect(nokia.sniff(`${hdr(0)} 84 MINOR: CHASSIS fan ok`)).toBe(false);
  });
});

describe('nokia, DS-Lite subscribers', () => {
  it('takes an IPv6 tmnxNatNotifyInsideAddr (the B4 of a dslite-lsn-sub) as the inside address, and frees it by 2021', () => {
    const r = run(nokia, [
      `${hdr(0)} 77 MINOR: NAT #2012 Base tmnxNatNotifyTruthValue=true tmnxNatNotifySubscriberType=dslite-lsn-sub ${block('198.51.100.20', 2048, 2111, '2001:DB8:B4:0::9')}`,
      `${hdr(5)} 78 MINOR: NAT #2021 Base tmnxNatNotifySubscriberType=dslite-lsn-sub tmnxNatNotifyInsideAddr=2001:db8:b4::9 tmnxNatNotifyInsideVRtrID=3`,
    ]);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.privateIp, e.privateVrf, e.publicIp, e.portStart, e.portEnd])).toEqual([
      ['alloc', '2001:db8:b4::9', '3', '198.51.100.20', 2048, 2111],
      ['release', '2001:db8:b4::9', '3', '198.51.100.20', 2048, 2111],
    ]);
  });
});
