import { describe, expect, it } from 'vitest';
import { ciscoCgn } from '../../../parse/formats/cisco-cgn.js';
import { run } from '../../helpers/parse.js';

// Built the way Cisco's cnat_syslog.c builds it (nat-log-formats.md §4.1), own values.
const HDR = '<134> 1 2026 Mar 4 07:05:09 10.20.30.40 - - NAT44 - ';
const AT = Date.UTC(2026, 2, 4, 7, 5, 9);

describe('cisco-cgn', () => {
  it('reads every record of a line, blocks and sessions, with the UTC header time', () => {
    const { events, rejects, skips } = run(ciscoCgn, [
      HDR +
        '[UserbasedA - 100.64.1.2 Broadband - 198.51.100.7 - 2048 3071 - - ]' +
        '[UserbasedW - 100.64.1.3 - - 198.51.100.7 - 3072 4095 - - ]' +
        '[SessionbasedA 6 100.64.1.4 Broadband - 198.51.100.8 51000 1025 - - - ]' +
        '[SessionbasedWD 17 100.64.1.5 Broadband - 198.51.100.8 51001 1026 - 192.0.2.1 53 ]',
    ], { timezone: 'Asia/Tokyo', vrf: 'inside', natInstance: 'asr9k-1' });
    expect(rejects).toEqual([]);
    expect(skips).toEqual([]);
    const base = { kind: 'nat', at: AT, natInstance: 'asr9k-1', allocatedAt: null, source: 'cisco-cgn', line: 1 };
    expect(events).toEqual([
      { ...base, event: 'alloc', publicIp: '198.51.100.7', portStart: 2048, portEnd: 3071, privateIp: '100.64.1.2', privateVrf: 'Broadband', protocol: null },
      { ...base, event: 'release', publicIp: '198.51.100.7', portStart: 3072, portEnd: 4095, privateIp: '100.64.1.3', privateVrf: 'inside', protocol: null },
      { ...base, event: 'alloc', publicIp: '198.51.100.8', portStart: 1025, portEnd: 1025, privateIp: '100.64.1.4', privateVrf: 'Broadband', protocol: 6 },
      { ...base, event: 'release', publicIp: '198.51.100.8', portStart: 1026, portEnd: 1026, privateIp: '100.64.1.5', privateVrf: 'Broadband', protocol: 17 },
    ]);
  });

  it('takes the B4 IPv6 address as the inside address of a DS-Lite record', () => {
    const { events } = run(ciscoCgn, [
      '<134> 1 2026 Mar 4 07:05:09 10.20.30.40 - - DSLITE - [UserbasedA - - Broadband 2001:DB8:0:0::7 198.51.100.9 - 4096 4351 - - ]',
    ]);
    expect(events.map((e) => [e.privateIp, e.publicIp, e.portStart, e.portEnd])).toEqual([['2001:db8::7', '198.51.100.9', 4096, 4351]]);
  });

  it('keeps the B4 address as the holder when a DS-Lite record also names the shared inside IPv4', () => {
    // Every B4 uses 192.0.0.x behind its softwire (RFC 6333), so the IPv4 names no one; leases name the B4.
    const { events, rejects } = run(ciscoCgn, [
      '<134> 1 2026 Mar 4 07:05:09 10.20.30.40 - - DSLITE - [UserbasedA - 192.0.0.2 Broadband 2001:db8:b4:1::2 198.51.100.9 - 4096 4351 - - ]' +
        '[UserbasedA - 192.0.0.2 Broadband 2001:db8:b4:2::2 198.51.100.9 - 4352 4607 - - ]',
    ]);
    expect(rejects).toEqual([]);
    expect(events.map((e) => [e.privateIp, e.privateVrf, e.portStart])).toEqual([
      ['2001:db8:b4:1::2', 'Broadband', 4096],
      ['2001:db8:b4:2::2', 'Broadband', 4352],
    ]);
  });

  it('skips Portblockrunout-only lines, ignores it beside real records', () => {
    const { events, skips } = run(ciscoCgn, [
      HDR + '[Portblockrunout - 100.64.1.2 Broadband - 198.51.100.7 - - - - - ]',
      HDR + '[Portblockrunout - 100.64.1.2 Broadband - 198.51.100.7 - - - - - ][UserbasedA - 100.64.1.2 Broadband - 198.51.100.7 - 5120 6143 - - ]',
      'Mar  4 07:05:10 xr1 sshd[22]: session opened',
    ]);
    expect(events.map((e) => [e.line, e.portStart])).toEqual([[2, 5120]]);
    expect(skips).toEqual([
      { line: 1, reason: 'Portblockrunout is not an attribution record' },
      { line: 3, reason: 'no [record] in the line: not an IOS-XR CGN NAT log' },
    ]);
  });

  it('rejects bad records one by one and keeps the good ones of the same line', () => {
    const { events, rejects } = run(ciscoCgn, [
      HDR +
        '[UserbasedA - 100.64.1.2 Broadband - 198.51.100.7 - 2048 3071 - - ]' +
        '[UserbasedA - 100.64.1.2 Broadband - 198.51.100.7 - 2048 x - - ]' +
        '[SessionbasedA 47 100.64.1.4 Broadband - 198.51.100.8 51000 1025 - - - ]' +
        '[UserbasedA - 100.64.1.2 Broadband ]' +
        '[UserbasedW - 100.64.1.300 Broadband - 198.51.100.7 - 2048 3071 - - ]' +
        '[UserbasedA - 100.64.1.9 Broadband - 198.51.100.7 - 4096 40',
      '[UserbasedA - 100.64.1.2 Broadband - 198.51.100.7 - 2048 3071 - - ]',
    ]);
    expect(events.map((e) => [e.line, e.privateIp])).toEqual([[1, '100.64.1.2']]);
    expect(rejects).toEqual([
      { line: 1, reason: 'record 2 (UserbasedA): last port "x" is not a port' },
      { line: 1, reason: 'record 3 (SessionbasedA): L4 protocol "47" is not TCP (6), UDP (17) or ICMP (1)' },
      { line: 1, reason: 'record 4 (UserbasedA): 4 fields, expected 11' },
      { line: 1, reason: 'private address "100.64.1.300" is not an IPv4 or IPv6 address' },
      { line: 1, reason: 'record 6 (UserbasedA): not closed by "]" (truncated line)' },
      { line: 2, reason: 'record 1 (UserbasedA): no time: the line has no syslog header and the record carries no time' },
    ]);
  });

  it('sniffs IOS-XR CGN records', () => {
    expect(ciscoCgn.sniff(HDR + '[UserbasedA - 1 2 - 3 - 4 5 - - ]')).toBe(true);
    expect(ciscoCgn.sniff('%ASA-6-305011: Built dynamic TCP translation')).toBe(false);
  });
});

