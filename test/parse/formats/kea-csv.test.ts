import { describe, expect, it } from 'vitest';
import { keaCsv } from '../../../parse/formats/kea-csv.js';
import { parse, utc } from '../../helpers/parse.js';

// Fixtures written from reference/lease-formats.md §2 (headers per Kea version) and §7.

const H4 = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id';
const H4_OLD = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname';
const H6 = 'address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id';
const H6_18 = 'address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context';

describe('kea-csv v4', () => {
  it('starts a holding at expire - valid_lifetime that expires at expire', () => {
    const r = parse(keaCsv, `${H4}\n100.64.1.10,00:16:3e:12:34:56,01:00:16:3e:12:34:56,3600,1767229200,1,0,0,cpe-1.example.net,0,,0\n`);
    expect(r.rejects).toEqual([]);
    expect(r.skips).toEqual([{ line: 1, reason: 'CSV header' }]);
    expect(r.events).toEqual([{
      kind: 'lease', event: 'start', line: 2, at: utc('2026-01-01T00:00:00Z'), expiresAt: utc('2026-01-01T01:00:00Z'),
      ip: '100.64.1.10', vrf: 'default', subscriberId: '00:16:3e:12:34:56', source: 'kea-csv',
      identifiers: { mac: '00:16:3e:12:34:56', clientId: '01:00:16:3e:12:34:56', hostname: 'cpe-1.example.net' },
    }]);
  });

  it('reads the oldest header (no state, user_context, pool_id) with state 0', () => {
    const r = parse(keaCsv, `${H4_OLD}\n100.64.1.11,00:16:3e:00:00:11,,600,1767225600,1,0,0,\n`);
    expect(r.events.map((e) => [e.ip, e.at, e.expiresAt])).toEqual([['100.64.1.11', utc('2025-12-31T23:50:00Z'), utc('2026-01-01T00:00:00Z')]]);
  });

  it('unescapes &#xHH in the hostname and keeps the row whole when user_context holds commas', () => {
    const r = parse(keaCsv, `${H4}\n100.64.1.12,00:16:3e:00:00:12,,600,1767225600,1,0,0,a&#x2cb&#x26c,0,{ "k": 1&#x2c "j": 2 },0\n`);
    expect(r.rejects).toEqual([]);
    expect(r.events[0].identifiers.hostname).toBe('a,b&c');
  });

  it('maps states: 2 is a reclaimed holding that expired, 1 declined is no holding, 3 released ends one at an unknown time', () => {
    const r = parse(keaCsv, [
      H4,
      '100.64.1.20,00:16:3e:00:00:20,,600,1767225600,1,0,0,,2,,0',
      '100.64.1.21,,,600,1767225600,1,0,0,,1,,0',
      '100.64.1.22,00:16:3e:00:00:22,,600,1767225600,1,0,0,,3,,0',
      '100.64.1.23,00:16:3e:00:00:23,,600,1767225600,1,0,0,,4,,0',
      '100.64.1.24,00:16:3e:00:00:24,,600,1767225600,1,0,0,,5,,0',
    ].join('\n'));
    expect(r.events.map((e) => [e.line, e.event, e.at])).toEqual([
      [2, 'start', utc('2025-12-31T23:50:00Z')],
      [2, 'expire', utc('2026-01-01T00:00:00Z')],
      [4, 'end', utc('2025-12-31T23:50:00Z')],
      [5, 'start', utc('2025-12-31T23:50:00Z')],
    ]);
    expect(r.events[2].endTimeUnknown).toBe(true);
    expect(r.skips.slice(1).map((s) => s.line)).toEqual([3]);
    expect(r.skips[1].reason).toMatch(/declined/);
    expect(r.rejects).toEqual([{ line: 6, reason: 'state "5" is not 0-4' }]);
  });

  it('reads valid_lifetime=0 delete and release markers as ends at an unknown time after their cltt, inventing no end time', () => {
    const r = parse(keaCsv, [
      H4,
      '100.64.1.30,00:16:3e:00:00:30,,600,1767225600,1,0,0,,0,,0',
      '100.64.1.30,00:16:3e:00:00:30,,0,1767225000,1,0,0,,0,,0',
      '100.64.1.30,00:16:3e:00:00:30,,0,1767225000,1,0,0,,3,,0',
    ].join('\n'));
    expect(r.events.map((e) => [e.line, e.event, e.at, e.endTimeUnknown, e.expiresAt])).toEqual([
      [2, 'start', utc('2025-12-31T23:50:00Z'), undefined, utc('2026-01-01T00:00:00Z')],
      [3, 'end', 1767225000_000, true, null],
      [4, 'end', 1767225000_000, true, null],
    ]);
    expect(r.skips.slice(1)).toEqual([]);
  });

  it('skips rows with no client identity, keys a row without hwaddr by its client-id, and rejects rows without a configured key', () => {
    const rows = [H4, '100.64.1.40,,,600,1767225600,1,0,0,,0,,0', '100.64.1.41,,01:02:03,600,1767225600,1,0,0,,0,,0'].join('\n');
    const r = parse(keaCsv, rows);
    expect(r.skips[1]).toEqual({ line: 2, reason: 'neither hwaddr nor client_id: no client (Kea rejects this row)' });
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.line, e.subscriberId])).toEqual([[3, '01:02:03']]);
    const strict = parse(keaCsv, rows, { subscriberKey: 'mac' });
    expect(strict.events).toEqual([]);
    expect(strict.rejects.map((x) => x.line)).toEqual([3]);
    expect(strict.rejects[0].reason).toMatch(/no mac \(subscriberKey is "mac"; identifiers present: clientId\)/);
  });

  it('reads an infinite valid lifetime as no scheduled end', () => {
    const r = parse(keaCsv, `${H4}\n100.64.1.50,00:16:3e:00:00:50,,4294967295,${1767225600 + 4294967295},1,0,0,,0,,0`);
    expect(r.events[0]).toMatchObject({ at: utc('2026-01-01T00:00:00Z'), expiresAt: null });
  });

  it('rejects malformed rows, naming what is wrong', () => {
    const r = parse(keaCsv, [
      '100.64.1.60,00:16:3e:00:00:60,,600,1767225600,1,0,0,,0,,0',
      H4,
      '100.64.1.61,00:16:3e:00:00:61,,600,1767225600,1,0,0,,0,,0,extra',
      '100.64.1.62,00:16:3e:00:00:62,,600,soon,1,0,0,,0,,0',
      '100.64.1.63,00:16:3e:00:00:63,,-5,1767225600,1,0,0,,0,,0',
      '100.64.1.640,00:16:3e:00:00:64,,600,1767225600,1,0,0,,0,,0',
      '100.64.1.65,00:16:3e:00:00:65,,600,300,1,0,0,,0,,0',
      'address,hwaddr,expire',
    ].join('\n'));
    expect(r.events).toEqual([]);
    expect(r.rejects.map((x) => x.line)).toEqual([1, 3, 4, 5, 6, 7, 8]);
    expect(r.rejects[0].reason).toBe('row before a valid Kea lease file header');
    expect(r.rejects[1].reason).toBe('row has 13 columns, the header has 12');
    expect(r.rejects[2].reason).toMatch(/expire "soon" is not epoch seconds/);
    expect(r.rejects[3].reason).toMatch(/valid_lifetime "-5"/);
    expect(r.rejects[4].reason).toMatch(/not an IPv4 address/);
    expect(r.rejects[5].reason).toMatch(/before 1970/);
    expect(r.rejects[6].reason).toMatch(/header lacks client_id, valid_lifetime/);
  });

  it('re-maps columns when a new header starts (files concatenated in load order)', () => {
    const r = parse(keaCsv, [
      H4_OLD,
      '100.64.1.70,00:16:3e:00:00:70,,600,1767225600,1,0,0,',
      H4,
      '100.64.1.70,00:16:3e:00:00:70,,600,1767226200,1,0,0,,2,,0',
    ].join('\n'));
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.line, e.event])).toEqual([[2, 'start'], [4, 'start'], [4, 'expire']]);
  });

  it('sniffs both headers and nothing else', () => {
    expect(keaCsv.sniff(H4)).toBe(true);
    expect(keaCsv.sniff(H6)).toBe(true);
    expect(keaCsv.sniff('lease 10.0.0.1 {')).toBe(false);
  });
});

