import { describe, expect, it } from 'vitest';
import { nfware } from '../../../parse/formats/nfware.js';
import { expectRejectedContaining, one, run, skipReason } from '../../helpers/parse.js';

// The four record shapes of nat-log-formats.md §12, with this project's own values.
const HDR = '<134>Aug  3 23:59:59 vcgnat-2 nat:';
const at = Date.UTC(2026, 7, 3, 23, 59, 59);

describe('nfware', () => {
  it('reads the port-block record (all protocols, inclusive range, VRF from the record)', () => {
    const e = one(nfware, `${HDR} A VRF 4 INT 10.44.0.7 EXT 192.0.2.200:2048-3071`, { natInstance: 'vcgnat-2' });
    expect(e).toEqual({
      kind: 'nat', event: 'alloc', at, natInstance: 'vcgnat-2', publicIp: '192.0.2.200', portStart: 2048, portEnd: 3071,
      privateIp: '10.44.0.7', privateVrf: '4', protocol: null, allocatedAt: null, source: 'nfware',
    });
  });

  it('reads address, port and session records, adds and deletes', () => {
    const r = run(nfware, [
      `${HDR} A VRF 0 INT 10.44.0.8 EXT 192.0.2.201`,
      `${HDR} D VRF 0 INT 10.44.0.8 EXT 192.0.2.201`,
      `${HDR} A VRF 0 17 INT 10.44.0.9:40000 EXT 192.0.2.202:12001`,
      `${HDR} A VRF 0 6 INT 10.44.0.9:40001 EXT 192.0.2.202:12002 DST 198.51.100.1:443 DIR OUT`,
      `${HDR} D VRF 0 6 INT 10.44.0.9:40001 EXT 192.0.2.202:12002 DST 198.51.100.1:443 DIR OUT`,
      `${HDR} D VRF 4 INT 10.44.0.7 EXT 192.0.2.200:2048-3071`,
    ]);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.privateIp, e.publicIp, e.portStart, e.portEnd, e.protocol, e.privateVrf])).toEqual([
      ['alloc', '10.44.0.8', '192.0.2.201', null, null, null, '0'],
      ['release', '10.44.0.8', '192.0.2.201', null, null, null, '0'],
      ['alloc', '10.44.0.9', '192.0.2.202', 12001, 12001, 17, '0'],
      ['alloc', '10.44.0.9', '192.0.2.202', 12002, 12002, 6, '0'],
      ['release', '10.44.0.9', '192.0.2.202', 12002, 12002, 6, '0'],
      ['release', '10.44.0.7', '192.0.2.200', 2048, 3071, null, '4'],
    ]);
  });

  it('skips lines that are not NAT records', () => {
    expect(skipReason(nfware, `${HDR} RADIUS server 10.0.0.1 is up`)).toContain('not an NFWare NAT record');
  });

  it('rejects truncated and malformed records, naming what is wrong, with line numbers', () => {
    expectRejectedContaining(nfware, [
      ['EXT (outside address) missing', `${HDR} A VRF 0 6 INT 10.44.0.9:40000 EXT`],
      ['EXT (outside address) missing', `${HDR} A VRF 0 6 INT 10.44.0.9:40000`],
      ['portStart 3071 is above portEnd 2048', `${HDR} A VRF 0 INT 10.44.0.7 EXT 192.0.2.200:3071-2048`],
      ['EXT port "2048-"', `${HDR} A VRF 0 INT 10.44.0.7 EXT 192.0.2.200:2048-`],
      ['protocol "47"', `${HDR} A VRF 0 47 INT 10.44.0.9:1 EXT 192.0.2.202:2`],
      ['no protocol', `${HDR} A VRF 0 INT 10.44.0.9:1 EXT 192.0.2.202:2`],
      ['EXT has no port', `${HDR} A VRF 0 6 INT 10.44.0.9:1 EXT 192.0.2.202`],
      ['unexpected "DST"', `${HDR} A VRF 0 6 INT 10.44.0.9:1 EXT 192.0.2.202:2 DST`],
      ['private address "10.44.0.256"', `${HDR} A VRF 0 INT 10.44.0.256 EXT 192.0.2.200:2048-3071`],
      ['no time', 'A VRF 0 INT 10.44.0.7 EXT 192.0.2.200:2048-3071'],
    ]);
  });

  it('sniffs', () => {
    expect(nfware.sniff(`${HDR} A VRF 0 INT 10.44.0.8 EXT 192.0.2.201`)).toBe(true);
    expect(nfware.sniff('Jun 11 08:03:09 vsr fp-cgnat[1]: USER 1.2.3.4 (matching rule 1): NEW BLOCK (x)')).toBe(false);
  });
});

describe('nfware as collectors pass it on', () => {
  it('rejects a record whose relay kept only the host name: without a time it cannot be placed', () => {
    expectRejectedContaining(nfware, [['no time', 'vcgnat-1 A VRF 0 INT 10.44.0.7 EXT 192.0.2.200:2048-3071']]);
  });
});

describe('nfware, IPv6 inside ends', () => {
  it('reads a B4 or NAT64 inside address without a port, and a bracketed one with its port', () => {
    const r = run(nfware, [
      `${HDR} A VRF 0 INT 2001:db8:b4::7 EXT 192.0.2.200:2048-3071`,
      `${HDR} A VRF 0 6 INT [2001:db8:b4::7]:57938 EXT 192.0.2.200:28475`,
    ]);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.privateIp, e.portStart, e.portEnd, e.protocol])).toEqual([
      ['2001:db8:b4::7', 2048, 3071, null],
      ['2001:db8:b4::7', 28475, 28475, 6],
    ]);
  });

  it('refuses a port or session record whose IPv6 inside end is not bracketed: its last group may be the port', () => {
    expectRejectedContaining(nfware, [
      ['INT "2001:db8:b4::7:5793" is not <ip>:<port> (an IPv6 address must be written [address]:port)', `${HDR} A VRF 0 6 INT 2001:db8:b4::7:5793 EXT 192.0.2.200:28475`],
    ]);
  });
});
