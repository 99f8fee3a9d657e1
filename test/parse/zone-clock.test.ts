import { describe, expect, it } from 'vitest';
import type { ParseSink } from '../../parse/format.js';
import { fortigate } from '../../parse/formats/fortigate.js';
import { juniperPba } from '../../parse/formats/juniper-pba.js';
import { nfware } from '../../parse/formats/nfware.js';
import { radiusDetail } from '../../parse/formats/radius-detail.js';
import { parseStream } from '../../intake/pipeline.js';
import { auto } from '../../parse/registry.js';
import { CONTINUITY_MS, describeZoneUse, ZoneClock } from '../../parse/zone-clock.js';
import { zoneRequirement } from '../../parse/zone-need.js';
import { NOW, run, parse } from '../helpers/parse.js';

// Europe/Copenhagen, 2026: clocks go forward at 02:00 on 29 March (01:00Z) and back at 03:00
// on 25 October (01:00Z), so 02:00-02:59 is skipped in March and passed twice in October.
const CPH = { timezone: 'Europe/Copenhagen', year: 2026 };
const nf = (wall: string, ip: string) => `<134>${wall} vcgnat-2 nat: A VRF 0 INT 10.44.0.${ip} EXT 192.0.2.200:2048-3071`;
const at = (iso: string) => Date.parse(iso);

describe('zone-less times need a configured zone', () => {
  it('rejects a BSD syslog time with no zone configured instead of reading it as UTC, and names what to set', () => {
    const r = run(nfware, [nf('Aug  3 23:59:59', '1')], { timezone: undefined });
    expect(r.events).toEqual([]);
    expect(r.rejects).toEqual([{
      line: 1,
      reason: 'no usable time: syslog header time 2026-08-03 23:59:59 carries no zone and no timezone is configured for this source: set timezone in its options or in defaults (UTC if the device logs UTC)',
    }]);
  });

  it('still reads a line that carries its own offset when no zone is configured', () => {
    const r = run(nfware, ['<134>1 2026-08-03T23:59:59+02:00 vcgnat-2 nat - - - A VRF 0 INT 10.44.0.1 EXT 192.0.2.200:2048-3071'], { timezone: undefined });
    expect(r.rejects).toEqual([]);
    expect(r.events[0].at).toBe(at('2026-08-03T21:59:59Z'));
  });

  it('says which formats need a zone, for config loading and ingest start', () => {
    expect(zoneRequirement('juniper-pba', {})).toMatch(/^format juniper-pba reads BSD syslog header times \(RFC 3164 headers carry no zone\), and no timezone is set: set timezone/);
    expect(zoneRequirement('radius-detail', {})).toMatch(/^format radius-detail reads record header times/);
    expect(zoneRequirement('auto', {})).toMatch(/^format auto may choose a format whose times carry no zone/);
    expect(zoneRequirement('juniper-pba', { timezone: 'UTC' })).toBeNull();
    for (const f of ['kea-csv', 'isc-dhcpd', 'canonical', 'kea-legal', 'ipfix']) expect(zoneRequirement(f, {}), f).toBeNull();
  });
});

describe('spring: the skipped hour', () => {
  it('rejects a local time that does not exist, naming it, and reads the times either side', () => {
    const r = run(nfware, [nf('Mar 29 01:59:59', '1'), nf('Mar 29 02:30:00', '2'), nf('Mar 29 03:00:00', '3')], CPH);
    expect(r.events.map((e) => [e.line, e.at])).toEqual([[1, at('2026-03-29T00:59:59Z')], [3, at('2026-03-29T01:00:00Z')]]);
    expect(r.rejects).toEqual([{ line: 2, reason: 'no usable time: local time 2026-03-29 02:30:00 does not exist in Europe/Copenhagen (skipped when the clocks went forward)' }]);
  });

  it('rejects a skipped local time in a fortigate date/time and a RADIUS header too', () => {
    const fg = run(fortigate, ['date=2026-03-29 time=02:15:00 devid="FG1" logid="0100022015" saddr=10.0.0.1 nat=192.0.2.1 portbegin=1024 portend=1151'], CPH);
    expect(fg.rejects[0].reason).toBe('logid 22015: date/time 2026-03-29 02:15:00: local time 2026-03-29 02:15:00 does not exist in Europe/Copenhagen (skipped when the clocks went forward)');
    const rd = parse(radiusDetail, 'Sun Mar 29 02:15:00 2026\n\tAcct-Status-Type = Start\n\tUser-Name = "u1"\n\tFramed-IP-Address = 100.64.9.4\n', CPH);
    expect(rd.rejects[0].reason).toBe('header time: local time 2026-03-29 02:15:00 does not exist in Europe/Copenhagen (skipped when the clocks went forward)');
  });
});

