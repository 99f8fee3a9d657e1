import { describe, expect, it } from 'vitest';
import { a10 } from '../../../parse/formats/a10.js';
import { expectRejectedContaining, one, rejectReason, run, skipReason } from '../../helpers/parse.js';

// Shapes from nat-log-formats.md §5, with this project's own addresses and ports.
const HDR = '<134>May  7 10:20:30 cgn7.lab/part1';
const CEF = 'CEF:0|A10|CFW|6.0.2|';
const at = Date.UTC(2026, 4, 7, 10, 20, 30);

describe('a10 CEF', () => {
  it('reads CGN 106 batch allocation with the last port from cn3 (inclusive)', () => {
    const e = one(a10, `${HDR} ${CEF}CGN 106|Nat Port Batch Pool Allocated|5|proto=UDP src=100.70.1.9 sourceTranslatedAddress=203.0.113.40 sourceTranslatedPort=30208 cn3=30463 cn3Label=Last Nat Port`, { natInstance: 'cgn7' });
    expect(e).toEqual({
      kind: 'nat', event: 'alloc', at, natInstance: 'cgn7', publicIp: '203.0.113.40', portStart: 30208, portEnd: 30463,
      privateIp: '100.70.1.9', privateVrf: 'default', protocol: 17, allocatedAt: null, source: 'a10',
    });
  });

  it('reads CGN 107 batch release', () => {
    const e = one(a10, `${HDR} ${CEF}CGN 107|Nat Port Batch Pool Freed|5|proto=TCP src=100.70.1.9 sourceTranslatedAddress=203.0.113.40 sourceTranslatedPort=1024 cn3=1151 cn3Label=Last Nat Port`, { vrf: 'cust-a' });
    expect(e).toMatchObject({ event: 'release', portStart: 1024, portEnd: 1151, protocol: 6, privateVrf: 'cust-a' });
  });

  it('reads CGN 100/101 port records and 102/103 session records as one-port blocks', () => {
    const r = run(a10, [
      `${HDR} ${CEF}CGN 100|Nat Port Allocated|5|proto=ICMP src=100.70.2.1 spt=4711 sourceTranslatedAddress=203.0.113.41 sourceTranslatedPort=4711 dst=192.0.2.53 dpt=0`,
      `${HDR} ${CEF}CGN 101|Nat Port Freed|5|proto=ICMP src=100.70.2.1 spt=4711 sourceTranslatedAddress=203.0.113.41 sourceTranslatedPort=4711`,
      `${HDR} ${CEF}CGN 102|Nat Session Created|5|proto=UDP src=100.70.2.2 spt=5353 dst=192.0.2.9 dpt=53 sourceTranslatedAddress=203.0.113.42 sourceTranslatedPort=61000 destinationTranslatedAddress=192.0.2.9 destinationTranslatedPort=53`,
      `${HDR} ${CEF}CGN 103|Nat Session Freed|5|proto=UDP src=100.70.2.2 spt=5353 dst=192.0.2.9 dpt=53 sourceTranslatedAddress=203.0.113.42 sourceTranslatedPort=61000`,
    ]);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.line, e.event, e.publicIp, e.portStart, e.portEnd, e.privateIp, e.protocol])).toEqual([
      [1, 'alloc', '203.0.113.41', 4711, 4711, '100.70.2.1', 1],
      [2, 'release', '203.0.113.41', 4711, 4711, '100.70.2.1', 1],
      [3, 'alloc', '203.0.113.42', 61000, 61000, '100.70.2.2', 17],
      [4, 'release', '203.0.113.42', 61000, 61000, '100.70.2.2', 17],
    ]);
  });

  it('prefers rt (ms since 1970) over the header time', () => {
    const e = one(a10, `${HDR} ${CEF}CGN 100|Nat Port Allocated|5|rt=1778149230250 proto=TCP src=100.70.2.1 spt=1 sourceTranslatedAddress=203.0.113.41 sourceTranslatedPort=2000`);
    expect(e.at).toBe(1778149230250);
  });

  it('reads IPv6 inside addresses (NAT64) in canonical form', () => {
    const e = one(a10, `${HDR} ${CEF}CGN 100|Nat Port Allocated|5|proto=TCP src=2001:DB8:0:0::7 spt=1 sourceTranslatedAddress=203.0.113.41 sourceTranslatedPort=2000`);
    expect(e.privateIp).toBe('2001:db8::7');
  });

  it('skips CGN classes that are not port, session or batch records, and other lines', () => {
    expect(skipReason(a10, `${HDR} ${CEF}CGN 120|Nat Pool Exhausted|7|proto=TCP`)).toContain('CGN 120');
    expect(skipReason(a10, `${HDR} axdebug: admin logged in`)).toContain('not an A10 CGN record');
    expect(skipReason(a10, '   ')).toBe('empty line');
  });

  it('rejects truncated and malformed records, saying what is wrong, with the line number', () => {
    expectRejectedContaining(a10, [
      ['cn3Label missing', `${HDR} ${CEF}CGN 106|Nat Port Batch Pool Allocated|5|proto=UDP src=100.70.1.9 sourceTranslatedAddress=203.0.113.40 sourceTranslatedPort=30208 cn3=304`],
      ['CEF header has 5 of its 7 fields', `${HDR} CEF:0|A10|CFW|6.0.2|CGN 100|Nat Port Allo`],
      ['proto "GRE"', `${HDR} ${CEF}CGN 100|Nat Port Allocated|5|proto=GRE src=100.70.2.1 sourceTranslatedAddress=203.0.113.41 sourceTranslatedPort=2000`],
      ['proto missing', `${HDR} ${CEF}CGN 100|Nat Port Allocated|5|src=100.70.2.1 sourceTranslatedAddress=203.0.113.41 sourceTranslatedPort=2000`],
      ['private address "100.70.2.01"', `${HDR} ${CEF}CGN 100|Nat Port Allocated|5|proto=TCP src=100.70.2.01 sourceTranslatedAddress=203.0.113.41 sourceTranslatedPort=2000`],
      ['sourceTranslatedPort "70000" is not a port', `${HDR} ${CEF}CGN 100|Nat Port Allocated|5|proto=TCP src=100.70.2.1 sourceTranslatedAddress=203.0.113.41 sourceTranslatedPort=70000`],
      ['portStart 30463 is above portEnd 30208', `${HDR} ${CEF}CGN 106|Nat Port Batch Pool Allocated|5|proto=UDP src=100.70.1.9 sourceTranslatedAddress=203.0.113.40 sourceTranslatedPort=30463 cn3=30208 cn3Label=Last Nat Port`],
      ['src appears twice', `${HDR} ${CEF}CGN 100|Nat Port Allocated|5|proto=TCP src=100.70.2.1 sourceTranslatedAddress=203.0.113.41 sourceTranslatedPort=2000 src=100.70.2.9`],
      ['no time', `cgn7 ${CEF}CGN 100|Nat Port Allocated|5|proto=TCP src=100.70.2.1 sourceTranslatedAddress=203.0.113.41 sourceTranslatedPort=2000`],
      ['vendor "Other"', `${HDR} CEF:0|Other|FW|1|CGN 100|x|5|src=1.2.3.4`],
    ]);
  });

  it('rejects a header time in the repeated DST hour', () => {
    const reason = rejectReason(a10, `<134>Oct 25 02:30:00 cgn7 ${CEF}CGN 100|Nat Port Allocated|5|proto=TCP src=100.70.2.1 sourceTranslatedAddress=203.0.113.41 sourceTranslatedPort=2000`, { timezone: 'Europe/Copenhagen', year: 2026 });
    expect(reason).toContain('occurs twice');
  });

  it('sniffs CEF and ASCII lines', () => {
    expect(a10.sniff(`${HDR} ${CEF}CGN 106|x|5|`)).toBe(true);
    expect(a10.sniff('May  7 10:20:30 ax1 NAT-TCP-C: 100.70.2.1:1234 -> 203.0.113.41: 2000')).toBe(true);
    expect(a10.sniff('May  7 10:20:30 srx RT_NAT: RT_SRC_NAT_PBA_ALLOC')).toBe(false);
  });
});

