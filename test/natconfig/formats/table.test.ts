import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { u32ToIpv4 } from '../../../core/ip.js';
import { table } from '../../../natconfig/formats/table.js';
import { expectReverseHolds, expectRoundTrip, parsed, refused } from './properties.js';

const HEADER = 'inside,public_ip,port_start,port_end';

describe('table: an exported mapping, row by row', () => {
  const rules = parsed(
    table,
    [
      '# exported from show … on cgn-3, 2026-11-30',
      HEADER,
      '100.64.0.1,198.51.100.1,1024,2047',
      '100.64.0.2,198.51.100.1,2048,3071',
      '100.64.0.1,198.51.100.1,40000,40999',
      '2001:db8:12:3400::/56,198.51.100.2,1024,65535',
      '2001:db8:ffff::1,198.51.100.3,5000,5999',
      '',
    ].join('\n'),
  );

  it('forward gives the public address and every range of an inside', () => {
    expect(table.forward(rules, '100.64.0.1')).toMatchObject({
      inside: '100.64.0.1',
      publicIp: '198.51.100.1',
      ports: [{ start: 1024, end: 2047 }, { start: 40000, end: 40999 }],
      formula: 'table lines 3, 5: 100.64.0.1 → 198.51.100.1 ports 1024-2047, 40000-40999',
    });
  });

  it('reverse finds the row holding a port, and nobody between or beyond the rows', () => {
    expect(table.reverse(rules, '198.51.100.1', 2048)?.inside).toBe('100.64.0.2');
    expect(table.reverse(rules, '198.51.100.1', 40999)?.inside).toBe('100.64.0.1');
    expect(table.reverse(rules, '198.51.100.1', 3072)).toBeNull();
    expect(table.reverse(rules, '198.51.100.1', 1023)).toBeNull();
    expect(table.reverse(rules, '198.51.100.9', 2048)).toBeNull();
  });

  it('an IPv6 prefix holds the addresses and longer prefixes inside it; the reverse names the prefix', () => {
    expect(table.forward(rules, '2001:db8:12:3400::7')?.inside).toBe('2001:db8:12:3400::/56');
    expect(table.forward(rules, '2001:db8:12:3401::/64')?.publicIp).toBe('198.51.100.2');
    expect(table.forward(rules, '2001:db8:12::/48')).toBeNull();
    expect(table.reverse(rules, '198.51.100.2', 80)).toBeNull();
    expect(table.reverse(rules, '198.51.100.2', 1024)?.inside).toBe('2001:db8:12:3400::/56');
  });

  it('an IPv6 address row is found by its address, in any spelling, or as a /128', () => {
    expect(table.forward(rules, '2001:0db8:ffff:0::1')?.publicIp).toBe('198.51.100.3');
    expect(table.forward(rules, '2001:db8:ffff::1/128')?.publicIp).toBe('198.51.100.3');
    expect(table.forward(rules, '2001:db8:ffff::2')).toBeNull();
    expect(table.forward(rules, '100.64.0.3')).toBeNull();
    expect(table.forward(rules, 'not an address')).toBeNull();
  });

  it('claims the public addresses, consecutive ones as one range', () => {
    expect(table.claims(rules)).toEqual([{ first: '198.51.100.1', last: '198.51.100.3' }]);
  });

  it('reads the columns in any order, quoted fields, upper-case names and CRLF lines', () => {
    const other = parsed(table, 'PORT_START,port_end,"public_ip",inside\r\n"1024",1535,"203.0.113.5", "100.64.9.9"\r\n');
    expect(table.forward(other, '100.64.9.9')).toMatchObject({ publicIp: '203.0.113.5', ports: [{ start: 1024, end: 1535 }] });
  });
});

