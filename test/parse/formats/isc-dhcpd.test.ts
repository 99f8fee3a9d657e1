import { describe, expect, it } from 'vitest';
import { iscDhcpd } from '../../../parse/formats/isc-dhcpd.js';
import { parse, utc } from '../../helpers/parse.js';

// Fixtures are written here from the shapes in reference/lease-formats.md §1 and §7.

const ACTIVE = `# The format of this file is documented in the dhcpd.leases(5) manual page.
# This lease file was written by isc-dhcp-4.4.3

authoring-byte-order little-endian;
server-duid "\\000\\001\\000\\001)\\020\\241\\305RT\\000\\022\\064V";

lease 100.64.12.34 {
  starts 3 2026/03/04 10:00:00;
  ends 3 2026/03/04 11:00:00;
  cltt 3 2026/03/04 10:00:00;
  binding state active;
  next binding state free;
  rewind binding state free;
  hardware ethernet 00:16:3e:a:b:c;
  uid "\\001\\000\\026>\\012\\013\\014";
  option agent.circuit-id "olt3/1/1/7";
  option agent.remote-id 0:1:3:e9;
  set vendor-class-identifier = "MSFT 5.0";
  client-hostname "bob\\"s laptop";
}
`;

describe('isc-dhcpd v4 blocks', () => {
  it('turns an active block into a start at starts expiring at ends, with every identifier normalised', () => {
    const r = parse(iscDhcpd, ACTIVE);
    expect(r.rejects).toEqual([]);
    expect(r.events).toHaveLength(1);
    const e = r.events[0];
    expect(e).toMatchObject({
      kind: 'lease', event: 'start', line: 7, ip: '100.64.12.34', vrf: 'default', subscriberId: '00:16:3e:0a:0b:0c',
      at: utc('2026-03-04T10:00:00Z'), expiresAt: utc('2026-03-04T11:00:00Z'), source: 'isc-dhcpd',
    });
    expect(e.identifiers).toEqual({
      mac: '00:16:3e:0a:0b:0c',
      clientId: '01:00:16:3e:0a:0b:0c',
      circuitId: '6f:6c:74:33:2f:31:2f:31:2f:37',
      remoteId: '00:01:03:e9',
      vendorClass: 'MSFT 5.0',
      hostname: 'bob"s laptop',
    });
    // authoring-byte-order and server-duid are file statements, not leases
    expect(r.skips.map((s) => s.line)).toEqual([4, 5]);
  });

  it('uses the configured subscriber key and VRF', () => {
    const r = parse(iscDhcpd, ACTIVE, { subscriberKey: 'circuitId', vrf: 'cust-a' });
    expect(r.events[0]).toMatchObject({ subscriberId: '6f:6c:74:33:2f:31:2f:31:2f:37', vrf: 'cust-a' });
  });

  it('rejects a binding that lacks the subscriber key, naming the key and the setting', () => {
    const r = parse(iscDhcpd, ACTIVE, { subscriberKey: 'username' });
    expect(r.events).toEqual([]);
    expect(r.rejects).toHaveLength(1);
    expect(r.rejects[0].line).toBe(7);
    expect(r.rejects[0].reason).toMatch(/no username/);
    expect(r.rejects[0].reason).toMatch(/subscriberKey is "username"/);
  });

  it('reads epoch dates and ignores the local-time comment, which may be wrong', () => {
    const r = parse(iscDhcpd, `lease 10.1.2.3 {
  starts epoch 1760000000; # Thu Oct 09 08:53:20 2025
  ends epoch 1760003600; # Mon Jan 01 00:00:00 2001
  binding state active;
  hardware ethernet aa:bb:cc:dd:ee:ff;
}`);
    expect(r.events).toHaveLength(1);
    expect(r.events[0].at).toBe(1760000000_000);
    expect(r.events[0].expiresAt).toBe(1760003600_000);
  });

  it('reads "ends never" as an open lease', () => {
    const r = parse(iscDhcpd, `lease 10.1.2.4 {
  starts 4 2026/01/01 00:00:00;
  ends never;
  binding state active;
  hardware ethernet aa:bb:cc:dd:ee:01;
}`);
    expect(r.events.map((e) => [e.event, e.expiresAt])).toEqual([['start', null]]);
  });

  it('takes statements without indentation, several on one line, and nested on-blocks', () => {
    const r = parse(iscDhcpd, `lease 10.1.2.5 {
starts 4 2026/01/01 00:00:00; ends 4 2026/01/01 00:10:00;
binding state active;
hardware ethernet aa:bb:cc:dd:ee:02;
on expiry {
  set ddns-fwd-name = "x";
}
}`);
    expect(r.rejects).toEqual([]);
    expect(r.events).toHaveLength(1);
    expect(r.events[0].expiresAt).toBe(utc('2026-01-01T00:10:00Z'));
  });

  it('keeps every renewal block of an address as evidence (the time index merges them)', () => {
    const r = parse(iscDhcpd, `lease 10.0.0.9 {
  starts 1 2026/02/02 08:00:00;
  ends 1 2026/02/02 08:10:00;
  binding state active;
  hardware ethernet 02:00:00:00:00:09;
}
lease 10.0.0.9 {
  starts 1 2026/02/02 08:05:00;
  ends 1 2026/02/02 08:15:00;
  binding state active;
  hardware ethernet 02:00:00:00:00:09;
}
lease 10.0.0.9 {
  starts 1 2026/02/02 08:05:00;
  ends 1 2026/02/02 08:07:30;
  binding state released;
  hardware ethernet 02:00:00:00:00:09;
}`);
    expect(r.events.map((e) => [e.line, e.event, new Date(e.at).toISOString(), e.expiresAt && new Date(e.expiresAt).toISOString()])).toEqual([
      [1, 'start', '2026-02-02T08:00:00.000Z', '2026-02-02T08:10:00.000Z'],
      [7, 'start', '2026-02-02T08:05:00.000Z', '2026-02-02T08:15:00.000Z'],
      [13, 'start', '2026-02-02T08:05:00.000Z', '2026-02-02T08:07:30.000Z'],
      [13, 'end', '2026-02-02T08:07:30.000Z', null],
    ]);
  });

  it('ends expired and free bindings at ends with an expire event', () => {
    const block = (state: string) => `lease 10.0.0.20 {
  starts 1 2026/02/02 08:00:00;
  ends 1 2026/02/02 09:00:00;
  binding state ${state};
  hardware ethernet 02:00:00:00:00:20;
}`;
    for (const state of ['expired', 'free']) {
      const r = parse(iscDhcpd, block(state));
      expect(r.events.map((e) => [e.event, e.at]), state).toEqual([
        ['start', utc('2026-02-02T08:00:00Z')],
        ['expire', utc('2026-02-02T09:00:00Z')],
      ]);
    }
  });

  it('skips non-bindings with a reason: abandoned, backup, reset, starts after ends, no client', () => {
    const r = parse(iscDhcpd, `lease 10.0.0.30 {
  starts 1 2026/02/02 08:00:00;
  ends 1 2026/02/02 09:00:00;
  binding state abandoned;
}
lease 10.0.0.31 {
  starts 1 2026/02/02 08:00:00;
  ends 1 2026/02/02 09:00:00;
  binding state backup;
  hardware ethernet 02:00:00:00:00:31;
}
lease 10.0.0.32 {
  starts 1 2026/02/02 08:00:00;
  binding state reset;
}
lease 10.0.0.33 {
  starts 1 2026/02/02 20:00:00;
  ends 1 2026/02/02 11:00:00;
  binding state free;
  hardware ethernet 02:00:00:00:00:33;
}
lease 10.0.0.34 {
  starts 1 2026/02/02 08:00:00;
  ends 1 2026/02/02 09:00:00;
  binding state free;
}`);
    expect(r.events).toEqual([]);
    expect(r.rejects).toEqual([]);
    expect(r.skips.map((s) => s.line)).toEqual([1, 6, 12, 16, 22]);
    expect(r.skips[0].reason).toMatch(/abandoned is not a client binding/);
    expect(r.skips[1].reason).toMatch(/backup/);
    expect(r.skips[2].reason).toMatch(/reset/);
    expect(r.skips[3].reason).toMatch(/starts is after ends/);
    expect(r.skips[4].reason).toMatch(/without hardware address or uid/);
  });

  it('skips failover peer, host and rubout blocks without touching the leases around them', () => {
    const r = parse(iscDhcpd, `failover peer "dhcp-peer" state {
  my state normal at 2 2026/01/06 20:51:22;
  partner state communications-interrupted at 2 2026/01/06 20:51:19;
}
host printer { dynamic; hardware ethernet 02:00:00:00:00:99; fixed-address 10.0.0.99; }
host printer { dynamic; deleted; }
lease 10.0.0.40 {
  starts 2 2026/01/06 21:00:00;
  ends 2 2026/01/06 22:00:00;
  binding state active;
  hardware ethernet 02:00:00:00:00:40;
}`);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.line, e.ip])).toEqual([[7, '10.0.0.40']]);
    expect(r.skips.map((s) => s.line)).toEqual([1, 5, 6]);
    expect(r.skips[0].reason).toMatch(/failover/);
  });

  it('rejects malformed blocks with the reason, at the line the block starts', () => {
    const r = parse(iscDhcpd, `lease 10.0.0.300 {
  starts 1 2026/02/02 08:00:00;
  ends 1 2026/02/02 09:00:00;
  hardware ethernet 02:00:00:00:00:01;
}
lease 10.0.0.50 {
  starts 1 2026/02/30 08:00:00;
  ends 1 2026/02/02 09:00:00;
  hardware ethernet 02:00:00:00:00:50;
}
lease 10.0.0.51 {
  ends 1 2026/02/02 09:00:00;
  binding state active;
  hardware ethernet 02:00:00:00:00:51;
}
lease 10.0.0.52 {
  starts 1 2026/02/02 08:00:00;
  binding state sleeping;
  hardware ethernet 02:00:00:00:00:52;
}
}
lease 10.0.0.53 {
  starts 1 2026/02/02 08:00:00;
  ends 1 2026/02/02 09:00`);
    expect(r.events).toEqual([]);
    expect(r.rejects.map((x) => x.line)).toEqual([1, 6, 11, 16, 21, 22]);
    expect(r.rejects[0].reason).toMatch(/not an IPv4 address/);
    expect(r.rejects[1].reason).toMatch(/starts "1 2026\/02\/30 08:00:00" is not a dhcpd date/);
    expect(r.rejects[2].reason).toMatch(/no starts/);
    expect(r.rejects[3].reason).toMatch(/unknown binding state "sleeping"/);
    expect(r.rejects[4].reason).toMatch(/without an open block/);
    expect(r.rejects[5].reason).toMatch(/not closed at the end of the input/);
  });

  it('sniffs lease files', () => {
    expect(iscDhcpd.sniff('lease 10.0.0.1 {')).toBe(true);
    expect(iscDhcpd.sniff('ia-pd "\\000\\000" {')).toBe(true);
    expect(iscDhcpd.sniff('# The format of this file is documented in the dhcpd.leases(5) manual page.')).toBe(true);
    expect(iscDhcpd.sniff('address,hwaddr,client_id,valid_lifetime,expire')).toBe(false);
  });
});

