import { describe, expect, it } from 'vitest';
import { vpp } from '../../../parse/formats/vpp.js';
import { expectRejectedContaining, one, run, skipReason } from '../../helpers/parse.js';

// The RFC 5424 shape of nat-log-formats.md §11 (FD.io VPP nat_syslog.c), with this project's values.
const HDR = '<134>1 2026-02-10T14:05:06.789+02:00 tnsr-1 NAT 4242';
const at = Date.UTC(2026, 1, 10, 12, 5, 6, 789);
const map = (x = '') => `[napmap SSUBIX="12" SVLAN="5" IATYP="IPv4" ISADDR="10.9.0.3" ISPORT="33000" XATYP="IPv4" XSADDR="198.51.100.60" XSPORT="1025" PROTO="6"${x}]`;

describe('vpp', () => {
  it('reads APMADD as a one-port allocation, SVLAN as the inside VRF', () => {
    const e = one(vpp, `${HDR} APMADD ${map()}`, { natInstance: 'tnsr-1' });
    expect(e).toEqual({
      kind: 'nat', event: 'alloc', at, natInstance: 'tnsr-1', publicIp: '198.51.100.60', portStart: 1025, portEnd: 1025,
      privateIp: '10.9.0.3', privateVrf: '5', protocol: 6, allocatedAt: null, source: 'vpp',
    });
  });

  it('reads APMDEL, SADD/SDEL sessions, and DS-Lite records by their B4 address', () => {
    const sess = '[nsess SSUBIX="12" SVLAN="0" IATYP="IPv4" ISADDR="10.9.0.4" ISPORT="5353" XATYP="IPv4" XSADDR="198.51.100.61" XSPORT="2000" PROTO="17" XDADDR="192.0.2.53" XDPORT="53"]';
    const r = run(vpp, [
      `${HDR} APMDEL ${map()}`,
      `${HDR} SADD ${sess}`,
      `${HDR} SDEL ${sess}`,
      `${HDR} APMADD [napmap SSUBIX="1" SV6ENC="2001:DB8:B4::1" IATYP="IPv4" ISADDR="192.0.0.2" ISPORT="1" XATYP="IPv4" XSADDR="198.51.100.62" XSPORT="3000" PROTO="1"]`,
    ]);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.privateIp, e.privateVrf, e.publicIp, e.portStart, e.protocol])).toEqual([
      ['release', '10.9.0.3', '5', '198.51.100.60', 1025, 6],
      ['alloc', '10.9.0.4', '0', '198.51.100.61', 2000, 17],
      ['release', '10.9.0.4', '0', '198.51.100.61', 2000, 17],
      ['alloc', '2001:db8:b4::1', 'default', '198.51.100.62', 3000, 1],
    ]);
  });

  it('skips other messages', () => {
    expect(skipReason(vpp, `${HDR} QUOTA [x y="1"] exceeded`)).toContain('MSGID QUOTA');
    expect(skipReason(vpp, 'Feb 10 14:05:06 tnsr-1 vpp[1]: interface up')).toContain('no MSGID');
  });

  it('rejects truncated and malformed records, naming what is wrong, with line numbers', () => {
    expectRejectedContaining(vpp, [
      ['not closed', `${HDR} APMADD [napmap SSUBIX="12" SVLAN="5" IATYP="IPv4" ISADDR="10.9.0.3" ISPORT="33000" XATYP="IPv4" XSADDR="198.51`],
      ['structured data missing', `${HDR} APMADD -`],
      ['expected SD-ID napmap', `${HDR} APMADD [nsess SSUBIX="12"]`],
      ['XSPORT missing', `${HDR} APMADD [napmap SSUBIX="12" SVLAN="5" IATYP="IPv4" ISADDR="10.9.0.3" ISPORT="33000" XATYP="IPv4" XSADDR="198.51.100.60" PROTO="6"]`],
      ['PROTO "47"', `${HDR} APMADD [napmap SSUBIX="12" SVLAN="5" ISADDR="10.9.0.3" XSADDR="198.51.100.60" XSPORT="1025" PROTO="47"]`],
      ['XSPORT appears twice', `${HDR} APMADD ${map(' XSPORT="1026"')}`],
      ['not an RFC 3339 instant', `<134>1 2026-02-30T14:05:06Z tnsr-1 NAT 4242 APMADD ${map()}`],
      ['ISADDR (inside address) missing', `${HDR} APMADD [napmap SSUBIX="12" SVLAN="5" XSADDR="198.51.100.60" XSPORT="1025" PROTO="6"]`],
    ]);
  });

  it('sniffs', () => {
    expect(vpp.sniff(`${HDR} APMADD ${map()}`)).toBe(true);
    expect(vpp.sniff('<134>1 2026-02-10T14:05:06Z srx RT_NAT - RT_SRC_NAT_PBA_ALLOC [junos@2636 x="1"]')).toBe(false);
  });
});

// As VPP's own code writes them (src/vnet/syslog/syslog.c, src/plugins/nat/lib/nat_syslog.c):
// microsecond UTC time, the sender's IPv4 as host, numeric PROCID; NAT64 sessions carry no SSUBIX
// and an IPv6 ISADDR; DS-Lite mappings SV6ENC in place of SVLAN; twice-NAT adds IDADDR/IDPORT.
describe('vpp as its source writes it', () => {
  it('reads microsecond times, NAT64 sessions, twice-NAT sessions and DS-Lite mappings', () => {
    const h = '<134>1 2026-03-14T09:30:00.123456Z 192.0.2.1 NAT 31337';
    const r = run(vpp, [
      `${h} SADD [nsess SVLAN="0" IATYP="IPv6" ISADDR="2001:db8:64::5" ISPORT="5000" XATYP="IPv4" XSADDR="198.51.100.45" XSPORT="3000" PROTO="58" XDADDR="192.0.2.9" XDPORT="0"]`,
      `${h} SDEL [nsess SSUBIX="3" SVLAN="7" IATYP="IPv4" ISADDR="10.9.0.8" ISPORT="4000" XATYP="IPv4" XSADDR="198.51.100.46" XSPORT="4001" PROTO="17" XDADDR="192.0.2.10" XDPORT="53" IDADDR="10.9.0.99" IDPORT="53"]`,
      `${h} APMADD [napmap SSUBIX="4" SV6ENC="2001:db8:b4:9::2" IATYP="IPv4" ISADDR="192.0.0.2" ISPORT="6000" XATYP="IPv4" XSADDR="198.51.100.47" XSPORT="6001" PROTO="6"]`,
    ]);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.at, e.privateIp, e.privateVrf, e.publicIp, e.portStart, e.protocol])).toEqual([
      ['alloc', Date.UTC(2026, 2, 14, 9, 30, 0, 123), '2001:db8:64::5', '0', '198.51.100.45', 3000, 58],
      ['release', Date.UTC(2026, 2, 14, 9, 30, 0, 123), '10.9.0.8', '7', '198.51.100.46', 4001, 17],
      ['alloc', Date.UTC(2026, 2, 14, 9, 30, 0, 123), '2001:db8:b4:9::2', 'default', '198.51.100.47', 6001, 6],
    ]);
  });

  it('rejects a record cut at VPP\'s 480-byte message limit instead of reading what is left', () => {
    const long = `<134>1 2026-03-14T09:30:00.123456Z 192.0.2.1 NAT 31337 SADD [nsess SVLAN="0" IATYP="IPv6" ISADDR="2001:db8:64::5" ISPORT="5000" XATYP="IPv4" XSADDR="198.51.100.45" XSPORT="30`;
    expectRejectedContaining(vpp, [['not closed', long]]);
  });
});
