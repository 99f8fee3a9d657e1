import { describe, expect, it } from 'vitest';
import { juniperJservices } from '../../../parse/formats/juniper-jservices.js';
import { run } from '../../helpers/parse.js';

// Shapes from nat-log-formats.md §3.3 with this project's own values. Device zone UTC+5.
const OPTS = { timezone: 'Asia/Karachi', natInstance: 'mx-cgn-1' };
const HDR = '<142>Mar 14 14:26:50 mx-cgn-1 ';
const OPEN = `${HDR}{cgn_ss}MSVCS_LOG_SESSION_OPEN: App:none, xe-2/0/0.100#012 100.64.20.5:40001 [198.51.100.60:2048] -> 192.0.2.53:53 (UDP)`;
const CLOSE = `${HDR.replace('26:50', '27:20')}{cgn_ss}MSVCS_LOG_SESSION_CLOSE: App:none, xe-2/0/0.100#012 100.64.20.5:40001 [198.51.100.60:2048] -> 192.0.2.53:53 (UDP)`;
const PBA_HDR = 'Mar 14 14:26:54 2026-03-14 14: 26:53: mx-cgn-1{cgn_ss}[jservices-nat]: ';
// 0x69b529dd = 2026-03-14T09:26:53Z.
const ALLOC = `${PBA_HDR}JSERVICES_NAT_PORT_BLOCK_ALLOC: 100.64.20.5 -> 198.51.100.61:3072-3327 0x69b529dd`;

describe('juniper-jservices sessions', () => {
  it('maps OPEN and CLOSE to one-port blocks on the translated source port', () => {
    const { events, rejects } = run(juniperJservices, [OPEN, CLOSE], OPTS);
    expect(rejects).toEqual([]);
    const base = {
      kind: 'nat', natInstance: 'mx-cgn-1', publicIp: '198.51.100.60', portStart: 2048, portEnd: 2048,
      privateIp: '100.64.20.5', privateVrf: 'default', protocol: 17, allocatedAt: null, source: 'juniper-jservices',
    };
    expect(events).toEqual([
      { ...base, event: 'alloc', at: Date.UTC(2026, 2, 14, 9, 26, 50), line: 1 },
      { ...base, event: 'release', at: Date.UTC(2026, 2, 14, 9, 27, 20), line: 2 },
    ]);
  });

  it('joins a session line the PIC broke with a raw newline instead of #012', () => {
    const [first, second] = OPEN.split('#012');
    const { events, rejects } = run(juniperJservices, [first, second, OPEN.replace('(UDP)', '(TCP)')], OPTS);
    expect(rejects).toEqual([]);
    expect(events.map((e) => [e.line, e.privateIp, e.portStart, e.protocol])).toEqual([
      [1, '100.64.20.5', 2048, 17],
      [3, '100.64.20.5', 2048, 6],
    ]);
  });

  it('rejects a broken session line whose second half never comes', () => {
    const [first] = OPEN.split('#012');
    const { events, rejects } = run(juniperJservices, [first, ALLOC, first], OPTS);
    expect(events.map((e) => e.line)).toEqual([2]);
    expect(rejects).toEqual([
      { line: 1, reason: 'MSVCS_LOG_SESSION_OPEN: no "<private> [<public>] -> <destination>" part (truncated line)' },
      { line: 3, reason: 'MSVCS_LOG_SESSION_OPEN: no "<private> [<public>] -> <destination>" part (truncated line)' },
    ]);
  });

  it('rejects malformed session records', () => {
    const { rejects } = run(juniperJservices, [
      OPEN.replace('[198.51.100.60:2048]', '[198.51.100.60]'),
      OPEN.replace('(UDP)', '(GRE)'),
      OPEN.replace(' [198.51.100.60:2048]', ''),
    ], OPTS);
    expect(rejects).toEqual([
      { line: 1, reason: 'MSVCS_LOG_SESSION_OPEN: translated "198.51.100.60" is not <ip>:<port>' },
      { line: 2, reason: 'MSVCS_LOG_SESSION_OPEN: protocol "GRE" is not TCP, UDP, ICMP or ICMPv6' },
      { line: 3, reason: 'MSVCS_LOG_SESSION_OPEN: no "[<public ip>:<port>]" before " -> "' },
    ]);
  });
});

