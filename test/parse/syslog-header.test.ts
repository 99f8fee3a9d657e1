import { describe, expect, it } from 'vitest';
import { readSyslogHeader, sdParam } from '../../parse/syslog-header.js';

const NOW = Date.UTC(2026, 6, 1, 12, 0, 0);
const utc = { timezone: 'UTC', now: NOW };

describe('readSyslogHeader: RFC 5424', () => {
  it('reads every header field, the SD blocks and the message', () => {
    const h = readSyslogHeader(
      '<14>1 2026-06-26T17:23:06.269-07:00 cgn-a RT_FLOW - RT_FLOW_SESSION_CREATE_USF [junos@2636.1.1.1.2.25 source-address="10.1.2.3"][meta x="y\\]"] trailing text',
      utc,
    );
    expect(h).toEqual({
      time: Date.UTC(2026, 5, 27, 0, 23, 6, 269),
      timeError: null,
      host: 'cgn-a',
      app: 'RT_FLOW',
      msgid: 'RT_FLOW_SESSION_CREATE_USF',
      structuredData: '[junos@2636.1.1.1.2.25 source-address="10.1.2.3"][meta x="y\\]"]',
      message: 'trailing text',
    });
  });

  it('maps NILVALUEs to null and leaves the zone option alone when the time has an offset', () => {
    const h = readSyslogHeader('<165>1 - - - - - - just text', { timezone: 'Asia/Karachi', now: NOW });
    expect(h).toMatchObject({ time: null, timeError: null, host: null, app: null, msgid: null, structuredData: null, message: 'just text' });
    const z = readSyslogHeader('<165>1 2026-03-01T10:00:00Z h a - - - m', { timezone: 'Asia/Karachi', now: NOW });
    expect(z.time).toBe(Date.UTC(2026, 2, 1, 10));
  });

  it('says why an RFC 5424 time cannot be read', () => {
    const h = readSyslogHeader('<14>1 2026-02-30T10:00:00Z host app - - - msg', utc);
    expect(h.time).toBeNull();
    expect(h.timeError).toMatch(/2026-02-30T10:00:00Z.*not an RFC 3339 instant/);
    expect(h.message).toBe('msg');
  });

  it('reads the IOS-XR CGN frame (space after PRI, `YYYY Mon D` time) as UTC whatever the zone option', () => {
    const h = readSyslogHeader('<134> 1 2025 Mar 3 07:05:09 10.9.8.7 - -   NAT44 - [UserbasedA - 100.64.0.9 vrf1 - 198.51.100.2 - 4096 4607 - - ]', {
      timezone: 'America/New_York',
      now: NOW,
    });
    expect(h.time).toBe(Date.UTC(2025, 2, 3, 7, 5, 9));
    expect(h.host).toBe('10.9.8.7');
    expect(h.msgid).toBe('NAT44');
    expect(h.structuredData).toBeNull();
    expect(h.message).toBe('[UserbasedA - 100.64.0.9 vrf1 - 198.51.100.2 - 4096 4607 - - ]');
  });
});

