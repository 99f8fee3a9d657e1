import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SHAPE, leaseEvents, natEvents, publicIpOf, rng, type IspShape } from '../../loadtest/synthetic-isp.js';
import type { CanonicalEvent } from '../../events/schema.js';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { byName, postBulk, singleLookup } from './helpers.js';

/**
 * A generated day of traffic: a small synthetic ISP on 2026-10-25 (the night Copenhagen
 * repeats 02:00-03:00), ingested through the IndexWriter, and a log of hits on it: random
 * addresses, ports and times, hits exactly on allocation handovers, ports outside every block,
 * an address without NAT, times as ISO, epoch seconds and Copenhagen local time. Every row of
 * the bulk answer must equal what `GET /v1/attribution` answers for it.
 */
const SHAPE: IspShape = { ...DEFAULT_SHAPE, publicIps: 4, blocksPerIp: 8, days: 1, meanHoldHours: 2, privateIps: 300, start: Date.UTC(2026, 9, 25), seed: 7 };
const ROWS = 1500;

let app: TestApp;
let log: string;
let rows: Array<{ id: string; ip: string; port: string; timestamp: string; tz: string }>;

beforeAll(async () => {
  app = await testApp();
  const nat = [...natEvents(SHAPE)];
  const events: CanonicalEvent[] = [...nat, ...leaseEvents(SHAPE, 6)];
  for (let i = 0; i < events.length; i += 2000) {
    const out = await app.indexWriter.write(events.slice(i, i + 2000));
    expect(out.failed).toEqual([]);
  }
  const r = rng(99);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const handovers = nat.map((e) => ({ ip: e.publicIp, port: e.portStart! + Math.floor(r() * 1024), at: e.at }));
  rows = [];
  for (let i = 0; i < ROWS; i++) {
    let ip = publicIpOf(Math.floor(r() * (SHAPE.publicIps + 1)));
    let port: number | null = 1024 + Math.floor(r() * SHAPE.blocksPerIp * 1024 + 200) - 100;
    let t = SHAPE.start + Math.floor(r() * 86_400_000);
    const kind = r();
    if (kind < 0.2) ({ ip, port, at: t } = pick(handovers));
    else if (kind < 0.25) port = null;
    const form = r();
    let timestamp: string;
    let tz = '';
    if (form < 0.6) timestamp = new Date(t).toISOString().replace('.000Z', 'Z');
    else if (form < 0.8) timestamp = String(Math.floor(t / 1000));
    else {
      // Copenhagen wall time (the repeated hour names both instants)
      const local = new Date(t + (t < Date.UTC(2026, 9, 25, 1) ? 2 : 1) * 3_600_000).toISOString();
      timestamp = local.slice(0, 19);
      tz = 'Europe/Copenhagen';
    }
    rows.push({ id: `h${i + 1}`, ip, port: port === null ? '' : String(port), timestamp, tz });
  }
  log = `id,src_ip,src_port,time,tz\n${rows.map((x) => `${x.id},${x.ip},${x.port},${x.timestamp},${x.tz}`).join('\n')}\n`;
}, 120_000);

const single = (x: (typeof rows)[number]) =>
  singleLookup(app, { ip: x.ip, at: x.timestamp, ...(x.port ? { port: x.port } : {}), ...(x.tz ? { tz: x.tz } : {}) });

describe('bulk and single look-up agree', () => {
  it('on every row of a generated day of traffic (NDJSON: the full answer)', async () => {
    const r = await postBulk(app, log, 'format=ndjson');
    expect(r.statusCode).toBe(200);
    const lines = r.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(ROWS);
    const statuses = new Set<string>();
    for (let i = 0; i < ROWS; i++) {
      expect(lines[i].row).toBe(i + 1);
      expect(lines[i].input.id).toBe(rows[i].id);
      expect(lines[i].answer, `row ${i + 1}: ${JSON.stringify(rows[i])}`).toEqual(await single(rows[i]));
      statuses.add(lines[i].status);
    }
    // the day exercises every kind of answer
    expect([...statuses].sort()).toEqual(['ambiguous', 'not_found', 'unique']);
  }, 120_000);

  it('on every row of the CSV answer', async () => {
    const r = await postBulk(app, log);
    const out = byName(r.records);
    expect(out).toHaveLength(ROWS);
    let ambiguousLocal = 0;
    for (let i = 0; i < ROWS; i++) {
      const a = await single(rows[i]);
      const got = out[i];
      expect(got.id).toBe(rows[i].id);
      expect({ status: got.status, subscriber: got.subscriber_id, candidates: got.candidates, reasons: got.reasons, instants: got.instants_utc }, `row ${i + 1}`).toEqual({
        status: a.status,
        subscriber: a.subscriberId ?? '',
        candidates: a.candidates.map((c: { subscriberId: string }) => c.subscriberId).sort().join(';'),
        reasons: a.reasons.join(';'),
        instants: a.instants.map((x: { utc: string }) => x.utc).join(';'),
      });
      const refs = a.candidates.flatMap((c: any) => c.evidence.map((e: any) => (e.allocation ? `${e.allocation.id}->${e.lease.id}` : e.lease.id)));
      expect(got.evidence).toBe(refs.join(';'));
      if (a.reasons.includes('ambiguous_local_time')) ambiguousLocal++;
    }
    expect(ambiguousLocal).toBeGreaterThan(0);
    expect(r.summary.rows).toBe(ROWS);
  }, 120_000);
});