describe('table: every malformed line is refused, naming the line and what was wrong', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['too few fields', '100.64.0.9,198.51.100.1,1024', /has 3 fields; the header names 4/],
    ['too many fields', '100.64.0.9,198.51.100.1,1024,2047,tcp', /has 5 fields/],
    ['bad inside', '100.64.0.256,198.51.100.1,1024,2047', /inside: "100.64.0.256" is not an IP address/],
    ['IPv4 prefix inside', '100.64.0.0/24,198.51.100.1,1024,2047', /inside: .* is not an IPv6 address or prefix/],
    ['IPv6 prefix with host bits', '2001:db8::1/64,198.51.100.1,1024,2047', /bits set beyond \/64/],
    ['IPv6 public address', '100.64.0.9,2001:db8::1,1024,2047', /public_ip: "2001:db8::1" is not an IPv4 address/],
    ['port beyond 65535', '100.64.0.9,198.51.100.1,1024,65536', /port_end: "65536" is not a port/],
    ['negative port', '100.64.0.9,198.51.100.1,-1,2047', /port_start: "-1" is not a port/],
    ['port with a fraction', '100.64.0.9,198.51.100.1,1024.0,2047', /port_start: "1024.0"/],
    ['empty port', '100.64.0.9,198.51.100.1,,2047', /port_start: "" is not a port/],
    ['reversed range', '100.64.0.9,198.51.100.1,2047,1024', /port_end 1024 is below port_start 2047/],
    ['stray quote', '100.64.0.9,198.51.100.1,"1024,2047', /stray quote/],
    ['control character', '100.64.0.9,198.51.100.1,1024,2047\u0007', /control character/],
  ];
  for (const [what, row, message] of cases) {
    it(what, () => {
      expect(refused(table, `${HEADER}\n10.0.0.1,192.0.2.1,1024,2047\n${row}\n`)).toEqual([{ line: 3, message: expect.stringMatching(message) }]);
    });
  }

  it('a header that names other columns, or misses one, is refused naming them', () => {
    expect(refused(table, 'inside,public_ip,port_start,port_end,protocol\n')).toEqual([{ line: 1, message: expect.stringMatching(/unknown "protocol"/) }]);
    expect(refused(table, '\n# x\ninside,public_ip,port_start\n')).toEqual([{ line: 3, message: expect.stringMatching(/missing port_end/) }]);
    expect(refused(table, 'inside,inside,public_ip,port_start,port_end\n')[0].message).toMatch(/repeated inside/);
    expect(refused(table, '100.64.0.1,198.51.100.1,1024,2047\n')[0].message).toMatch(/unknown "100.64.0.1"/);
  });

  it('no header, or no rows, maps nothing', () => {
    expect(refused(table, '')[0].message).toMatch(/no header/);
    expect(refused(table, `${HEADER}\n`)[0].message).toMatch(/no rows/);
  });

  it('two rows sharing a public address and port are refused, naming both lines', () => {
    const errors = refused(table, `${HEADER}\n100.64.0.1,198.51.100.1,1024,2047\n100.64.0.2,198.51.100.1,2047,3071\n100.64.0.3,198.51.100.2,2047,3071\n`);
    expect(errors).toEqual([{ line: 3, message: '198.51.100.1 ports 2047-3071 overlap 1024-2047 of line 2: one address and port in two rows' }]);
  });

  it('a range inside a wider earlier one is caught even with rows between', () => {
    const errors = refused(table, `${HEADER}\n100.64.0.1,198.51.100.1,1024,9999\n100.64.0.2,198.51.100.1,2000,2100\n100.64.0.3,198.51.100.1,5000,5100\n`);
    expect(errors.map((e) => e.line)).toEqual([3, 4]);
  });

  it('one inside on two public addresses is refused', () => {
    const errors = refused(table, `${HEADER}\n100.64.0.1,198.51.100.1,1024,2047\n100.64.0.1,198.51.100.2,1024,2047\n`);
    expect(errors).toEqual([{ line: 3, message: expect.stringMatching(/100.64.0.1 is mapped to 198.51.100.2 here and to 198.51.100.1 on line 2/) }]);
  });

  it('an inside prefix that holds another row\'s inside is refused', () => {
    const errors = refused(table, `${HEADER}\n2001:db8:12:3400::5,198.51.100.1,1024,2047\n2001:db8:12:3400::/56,198.51.100.2,1024,2047\n`);
    expect(errors).toEqual([{ line: 3, message: expect.stringMatching(/2001:db8:12:3400::5 lies inside 2001:db8:12:3400::\/56 \(lines 2 and 3\)/) }]);
  });

  it('all errors are reported, in line order', () => {
    const errors = refused(table, `${HEADER}\nx,198.51.100.1,1,2\n100.64.0.1,198.51.100.1,1024,2047\n100.64.0.2,198.51.100.1,2000,2100\ny,1,2,3\n`);
    expect(errors.map((e) => e.line)).toEqual([2, 4, 5]);
  });
});

describe('table: properties', () => {
  // distinct holders on distinct (public, block) slots of 64 ports
  const tableText = fc.uniqueArray(fc.record({ slot: fc.integer({ min: 0, max: 4 * 1000 - 1 }), inside: fc.integer({ min: 0, max: 2 ** 24 - 1 }) }), { minLength: 1, maxLength: 60, selector: (r) => r.slot }).map((rows) => {
    const unique = rows.filter((r, i) => rows.findIndex((o) => o.inside === r.inside) === i);
    return [
      HEADER,
      ...unique.map(({ slot, inside }) => `${u32ToIpv4(0x64400000 + inside)},${u32ToIpv4(0xc6336400 + (slot % 4))},${1024 + Math.floor(slot / 4) * 64},${1024 + Math.floor(slot / 4) * 64 + 63}`),
    ].join('\n');
  });

  it('reverse(forward(x)) is x for every port of every row', () => {
    fc.assert(
      fc.property(tableText, (text) => {
        const rules = parsed(table, text);
        for (const inside of rules.byInside.keys()) expectRoundTrip(table, rules, inside);
      }),
      { numRuns: 50 },
    );
  });

  it('whoever reverse names holds that port by forward', () => {
    fc.assert(
      fc.property(tableText, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 65535 }), (text, ip, port) => {
        expectReverseHolds(table, parsed(table, text), u32ToIpv4(0xc6336400 + ip), port);
      }),
      { numRuns: 300 },
    );
  });
});
