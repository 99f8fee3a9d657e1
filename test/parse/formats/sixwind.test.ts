import { describe, expect, it } from 'vitest';
import { sixWind } from '../../../parse/formats/sixwind.js';
import { expectRejectedContaining, one, rejectReason, run, skipReason } from '../../helpers/parse.js';

// Shapes of nat-log-formats.md §13 (6WIND fp-cgnat events), with this project's own values.
const HDR = 'Jun 11 08:03:09 vsr-3 fp-cgnat[977]:';
const at = Date.UTC(2026, 5, 11, 8, 3, 9);

describe('6wind', () => {
  it('reads NEW BLOCK: per protocol, "port a - b" inclusive with spaces', () => {
    const e = one(sixWind, `${HDR} USER 100.66.0.42 (matching rule 3): NEW BLOCK (pool "pool-a", ip public 198.51.100.33, proto 17, port 513 - 1024)`, { natInstance: 'vsr-3' });
    expect(e).toEqual({
      kind: 'nat', event: 'alloc', at, natInstance: 'vsr-3', publicIp: '198.51.100.33', portStart: 513, portEnd: 1024,
      privateIp: '100.66.0.42', privateVrf: 'default', protocol: 17, allocatedAt: null, source: '6wind',
    });
  });

  it('reads DESTROY BLOCK, and NEW/DESTROY CONN with the reply destination as the translated end', () => {
    const r = run(sixWind, [
      `${HDR} USER 100.66.0.42 (matching rule 3): DESTROY BLOCK (pool "pool-a", ip public 198.51.100.33, proto 6, port 1-512)`,
      `${HDR} NEW CONN: fwd proto 6 100.66.0.43:5555 -> 192.0.2.80:443, back proto 6 192.0.2.80:443 --> 198.51.100.34:20480`,
      `${HDR} DESTROY CONN: fwd proto 17 100.66.0.43:5353 -> 192.0.2.53:53, back proto 17 192.0.2.53:53 --> 198.51.100.34:20481`,
    ]);
    expect(r.rejects).toEqual([]);
    expect(r.events.map((e) => [e.event, e.privateIp, e.publicIp, e.portStart, e.portEnd, e.protocol])).toEqual([
      ['release', '100.66.0.42', '198.51.100.33', 1, 512, 6],
      ['alloc', '100.66.0.43', '198.51.100.34', 20480, 20480, 6],
      ['release', '100.66.0.43', '198.51.100.34', 20481, 20481, 17],
    ]);
  });

  it('skips other fp-cgnat messages and unrelated lines', () => {
    expect(skipReason(sixWind, `${HDR} USER 100.66.0.42 (matching rule 3): BLOCK ALLOCATION FAILED (pool "pool-a")`)).toContain('not a block allocation');
    expect(skipReason(sixWind, `${HDR} cgnat started on 4 cores`)).toContain('not a block or connection event');
    expect(skipReason(sixWind, 'Jun 11 08:03:09 vsr-3 sshd[1]: session opened')).toContain('not a 6WIND fp-cgnat record');
  });

  it('rejects truncated and malformed records, naming what is wrong, with line numbers', () => {
    expectRejectedContaining(sixWind, [
      ['no closing parenthesis', `${HDR} USER 100.66.0.42 (matching rule 3): NEW BLOCK (pool "pool-a", ip public 198.51.100.33, proto 6, port 1 - 5`],
      ['proto missing', `${HDR} USER 100.66.0.42 (matching rule 3): NEW BLOCK (pool "pool-a", ip public 198.51.100.33, port 1 - 512)`],
      ['"ip public" missing', `${HDR} USER 100.66.0.42 (matching rule 3): NEW BLOCK (pool "pool-a", proto 6, port 1 - 512)`],
      ['port range "512"', `${HDR} USER 100.66.0.42 (matching rule 3): NEW BLOCK (pool "pool-a", ip public 198.51.100.33, proto 6, port 512)`],
      ['proto "132"', `${HDR} USER 100.66.0.42 (matching rule 3): NEW BLOCK (pool "pool-a", ip public 198.51.100.33, proto 132, port 1 - 512)`],
      ['cannot tell the translated address', `${HDR} NEW CONN: fwd proto 6 100.66.0.43:5555 -> 192.0.2.80:443, back proto 6 192.0.2.81:443 --> 198.51.100.34:20480`],
      ['got 11 words', `${HDR} NEW CONN: fwd proto 6 100.66.0.43:5555 -> 192.0.2.80:443, back proto 6 192.0.2.80:443 -->`],
      ['reply protocol 17 differ', `${HDR} NEW CONN: fwd proto 6 100.66.0.43:5555 -> 192.0.2.80:443, back proto 17 192.0.2.80:443 --> 198.51.100.34:20480`],
      ['portStart 600 is above portEnd 512', `${HDR} USER 100.66.0.42 (matching rule 3): NEW BLOCK (pool "pool-a", ip public 198.51.100.33, proto 6, port 600 - 512)`],
      ['no time', `USER 100.66.0.42 (matching rule 3): NEW BLOCK (pool "pool-a", ip public 198.51.100.33, proto 6, port 1 - 512)`],
    ]);
  });

  it('rejects a BSD header time in the repeated DST hour', () => {
    const line = `Oct 25 02:15:00 vsr-3 fp-cgnat[977]: USER 100.66.0.42 (matching rule 3): NEW BLOCK (pool "p", ip public 198.51.100.33, proto 6, port 1 - 512)`;
    expect(rejectReason(sixWind, line, { timezone: 'Europe/Paris', year: 2026 })).toContain('occurs twice');
  });

  it('sniffs', () => {
    expect(sixWind.sniff(`${HDR} USER 100.66.0.42 (matching rule 3): NEW BLOCK (pool "p", ip public 198.51.100.33, proto 6, port 1 - 512)`)).toBe(true);
    expect(sixWind.sniff('<134>Aug  3 23:59:59 vcgnat-2 nat: A VRF 0 INT 10.44.0.8 EXT 192.0.2.201')).toBe(false);
  });
});

describe('6wind, IPv6 inside ends', () => {
  it('reads a bracketed [IPv6]:port inside end and refuses an unbracketed one, whose last group may be the port', () => {
    const conn = (inside: string) => `${HDR} NEW CONN: fwd proto 6 ${inside} -> 192.0.2.80:443, back proto 6 192.0.2.80:443 --> 198.51.100.34:20480`;
    expect(one(sixWind, conn('[2001:db8:66::43]:5555'))).toMatchObject({ privateIp: '2001:db8:66::43', publicIp: '198.51.100.34', portStart: 20480 });
    expect(rejectReason(sixWind, conn('2001:db8:66::43:5555'))).toBe('NEW CONN: inside end "2001:db8:66::43:5555" is not <ip>:<port> (an IPv6 address must be written [address]:port)');
  });
});