describe('autumn: the repeated hour, decided by the order of the source\'s lines', () => {
  it('keeps the whole repeated hour of a steadily logging device: first pass, wall clock back, second pass', () => {
    const r = run(nfware, [
      nf('Oct 25 01:55:00', '1'), // before the hour: +02:00
      nf('Oct 25 02:10:00', '2'), // follows within minutes: first pass
      nf('Oct 25 02:22:00', '3'),
      nf('Oct 25 02:36:00', '4'),
      nf('Oct 25 02:50:00', '5'),
      nf('Oct 25 02:59:30', '6'),
      nf('Oct 25 02:59:10', '7'), // 20 s out of order: still the first pass
      nf('Oct 25 02:00:05', '8'), // earlier on the wall clock after the first pass: the second
      nf('Oct 25 02:40:00', '9'), // after a second-pass line: the second pass
      nf('Oct 25 03:05:00', '10'), // after the hour: +01:00
    ], CPH);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.line, new Date(e.at).toISOString()])).toEqual([
      [1, '2026-10-24T23:55:00.000Z'],
      [2, '2026-10-25T00:10:00.000Z'],
      [3, '2026-10-25T00:22:00.000Z'],
      [4, '2026-10-25T00:36:00.000Z'],
      [5, '2026-10-25T00:50:00.000Z'],
      [6, '2026-10-25T00:59:30.000Z'],
      [7, '2026-10-25T00:59:10.000Z'],
      [8, '2026-10-25T01:00:05.000Z'],
      [9, '2026-10-25T01:40:00.000Z'],
      [10, '2026-10-25T02:05:00.000Z'],
    ]);
  });

  it('rejects, naming the ambiguity, a repeated-hour time that nothing before it decides', () => {
    const first = run(nfware, [nf('Oct 25 02:30:00', '1'), nf('Oct 25 02:31:00', '2')], CPH);
    expect(first.rejects[0]).toEqual({
      line: 1,
      reason: 'no usable time: local time 2026-10-25 02:30:00 occurs twice in Europe/Copenhagen (+02:00, then +01:00: the repeated DST hour) and no earlier line of this source decides which; configure the device to log UTC or an offset',
    });
    // the next line follows the rejected one, not a known instant: still undecided
    expect(first.rejects.map((r) => r.line)).toEqual([1, 2]);
    expect(first.events).toEqual([]);
    const quiet = run(nfware, [nf('Oct 25 01:30:00', '1'), nf('Oct 25 02:10:00', '2')], CPH);
    expect(quiet.events.map((e) => e.line)).toEqual([1]);
    expect(quiet.rejects[0].reason).toContain(`the previous line of this source (2026-10-24T23:30:00.000Z) is over ${CONTINUITY_MS / 60_000} minutes before the first reading, too long ago to decide by order`);
  });

  it('takes an epoch in the record over the header, and learns the order from it', () => {
    const head = (wall: string) => `<14>${wall} srx-cgn-2 RT_NAT: RT_SRC_NAT_PBA_ALLOC: Subscriber 100.64.60.9 used/maximum [1/8] blocks, allocates port block [8192-8319] from 203.0.113.71 in source pool pool-1 lsys_id: 0`;
    // 0x6add4d88 = 2026-10-25T00:30:00Z, the first pass
    const r = run(juniperPba, [`${head('Oct 25 02:30:00')} epoch 0x6add4d88`, head('Oct 25 02:35:00')], CPH);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => e.at)).toEqual([at('2026-10-25T00:30:00Z'), at('2026-10-25T00:35:00Z')]);
  });

  it('reports the zone applied and how many times order decided, for the summary', () => {
    const p = nfware.create(CPH, { now: NOW });
    const sink: ParseSink = { event() {}, reject() {}, skip() {} };
    [nf('Oct 25 01:55:00', '1'), nf('Oct 25 02:10:00', '2'), nf('Oct 25 02:05:00', '3')].forEach((l, i) => p.line(l, i + 1, sink));
    p.line('<134>1 2026-10-25T03:00:00Z vcgnat-2 nat - - - A VRF 0 INT 10.44.0.1 EXT 192.0.2.200:2048-3071', 4, sink);
    const use = p.zoneUse!()!;
    expect(use).toEqual({ zone: 'Europe/Copenhagen', wallTimes: 3, decidedByOrder: 2, ownZone: 1 });
    expect(describeZoneUse(use)).toBe('zone: Europe/Copenhagen applied to 3 time(s) without a zone (2 in the repeated DST hour decided by the order of the lines); 1 carried their own');
    expect(describeZoneUse(new ZoneClock(undefined).use)).toBe('zone: none configured; 0 time(s) carried their own offset or abbreviation');
    const a = auto.create(CPH, { now: NOW });
    a.line(nf('Oct 25 01:55:00', '1'), 1, sink);
    a.end(sink);
    expect(a.zoneUse!()).toEqual({ zone: 'Europe/Copenhagen', wallTimes: 1, decidedByOrder: 0, ownZone: 0 });
  });
});

