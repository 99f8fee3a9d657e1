import { beforeAll, describe, expect, it } from 'vitest';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { sample } from './sample.js';

const events = [
  { kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.1' },
  { kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.0.1', subscriberId: 'sub-A', expiresAt: '2026-10-26T00:00:00Z' },
];

let app: TestApp;
beforeAll(async () => {
  // loopback scraping is a setting, off by default (issue 18, item 10)
  app = await testApp({ WHOHAD_METRICS_LOOPBACK: 'true' });
});


const scrape = async () => {
  const r = await app.inject({ url: '/metrics' });
  expect(r.statusCode).toBe(200);
  return r.body;
};

describe('GET /metrics', () => {
  it('is Prometheus text with process metrics and event-loop lag', async () => {
    const r = await app.inject({ url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toMatch(/^# TYPE whohad_nodejs_eventloop_lag_seconds gauge$/m);
    expect(r.body).toMatch(/^# TYPE whohad_http_request_duration_seconds histogram$/m);
    expect(r.body).toMatch(/^whohad_process_resident_memory_bytes \d+/m);
  });

  it('times requests by route pattern and status, never by the URL asked', async () => {
    const before = await scrape();
    const url = `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}`;
    expect((await app.inject({ method: 'POST', url: '/v1/events', headers: app.auth, payload: events })).statusCode).toBe(200);
    expect((await app.inject({ url, headers: app.auth })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/attribution?ip=not-an-ip&at=2026-10-25T00:30:00Z&' + PURPOSE, headers: app.auth })).statusCode).toBe(400);
    expect((await app.inject({ url: '/no/such/route/198.51.100.7' })).statusCode).toBe(404);
    const after = await scrape();
    const count = (text: string, labels: Record<string, string>) => sample(text, 'whohad_http_request_duration_seconds_count', labels);
    expect(count(after, { route: '/v1/attribution', status: '200', method: 'GET' }) - count(before, { route: '/v1/attribution', status: '200', method: 'GET' })).toBe(1);
    expect(count(after, { route: '/v1/attribution', status: '400' }) - count(before, { route: '/v1/attribution', status: '400' })).toBe(1);
    expect(count(after, { route: '/v1/events', status: '200', method: 'POST' }) - count(before, { route: '/v1/events', status: '200', method: 'POST' })).toBe(1);
    expect(count(after, { route: 'unmatched', status: '404' }) - count(before, { route: 'unmatched', status: '404' })).toBe(1);
    // no address, subscriber id, case or token anywhere in the exposition
    expect(after).not.toMatch(/198\.51\.100|100\.64\.0|sub-A|C-2026|whd_|no\/such/);
  });

  it('counts look-ups by status, ingest by format and outcome, access-log writes and Redis commands', async () => {
    const before = await scrape();
    await app.inject({ method: 'POST', url: '/v1/events', headers: app.auth, payload: [...events, { kind: 'nat', event: 'bogus' }] });
    const kea = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\r\n100.64.7.1,00:16:3e:aa:bb:01,,86400,1793016000,1,0,0,cpe-1,0,,0\r\n100.64.7.2,x,,86400,nan,1,0,0,cpe-2,0,,0';
    await app.inject({ method: 'POST', url: '/v1/ingest/kea-csv', headers: { ...app.auth, 'content-type': 'text/csv' }, payload: kea });
    await app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}`, headers: app.auth });
    await app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=9999&at=2026-10-25T00:30:00Z&${PURPOSE}`, headers: app.auth });
    await app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}` }); // refused: logged too
    await app.refusals.flush(); // refusals without a valid token are recorded once a minute per source
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('whohad_lookups_total', { status: 'unique' })).toBe(1);
    expect(delta('whohad_lookups_total', { status: 'not_found' })).toBe(1);
    expect(delta('whohad_ingest_events_total', { format: 'canonical', outcome: 'accepted' })).toBe(2);
    expect(delta('whohad_ingest_events_total', { format: 'canonical', outcome: 'rejected' })).toBe(1);
    expect(delta('whohad_ingest_events_total', { format: 'kea-csv', outcome: 'accepted' })).toBe(1);
    expect(delta('whohad_ingest_events_total', { format: 'kea-csv', outcome: 'rejected' })).toBe(1);
    // two look-ups, one refusal, and the two ingest requests (each recorded since issue 18's provenance item)
    expect(delta('whohad_access_log_writes_total')).toBe(5);
    expect(delta('whohad_access_log_failures_total')).toBe(0);
    expect(delta('whohad_redis_commands_total', { command: 'evalsha' })).toBeGreaterThan(0);
    expect(after).toMatch(/^# TYPE whohad_bulk_rows_total counter$/m);
  });

  it('answers loopback; elsewhere only an admin token', async () => {
    const from = { remoteAddress: '203.0.113.5' };
    expect((await app.inject({ url: '/metrics', ...from })).statusCode).toBe(401);
    const investigator = (await app.tokens.create('metrics-investigator', ['investigator'])).token;
    const admin = (await app.tokens.create('metrics-admin', ['admin'])).token;
    const denied = await app.inject({ url: '/metrics', ...from, headers: { authorization: `Bearer ${investigator}` } });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toMatch(/lacks the admin role/);
    const ok = await app.inject({ url: '/metrics', ...from, headers: { authorization: `Bearer ${admin}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toMatch(/whohad_lookups_total/);
    expect((await app.inject({ url: '/metrics', remoteAddress: '::1' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics', remoteAddress: '::ffff:127.0.0.1' })).statusCode).toBe(200);
  });

  it('counts an access-log write that fails', async () => {
    const before = sample(await scrape(), 'whohad_access_log_failures_total');
    const head = await app.redis.hgetall('{audit}:heads');
    await app.redis.set('{audit}:heads', 'not a hash');
    const r = await app.inject({ url: `/v1/attribution?ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&${PURPOSE}`, headers: app.auth });
    expect(r.statusCode).toBe(503);
    await app.redis.del('{audit}:heads');
    await app.redis.hset('{audit}:heads', head);
    expect(sample(await scrape(), 'whohad_access_log_failures_total') - before).toBe(1);
  });
});

describe('GET /readyz', () => {
  it('reports Redis (and, on a cluster, the cluster state)', async () => {
    const r = await app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(200);
    expect(r.json().status).toBe('ready');
    expect(r.json().redis).toMatch(process.env.WHOHAD_TEST_CLUSTER ? /^cluster ok: 3 primaries/ : /^up$/);
  });
});