describe('a10 ASCII', () => {
  it('reads port mappings with and without a space after the colon, and the "to dst" form', () => {
    const r = run(a10, [
      '<134>May  7 10:20:30 ax1 NAT-UDP-C: 100.70.3.3:10000 -> 203.0.113.50: 10001',
      '<134>May  7 10:20:31 ax1 NAT-TCP-D: 100.70.3.3:10000<-->203.0.113.50:10002 to 192.0.2.80:443',
      '<134>May  7 10:20:32 ax1 NAT-ICMP-B: 100.70.3.3:7 -> 203.0.113.50:7',
    ]);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.at, e.publicIp, e.portStart, e.portEnd, e.privateIp, e.protocol])).toEqual([
      ['alloc', Date.UTC(2026, 4, 7, 10, 20, 30), '203.0.113.50', 10001, 10001, '100.70.3.3', 17],
      ['release', Date.UTC(2026, 4, 7, 10, 20, 31), '203.0.113.50', 10002, 10002, '100.70.3.3', 6],
      ['alloc', Date.UTC(2026, 4, 7, 10, 20, 32), '203.0.113.50', 7, 7, '100.70.3.3', 1],
    ]);
  });

  it('reads sessions, finding the translated end of the reverse tuple in either order', () => {
    const r = run(a10, [
      '<134>May  7 10:20:30 ax1 NAT-TCP-C: 100.70.3.4:5000<->192.0.2.80:443, 192.0.2.80:443<-->203.0.113.51:20000',
      '<134>May  7 10:20:30 ax1 NAT-TCP-D: 100.70.3.4:5000<->192.0.2.80:443, 203.0.113.51:20000<-->192.0.2.80:443',
    ]);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.publicIp, e.portStart, e.privateIp])).toEqual([
      ['alloc', '203.0.113.51', 20000, '100.70.3.4'],
      ['release', '203.0.113.51', 20000, '100.70.3.4'],
    ]);
  });

  it('reads FIXED-NAT-PORTS as an all-protocol block', () => {
    const e = one(a10, '<134>May  7 10:20:30 ax1 FIXED-NAT-PORTS 100.70.9.9->203.0.113.60:3000-4000');
    expect(e).toMatchObject({ event: 'alloc', publicIp: '203.0.113.60', portStart: 3000, portEnd: 4000, privateIp: '100.70.9.9', protocol: null });
  });

  it('skips update records and rejects what cannot be read', () => {
    expect(skipReason(a10, '<134>May  7 10:20:30 ax1 NAT-TCP-U: 100.70.3.3:1 -> 203.0.113.50:2')).toContain('update');
    expectRejectedContaining(a10, [
      ['expected "inside:port -> outside:port"', '<134>May  7 10:20:30 ax1 NAT-TCP-C: 100.70.3.3:10000 -> 203.0.113.'],
      ['unknown protocol SCTP', '<134>May  7 10:20:30 ax1 NAT-SCTP-C: 100.70.3.3:1 -> 203.0.113.50:2'],
      ['unknown event letter X', '<134>May  7 10:20:30 ax1 NAT-TCP-X: 100.70.3.3:1 -> 203.0.113.50:2'],
      ['cannot tell the translated address', '<134>May  7 10:20:30 ax1 NAT-TCP-C: 100.70.3.4:5000<->192.0.2.80:443, 192.0.2.81:443<-->203.0.113.51:20000'],
      ['"first-last"', '<134>May  7 10:20:30 ax1 FIXED-NAT-PORTS 100.70.9.9->203.0.113.60:3000'],
    ]);
  });
});

