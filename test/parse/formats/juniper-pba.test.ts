import { describe, expect, it } from 'vitest';
import { hexEpochMs, juniperPba } from '../../../parse/formats/juniper-pba.js';
import { expectRejected, expectSkipped, run } from '../../helpers/parse.js';

// Shapes from nat-log-formats.md §3.1 with this project's own addresses and times.
// 0x69b529dd = 2026-03-14T09:26:53Z, 0x69b5319e = 2026-03-14T09:59:58Z.
const SD = (tag: string, used: number, epoch: string) =>
  `${tag} [junos@2636.1.1.1.2.129 internal-ip="100.64.7.20" block-used="${used}" block-max-per-host="8" block-port-low="20480" block-port-high="20607" reflexive-ip="198.51.100.44" nat-pool-name="cgn-pool" logical-system-id="0" epoch-time-64="${epoch}"]`;
const HDR = (time: string) => `<14>1 ${time} srx-cgn-2 RT_NAT - `;

const ALLOC_AT = Date.UTC(2026, 2, 14, 9, 26, 53);
const RELEASE_AT = Date.UTC(2026, 2, 14, 9, 59, 58);

describe('juniper-pba, structured form', () => {
  it('maps ALLOC, INTERIM and RELEASE, preferring the embedded epoch, inclusive ranges', () => {
    const { events, rejects, skips } = run(juniperPba, [
      // The header is a second off the epoch, as the reference warns; the epoch wins.
      HDR('2026-03-14T10:26:54.120+01:00') + SD('RT_SRC_NAT_PBA_ALLOC', 1, '69b529dd'),
      HDR('2026-03-14T09:56:53.000Z') + SD('RT_SRC_NAT_PBA_INTERIM', 1, '69b529dd'),
      HDR('2026-03-14T09:59:59.000Z') + SD('RT_SRC_NAT_PBA_RELEASE', 0, '69b5319e'),
    ], { natInstance: 'srx-cgn-2' });
    expect(rejects).toEqual([]);
    expect(skips).toEqual([]);
    const base = {
      kind: 'nat', natInstance: 'srx-cgn-2', publicIp: '198.51.100.44', portStart: 20480, portEnd: 20607,
      privateIp: '100.64.7.20', privateVrf: 'default', protocol: null, source: 'juniper-pba',
    };
    expect(events).toEqual([
      { ...base, event: 'alloc', at: ALLOC_AT, allocatedAt: null, line: 1 },
      // INTERIM's epoch is the allocation time; the interim's own time is the header's.
      { ...base, event: 'interim', at: Date.UTC(2026, 2, 14, 9, 56, 53), allocatedAt: ALLOC_AT, line: 2 },
      { ...base, event: 'release', at: RELEASE_AT, allocatedAt: null, line: 3 },
    ]);
  });

  it('reads the bare form without a header (as the TechPost prints it), with upper-case hex and 0x', () => {
    const { events, rejects } = run(juniperPba, [
      'RT_NAT - ' + SD('RT_SRC_NAT_PBA_ALLOC', 1, '0x69B529DD').replace('[junos@2636.1.1.1.2.129 ', '['),
      'RT_NAT - ' + SD('RT_SRC_NAT_PBA_INTERIM', 1, '69b529dd'),
    ], { vrf: 'cust-a' });
    expect(rejects).toEqual([]);
    expect(events.map((e) => [e.event, e.at, e.allocatedAt, e.privateVrf])).toEqual([
      ['alloc', ALLOC_AT, null, 'cust-a'],
      // No header: the interim still proves the block was held when it was allocated.
      ['interim', ALLOC_AT, ALLOC_AT, 'cust-a'],
    ]);
  });

  it('reads a BSD-relayed structured line, taking the header time only when there is no epoch', () => {
    const line = '<14>Mar 14 14:26:53 srx-cgn-2 RT_NAT: ' + SD('RT_SRC_NAT_PBA_ALLOC', 1, '0').replace(' epoch-time-64="0"', '');
    const { events, rejects } = run(juniperPba, [line], { timezone: 'Asia/Karachi' });
    expect(rejects).toEqual([]);
    expect(events[0].at).toBe(ALLOC_AT);
  });

  it('skips pool alarms and other lines rather than rejecting them', () => {
    expectSkipped(juniperPba, [
      ['RT_SRC_NAT_SUBS_POOL_ALARM_RAISE is not a port-block record', '<12>Mar 14 09:30:00 srx-cgn-2 RT_NAT: RT_SRC_NAT_SUBS_POOL_ALARM_RAISE: Subscriber ip: 100.64.7.20, Source NAT pool: cgn-pool, Pool type: PBA, threshold: 90%, current: 100%'],
      ['not a Junos RT_SRC_NAT_PBA record', '<30>Mar 14 09:30:01 srx-cgn-2 sshd[411]: Accepted publickey for ops'],
      ['blank line', ''],
    ]);
  });

  it('rejects records it cannot read, saying what and where', () => {
    const good = SD('RT_SRC_NAT_PBA_ALLOC', 1, '69b529dd');
    expectRejected(juniperPba, [
      ['RT_SRC_NAT_PBA_ALLOC: reflexive-ip is missing (or the line is truncated)', good.replace(' reflexive-ip="198.51.100.44"', '')],
      ['RT_SRC_NAT_PBA_ALLOC: block-port-low "20480x" is not a port', good.replace('block-port-low="20480"', 'block-port-low="20480x"')],
      ['RT_SRC_NAT_PBA_ALLOC: epoch "69b5z9dd" is not hex Unix seconds', good.replace('epoch-time-64="69b529dd"', 'epoch-time-64="69b5z9dd"')],
      ['private address "100.64.7.300" is not an IPv4 or IPv6 address', good.replace('100.64.7.20', '100.64.7.300')],
      ['portStart 30000 is above portEnd 20607', good.replace('block-port-low="20480"', 'block-port-low="30000"')],
      ['RT_SRC_NAT_PBA_ALLOC: reflexive-ip is missing (or the line is truncated)', good.slice(0, good.indexOf('reflexive-ip="') + 20)],
      ['RT_SRC_NAT_PBA_RELEASE: no time: the line has no syslog header and the record carries no time', SD('RT_SRC_NAT_PBA_RELEASE', 0, '69b5319e').replace(' epoch-time-64="69b5319e"', '')],
    ]);
  });
});

