import { describe, expect, it } from 'vitest';
import { f5Lsn } from '../../../parse/formats/f5-lsn.js';
import { expectRejectedContaining, one, run, skipReason } from '../../helpers/parse.js';

// Shape from nat-log-formats.md §6 (a collector's generator, not device output):
// <host> LSN_ADD <cli-ip>%<rd>:<port> <proto> <nat-ip>%0:<port> <dst-ip> <dst-port>
const HDR = '<134>1 2026-03-01T08:00:00.250+01:00 bigip3 tmm1 - - -';

describe('f5-lsn', () => {
  it('reads LSN_ADD, strips the %route-domain suffixes and keeps the client route domain as the inside VRF', () => {
    const e = one(f5Lsn, `${HDR} bigip3 LSN_ADD 100.72.0.15%7:51000 6 198.51.100.90%0:40123 192.0.2.10 443`, { natInstance: 'bigip3' });
    expect(e).toEqual({
      kind: 'nat', event: 'alloc', at: Date.UTC(2026, 2, 1, 7, 0, 0, 250), natInstance: 'bigip3', publicIp: '198.51.100.90',
      portStart: 40123, portEnd: 40123, privateIp: '100.72.0.15', privateVrf: '7', protocol: 6, allocatedAt: null, source: 'f5-lsn',
    });
  });

  it('maps LSN_DELETE and the inbound pair, takes protocol names, and falls back to the configured VRF', () => {
    const r = run(f5Lsn, [
      `${HDR} LSN_DELETE 100.72.0.15%7:51000 6 198.51.100.90%0:40123 192.0.2.10 443`,
      `${HDR} LSN_INBOUND_ADD 100.72.0.16:8080 udp 198.51.100.91:8080 192.0.2.11 5000`,
      `${HDR} LSN_INBOUND_DELETE 100.72.0.16:8080 17 198.51.100.91:8080 192.0.2.11 5000`,
      `${HDR} LSN_ADD 2001:db8:64::5%2:51000 tcp 198.51.100.92%0:1030 192.0.2.12 80`,
    ], { vrf: 'inside' });
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.privateIp, e.privateVrf, e.publicIp, e.portStart, e.protocol])).toEqual([
      ['release', '100.72.0.15', '7', '198.51.100.90', 40123, 6],
      ['alloc', '100.72.0.16', 'inside', '198.51.100.91', 8080, 17],
      ['release', '100.72.0.16', 'inside', '198.51.100.91', 8080, 17],
      ['alloc', '2001:db8:64::5', '2', '198.51.100.92', 1030, 6],
    ]);
  });

  it('skips lines with no LSN event', () => {
    expect(skipReason(f5Lsn, `${HDR} mcpd[4242]: 01070417:5: Auditing: admin logged in`)).toContain('no LSN_ event');
  });

  it('rejects unknown LSN events, truncated and malformed records, with line numbers', () => {
    expectRejectedContaining(f5Lsn, [
      ['unknown F5 LSN event LSN_PB_ALLOCATED', `${HDR} LSN_PB_ALLOCATED 100.72.0.15%7 198.51.100.90%0:40000-40063`],
      ['got 4 fields', `${HDR} LSN_ADD 100.72.0.15%7:51000 6 198.51.100.90%0:40123 192.0.2.10`],
      ['route domain "x" is not a number', `${HDR} LSN_ADD 100.72.0.15%x:51000 6 198.51.100.90%0:40123 192.0.2.10 443`],
      ['protocol "47"', `${HDR} LSN_ADD 100.72.0.15%7:51000 47 198.51.100.90%0:40123 192.0.2.10 443`],
      ['IPv6 address needs its %route-domain', `${HDR} LSN_ADD 2001:db8:64::5:51000 6 198.51.100.90%0:40123 192.0.2.10 443`],
      ['translation "198.51.100.90%0" has no port', `${HDR} LSN_ADD 100.72.0.15%7:51000 6 198.51.100.90%0 192.0.2.10 443`],
      ['no time', `LSN_ADD 100.72.0.15%7:51000 6 198.51.100.90%0:40123 192.0.2.10 443`],
    ]);
  });

  it('sniffs', () => {
    expect(f5Lsn.sniff(`${HDR} LSN_ADD 100.72.0.15%7:51000 6 198.51.100.90%0:40123 192.0.2.10 443`)).toBe(true);
    expect(f5Lsn.sniff('date=2026-03-01 logid="0100022015"')).toBe(false);
  });
});
