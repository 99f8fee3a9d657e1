import { describe, expect, it } from 'vitest';
import { radiusDetail } from '../../../parse/formats/radius-detail.js';
import { parse, utc } from '../../helpers/parse.js';

// Fixtures written from the record shapes in reference/lease-formats.md §4 and the §7 checklist.

const record = (header: string, attrs: Record<string, string>, indent = '\t') =>
  [header, ...Object.entries(attrs).map(([k, v]) => `${indent}${k} = ${v}`), '', ''].join('\n');

const T0 = 1767261600; // 2026-01-01T10:00:00Z
const base = { 'User-Name': '"alice@isp"', 'NAS-IP-Address': '192.0.2.1', 'Acct-Session-Id': '"S1"', 'Calling-Station-Id': '"00-16-3e-aa-bb-cc"', 'NAS-Port-Id': '"slot=1;port=2;vlanid=100"' };

describe('radius-detail sessions', () => {
  it('starts a session at Timestamp - Acct-Delay-Time with every identifier, and ends it on Stop', () => {
    const text =
      record('Thu Jan  1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.1', 'Acct-Delay-Time': '2', Timestamp: String(T0 + 2) }) +
      record('Thu Jan  1 12:00:00 2026', { ...base, 'Acct-Status-Type': 'Stop', 'Framed-IP-Address': '100.64.9.1', 'Acct-Session-Time': '3600', Timestamp: String(T0 + 3600) });
    const r = parse(radiusDetail, text, { timezone: 'Europe/Copenhagen' });
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.line, e.event, e.at, e.expiresAt])).toEqual([
      [1, 'start', T0 * 1000, null],
      [12, 'end', (T0 + 3600) * 1000, null],
    ]);
    expect(r.events[0]).toMatchObject({ ip: '100.64.9.1', subscriberId: 'alice@isp', source: 'radius-detail', vrf: 'default' });
    expect(r.events[0].identifiers).toEqual({
      username: 'alice@isp', callingStationId: '00-16-3e-aa-bb-cc', nasIp: '192.0.2.1', nasPortId: 'slot=1;port=2;vlanid=100', acctSessionId: 'S1',
    });
  });

  it('prefers an epoch Event-Timestamp, and Timestamp over a v3 local Event-Timestamp string', () => {
    const a = parse(radiusDetail, record('Thu Jan  1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.2', 'Event-Timestamp': String(T0 - 5), Timestamp: String(T0) }));
    expect(a.events[0].at).toBe((T0 - 5) * 1000);
    const b = parse(radiusDetail, record('Thu Jan  1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.2', 'Event-Timestamp': '"Jan  1 2026 18:00:00 CST"', Timestamp: String(T0) }));
    expect(b.events[0].at).toBe(T0 * 1000);
  });

  it('reads v4 records: space indentation, ::enum values and ISO Event-Timestamp', () => {
    const r = parse(radiusDetail, record('Thu Jan  1 11:00:00 2026', {
      'Packet-Type': '::Accounting-Request', 'User-Name': '"bob"', 'NAS-IP-Address': '192.0.2.2', 'Acct-Session-Id': '"v4-1"',
      'Acct-Status-Type': '::Start', 'Framed-IP-Address': '100.64.9.3', 'Event-Timestamp': '"2026-01-01T09:59:58Z"',
    }, '    '));
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.ip, e.at])).toEqual([['start', '100.64.9.3', utc('2026-01-01T09:59:58Z')]]);
  });

  it('falls back to the v3 Event-Timestamp string, then the header, as wall time in the configured zone', () => {
    const ev = parse(radiusDetail, record('Thu Jan  1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.4', 'Event-Timestamp': '"Jan  1 2026 10:59:50 CET"' }), { timezone: 'Europe/Copenhagen' });
    expect(ev.events[0].at).toBe(utc('2026-01-01T09:59:50Z'));
    const hdr = parse(radiusDetail, record('Thu Jan 1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.4', 'Acct-Delay-Time': '4' }), { timezone: 'Europe/Copenhagen' });
    expect(hdr.events[0].at).toBe(utc('2026-01-01T09:59:56Z'));
    const dst = parse(radiusDetail, record('Sun Oct 25 02:30:00 2026', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.4' }), { timezone: 'Europe/Copenhagen' });
    expect(dst.events).toEqual([]);
    expect(dst.rejects[0].reason).toMatch(/^header time: local time 2026-10-25 02:30:00 occurs twice in Europe\/Copenhagen .* no earlier line of this source decides which/);
  });

  it('starts a session from an Interim-Update or Stop without a Start at event time - Acct-Session-Time, once', () => {
    const text =
      record('Thu Jan  1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Interim-Update', 'Framed-IP-Address': '100.64.9.5', 'Acct-Session-Time': '600', Timestamp: String(T0) }) +
      record('Thu Jan  1 11:10:00 2026', { ...base, 'Acct-Status-Type': 'Interim-Update', 'Framed-IP-Address': '100.64.9.5', 'Acct-Session-Time': '1200', Timestamp: String(T0 + 600) }) +
      record('Thu Jan  1 11:20:00 2026', { ...base, 'Acct-Status-Type': 'Stop', 'Framed-IP-Address': '100.64.9.5', 'Acct-Session-Time': '1800', Timestamp: String(T0 + 1200) }) +
      record('Thu Jan  1 11:20:00 2026', { ...base, 'Acct-Session-Id': '"S2"', 'Acct-Status-Type': 'Stop', 'Framed-IP-Address': '100.64.9.6', 'Acct-Session-Time': '60', Timestamp: String(T0 + 1200) });
    const r = parse(radiusDetail, text);
    expect(r.events.map((e) => [e.event, e.ip, e.at])).toEqual([
      ['start', '100.64.9.5', (T0 - 600) * 1000],
      ['end', '100.64.9.5', (T0 + 1200) * 1000],
      ['start', '100.64.9.6', (T0 + 1140) * 1000],
      ['end', '100.64.9.6', (T0 + 1200) * 1000],
    ]);
  });

  it('takes the address from the first record that has one; 0.0.0.0 is none', () => {
    const text =
      record('Thu Jan  1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '0.0.0.0', Timestamp: String(T0) }) +
      record('Thu Jan  1 11:00:30 2026', { ...base, 'Acct-Status-Type': 'Interim-Update', 'Framed-IP-Address': '100.64.9.7', 'Acct-Session-Time': '28', Timestamp: String(T0 + 30) });
    const r = parse(radiusDetail, text);
    expect(r.skips).toHaveLength(1);
    expect(r.skips[0].line).toBe(1);
    expect(r.events.map((e) => [e.line, e.event, e.ip, e.at])).toEqual([[11, 'start', '100.64.9.7', T0 * 1000]]);
  });

  it('emits one event per address: IPv4, Framed-IPv6-Prefix and Delegated-IPv6-Prefix', () => {
    const r = parse(radiusDetail, record('Thu Jan  1 11:00:00 2026', {
      ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.8', 'Framed-IPv6-Prefix': '2001:db8:aa:1::/64', 'Delegated-IPv6-Prefix': '2001:db8:bb00::/56', Timestamp: String(T0),
    }));
    expect(r.events.map((e) => [e.ip, e.identifiers.prefix])).toEqual([
      ['100.64.9.8', undefined],
      ['2001:db8:aa:1::', '2001:db8:aa:1::/64'],
      ['2001:db8:bb00::', '2001:db8:bb00::/56'],
    ]);
  });

  it('ends the open sessions of a NAS on Accounting-On, and only that NAS', () => {
    const text =
      record('Thu Jan  1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.9', Timestamp: String(T0) }) +
      record('Thu Jan  1 11:00:00 2026', { ...base, 'NAS-IP-Address': '192.0.2.77', 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.10', Timestamp: String(T0) }) +
      record('Thu Jan  1 11:30:00 2026', { 'NAS-IP-Address': '192.0.2.1', 'Acct-Status-Type': 'Accounting-On', Timestamp: String(T0 + 1800) }) +
      record('Thu Jan  1 11:31:00 2026', { 'NAS-IP-Address': '192.0.2.1', 'Acct-Status-Type': 'Accounting-Off', Timestamp: String(T0 + 1860) });
    const r = parse(radiusDetail, text);
    expect(r.events.map((e) => [e.event, e.ip, e.at, e.subscriberId])).toEqual([
      ['start', '100.64.9.9', T0 * 1000, 'alice@isp'],
      ['start', '100.64.9.10', T0 * 1000, 'alice@isp'],
      ['end', '100.64.9.9', (T0 + 1800) * 1000, 'alice@isp'],
    ]);
    expect(r.skips.at(-1)?.reason).toMatch(/Accounting-Off from 192.0.2.1: no open session/);
  });

  it('gives records without an address no holding: logins (Login-IP-Host) and service sub-sessions', () => {
    const text =
      record('Thu Jan  1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.11', Timestamp: String(T0) }) +
      record('Thu Jan  1 11:05:00 2026', { ...base, 'Acct-Session-Id': '"svc-video:alice"', 'Acct-Status-Type': 'Stop', 'Acct-Session-Time': '60', Timestamp: String(T0 + 300) }) +
      record('Thu Jan  1 11:06:00 2026', { 'User-Name': '"carol"', 'Acct-Status-Type': 'Stop', 'Service-Type': 'Login-User', 'Login-IP-Host': '172.16.64.25', Timestamp: String(T0 + 360) });
    const r = parse(radiusDetail, text);
    expect(r.events.map((e) => [e.event, e.ip])).toEqual([['start', '100.64.9.11']]);
    expect(r.skips.map((s) => s.line)).toEqual([11, 21]);
  });

  it('rejects what it cannot attribute, naming the problem', () => {
    const text =
      record('Thu Jan  1 11:00:00 2026', { 'NAS-IP-Address': '192.0.2.1', 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.12', Timestamp: String(T0) }) +
      record('Thu Jan  1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.300', Timestamp: String(T0) }) +
      record('not a date', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.13' }) +
      record('Thu Jan  1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Stop', 'Framed-IP-Address': '100.64.9.14', 'Acct-Session-Time': 'long', Timestamp: String(T0) }) +
      '\tUser-Name = "stray"\n';
    const r = parse(radiusDetail, text);
    expect(r.events).toEqual([]);
    expect(r.rejects.map((x) => x.line)).toEqual([1, 7, 17, 26, 37]);
    expect(r.rejects[0].reason).toMatch(/no username \(subscriberKey defaults to "username"/);
    expect(r.rejects[1].reason).toMatch(/Framed-IP-Address "100.64.9.300" is not an IP address/);
    expect(r.rejects[2].reason).toMatch(/header "not a date" is not a detail-file date/);
    expect(r.rejects[3].reason).toMatch(/Acct-Session-Time "long" is not a whole number/);
    expect(r.rejects[4].reason).toMatch(/outside a record/);
  });

  it('uses subscriberKey and VRF from the options', () => {
    const r = parse(radiusDetail, record('Thu Jan  1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.15', Timestamp: String(T0) }), { vrf: 'bng', subscriberKey: 'circuitId' });
    expect(r.rejects[0].reason).toMatch(/no circuitId \(subscriberKey is "circuitId"/);
    const ok = parse(radiusDetail, record('Thu Jan  1 11:00:00 2026', { ...base, 'Acct-Status-Type': 'Start', 'Framed-IP-Address': '100.64.9.15', Timestamp: String(T0) }), { vrf: 'bng' });
    expect(ok.events[0].vrf).toBe('bng');
  });

  it('sniffs detail headers and attribute lines', () => {
    expect(radiusDetail.sniff('Tue Jun  9 00:03:48 2015')).toBe(true);
    expect(radiusDetail.sniff('\tAcct-Status-Type = Start')).toBe(true);
    expect(radiusDetail.sniff('lease 10.0.0.1 {')).toBe(false);
  });
});
