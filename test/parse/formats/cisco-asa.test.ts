import { describe, expect, it } from 'vitest';
import { ciscoAsa } from '../../../parse/formats/cisco-asa.js';
import { expectRejected, expectSkipped, run } from '../../helpers/parse.js';

// Shapes from nat-log-formats.md §4.4 with this project's own values; the device logs UTC.
const HDR = '<166>Apr 02 2026 10:00:05 asa-edge : ';
const T = Date.UTC(2026, 3, 2, 10, 0, 5);
const base = { kind: 'nat', at: T, natInstance: 'default', privateVrf: 'default', source: 'cisco-asa' };

describe('cisco-asa', () => {
  it('maps 305011/305012 to one-port blocks, restating the start from the duration', () => {
    const { events, rejects } = run(ciscoAsa, [
      `${HDR}%ASA-6-305011: Built dynamic TCP translation from inside:100.64.5.6/50500 to outside:198.51.100.20/33001`,
      `${HDR}%ASA-6-305012: Teardown dynamic UDP translation from inside:100.64.5.6/50501 to outside:198.51.100.20/33002 duration 1:02:03`,
    ]);
    expect(rejects).toEqual([]);
    expect(events).toEqual([
      { ...base, event: 'alloc', publicIp: '198.51.100.20', portStart: 33001, portEnd: 33001, privateIp: '100.64.5.6', protocol: 6, allocatedAt: null, line: 1 },
      { ...base, event: 'release', publicIp: '198.51.100.20', portStart: 33002, portEnd: 33002, privateIp: '100.64.5.6', protocol: 17, allocatedAt: T - 3_723_000, line: 2 },
    ]);
  });

  it('maps 305009/305010 to address-only and 305014/305015 to port blocks', () => {
    const { events, rejects } = run(ciscoAsa, [
      `${HDR}%ASA-6-305009: Built dynamic translation from inside:100.64.5.7 to outside:198.51.100.21`,
      `${HDR}%ASA-6-305010: Teardown static translation from inside:100.64.5.7 to outside:198.51.100.21 duration 0:00:10`,
      `${HDR}%ASA-6-305014: Allocated TCP block of ports for translation from inside:100.64.5.8 to outside:198.51.100.22/1024-1535.`,
      `${HDR}%ASA-6-305015: Released UDP block of ports for translation from inside:100.64.5.8 to outside:198.51.100.22/1536-2047`,
    ]);
    expect(rejects).toEqual([]);
    expect(events.map((e) => [e.event, e.publicIp, e.portStart, e.portEnd, e.privateIp, e.protocol, e.allocatedAt])).toEqual([
      ['alloc', '198.51.100.21', null, null, '100.64.5.7', null, null],
      ['release', '198.51.100.21', null, null, '100.64.5.7', null, T - 10_000],
      ['alloc', '198.51.100.22', 1024, 1535, '100.64.5.8', 6, null],
      ['release', '198.51.100.22', 1536, 2047, '100.64.5.8', 17, null],
    ]);
  });

  it('strips interface decorations and reads IPv6, FTD and BSD headers in the configured zone', () => {
    const { events, rejects } = run(ciscoAsa, [
      '<166>Apr  2 12:00:05 ftd1 %FTD-6-305011: Built dynamic ICMP translation from inside(cgn-rule):100.64.5.9/512(LOCAL\\alice) to Outside(pat-pool):198.51.100.23/21346',
      '<166>Apr  2 12:00:05 asa1 %ASA-6-305011: Built dynamic TCP translation from in6:2001:db8::9/40000 to outside:198.51.100.24/40001',
    ], { timezone: 'Europe/Berlin' });
    expect(rejects).toEqual([]);
    expect(events.map((e) => [e.at, e.privateIp, e.publicIp, e.portStart, e.protocol])).toEqual([
      [T, '100.64.5.9', '198.51.100.23', 21346, 1],
      [T, '2001:db8::9', '198.51.100.24', 40001, 6],
    ]);
  });

  it('skips other ASA messages and non-ASA lines', () => {
    expectSkipped(ciscoAsa, [
      ['%ASA-6-302013 is not a translation record', `${HDR}%ASA-6-302013: Built outbound TCP connection 1 for outside:192.0.2.1/443 (192.0.2.1/443) to inside:100.64.5.6/50500 (198.51.100.20/33001)`],
      ['not an %ASA-/%FTD- message', 'plain text'],
    ]);
  });

  it('rejects records without a time or with unreadable parts', () => {
    expectRejected(ciscoAsa, [
      ['%ASA-6-305012: no time: the line has no syslog header and the record carries no time (enable `logging timestamp` or have the relay add one)', '%ASA-6-305012: Teardown dynamic UDP translation from traffic:100.64.5.6/12395 to outside:198.51.100.20/12395 duration 0:00:00'],
      ['%ASA-6-305011: mapped address has no /port', `${HDR}%ASA-6-305011: Built dynamic TCP translation from inside:100.64.5.6/50500 to outside:198.51.100.20`],
      ['%ASA-6-305011: no "from <interface>:<real> to <interface>:<mapped>"', `${HDR}%ASA-6-305011: Built dynamic TCP translation from inside:100.64.5.6/50500`],
      ['%ASA-6-305012: duration "forever" is not h:mm:ss', `${HDR}%ASA-6-305012: Teardown dynamic TCP translation from inside:100.64.5.6/1 to outside:198.51.100.20/2 duration forever`],
      ['portStart 1535 is above portEnd 1024', `${HDR}%ASA-6-305014: Allocated TCP block of ports for translation from inside:100.64.5.8 to outside:198.51.100.22/1535-1024`],
      ['%ASA-6-305011: no TCP, UDP or ICMP before "from"', `${HDR}%ASA-6-305011: Built dynamic translation from inside:100.64.5.6/50500 to outside:198.51.100.20/1`],
    ]);
  });

  it('sniffs the translation messages', () => {
    expect(ciscoAsa.sniff('%ASA-6-305011: Built dynamic TCP translation')).toBe(true);
    expect(ciscoAsa.sniff('<1>Apr  2 12:00:05 x %FTD-6-305015: Released')).toBe(true);
    expect(ciscoAsa.sniff('%ASA-6-302013: Built outbound')).toBe(false);
  });
});