// Text form, §3.1 (V-3P shape): BSD header in device-local time, epoch in hex Unix seconds.
const TEXT_ALLOC =
  '<14>Mar 14 14:26:52 BNG-WEST-3 RT_NAT: RT_SRC_NAT_PBA_ALLOC: Subscriber 100.64.60.9 used/maximum [3/8] blocks, allocates port block [8192-8319] from 203.0.113.71 in source pool POOL_A lsys_id: 0 epoch 0x69b529dd';

describe('juniper-pba, text form', () => {
  it('prefers the UTC epoch over the zone-less header (which is a second early here)', () => {
    const { events, rejects } = run(juniperPba, [
      TEXT_ALLOC,
      '<14>Mar 14 14:56:53 BNG-WEST-3 RT_NAT: RT_SRC_NAT_PBA_INTERIM: Subscriber 100.64.60.9 used/maximum [3/8] blocks, allocates port block [8192-8319] from 203.0.113.71 in source pool POOL_A lsys_id: 0 epoch 0x69b529dd',
      '<14>Mar 14 14:59:58 BNG-WEST-3 RT_NAT: RT_SRC_NAT_PBA_RELEASE: Subscriber 100.64.60.9 used/maximum [2/8] blocks, releases port block [8192-8319] from 203.0.113.71 in source pool POOL_A lsys_id: 0 epoch 0x69b5319e',
    ], { timezone: 'Asia/Karachi', natInstance: 'bng-west-3' });
    expect(rejects).toEqual([]);
    const base = {
      kind: 'nat', natInstance: 'bng-west-3', publicIp: '203.0.113.71', portStart: 8192, portEnd: 8319,
      privateIp: '100.64.60.9', privateVrf: 'default', protocol: null, source: 'juniper-pba',
    };
    expect(events).toEqual([
      { ...base, event: 'alloc', at: ALLOC_AT, allocatedAt: null, line: 1 },
      { ...base, event: 'interim', at: Date.UTC(2026, 2, 14, 9, 56, 53), allocatedAt: ALLOC_AT, line: 2 },
      { ...base, event: 'release', at: RELEASE_AT, allocatedAt: null, line: 3 },
    ]);
  });

  it('uses the header when there is no epoch, and rejects a repeated-DST-hour header unless an epoch exists', () => {
    const noEpoch = TEXT_ALLOC.replace(' epoch 0x69b529dd', '');
    expect(run(juniperPba, [noEpoch], { timezone: 'Asia/Karachi' }).events[0].at).toBe(Date.UTC(2026, 2, 14, 9, 26, 52));
    // 02:30 on 25 Oct 2026 happens twice in Copenhagen; 0x6add4d88 = 2026-10-25T00:30:00Z.
    const ambiguous = TEXT_ALLOC.replace('Mar 14 14:26:52', 'Oct 25 02:30:00');
    const cph = { timezone: 'Europe/Copenhagen', year: 2026 };
    const withEpoch = run(juniperPba, [ambiguous.replace('0x69b529dd', '0x6add4d88')], cph);
    expect(withEpoch.rejects).toEqual([]);
    expect(withEpoch.events[0].at).toBe(Date.UTC(2026, 9, 25, 0, 30));
    const without = run(juniperPba, [ambiguous.replace(' epoch 0x69b529dd', '')], cph);
    expect(without.events).toEqual([]);
    expect(without.rejects).toEqual([
      { line: 1, reason: 'RT_SRC_NAT_PBA_ALLOC: no usable time: local time 2026-10-25 02:30:00 occurs twice in Europe/Copenhagen (+02:00, then +01:00: the repeated DST hour) and no earlier line of this source decides which; configure the device to log UTC or an offset' },
    ]);
  });

  it('rejects truncated and malformed text records', () => {
    expectRejected(juniperPba, [
      ['RT_SRC_NAT_PBA_ALLOC: port block [8192] is not [lo-hi]', TEXT_ALLOC.replace('[8192-8319]', '[8192]')],
      ['RT_SRC_NAT_PBA_ALLOC: port block range is not closed by "]" (truncated line?)', TEXT_ALLOC.slice(0, TEXT_ALLOC.indexOf('port block') + 16)],
      ['RT_SRC_NAT_PBA_ALLOC: no "Subscriber <address>"', TEXT_ALLOC.slice(0, TEXT_ALLOC.indexOf(' used/maximum')).replace('Subscriber 100.64.60.9', 'Sub')],
      ['RT_SRC_NAT_PBA_ALLOC: no "from <public address>" after the port block', TEXT_ALLOC.replace(' from 203.0.113.71', '')],
    ]);
  });
});