describe('cisco-cgn as relays pass it on', () => {
  it('reads the header a relay made RFC 5424-conformant (no space after <PRI>) and records closed without the space before "]"', () => {
    const { events, rejects } = run(ciscoCgn, [
      '<134>1 2026 Mar 4 07:05:09 10.20.30.40 - - NAT44 - [UserbasedA - 100.64.1.2 Broadband - 198.51.100.7 - 2048 3071 - -][UserbasedW - 100.64.1.2 Broadband - 198.51.100.7 - 2048 3071 - -]',
    ]);
    expect(rejects).toEqual([]);
    expect(events.map((e) => [e.event, e.at, e.privateIp, e.portStart, e.portEnd])).toEqual([
      ['alloc', AT, '100.64.1.2', 2048, 3071],
      ['release', AT, '100.64.1.2', 2048, 3071],
    ]);
  });

  it('rejects records whose header a relay stripped: the records carry no time of their own', () => {
    const { events, rejects } = run(ciscoCgn, ['[UserbasedA - 100.64.1.2 Broadband - 198.51.100.7 - 2048 3071 - - ]']);
    expect(events).toEqual([]);
    expect(rejects).toEqual([{ line: 1, reason: 'record 1 (UserbasedA): no time: the line has no syslog header and the record carries no time' }]);
  });
});