describe('readSyslogHeader: BSD', () => {
  it('reads device-local time through the configured zone, with host and tag', () => {
    const h = readSyslogHeader('<14>Jun 30 22:44:25 BNG-7 RT_NAT: RT_SRC_NAT_PBA_ALLOC: Subscriber 100.64.1.1', { timezone: 'Asia/Karachi', now: NOW });
    expect(h.time).toBe(Date.UTC(2026, 5, 30, 17, 44, 25)); // UTC+5
    expect(h).toMatchObject({ host: 'BNG-7', app: 'RT_NAT', message: 'RT_SRC_NAT_PBA_ALLOC: Subscriber 100.64.1.1' });
  });

  it('accepts no PRI, a space-padded day, fractions and app[pid]', () => {
    const h = readSyslogHeader('May  7 00:00:01.25 vsr fp-cgnat[4269]: USER 100.64.0.1', utc);
    expect(h.time).toBe(Date.UTC(2026, 4, 7, 0, 0, 1, 250));
    expect(h).toMatchObject({ host: 'vsr', app: 'fp-cgnat', message: 'USER 100.64.0.1' });
  });

  it('takes the year closest to now, or the configured one', () => {
    const jan2 = Date.UTC(2027, 0, 2);
    expect(readSyslogHeader('Dec 31 23:59:59 h a: m', { timezone: 'UTC', now: jan2 }).time).toBe(Date.UTC(2026, 11, 31, 23, 59, 59));
    expect(readSyslogHeader('Jan  1 00:00:05 h a: m', { timezone: 'UTC', now: Date.UTC(2026, 11, 31, 23) }).time).toBe(Date.UTC(2027, 0, 1, 0, 0, 5));
    expect(readSyslogHeader('Dec 31 23:59:59 h a: m', { timezone: 'UTC', year: 2019, now: jan2 }).time).toBe(Date.UTC(2019, 11, 31, 23, 59, 59));
    // 29 February only exists in leap years, so the nearest leap year wins.
    expect(readSyslogHeader('Feb 29 12:00:00 h a: m', { timezone: 'UTC', now: Date.UTC(2025, 2, 1) }).time).toBe(Date.UTC(2024, 1, 29, 12));
  });

  it('refuses the repeated and the skipped DST hour with a reason', () => {
    const cph = { timezone: 'Europe/Copenhagen', year: 2026, now: NOW };
    const repeated = readSyslogHeader('Oct 25 02:30:00 h a: m', cph);
    expect(repeated.time).toBeNull();
    expect(repeated.timeError).toMatch(/occurs twice in Europe\/Copenhagen/);
    expect(repeated.message).toBe('m');
    const skipped = readSyslogHeader('Mar 29 02:30:00 h a: m', cph);
    expect(skipped.time).toBeNull();
    expect(skipped.timeError).toMatch(/does not exist/);
    // The minutes either side of the change are fine.
    expect(readSyslogHeader('Oct 25 03:00:00 h a: m', cph).time).toBe(Date.UTC(2026, 9, 25, 2));
    expect(readSyslogHeader('Oct 25 01:59:59 h a: m', cph).time).toBe(Date.UTC(2026, 9, 24, 23, 59, 59));
  });

  it('reads the ASA year form and its ` : ` separator', () => {
    const h = readSyslogHeader('<166>Sep 12 2024 06:50:53 fw01 : %ASA-6-305011: Built', utc);
    expect(h.time).toBe(Date.UTC(2024, 8, 12, 6, 50, 53));
    expect(h).toMatchObject({ host: 'fw01', app: null, message: '%ASA-6-305011: Built' });
  });

  it('lets an inner device time with a year win over a relay BSD time, also as `HH: MM:SS`', () => {
    const h = readSyslogHeader('Jul 19 11:13:03 2026-07-19 16: 13:02: cgn-k{ss}[jservices-nat]: JSERVICES_NAT_PORT_BLOCK_ALLOC: x', {
      timezone: 'Asia/Karachi',
      now: Date.UTC(2030, 0, 1),
    });
    expect(h.time).toBe(Date.UTC(2026, 6, 19, 11, 13, 2));
    expect(h.message).toBe('JSERVICES_NAT_PORT_BLOCK_ALLOC: x');
  });
});

describe('readSyslogHeader: leading ISO time and no header', () => {
  it('reads a zone-less ISO time as device-local, and an offset as given', () => {
    const local = readSyslogHeader('<158>2026-07-19 16:13:02: CGN-K{VRF0}[jservices-nat]: JSERVICES_NAT_RULE_MATCH: y', { timezone: 'Asia/Karachi', now: NOW });
    expect(local.time).toBe(Date.UTC(2026, 6, 19, 11, 13, 2));
    expect(local.message).toBe('JSERVICES_NAT_RULE_MATCH: y');
    const offset = readSyslogHeader('2026-07-19T16:13:02.5+02:00 relay1 app: msg', { timezone: 'Asia/Karachi', now: NOW });
    expect(offset).toMatchObject({ time: Date.UTC(2026, 6, 19, 14, 13, 2, 500), host: 'relay1', app: 'app', message: 'msg' });
  });

  it('gives the whole line as the message when there is no header', () => {
    for (const line of ['%ASA-6-305012: Teardown dynamic UDP translation', 'RT_NAT - RT_SRC_NAT_PBA_ALLOC [internal-ip="1.2.3.4"]', '', 'Junk 12 no time']) {
      expect(readSyslogHeader(line, utc)).toEqual({ time: null, timeError: null, host: null, app: null, msgid: null, structuredData: null, message: line });
    }
    expect(readSyslogHeader('<13>hello world', utc).message).toBe('hello world');
  });
});

describe('sdParam', () => {
  const sd = '[junos@2636 source-address="10.0.0.1" nat-source-address="198.51.100.1" note="a \\"quoted\\" \\] value" cut="abc';
  it('matches whole parameter names only', () => {
    expect(sdParam(sd, 'source-address="')).toBe('10.0.0.1');
    expect(sdParam(sd, 'nat-source-address="')).toBe('198.51.100.1');
    expect(sdParam('[x nat-source-address="1.1.1.1" source-address="2.2.2.2"]', 'source-address="')).toBe('2.2.2.2');
    expect(sdParam('[internal-ip="10.0.0.7"]', 'internal-ip="')).toBe('10.0.0.7');
  });
  it('unescapes values and says undefined for absent or unterminated ones', () => {
    expect(sdParam(sd, 'note="')).toBe('a "quoted" ] value');
    expect(sdParam(sd, 'cut="')).toBeUndefined();
    expect(sdParam(sd, 'absent="')).toBeUndefined();
  });
});