describe('juniper-pba helpers', () => {
  it('reads hex epochs', () => {
    expect(hexEpochMs('69b529dd')).toBe(ALLOC_AT);
    expect(hexEpochMs('0x69b529dd')).toBe(ALLOC_AT);
    expect(hexEpochMs('0')).toBeNull();
    expect(hexEpochMs('0x')).toMatch(/not hex/);
    expect(hexEpochMs('ffffffffff')).toMatch(/past the year 9999/);
  });
  it('sniffs its own lines only', () => {
    expect(juniperPba.sniff(TEXT_ALLOC)).toBe(true);
    expect(juniperPba.sniff('RT_FLOW - RT_FLOW_SESSION_CREATE [x="1"]')).toBe(false);
  });
});

describe('juniper-pba, DS-Lite (AFTR on MX-SPC3 / SRX)', () => {
  it('stores the B4 IPv6 address written as internal-ip or as the text form\'s subscriber', () => {
    const { events, rejects } = run(juniperPba, [
      `<14>1 2026-03-14T09:26:54.000Z srx-aftr RT_NAT - RT_SRC_NAT_PBA_ALLOC [junos@2636.1.1.1.2.129 internal-ip="2001:DB8:B4:0:0:0:0:21" block-used="1" block-max-per-host="8" block-port-low="20480" block-port-high="20607" reflexive-ip="198.51.100.44" nat-pool-name="aftr" logical-system-id="0" epoch-time-64="69b529dd"]`,
      '<14>Mar 14 09:59:58 srx-aftr RT_NAT: RT_SRC_NAT_PBA_RELEASE: Subscriber 2001:db8:b4::21 used/maximum [0/8] blocks, releases port block [20480-20607] from 198.51.100.44 in source pool aftr lsys_id: 0 epoch 0x69b5319e',
    ]);
    expect(rejects).toEqual([]);
    expect(events.map((e) => [e.event, e.privateIp, e.publicIp, e.portStart, e.portEnd, e.at])).toEqual([
      ['alloc', '2001:db8:b4::21', '198.51.100.44', 20480, 20607, ALLOC_AT],
      ['release', '2001:db8:b4::21', '198.51.100.44', 20480, 20607, RELEASE_AT],
    ]);
  });
});

// Variants seen beyond the manuals (docs/sources.md, "Variants accepted"): a third-party MX
// parser reads the text form with any run of spaces between words and no space after the
// colons, and an INTERIM that names no port block.
describe('juniper-pba, text form as collectors pass it on', () => {
  it('reads the text form with runs of spaces or tabs between words and none after the tag', () => {
    const { events, rejects } = run(juniperPba, [
      '<14>Mar 14 14:26:52 BNG-WEST-3 RT_NAT:RT_SRC_NAT_PBA_ALLOC:Subscriber  100.64.60.9  used/maximum [3/8] blocks,  allocates port block [8192-8319]  from\t203.0.113.71 in source pool POOL_A  lsys_id: 0  epoch  0x69b529dd',
      '<14>Mar 14 14:59:58 BNG-WEST-3 RT_NAT: RT_SRC_NAT_PBA_RELEASE:\tSubscriber 100.64.60.9 used/maximum [2/8] blocks, releases port block [8192-8319] from 203.0.113.71 in source pool POOL_A',
    ]);
    expect(rejects).toEqual([]);
    expect(events.map((e) => [e.event, e.privateIp, e.publicIp, e.portStart, e.portEnd, e.at])).toEqual([
      ['alloc', '100.64.60.9', '203.0.113.71', 8192, 8319, ALLOC_AT],
      // no epoch: the header's time, read in the source's zone (UTC here)
      ['release', '100.64.60.9', '203.0.113.71', 8192, 8319, Date.UTC(2026, 2, 14, 14, 59, 58)],
    ]);
  });

  it('rejects an INTERIM that names no port block: which of the subscriber\'s blocks it restates is unknown', () => {
    expectRejected(juniperPba, [
      ['RT_SRC_NAT_PBA_INTERIM: no "port block [lo-hi]"', '<14>Mar 14 14:56:53 BNG-WEST-3 RT_NAT: RT_SRC_NAT_PBA_INTERIM: Subscriber 100.64.60.9 used/maximum [3/8] blocks, from 203.0.113.71 in source pool POOL_A'],
    ]);
  });
});
