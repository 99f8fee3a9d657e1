import { describe, expect, it } from 'vitest';
import { fortigate } from '../../../parse/formats/fortigate.js';
import { expectRejectedContaining, one, rejectReason, run, skipReason } from '../../helpers/parse.js';

// Field schema from nat-log-formats.md §7 (FortiOS log message reference 22013-22016, 22024);
// the on-wire key=value layout is this project's own, as no verbatim line exists.
const T = Date.UTC(2026, 2, 29, 0, 30, 0, 123); // 01:30:00.123 at +0100
const head = (logid: string, eventtime: string | null) =>
  `<189>date=2026-03-29 time=01:30:00 devname="fgt-edge1" devid="FG1HFT0000000001"${eventtime === null ? '' : ` eventtime=${eventtime}`} tz="+0100" logid="${logid}" type="event" subtype="system" level="notice" vd="root"`;
const block = 'saddr=10.20.0.5 nat=203.0.113.70 portbegin=5120 portend=5247 poolname="pba pool 1"';

describe('fortigate', () => {
  it('reads 22015 as an allocation, time from eventtime in nanoseconds', () => {
    const e = one(fortigate, `${head('0100022015', `${T}456789`)} logdesc="IP pool PBA created" ${block} msg="IP pool PBA created"`, { natInstance: 'fgt-edge1' });
    expect(e).toEqual({
      kind: 'nat', event: 'alloc', at: T, natInstance: 'fgt-edge1', publicIp: '203.0.113.70', portStart: 5120, portEnd: 5247,
      privateIp: '10.20.0.5', privateVrf: 'default', protocol: null, allocatedAt: null, source: 'fortigate',
    });
  });

  it('reads eventtime in microseconds, milliseconds and seconds', () => {
    const r = run(fortigate, [
      `${head('0100022015', `${T}456`)} ${block}`,
      `${head('0100022015', `${T}`)} ${block}`,
      `${head('0100022015', `${Math.floor(T / 1000)}`)} ${block}`,
    ]);
    expect(r.events.map((x) => x.at)).toEqual([T, T, T - 123]);
  });

  it('reads 22016 release and 22024 interim with the allocation time from duration', () => {
    const r = run(fortigate, [
      `${head('0100022016', `${T}000000`)} logdesc="Deallocate IP pool PBA" ${block} duration=3600`,
      `${head('0100022024', `${T}000000`)} logdesc="IP pool PBA interim log" ${block} duration=600`,
    ]);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.at, e.allocatedAt])).toEqual([
      ['release', T, T - 3600_000],
      ['interim', T, T - 600_000],
    ]);
  });

  it('uses date/time/tz without eventtime, and the configured zone without tz', () => {
    expect(one(fortigate, `${head('0100022015', null)} ${block}`).at).toBe(Date.UTC(2026, 2, 29, 0, 30, 0));
    const noTz = `date=2026-07-01 time=12:00:00 devid="FG1" logid="0100022015" ${block}`;
    expect(one(fortigate, noTz, { timezone: 'Europe/Copenhagen' }).at).toBe(Date.UTC(2026, 6, 1, 10, 0, 0));
    // 02:30 on 2026-10-25 happens twice in Copenhagen: refused rather than guessed.
    expect(rejectReason(fortigate, `date=2026-10-25 time=02:30:00 devid="FG1" logid="0100022015" ${block}`, { timezone: 'Europe/Copenhagen' })).toContain('occurs twice');
    // A bare logid and a BSD relay header work too; the header time is the last resort.
    expect(one(fortigate, `<189>Mar 29 00:30:00 fgt-edge1 devid="FG1" logid=22015 ${block}`).at).toBe(Date.UTC(2026, 2, 29, 0, 30, 0));
  });

  it('skips exhaustion alerts and other logs', () => {
    expect(skipReason(fortigate, `${head('0100022013', `${T}000000`)} saddr=10.20.0.5 poolname="p"`)).toContain('block exhausted');
    expect(skipReason(fortigate, `${head('0100022014', `${T}000000`)} saddr=10.20.0.5 poolname="p"`)).toContain('NAT IP exhausted');
    expect(skipReason(fortigate, `${head('0000000013', `${T}000000`)} srcip=10.20.0.5 dstip=192.0.2.1 action="accept"`)).toContain('logid 0000000013');
  });

  it('rejects truncated and malformed records, naming the field, with line numbers', () => {
    expectRejectedContaining(fortigate, [
      ['portend missing', `${head('0100022015', `${T}000000`)} saddr=10.20.0.5 nat=203.0.113.70 portbegin=5120`],
      ['poolname has no closing quote', `${head('0100022015', `${T}000000`)} saddr=10.20.0.5 nat=203.0.113.70 portbegin=5120 portend=5247 poolname="pba`],
      ['closing quote', `<189>date=2026-03-29 time=01:30:00 devname="fgt-edge1" devid="FG1HFT00`],
      ['has 11 digits', `${head('0100022015', '17747478001')} ${block}`],
      ['portStart 5247 is above portEnd 5120', `${head('0100022015', `${T}000000`)} saddr=10.20.0.5 nat=203.0.113.70 portbegin=5247 portend=5120`],
      ['duration "1h"', `${head('0100022016', `${T}000000`)} ${block} duration=1h`],
      ['public address "203.0.113.700"', `${head('0100022015', `${T}000000`)} saddr=10.20.0.5 nat=203.0.113.700 portbegin=5120 portend=5247`],
      ['logid appears twice', `${head('0100022015', `${T}000000`)} ${block} logid="0100022016"`],
      ['no time', `devid="FG1" logid=22015 ${block}`],
    ]);
  });

  it('sniffs', () => {
    expect(fortigate.sniff(`${head('0100022015', `${T}000000`)} ${block}`)).toBe(true);
    expect(fortigate.sniff('May  7 10:20:30 ax1 NAT-TCP-C: 1.2.3.4:1 -> 5.6.7.8:2')).toBe(false);
  });
});

// FortiOS writes its syslog as default key=value, CSV, CEF, RFC 5424 or JSON (`config log syslogd
// setting`, `set format`). Collectors' sample events show default-format lines without devid.
describe('fortigate as it is set to write', () => {
  const line = 'date=2026-03-29 time=01:30:00 logid="0100022015" type="event" subtype="system" level="notice" vd="root" eventtime=1774744200123456789 tz="+0100" saddr=10.20.0.5 nat=203.0.113.70 portbegin=5120 portend=5247';

  it('reads and recognises a default-format record that carries no devid or devname', () => {
    expect(fortigate.sniff(line)).toBe(true);
    expect(one(fortigate, line)).toMatchObject({ event: 'alloc', at: Date.UTC(2026, 2, 29, 0, 30, 0, 123), privateIp: '10.20.0.5', portStart: 5120, portEnd: 5247 });
  });

  it('rejects the CEF format by name: it renames fields, and the names of the port-block ones are not documented', () => {
    const cef = '<189>Mar 29 01:30:00 fgt-edge1 CEF:0|Fortinet|Fortigate|v7.4.3|22015|event:system|3|FTNTFGTlogid=0100022015 src=10.20.0.5 FTNTFGTnat=203.0.113.70 FTNTFGTportbegin=5120 FTNTFGTportend=5247';
    expect(rejectReason(fortigate, cef)).toBe('FortiOS CEF format (set format cef): its names for the port-block fields are not documented, so the record cannot be read safely; set the syslog format to default');
  });
});