describe('kea-csv v6', () => {
  it('keys on the DUID by default and carries iaid and hwaddr', () => {
    const r = parse(keaCsv, `${H6}\n2001:db8:1::10,00:03:00:01:52:54:00:12:34:56,7200,1767232800,1,3600,0,17,128,0,0,,52:54:00:12:34:56,0,,1,4,0\n`);
    expect(r.rejects).toEqual([]);
    expect(r.events[0]).toMatchObject({
      ip: '2001:db8:1::10', subscriberId: '00:03:00:01:52:54:00:12:34:56', at: utc('2026-01-01T00:00:00Z'), expiresAt: utc('2026-01-01T02:00:00Z'),
      identifiers: { duid: '00:03:00:01:52:54:00:12:34:56', iaid: '17', mac: '52:54:00:12:34:56' },
    });
  });

  it('stores an IA_PD row as the prefix network address with identifiers.prefix', () => {
    const r = parse(keaCsv, `${H6_18}\n2001:db8:ff00::,00:03:00:01:52:54:00:12:34:57,7200,1767232800,1,3600,2,1,56,0,0,,,0,\n`);
    expect(r.rejects).toEqual([]);
    expect(r.events[0]).toMatchObject({ ip: '2001:db8:ff00::', identifiers: { prefix: '2001:db8:ff00::/56', duid: '00:03:00:01:52:54:00:12:34:57', iaid: '1' } });
  });

  it('reads prefix_len 0 on an address row as 128 (older files)', () => {
    const r = parse(keaCsv, `${H6_18}\n2001:db8:1::11,00:03:00:01:52:54:00:12:34:58,7200,1767232800,1,3600,0,1,0,0,0,,,0,\n`);
    expect(r.events[0].ip).toBe('2001:db8:1::11');
    expect(r.events[0].identifiers.prefix).toBeUndefined();
  });

  it('skips rows without a DUID and rejects an unknown lease_type', () => {
    const r = parse(keaCsv, [
      H6_18,
      '2001:db8:1::12,00:00:00,7200,1767232800,1,3600,0,1,128,0,0,,,0,',
      '2001:db8:1::13,00:03:00:01:52:54:00:12:34:59,7200,1767232800,1,3600,7,1,128,0,0,,,0,',
    ].join('\n'));
    expect(r.skips[1]).toEqual({ line: 2, reason: 'no DUID: no client' });
    expect(r.rejects).toEqual([{ line: 3, reason: 'lease_type "7" is not 0 (IA_NA), 1 (IA_TA) or 2 (IA_PD)' }]);
  });
});