describe('isc-dhcpd v6 blocks', () => {
  const V6 = `authoring-byte-order little-endian;
server-duid "\\000\\001\\000\\001\\036\\031\\350\\241\\000\\014)\\345\\0202";

ia-na "\\007\\000\\000\\000\\000\\001\\000\\001\\036\\031\\350\\241RT\\000\\0224V" {
  cltt 3 2026/01/07 14:50:34;
  iaaddr 2001:db8:10::106 {
    binding state active;
    preferred-life 540;
    max-life 864;
    ends 3 2026/01/07 15:04:58;
    set clientduid = "0100011e19e8a15254001234564";
    on expiry {
      log (debug, "expired");
    }
  }
}
ia_pd 01:00:00:00:00:03:00:01:52:54:00:12:34:57 {
  cltt 3 2026/01/07 14:52:37;
  iaprefix 2001:db8:30:ff01::/56 {
    binding state active;
    max-life 200;
    ends 3 2026/01/07 15:02:37;
  }
  iaprefix 2001:db8:40::/64 {
    binding state expired;
    ends 3 2026/01/07 14:55:00;
  }
}
ia-ta "\\001\\000\\000\\000\\000\\003\\000\\001RT\\000\\0224X" {
  cltt 3 2026/01/07 14:52:37;
  iaaddr 2001:db8:50::9 {
    binding state abandoned;
    ends 3 2026/01/07 15:02:37;
  }
}
`;

  it('starts at the IA cltt, ends at each address ends, with IAID and DUID split', () => {
    const r = parse(iscDhcpd, V6);
    expect(r.rejects).toEqual([]);
    const na = r.events.filter((e) => e.line === 4);
    expect(na).toHaveLength(1);
    expect(na[0]).toMatchObject({
      event: 'start', ip: '2001:db8:10::106', at: utc('2026-01-07T14:50:34Z'), expiresAt: utc('2026-01-07T15:04:58Z'),
      subscriberId: '00:01:00:01:1e:19:e8:a1:52:54:00:12:34:56',
    });
    expect(na[0].identifiers).toEqual({ duid: '00:01:00:01:1e:19:e8:a1:52:54:00:12:34:56', iaidRaw: '07:00:00:00', iaid: '7' });
  });

  it('stores a delegated prefix as its network address plus identifiers.prefix; max-life is not used', () => {
    const r = parse(iscDhcpd, V6);
    const pd = r.events.filter((e) => e.line === 17);
    expect(pd.map((e) => [e.event, e.ip, e.identifiers.prefix, new Date(e.at).toISOString()])).toEqual([
      ['start', '2001:db8:30:ff00::', '2001:db8:30:ff00::/56', '2026-01-07T14:52:37.000Z'],
      ['start', '2001:db8:40::', '2001:db8:40::/64', '2026-01-07T14:52:37.000Z'],
      ['expire', '2001:db8:40::', '2001:db8:40::/64', '2026-01-07T14:55:00.000Z'],
    ]);
    expect(pd[0].expiresAt).toBe(utc('2026-01-07T15:02:37Z'));
    expect(pd[0].subscriberId).toBe('00:03:00:01:52:54:00:12:34:57');
  });

  it('skips abandoned IA addresses', () => {
    const r = parse(iscDhcpd, V6);
    expect(r.events.filter((e) => e.line === 29)).toEqual([]);
    expect(r.skips.find((s) => s.line === 29)?.reason).toMatch(/abandoned is not a client binding/);
  });

  it('rejects an IA whose id is too short to hold an IAID and a DUID', () => {
    const r = parse(iscDhcpd, `ia-na "\\001\\002" {
  cltt 3 2026/01/07 14:50:34;
  iaaddr 2001:db8::1 {
    binding state active;
    ends 3 2026/01/07 15:04:58;
  }
}`);
    expect(r.rejects).toEqual([{ line: 1, reason: 'ia-na id is not IAID (4 bytes) followed by a DUID' }]);
  });
});
