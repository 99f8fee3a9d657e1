import { describe, expect, it } from 'vitest';
import { keaLegal, legalDuration, parseLegalBody } from '../../../parse/formats/kea-legal.js';
import { parse, utc } from '../../helpers/parse.js';

// Fixtures written from the entry shapes in reference/lease-formats.md §3 and the §7 checklist.

const CPH = { timezone: 'Europe/Copenhagen' };
const V4_ASSIGN =
  'Address: 100.64.7.9 has been assigned for 1 days 2 hrs 0 mins 30 secs to a device with hardware address: hwtype=1 00:16:3e:aa:bb:cc, ' +
  'client-id: 01:00:16:3e:aa:bb:cc connected via relay at address: 100.64.0.1, identified by circuit-id: 6f:6c:74:31 (olt1) ' +
  'and remote-id: 52:45:4d:4f:54:45 (REMOTE) and subscriber-id: 73:75:62:31 (sub1), context: { "note": "remote-id: ff:ff" }';

describe('kea-legal entries', () => {
  it('starts a holding at the local line time, expiring after the logged lifetime, with every identifier', () => {
    const r = parse(keaLegal, `2026-01-15 10:00:00 CET ${V4_ASSIGN}`, CPH);
    expect(r.rejects).toEqual([]);
    expect(r.events).toEqual([{
      kind: 'lease', event: 'start', line: 1, at: utc('2026-01-15T09:00:00Z'), expiresAt: utc('2026-01-16T11:00:30Z'),
      ip: '100.64.7.9', vrf: 'default', subscriberId: '00:16:3e:aa:bb:cc', source: 'kea-legal',
      identifiers: {
        mac: '00:16:3e:aa:bb:cc', clientId: '01:00:16:3e:aa:bb:cc', relayAddress: '100.64.0.1',
        circuitId: '6f:6c:74:31', remoteId: '52:45:4d:4f:54:45', relaySubscriberId: '73:75:62:31',
      },
    }]);
  });

  it('reads an abbreviation used for several offsets in the configured zone, and refuses it with none', () => {
    // "CST" is China Standard Time in one real sample and US Central in another: the zone says which.
    const line = '2026-01-15 10:00:00 CST Address: 100.64.7.9 has been assigned for 0 hrs 10 mins 0 secs to a device with hardware address: hwtype=1 00:16:3e:aa:bb:cc';
    expect(parse(keaLegal, line, { timezone: 'Asia/Shanghai' }).events[0].at).toBe(utc('2026-01-15T02:00:00Z'));
    expect(parse(keaLegal, line, { timezone: 'America/Chicago' }).events[0].at).toBe(utc('2026-01-15T16:00:00Z'));
    const none = parse(keaLegal, line, { timezone: undefined });
    expect(none.events).toEqual([]);
    expect(none.rejects).toEqual([{ line: 1, reason: 'timestamp: 2026-01-15 10:00:00 CST: "CST" is used for several UTC offsets (-06:00, -05:00, +08:00), and no timezone is configured for this source to say which: set timezone in its options or in defaults' }]);
  });

  it('uses the written abbreviation with no zone configured: 02:30 CET is not stored an hour off', () => {
    const body = 'Address: 100.64.7.9 has been assigned for 0 hrs 10 mins 0 secs to a device with hardware address: hwtype=1 00:16:3e:aa:bb:cc';
    const r = parse(keaLegal, `2026-10-25 02:30:00 CET ${body}\n2026-07-01 12:00:00 CEST ${body}\n2026-07-01 12:00:00 PDT ${body}`, { timezone: undefined });
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => e.at)).toEqual([utc('2026-10-25T01:30:00Z'), utc('2026-07-01T10:00:00Z'), utc('2026-07-01T19:00:00Z')]);
  });

  it('tells the two passes of the repeated hour apart by CEST and CET, and uses a numeric offset as is', () => {
    const body = 'Address: 100.64.7.9 has been assigned for 0 hrs 10 mins 0 secs to a device with hardware address: hwtype=1 00:16:3e:aa:bb:cc';
    const r = parse(keaLegal, [
      `2026-10-25 02:30:00 CET ${body}`,
      `2026-10-25 02:30:00 CEST ${body}`,
      `2026-10-25 02:30:00.250 +0100 ${body}`,
    ].join('\n'), CPH);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.line, e.at])).toEqual([
      [1, utc('2026-10-25T01:30:00Z')],
      [2, utc('2026-10-25T00:30:00Z')],
      [3, utc('2026-10-25T01:30:00.250Z')],
    ]);
  });

  it('refuses an abbreviation the configured zone does not have then, and a zone-less time with no zone', () => {
    const body = 'Address: 100.64.7.9 has been assigned for 0 hrs 10 mins 0 secs to a device with hardware address: hwtype=1 00:16:3e:aa:bb:cc';
    const wrong = parse(keaLegal, `2026-01-15 10:00:00 CEST ${body}`, CPH);
    expect(wrong.rejects).toEqual([{ line: 1, reason: 'timestamp: 2026-01-15 10:00:00 CEST: "CEST" (+02:00) is not an offset of Europe/Copenhagen at that time (it is +01:00 there then): the device\'s zone and the source\'s timezone disagree' }]);
    const bare = parse(keaLegal, `2026-01-15 10:00:00 ${body}`, { timezone: undefined });
    expect(bare.rejects).toEqual([{ line: 1, reason: 'timestamp: legal log time 2026-01-15 10:00:00 carries no zone and no timezone is configured for this source: set timezone in its options or in defaults (UTC if the device logs UTC)' }]);
    const gap = parse(keaLegal, `2026-03-29 02:30:00 ${body}`, CPH);
    expect(gap.rejects).toEqual([{ line: 1, reason: 'timestamp: local time 2026-03-29 02:30:00 does not exist in Europe/Copenhagen (skipped when the clocks went forward)' }]);
  });

  it('accepts the documented "renewed" verb and "min", and ends on "released"', () => {
    const r = parse(keaLegal, [
      '2026-01-15 10:00:00 CET Address: 100.64.7.9 has been renewed for 1 hrs 52 min 15 secs to a device with hardware address: hwtype=1 00:16:3e:aa:bb:cc',
      '2026-01-15 10:30:00 CET Address: 100.64.7.9 has been released from a device with hardware address: hwtype=1 00:16:3e:aa:bb:cc, client-id: 01:00:16:3e:aa:bb:cc',
    ].join('\n'), CPH);
    expect(r.events.map((e) => [e.event, e.at, e.expiresAt, e.subscriberId])).toEqual([
      ['start', utc('2026-01-15T09:00:00Z'), utc('2026-01-15T10:52:15Z'), '00:16:3e:aa:bb:cc'],
      ['end', utc('2026-01-15T09:30:00Z'), null, '00:16:3e:aa:bb:cc'],
    ]);
  });

  it('reads infinite and custom "N seconds" durations', () => {
    const r = parse(keaLegal, [
      '2026-01-15 10:00:00 UTC Address: 100.64.7.10 has been assigned for infinite duration to a device with hardware address: hwtype=1 00:16:3e:00:00:10',
      '2026-01-15 10:00:00 UTC Address: 100.64.7.11 has been assigned for 6735 seconds to a device with hardware address: hwtype=1 00:16:3e:00:00:11 connected via relay at address: 100.64.0.1, circuit-id: 68:6f, remote-id: 87:f6',
    ].join('\n'));
    expect(r.events[0].expiresAt).toBeNull();
    expect(r.events[1].expiresAt).toBe(utc('2026-01-15T10:00:00Z') + 6735_000);
    expect(r.events[1].identifiers).toMatchObject({ circuitId: '68:6f', remoteId: '87:f6', relayAddress: '100.64.0.1' });
  });

  it('reads v6 addresses and prefixes keyed on the DUID, with or without the space after "Address:"', () => {
    const r = parse(keaLegal, [
      '2026-01-15 01:02:03 PST Address:2001:db8:1::5 has been assigned for 0 hrs 11 mins 53 secs to a device with DUID: 00:03:00:01:52:54:00:12:34:56 and hardware address: hwtype=1 52:54:00:12:34:56 (from Raw Socket) connected via relay at address: fe80::abcd for client on link address: 2001:db8:1::1, hop count: 1, identified by remote-id: 01:02 and subscriber-id: 03:04, connected at location interface-id: 65:74:68:30 (eth0)',
      '2026-01-15 01:02:03 PST Prefix: 2001:db8:ff00::/56 has been assigned for 0 hrs 11 mins 53 secs to a device with DUID: 00:03:00:01:52:54:00:12:34:56',
    ].join('\n'), { timezone: 'America/Los_Angeles' });
    expect(r.rejects).toEqual([]);
    expect(r.events[0]).toMatchObject({
      ip: '2001:db8:1::5', at: utc('2026-01-15T09:02:03Z'), expiresAt: utc('2026-01-15T09:13:56Z'), subscriberId: '00:03:00:01:52:54:00:12:34:56',
      identifiers: {
        duid: '00:03:00:01:52:54:00:12:34:56', mac: '52:54:00:12:34:56', relayAddress: 'fe80::abcd', linkAddress: '2001:db8:1::1',
        remoteId: '01:02', relaySubscriberId: '03:04', interfaceId: '65:74:68:30',
      },
    });
    expect(r.events[1]).toMatchObject({ ip: '2001:db8:ff00::', identifiers: { prefix: '2001:db8:ff00::/56' } });
  });

  it('follows Administrator and HA partner lines, and ends by address or by identifier', () => {
    const r = parse(keaLegal, [
      '2026-01-15 10:00:00 CET Administrator added a lease of address: 100.64.7.20 to a device with hardware address: 00:16:3e:00:00:20 for 1 days 0 hrs 0 mins 0 secs',
      '2026-01-15 10:05:00 CET HA partner updated information on the lease of address: 100.64.7.20 to a device with hardware address: 00:16:3e:00:00:20, client-id: 1234567890',
      '2026-01-15 10:06:00 CET HA partner added a lease of address: 100.64.7.21 to a device with hardware address: 00:16:3e:00:00:20 for 0 hrs 30 mins 0 secs, context: { "x": 1 }',
      '2026-01-15 10:10:00 CET Administrator deleted the lease for address: 100.64.7.20',
      '2026-01-15 10:12:00 CET Administrator deleted a lease for a device identified by: hw-address of 00:16:3e:00:00:20',
      '2026-01-15 10:13:00 CET Administrator deleted the lease for address: 100.64.7.99',
    ].join('\n'), CPH);
    expect(r.events.map((e) => [e.line, e.event, e.ip, e.at, e.expiresAt])).toEqual([
      [1, 'start', '100.64.7.20', utc('2026-01-15T09:00:00Z'), utc('2026-01-16T09:00:00Z')],
      // an update that logs no lifetime keeps the expiry already known for the binding
      [2, 'start', '100.64.7.20', utc('2026-01-15T09:05:00Z'), utc('2026-01-16T09:00:00Z')],
      [3, 'start', '100.64.7.21', utc('2026-01-15T09:06:00Z'), utc('2026-01-15T09:36:00Z')],
      [4, 'end', '100.64.7.20', utc('2026-01-15T09:10:00Z'), null],
      [5, 'end', '100.64.7.21', utc('2026-01-15T09:12:00Z'), null],
    ]);
    expect(r.events[1].identifiers).toEqual({ mac: '00:16:3e:00:00:20', clientId: '1234567890' });
    expect(r.events[3].subscriberId).toBe('00:16:3e:00:00:20');
    expect(r.rejects).toEqual([{ line: 6, reason: 'the delete of 100.64.7.99 names no client and no earlier line of this log assigned it' }]);
  });

  it('reads timestamps without a zone abbreviation and CRLF line ends', () => {
    const r = parse(keaLegal, [
      '2026-01-15 10:00:00 Address: 100.64.7.50 has been assigned for 0 hrs 5 mins 0 secs to a device with hardware address: hwtype=1 00:16:3e:00:00:50\r',
      '2026-01-15 10:01:00 HA partner deleted the lease for address: 100.64.7.50\r',
    ].join('\n'), CPH);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.at, e.subscriberId])).toEqual([
      ['start', utc('2026-01-15T09:00:00Z'), '00:16:3e:00:00:50'],
      ['end', utc('2026-01-15T09:01:00Z'), '00:16:3e:00:00:50'],
    ]);
  });

  it('skips a delete by identifier when nothing of that client is open', () => {
    const r = parse(keaLegal, '2026-01-15 10:12:00 CET Administrator deleted a lease for a device identified by: duid of 00:01:02', CPH);
    expect(r.events).toEqual([]);
    expect(r.skips).toEqual([{ line: 1, reason: 'delete by duid 00:01:02: no open lease of that client earlier in this log' }]);
  });

  it('joins continuation lines and reports the record at its first line', () => {
    const r = parse(keaLegal, [
      '2026-01-15 10:00:00 CET-Address: 100.64.7.30 has been assigned for 0 hrs 5 mins 0 secs',
      '2026-01-15 10:00:00 CET-to a device with hardware address: hwtype=1 00:16:3e:00:00:30,',
      '2026-01-15 10:00:00 CET client-id: 01:00:16:3e:00:00:30',
      '2026-01-15 10:01:00 CET-Address: 100.64.7.31 has been assigned for 0 hrs 5 mins 0 secs',
    ].join('\n'), CPH);
    expect(r.events.map((e) => [e.line, e.ip, e.identifiers.clientId])).toEqual([[1, '100.64.7.30', '01:00:16:3e:00:00:30']]);
    expect(r.rejects).toEqual([{ line: 4, reason: 'continuation lines ("-" after the timestamp) without their final line' }]);
  });

  it('rejects lines it cannot read and v4 lines without the subscriber key', () => {
    const r = parse(keaLegal, [
      'Address: 100.64.7.40 has been assigned for 0 hrs 5 mins 0 secs to a device with hardware address: hwtype=1 00:16:3e:00:00:40',
      '2026-01-15 10:00:00 CET Something else happened',
      '2026-01-15 10:00:00 CET Address: 100.64.7.41 has been assigned for a while to a device with hardware address: hwtype=1 00:16:3e:00:00:41',
      '2026-01-15 10:00:00 CET Address: 100.64.7.42 has been assigned for 0 hrs 5 mins 0 secs to a device with client-id: 01:02:03',
      '2026-02-30 10:00:00 CET Address: 100.64.7.43 has been assigned for 0 hrs 5 mins 0 secs to a device with hardware address: hwtype=1 00:16:3e:00:00:43',
    ].join('\n'), { ...CPH, subscriberKey: 'mac' });
    expect(r.events).toEqual([]);
    expect(r.rejects.map((x) => x.line)).toEqual([1, 2, 3, 4, 5]);
    expect(r.rejects[0].reason).toMatch(/timestamp/);
    expect(r.rejects[1].reason).toMatch(/not a legal log entry/);
    expect(r.rejects[2].reason).toBe('lifetime "a while" is not a Kea duration');
    expect(r.rejects[3].reason).toMatch(/no mac \(subscriberKey is "mac"/);
    expect(r.rejects[4].reason).toMatch(/no such date/);
  });

  it('keys a v4 device known only by its client-id by that, when no subscriber key is configured', () => {
    const r = parse(keaLegal, '2026-01-15 10:00:00 CET Address: 100.64.7.42 has been assigned for 0 hrs 5 mins 0 secs to a device with client-id: 01:02:03', CPH);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.ip, e.subscriberId])).toEqual([['100.64.7.42', '01:02:03']]);
  });

  it('sniffs legal log lines', () => {
    expect(keaLegal.sniff(`2026-01-15 10:00:00 CET ${V4_ASSIGN}`)).toBe(true);
    expect(keaLegal.sniff('2026-01-15 10:00:00 CET Administrator deleted the lease for address: 100.64.7.20')).toBe(true);
    expect(keaLegal.sniff('lease 10.0.0.1 {')).toBe(false);
  });
});

describe('kea-legal body reader', () => {
  it('steps over printable text in parentheses and leaves the context out', () => {
    const e = parseLegalBody(V4_ASSIGN);
    expect(e).toMatchObject({ kind: 'lease', action: 'assigned', lifetime: 93630, ids: { remoteId: '52:45:4d:4f:54:45' } });
  });

  it('reads durations', () => {
    expect(legalDuration('0 hrs 11 mins 53 secs')).toBe(713);
    expect(legalDuration('2 days 0 hrs 0 mins 1 secs')).toBe(172801);
    expect(legalDuration('infinite duration')).toBeNull();
    expect(legalDuration('713 seconds')).toBe(713);
    expect(legalDuration('soon')).toBeUndefined();
  });
});
