import { beforeAll, describe, expect, it } from 'vitest';
import { processName, SourceStats } from '../../intake/source-stats.js';
import { storeEvents } from '../../intake/store-queue.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { min, nat } from '../helpers/events.js';
import { sample } from './sample.js';

let app: TestApp;
beforeAll(async () => {
  app = await testApp();
});

const scrape = async () => {
  const r = await app.inject({ url: '/metrics', headers: app.auth });
  expect(r.statusCode).toBe(200);
  return r.body;
};

describe('GET /metrics: what the ingesting processes wrote to Redis', () => {
  it('shows per source events, rejects and skips by reason, drops, pending, spool and freshness, from any process', async () => {
    // a collector elsewhere: its counts reach the service only through Redis
    const collector = new SourceStats(app.redis, 'collect@edge-1:42');
    const events = [nat('alloc', 0, '100.64.9.1', { publicIp: '198.51.100.61' }), nat('alloc', 0, '100.64.9.2', { publicIp: '198.51.100.61', portStart: 2048, portEnd: 3071 })];
    await storeEvents((e) => app.indexWriter.write(e), events, null, { stats: collector, sourceOf: () => 'srx-edge' });
    collector.count('srx-edge', 'received', 5);
    collector.reason('srx-edge', 'rejected', 'bad port "x"');
    collector.reason('srx-edge', 'skipped', 'not an allocation: pool alarm');
    collector.reason('srx-edge', 'dropped', 'dropped: the store is behind');
    collector.setGauges({ pending: { 'srx-edge': 7 }, spoolBytes: 4096 });
    await collector.flush();

    const text = await scrape();
    const v = (name: string, labels: Record<string, string> = {}) => sample(text, name, labels);
    expect(v('whohad_source_events_total', { source: 'srx-edge' })).toBe(2);
    expect(v('whohad_source_received_total', { source: 'srx-edge' })).toBe(5);
    expect(v('whohad_source_rejected_total', { source: 'srx-edge', reason: 'bad_port' })).toBe(1);
    expect(v('whohad_source_skipped_total', { source: 'srx-edge', reason: 'not_an_allocation' })).toBe(1);
    expect(v('whohad_source_dropped_total', { source: 'srx-edge' })).toBe(1);
    expect(v('whohad_source_pending_events', { source: 'srx-edge' })).toBe(7);
    expect(v('whohad_ingest_process_spool_bytes', { process: 'collect@edge-1:42' })).toBe(4096);
    expect(Math.abs(v('whohad_source_last_event_timestamp_seconds', { source: 'srx-edge' }) - Date.now() / 1000)).toBeLessThan(60);
    expect(text).toMatch(/^# TYPE whohad_source_events_total counter$/m);
    expect(text).toMatch(/^# TYPE whohad_source_last_event_timestamp_seconds gauge$/m);
  });

  it('counts HTTP ingest under the source the events name', async () => {
    const body = [{ kind: 'nat', event: 'alloc', at: '2026-10-25T03:00:00Z', natInstance: 'cgn9', publicIp: '198.51.100.62', portStart: 1024, portEnd: 2047, privateIp: '100.64.9.3', source: 'http-feed' }];
    expect((await app.inject({ method: 'POST', url: '/v1/events', headers: app.auth, payload: body })).statusCode).toBe(200);
    await app.sourceStats.flush();
    // the scrape above cached Redis for a few seconds: read the hash the scrape reads
    expect(await app.redis.hget('{whohad}:ingest:source:http-feed', 'events')).toBe('1');
    expect(processName('serve')).toMatch(/^serve@.+:\d+$/);
  });
});

describe('GET /metrics: open allocations per NAT instance', () => {
  it('gives each instance its open allocations and the oldest last-seen time among them', async () => {
    const ip = '198.51.100.70';
    const block = (n: number) => ({ publicIp: ip, portStart: 1024 * n, portEnd: 1024 * n + 1023 });
    const events = [
      nat('alloc', 0, '100.64.8.1', { ...block(1), natInstance: 'edge-a' }),
      nat('alloc', 10, '100.64.8.2', { ...block(2), natInstance: 'edge-a' }),
      nat('interim', 70, '100.64.8.2', { ...block(2), natInstance: 'edge-a' }),
      nat('alloc', 20, '100.64.8.3', { ...block(3), natInstance: 'edge-b' }),
      nat('release', 30, '100.64.8.3', { ...block(3), natInstance: 'edge-b' }),
      nat('alloc', 40, '100.64.8.4', { publicIp: '198.51.100.71', natInstance: 'edge-b' }),
    ];
    // an app of its own, which has not swept yet: its first scrape waits for the sweep
    const fresh = await testApp();
    expect((await fresh.indexWriter.write(events)).failed).toEqual([]);
    const text = (await fresh.inject({ url: '/metrics', headers: fresh.auth })).body;
    const v = (name: string, labels: Record<string, string> = {}) => sample(text, name, labels);
    expect(v('whohad_nat_open_allocations', { nat_instance: 'edge-a' })).toBe(2);
    expect(v('whohad_nat_open_allocation_oldest_seen_timestamp_seconds', { nat_instance: 'edge-a' })).toBe(min(0) / 1000);
    // edge-b: one released, one open since minute 40
    expect(v('whohad_nat_open_allocations', { nat_instance: 'edge-b' })).toBe(1);
    expect(v('whohad_nat_open_allocation_oldest_seen_timestamp_seconds', { nat_instance: 'edge-b' })).toBe(min(40) / 1000);
    expect(v('whohad_nat_open_sweep_timestamp_seconds')).toBeGreaterThan(0);
  });
});