describe('the parse result', () => {
  it('carries the zone applied, for every summary to print', async () => {
    const r = await parseStream({
      format: nfware, options: CPH, context: { now: NOW }, file: 'nf.log', lines: [nf('Oct 25 01:55:00', '1'), nf('Oct 25 02:05:00', '2')],
      onBatch: async () => {}, onReject: () => {},
    });
    expect(r.zone).toEqual({ zone: 'Europe/Copenhagen', wallTimes: 2, decidedByOrder: 1, ownZone: 0 });
    const none = await parseStream({
      format: nfware, options: {}, context: { now: NOW }, file: 'nf.log', lines: [nf('Oct 25 01:55:00', '1')],
      onBatch: async () => {}, onReject: () => {},
    });
    expect(none).toMatchObject({ events: 0, rejected: 1, zone: { zone: null, wallTimes: 0, decidedByOrder: 0, ownZone: 0 } });
    expect(describeZoneUse(none.zone!)).toBe('zone: none configured; 0 time(s) carried their own offset or abbreviation');
  });
});

describe('the source clock on its own', () => {
  it('decides by order with lines out of order by more than a minute refused', () => {
    const c = new ZoneClock('Europe/Copenhagen');
    const w = (hour: number, minute: number) => ({ year: 2026, month: 10, day: 25, hour, minute, second: 0, millisecond: 0 });
    expect(c.own(at('2026-10-25T01:30:00Z'))).toBe(at('2026-10-25T01:30:00Z')); // 02:30 CET, second pass
    expect(c.local(w(2, 10))).toMatch(/both readings are before the previous line of this source \(2026-10-25T01:30:00.000Z\): lines out of time order/);
    expect(c.local(w(2, 45))).toBe(at('2026-10-25T01:45:00Z'));
  });

  it('reads a written abbreviation at the zone\'s offset it names, and an unknown one by the zone', () => {
    const c = new ZoneClock('Europe/Copenhagen');
    const w = { year: 2026, month: 10, day: 25, hour: 2, minute: 30, second: 0, millisecond: 0 };
    expect(c.abbreviated(w, 'CEST')).toBe(at('2026-10-25T00:30:00Z'));
    expect(c.abbreviated(w, 'CET')).toBe(at('2026-10-25T01:30:00Z'));
    expect(c.abbreviated({ ...w, hour: 12 }, 'XYZT')).toBe(at('2026-10-25T11:30:00Z'));
    expect(new ZoneClock(undefined).abbreviated(w, 'XYZT')).toMatch(/"XYZT" is no zone abbreviation whohad knows, and no timezone is configured/);
  });
});