// The headers `logging timestamp` and `logging device-id` give (ASA/FTD configuration guides),
// as a relay passes them on: with or without <PRI>, BSD with a year and a colon, RFC 5424.
describe('cisco-asa header variants', () => {
  it('reads each timestamp form the device can be set to, and %FTD- messages', () => {
    const body = 'Built dynamic TCP translation from inside:10.1.1.1/1234 to outside:198.51.100.1/40000';
    const { events, rejects } = run(ciscoAsa, [
      `Apr 02 2026 10:00:05: %ASA-6-305011: ${body}`,
      `<166>Apr 02 2026 10:00:05 asa-edge : %ASA-6-305011: ${body}`,
      `<166>2026-04-02T10:00:05Z asa-edge : %ASA-6-305011: ${body}`,
      `<166>Apr  2 10:00:05 ftd-1 %FTD-6-305011: ${body}`,
    ]);
    expect(rejects).toEqual([]);
    expect(events.map((e) => [e.at, e.privateIp, e.publicIp, e.portStart, e.protocol])).toEqual(Array(4).fill([T, '10.1.1.1', '198.51.100.1', 40000, 6]));
  });

  it('rejects a message a relay passed on without any time (ASA timestamps are off by default)', () => {
    expectRejected(ciscoAsa, [
      ['%ASA-6-305011: no time: the line has no syslog header and the record carries no time (enable `logging timestamp` or have the relay add one)', '%ASA-6-305011: Built dynamic TCP translation from inside:10.1.1.1/1234 to outside:198.51.100.1/40000'],
    ]);
  });
});
