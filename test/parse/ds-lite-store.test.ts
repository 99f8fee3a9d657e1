import { Redis } from 'ioredis';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bytesToIp, ipToBytes } from '../../core/ip.js';
import type { NatEvent } from '../../events/schema.js';
import { ciscoCgn } from '../../parse/formats/cisco-cgn.js';
import { juniperPba } from '../../parse/formats/juniper-pba.js';
import { vpp } from '../../parse/formats/vpp.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexReader } from '../../timeindex/reader.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { run } from '../helpers/parse.js';
import { testRedis } from '../helpers/redis.js';

// DS-Lite AFTR lines as three formats write them, from the parser to the time index: the B4's
// IPv6 address is what is stored as the holder of the public port, all 16 bytes of it.

let redis: Redis;
let writer: IndexWriter;
let reader: IndexReader;

beforeAll(async () => {
  ({ redis } = await testRedis());
  writer = new IndexWriter(redis, new ProfileDictionary(redis));
  reader = new IndexReader(redis);
});
beforeEach(async () => {
  await redis.flushdb();
});

async function store(events: NatEvent[]) {
  expect(events.length).toBeGreaterThan(0);
  const out = await writer.write(events);
  expect(out.failed).toEqual([]);
}

async function holderAt(publicIp: string, port: number, at: number): Promise<Buffer[]> {
  const stab = await reader.nat(publicIp, port, at, at);
  expect(stab.hasNat).toBe(true);
  return stab.chains.flatMap((c) => c.entries.filter((e) => e.start <= at && (e.end === null || at < e.end)).map((e) => e.who));
}

describe('DS-Lite NAT events in the time index', () => {
  it('stores the B4 address of a Cisco DSLITE record naming 192.0.0.2 too, and a stab of the public port returns its 16 bytes', async () => {
    const r = run(ciscoCgn, [
      '<134> 1 2026 Mar 4 07:05:09 aftr1 - - DSLITE - [UserbasedA - 192.0.0.2 Broadband 2001:db8:b4:1::2 198.51.100.9 - 4096 4351 - - ]' +
        '[UserbasedA - 192.0.0.2 Broadband 2001:db8:b4:2::2 198.51.100.9 - 4352 4607 - - ]',
    ]);
    expect(r.rejects).toEqual([]);
    await store(r.events);
    const at = Date.UTC(2026, 2, 4, 7, 30);
    const first = await holderAt('198.51.100.9', 4100, at);
    expect(first.map((b) => b.length)).toEqual([16]);
    expect(first[0].equals(ipToBytes('2001:db8:b4:1::2'))).toBe(true);
    expect((await holderAt('198.51.100.9', 4600, at)).map(bytesToIp)).toEqual(['2001:db8:b4:2::2']);
  });

  it('stores Juniper and VPP B4 holders the same way, released at their release', async () => {
    const j = run(juniperPba, [
      '<14>1 2026-03-14T09:26:54.000Z srx-aftr RT_NAT - RT_SRC_NAT_PBA_ALLOC [junos@2636.1.1.1.2.129 internal-ip="2001:db8:b4::21" block-port-low="20480" block-port-high="20607" reflexive-ip="198.51.100.44" epoch-time-64="69b529dd"]',
      '<14>1 2026-03-14T09:59:59.000Z srx-aftr RT_NAT - RT_SRC_NAT_PBA_RELEASE [junos@2636.1.1.1.2.129 internal-ip="2001:db8:b4::21" block-port-low="20480" block-port-high="20607" reflexive-ip="198.51.100.44" epoch-time-64="69b5319e"]',
    ]);
    const v = run(vpp, [
      '<134>1 2026-03-14T09:30:00.000Z tnsr NAT 77 APMADD [napmap SSUBIX="1" SV6ENC="2001:db8:b4::31" IATYP="IPv4" ISADDR="192.0.0.2" ISPORT="5000" XATYP="IPv4" XSADDR="198.51.100.45" XSPORT="3000" PROTO="6"]',
    ]);
    expect([...j.rejects, ...v.rejects]).toEqual([]);
    await store([...j.events, ...v.events]);
    const during = Date.UTC(2026, 2, 14, 9, 45);
    expect((await holderAt('198.51.100.44', 20500, during)).map(bytesToIp)).toEqual(['2001:db8:b4::21']);
    expect(await holderAt('198.51.100.44', 20500, Date.UTC(2026, 2, 14, 10, 30))).toEqual([]);
    const vppHolder = await holderAt('198.51.100.45', 3000, during);
    expect(vppHolder.map((b) => [b.length, bytesToIp(b)])).toEqual([[16, '2001:db8:b4::31']]);
  });
});