describe('juniper-jservices port blocks', () => {
  it('maps ALLOC, ACTIVE and RELEASE; a plausible trailing hex epoch beats the header', () => {
    const { events, rejects } = run(juniperJservices, [
      ALLOC,
      ALLOC.replace('ALLOC', 'ACTIVE').replace('14:26:54 2026-03-14 14: 26:53', '15:26:54 2026-03-14 15:26:53'),
      ALLOC.replace('ALLOC', 'RELEASE').replace(' 0x69b529dd', ''),
    ], OPTS);
    expect(rejects).toEqual([]);
    const base = {
      kind: 'nat', natInstance: 'mx-cgn-1', publicIp: '198.51.100.61', portStart: 3072, portEnd: 3327,
      privateIp: '100.64.20.5', privateVrf: 'default', protocol: null, source: 'juniper-jservices',
    };
    const allocAt = Date.UTC(2026, 2, 14, 9, 26, 53);
    expect(events).toEqual([
      { ...base, event: 'alloc', at: allocAt, allocatedAt: null, line: 1 },
      { ...base, event: 'interim', at: Date.UTC(2026, 2, 14, 10, 26, 53), allocatedAt: allocAt, line: 2 },
      // No epoch: the inner device time (with its year) stands, read in the device's zone.
      { ...base, event: 'release', at: allocAt, allocatedAt: null, line: 3 },
    ]);
  });

  it('ignores a trailing token that is not a plausible epoch', () => {
    const { events } = run(juniperJservices, [ALLOC.replace('0x69b529dd', '0x1f')], OPTS);
    expect(events[0].at).toBe(Date.UTC(2026, 2, 14, 9, 26, 53));
  });

  it('skips RULE_MATCH and unrelated lines; rejects malformed blocks', () => {
    const { events, rejects, skips } = run(juniperJservices, [
      '{cgn_ss}[jservices-nat]: JSERVICES_NAT_RULE_MATCH: proto 17(UDP) app: any, xe-2/0/0.100#012 100.64.20.5/40001 -> 192.0.2.53/53,Match NAT rule-set (null) rule r1 term t1',
      'Mar 14 14:26:54 mx-cgn-1 mgd[1234]: UI_COMMIT: User ops',
      ALLOC.replace(':3072-3327', ':3072'),
      ALLOC.replace(' -> ', ' => '),
      ALLOC.replace('100.64.20.5', '100.64.20'),
    ], OPTS);
    expect(events).toEqual([]);
    expect(skips).toEqual([
      { line: 1, reason: 'JSERVICES_NAT_RULE_MATCH is not an attribution record' },
      { line: 2, reason: 'not a JSERVICES_NAT_PORT_BLOCK or MSVCS_LOG_SESSION record' },
    ]);
    expect(rejects).toEqual([
      { line: 3, reason: 'JSERVICES_NAT_PORT_BLOCK_ALLOC: "198.51.100.61:3072" is not <public ip>:<lo>-<hi>' },
      { line: 4, reason: 'JSERVICES_NAT_PORT_BLOCK_ALLOC: expected "<private ip> -> <public ip>:<lo>-<hi>", got "100.64.20.5 => 198.51.100.61:3072-3327 0x69b529dd"' },
      { line: 5, reason: 'private address "100.64.20" is not an IPv4 or IPv6 address' },
    ]);
  });

  it('sniffs its tags', () => {
    expect(juniperJservices.sniff(OPEN)).toBe(true);
    expect(juniperJservices.sniff(ALLOC)).toBe(true);
    expect(juniperJservices.sniff('RT_FLOW - RT_FLOW_SESSION_CREATE [x="1"]')).toBe(false);
  });
});

// DS-Lite on MS-MPC (Junos 17.4R1 on): the inside end is the B4's IPv6 address.
describe('juniper-jservices, IPv6 inside addresses', () => {
  it('reads a B4 address in a port-block record and a bracketed [IPv6]:port session end', () => {
    const { events, rejects } = run(juniperJservices, [
      `${PBA_HDR}JSERVICES_NAT_PORT_BLOCK_ALLOC: 2001:db8:b4::5 -> 198.51.100.61:3072-3327 0x69b529dd`,
      OPEN.replace('100.64.20.5:40001', '[2001:db8:b4::5]:40001'),
    ], OPTS);
    expect(rejects).toEqual([]);
    expect(events.map((e) => [e.event, e.privateIp, e.publicIp, e.portStart, e.portEnd])).toEqual([
      ['alloc', '2001:db8:b4::5', '198.51.100.61', 3072, 3327],
      ['alloc', '2001:db8:b4::5', '198.51.100.60', 2048, 2048],
    ]);
  });

  it('rejects an unbracketed IPv6 session end: where the address stops and the port begins cannot be told', () => {
    const { events, rejects } = run(juniperJservices, [OPEN.replace('100.64.20.5:40001', '2001:db8:b4::5:4001')], OPTS);
    expect(events).toEqual([]);
    expect(rejects).toEqual([
      { line: 1, reason: 'MSVCS_LOG_SESSION_OPEN: private end "2001:db8:b4::5:4001" is not <ip>:<port> (an IPv6 address must be written [address]:port)' },
    ]);
  });
});
