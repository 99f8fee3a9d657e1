import { beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';

/**
 * A Kea memfile deletion row (valid_lifetime 0) or released row (state 3) says the lease ended but
 * keeps only the last client transaction. Until now such rows were skipped and the lease ran on to
 * its scheduled expiry, so a look-up after the real release named the subscriber as `unique`.
 */
const H4 = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id';
const s = (iso: string) => Date.parse(iso) / 1000;
// a one-hour lease from 10:00; a deletion row whose cltt is 10:10; scheduled expiry 11:00
const START = `100.64.5.1,00:16:3e:00:05:01,,3600,${s('2026-10-25T11:00:00Z')},1,0,0,,0,,0`;
const DELETED = `100.64.5.1,00:16:3e:00:05:01,,0,${s('2026-10-25T10:10:00Z')},1,0,0,,0,,0`;
// the same on a second address, its rows in the other order; and a third leased as released (state 3)
const START2 = START.replace('100.64.5.1', '100.64.5.2').replace('05:01', '05:02');
const DELETED2 = DELETED.replace('100.64.5.1', '100.64.5.2').replace('05:01', '05:02');
const RELEASED3 = `100.64.5.3,00:16:3e:00:05:03,,3600,${s('2026-10-25T11:10:00Z')},1,0,0,,3,,0`;
const START3 = `100.64.5.3,00:16:3e:00:05:03,,7200,${s('2026-10-25T12:00:00Z')},1,0,0,,0,,0`;

let app: TestApp;
async function ingest(rows: string[]) {
  const r = await app.inject({ method: 'POST', url: '/v1/ingest/kea-csv', headers: { ...app.auth, 'content-type': 'text/csv' }, payload: [H4, ...rows].join('\n') });
  expect(r.statusCode, r.body).toBe(200);
  expect(r.json()).toMatchObject({ accepted: rows.length, rejected: [] });
}
async function ask(ip: string, at: string, tolerance = 0) {
  const r = await app.inject({ url: `/v1/attribution?ip=${ip}&at=${at}&tolerance=${tolerance}&${PURPOSE}`, headers: app.auth });
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

beforeAll(async () => {
  app = await testApp();
  await ingest([START, DELETED, RELEASED3]);
  await ingest([DELETED2, START2, START3]);
});

describe('an end the lease file states without its time', () => {
  it('answers unique up to the last known activity', async () => {
    const a = await ask('100.64.5.1', '2026-10-25T10:05:00Z');
    expect(a).toMatchObject({ status: 'unique', subscriberId: '00:16:3e:00:05:01' });
    expect(a.reasons).not.toContain('end_unknown');
  });

  it('inside the bound names the candidate with end_unknown and never as unique', async () => {
    for (const at of ['2026-10-25T10:10:00.001Z', '2026-10-25T10:30:00Z', '2026-10-25T10:59:59Z']) {
      const a = await ask('100.64.5.1', at);
      expect(a.status, at).toBe('ambiguous');
      expect(a.subscriberId).toBeNull();
      expect(a.reasons).toContain('end_unknown');
      expect(a.candidates.map((c: { subscriberId: string }) => c.subscriberId)).toEqual(['00:16:3e:00:05:01']);
      expect(a.candidates[0].evidence[0].lease).toMatchObject({
        start: '2026-10-25T10:00:00.000Z', endNotBefore: '2026-10-25T10:10:00.000Z', end: '2026-10-25T11:00:00.000Z', endBasis: 'scheduled',
      });
    }
  });

  it('is not_found after the scheduled expiry, as before', async () => {
    const a = await ask('100.64.5.1', '2026-10-25T11:00:01Z');
    expect(a.status).toBe('not_found');
    expect(a.reasons).toContain('no_lease');
  });

  it('holds through the NAT hop: the allocation leads to a lease bounded before the instant', async () => {
    const nat = { kind: 'nat', event: 'alloc', at: '2026-10-25T09:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.60', portStart: 1024, portEnd: 2047, privateIp: '100.64.5.1' };
    const r = await app.inject({ method: 'POST', url: '/v1/events', headers: app.auth, payload: [nat] });
    expect(r.json()).toEqual({ accepted: 1, rejected: [] });
    const before = await ask('198.51.100.60&port=1500', '2026-10-25T10:05:00Z');
    expect(before).toMatchObject({ status: 'unique', subscriberId: '00:16:3e:00:05:01' });
    const inside = await ask('198.51.100.60&port=1500', '2026-10-25T10:30:00Z');
    expect(inside).toMatchObject({ status: 'ambiguous', subscriberId: null, reasons: expect.arrayContaining(['end_unknown']) });
  });

  it('a tolerance window that still reaches the known part keeps the answer unique', async () => {
    const a = await ask('100.64.5.1', '2026-10-25T10:12:00Z', 180);
    expect(a).toMatchObject({ status: 'unique', subscriberId: '00:16:3e:00:05:01' });
  });

  it('gives the same answers whichever row arrives first', async () => {
    for (const at of ['2026-10-25T10:05:00Z', '2026-10-25T10:30:00Z', '2026-10-25T11:00:01Z']) {
      const one = await ask('100.64.5.1', at);
      const two = await ask('100.64.5.2', at);
      expect({ status: two.status, reasons: two.reasons }).toEqual({ status: one.status, reasons: one.reasons });
      expect(two.candidates.map((c: any) => ({ ...c.evidence[0].lease, id: '', ip: '', subscriberId: '' })))
        .toEqual(one.candidates.map((c: any) => ({ ...c.evidence[0].lease, id: '', ip: '', subscriberId: '' })));
    }
  });

  it('reads a released row (state 3, lease affinity) the same way: ended at an unknown time after its cltt', async () => {
    expect(await ask('100.64.5.3', '2026-10-25T10:05:00Z')).toMatchObject({ status: 'unique' });
    const a = await ask('100.64.5.3', '2026-10-25T11:30:00Z');
    expect(a).toMatchObject({ status: 'ambiguous', reasons: expect.arrayContaining(['end_unknown']) });
    expect(a.candidates[0].evidence[0].lease.endNotBefore).toBe('2026-10-25T10:10:00.000Z');
  });
});