// Variants seen beyond the manuals (docs/sources.md, "Variants accepted").
describe('a10 CEF as relays pass it on', () => {
  const BATCH = 'CGN 106|Nat Port Batch Pool Allocated|5|proto=UDP src=100.70.1.9 sourceTranslatedAddress=203.0.113.40 sourceTranslatedPort=30208 cn3=30463 cn3Label=Last Nat Port';

  it('reads a record whose "CEF:" a relay took as the program name and dropped', () => {
    const r = run(a10, [`${HDR} 0|A10|CFW|6.0.2|${BATCH}`, `<134>May  7 10:20:30 cgn7 CEF: 0|A10|ADC|6.0.7|${BATCH.replace('30208', '30464').replace('30463', '30719')}`]);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.at, e.privateIp, e.publicIp, e.portStart, e.portEnd, e.protocol])).toEqual([
      ['alloc', at, '100.70.1.9', '203.0.113.40', 30208, 30463, 17],
      ['alloc', at, '100.70.1.9', '203.0.113.40', 30464, 30719, 17],
    ]);
  });

  it('reads a header with an ISO time and no <PRI>', () => {
    const e = one(a10, `2026-05-07T12:20:30.000+02:00 cgn7.lab/part1 CEF:0|A10|CFW|6.0.2|${BATCH}`);
    expect(e).toMatchObject({ at, portStart: 30208, portEnd: 30463 });
  });

  it('still skips pipes that are no A10 CEF header, and rejects a dropped-prefix record cut short', () => {
    expect(skipReason(a10, `${HDR} 0|Other|FW|1|CGN 100|x|5|src=100.70.2.1`)).toContain('not an A10 CGN record');
    expectRejectedContaining(a10, [['CEF header has 5 of its 7 fields', `${HDR} 0|A10|CFW|6.0.2|CGN 106|Nat Port Batch`]]);
  });
});

describe('a10 ASCII, IPv6 inside ends', () => {
  it('reads a bracketed [IPv6]:port inside end and refuses an unbracketed one, whose last group may be the port', () => {
    expect(one(a10, `${HDR} NAT-TCP-C: [2001:db8:b4::9]:4001<-->203.0.113.50:10001 to 192.0.2.1:443`)).toMatchObject({ privateIp: '2001:db8:b4::9', publicIp: '203.0.113.50', portStart: 10001 });
    expectRejectedContaining(a10, [
      ['NAT-TCP-C: inside end "2001:db8:b4::9:4001" is not <ip>:<port> (an IPv6 address must be written [address]:port)', `${HDR} NAT-TCP-C: 2001:db8:b4::9:4001<-->203.0.113.50:10001 to 192.0.2.1:443`],
    ]);
  });
});
