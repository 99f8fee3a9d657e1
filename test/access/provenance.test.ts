import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tokenCreate, tokenList } from '../../cli/admin.js';
import { eventFromWire } from '../../events/wire.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexWriter } from '../../timeindex/writer.js';
import type { Redis } from 'ioredis';
import { PURPOSE, testApp, type TestApp } from '../helpers/app.js';
import { testRedis, testRedisUrl } from '../helpers/redis.js';
import { asking } from '../helpers/query.js';
import { whohad } from '../cli/run.js';
import { JUNIPER, startCollectProcess } from '../metrics/collect-process.js';
import { auditKeys, type AuditRecord } from '../../audit/log.js';
import { Resolver } from '../../resolver/resolve.js';
import { IndexReader } from '../../timeindex/reader.js';
import { bearer, logRecords, Q_A } from './helpers.js';
import { runCommand } from '../helpers/cli-output.js';

const lease = (source: string | undefined, sub: string) => ({ kind: 'lease', event: 'start', at: '2026-10-24T20:00:00Z', ip: '100.64.0.1', subscriberId: sub, ...(source ? { source } : {}) });
const nat = { kind: 'nat', event: 'alloc', at: '2026-10-25T00:00:00Z', natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 1024, portEnd: 1535, privateIp: '100.64.0.1', source: 'cgn-feed' };

afterEach(() => vi.unstubAllEnvs());

describe('ingest tokens bound to their sources', () => {
  it('stores only events under the sources a token may write; a fabricated lease from another feed is rejected, not answered', async () => {
    const app = await testApp();
    const dhcp = await bearer(app, 'dhcp-feed', ['ingest'], ['kea-main']);
    const cgn = await bearer(app, 'cgn-feed', ['ingest'], ['cgn-feed']);
    expect((await app.inject({ method: 'POST', url: '/v1/events', headers: cgn, payload: [nat] })).json()).toEqual({ accepted: 1, rejected: [] });
    // the NAT feed's token tries to plant a lease as if the DHCP server had sent it
    const planted = await app.inject({ method: 'POST', url: '/v1/events', headers: cgn, payload: [lease('kea-main', 'innocent'), lease(undefined, 'innocent')] });
    expect(planted.json()).toEqual({
      accepted: 0,
      rejected: [
        { line: 1, reason: 'source "kea-main": token "cgn-feed" may write only "cgn-feed"' },
        { line: 2, reason: 'source "canonical": token "cgn-feed" may write only "cgn-feed"' },
      ],
    });
    expect((await app.inject({ url: `/v1/attribution?${Q_A}&${PURPOSE}`, headers: app.auth })).json().status).toBe('not_found');
    expect((await app.inject({ method: 'POST', url: '/v1/events', headers: dhcp, payload: [lease('kea-main', 'sub-A')] })).json().accepted).toBe(1);
    expect((await app.inject({ url: `/v1/attribution?${Q_A}&${PURPOSE}`, headers: app.auth })).json().subscriberId).toBe('sub-A');
  });

  it('binds raw ingest to ?source=, or to the format name without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'whohad-sources-'));
    const file = join(dir, 'sources.yaml');
    writeFileSync(file, 'sources:\n  - name: kea-main\n    format: kea-csv\n');
    const app = await testApp({ WHOHAD_SOURCES: file });
    const kea = await bearer(app, 'kea', ['ingest'], ['kea-main']);
    const body = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\r\n100.64.7.1,00:16:3e:aa:bb:01,,86400,1793016000,1,0,0,cpe-1,0,,0\r\n';
    const post = (query: string) => app.inject({ method: 'POST', url: `/v1/ingest/kea-csv${query}`, headers: { ...kea, 'content-type': 'text/csv' }, payload: body });
    const ok = await post('?source=kea-main');
    expect(ok.json()).toEqual({ accepted: 1, rejected: [] });
    const bare = await post('');
    expect(bare.statusCode).toBe(403);
    expect(bare.json().message).toBe('source "kea-csv": token "kea" may write only "kea-main" (without ?source= the format name is the source); nothing was stored');
    const last = (await logRecords(app)).at(-1)!;
    expect(last).toMatchObject({ kind: 'denied', user: 'kea', route: 'POST /v1/ingest/{format}' });
  });
});

describe('every ingest request in the access log', () => {
  it('records token, user, address, format, events stored per source, rejects and time', async () => {
    const app = await testApp();
    const feed = await bearer(app, 'feed', ['ingest'], ['a', 'b']);
    const before = (await logRecords(app)).length;
    const r = await app.inject({ method: 'POST', url: '/v1/events', headers: feed, payload: [lease('a', 's1'), lease('a', 's2'), lease('b', 's3'), lease('c', 's4'), { kind: 'bogus' }], remoteAddress: '192.0.2.30' });
    expect(r.json().accepted).toBe(3);
    const [rec] = (await logRecords(app)).slice(before);
    expect(rec).toMatchObject({
      kind: 'ingest', user: 'feed', client: '192.0.2.30', route: 'POST /v1/events', disclosed: [],
      details: { format: 'canonical', sources: { a: 2, b: 1 }, accepted: 3, rejected: 2 },
    });
    expect(rec.tokenId).toMatch(/^[0-9a-f]{12}$/);
    expect(Date.parse(rec.time)).toBeGreaterThan(Date.now() - 60_000);
    await app.inject({ method: 'POST', url: '/v1/ingest/kea-csv', headers: { ...app.auth, 'content-type': 'text/csv' }, payload: 'garbage\n' });
    expect((await logRecords(app)).at(-1)).toMatchObject({ kind: 'ingest', user: 'tester', route: 'POST /v1/ingest/{format}', details: { format: 'kea-csv', accepted: 0 } });
  });

  it('answers 503 when the ingest cannot be recorded', async () => {
    const app = await testApp();
    await app.redis.set('{audit}:heads', 'not a hash');
    const r = await app.inject({ method: 'POST', url: '/v1/events', headers: app.auth, payload: [lease('x', 's1')] });
    expect(r.statusCode).toBe(503);
    expect(r.json().message).toMatch(/could not record this ingest/);
    await app.redis.del('{audit}:heads');
  });
});

describe('whohad token create --sources', () => {
  const run = runCommand;

  it('needs an ingest token to name its sources (or * on purpose), and lists them', async () => {
    vi.stubEnv('REDIS_URL', await testRedisUrl());
    const none = await run(() => tokenCreate({ name: 'feed0', role: 'ingest' }));
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/an ingest token needs --sources/);
    expect((await run(() => tokenCreate({ name: 'feed1', role: 'ingest', sources: 'kea-main, radius' }))).code).toBe(0);
    expect((await run(() => tokenCreate({ name: 'feed2', role: 'ingest', sources: '*' }))).code).toBe(0);
    const bad = await run(() => tokenCreate({ name: 'feed3', role: 'ingest', sources: 'a,b c' }));
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.err).toMatch(/source "b c": use 1-128 characters without commas, spaces or control characters/);
    const list = (await run(() => tokenList())).out;
    expect(list).toMatch(/^feed1 .* sources kea-main,radius$/m);
    expect(list).toMatch(/^feed2 .* sources \*$/m);
  });
});

describe('which ingest put each record there', () => {
  const ask = async (app: TestApp, q: string) => (await app.inject({ url: `/v1/attribution?${q}&${PURPOSE}`, headers: app.auth })).json();

  it("names the token that wrote each record in the answer's evidence, and the access log holds that token's request", async () => {
    const app = await testApp();
    const cgn = await app.tokens.create('cgn-feed', ['ingest'], ['cgn-feed']);
    const dhcp = await app.tokens.create('dhcp-feed', ['ingest'], ['kea-main']);
    const as = (t: { token: string }) => ({ authorization: `Bearer ${t.token}` });
    expect((await app.inject({ method: 'POST', url: '/v1/events', headers: as(cgn), payload: [nat] })).json().accepted).toBe(1);
    // the lease arrives through a token bound to its source: fabricated or not, the answer names the credential
    expect((await app.inject({ method: 'POST', url: '/v1/events', headers: as(dhcp), payload: [lease('kea-main', 'sub-A')] })).json().accepted).toBe(1);
    const a = await ask(app, Q_A);
    expect(a.status).toBe('unique');
    const [ev] = a.candidates[0].evidence;
    expect(ev.allocation.ingest).toEqual({ path: 'token', tokenId: cgn.info.tokenId });
    expect(ev.lease.ingest).toEqual({ path: 'token', tokenId: dhcp.info.tokenId });
    // the requests behind the lease: the ingest records of that token, with the same identity
    const ingests = (await logRecords(app)).filter((r) => r.kind === 'ingest' && r.tokenId === dhcp.info.tokenId);
    expect(ingests).toHaveLength(1);
    expect(ingests[0]).toMatchObject({ user: 'dhcp-feed', route: 'POST /v1/events', details: { ingest: ev.lease.ingest, sources: { 'kea-main': 1 }, accepted: 1 } });
    const audit = await app.inject({ url: `/v1/audit?tokenId=${dhcp.info.tokenId}`, headers: app.auth });
    expect(audit.statusCode).toBe(200);
    expect(audit.json().records.map((r: { kind: string; tokenId: string }) => [r.kind, r.tokenId])).toEqual([['ingest', dhcp.info.tokenId]]);
    // a token id is 12 hex digits: anything else is refused, naming the parameter
    const bad = await app.inject({ url: '/v1/audit?tokenId=whd_secret', headers: app.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/tokenId/);
  });

  it('names the token of a raw-format ingest too', async () => {
    const app = await testApp();
    const kea = await app.tokens.create('kea', ['ingest'], ['kea-csv']);
    const body = 'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\r\n100.64.7.1,00:16:3e:aa:bb:01,,86400,1793016000,1,0,0,cpe-1,0,,0\r\n';
    const r = await app.inject({ method: 'POST', url: '/v1/ingest/kea-csv', headers: { authorization: `Bearer ${kea.token}`, 'content-type': 'text/csv' }, payload: body });
    expect(r.json()).toEqual({ accepted: 1, rejected: [] });
    const a = await ask(app, 'ip=100.64.7.1&at=2026-10-26T00:00:00Z');
    expect(a.candidates[0].evidence[0].lease).toMatchObject({ source: 'kea-csv', ingest: { path: 'token', tokenId: kea.info.tokenId } });
    expect((await logRecords(app)).at(-2)).toMatchObject({ kind: 'ingest', tokenId: kea.info.tokenId, details: { ingest: { path: 'token', tokenId: kea.info.tokenId } } });
  });

  it('answers a record written before ingests were named (a profile of two parts) with ingest null, a VRF holding | included', async () => {
    const app = await testApp();
    // what every earlier version wrote: the profile text <vrf>|<source>, by a writer that names no ingest
    const writer = new IndexWriter(app.redis, new ProfileDictionary(app.redis), { days: 36500, now: () => Date.now() });
    const wire = [
      { ...nat, publicIp: '198.51.100.9', privateIp: '100.64.0.9', privateVrf: 'cust|a', source: 'cgn-old' },
      { ...lease('kea-old', 'sub-old'), ip: '100.64.0.9', vrf: 'cust|a' },
    ].map((w) => {
      const r = eventFromWire(w);
      if (!r.ok) throw new Error(r.reason);
      return r.event;
    });
    expect((await writer.write(wire)).failed).toEqual([]);
    expect(await app.redis.hmget('{whohad}:dict', 'i:1', 'i:2')).toEqual(['cust|a|cgn-old', 'cust|a|kea-old']);
    const a = await ask(app, 'ip=198.51.100.9&port=1100&at=2026-10-25T00:30:00Z');
    expect(a.status).toBe('unique');
    const [ev] = a.candidates[0].evidence;
    expect(ev.allocation).toMatchObject({ privateVrf: 'cust|a', source: 'cgn-old', ingest: null });
    expect(ev.lease).toMatchObject({ vrf: 'cust|a', subscriberId: 'sub-old', source: 'kea-old', ingest: null });
  });

  it('grows the dictionary with the credentials that write, not with their requests', async () => {
    const app = await testApp();
    const one = await bearer(app, 'one', ['ingest'], ['kea-main']);
    const two = await bearer(app, 'two', ['ingest'], ['kea-main']);
    const ids = async () => Number((await app.redis.hget('{whohad}:dict', 'n')) ?? 0);
    const at = (i: number) => `2026-10-24T${String(i).padStart(2, '0')}:00:00Z`;
    for (let i = 0; i < 6; i++) {
      const payload = [{ ...lease('kea-main', `sub-${i}`), ip: `100.64.1.${i}`, at: at(i) }];
      expect((await app.inject({ method: 'POST', url: '/v1/events', headers: one, payload })).json().accepted).toBe(1);
    }
    expect(await ids()).toBe(1);
    for (let i = 0; i < 3; i++) {
      const payload = [{ ...lease('kea-main', `sub-${i}`), ip: `100.64.2.${i}`, at: at(i) }];
      expect((await app.inject({ method: 'POST', url: '/v1/events', headers: two, payload })).json().accepted).toBe(1);
    }
    expect(await ids()).toBe(2);
  });
});

describe('which ingest put each record there: the host paths', () => {
  // each run of the CLI or the collector is a process of its own: seconds, not milliseconds
  vi.setConfig({ testTimeout: 120_000 });
  const resolverOn = (redis: Redis) =>
    asking(new Resolver(new IndexReader(redis), new ProfileDictionary(redis), { toleranceS: 2, retentionDays: 36500, interimIntervalS: 3600, directVrf: 'default', now: Date.now }));
  const records = async (redis: Redis): Promise<AuditRecord[]> =>
    (await redis.xrange(auditKeys.log, '-', '+')).map(([, f]) => JSON.parse(f[f.indexOf('r') + 1]) as AuditRecord);

  it('names the operator who ran `whohad ingest`, and the run is an ingest record in the access log', async () => {
    const { url, redis } = await testRedis();
    const dir = mkdtempSync(join(tmpdir(), 'whohad-cli-ingest-'));
    const at = new Date(Date.now() - 86_400_000).toISOString();
    const file = join(dir, 'leases.ndjson');
    writeFileSync(file, `${JSON.stringify({ kind: 'lease', event: 'start', at, ip: '100.64.9.1', subscriberId: 'sub-cli', source: 'kea-main' })}\n{"kind":"bogus"}\n`);
    const r = await whohad(['ingest', file], { env: { REDIS_URL: url, WHOHAD_DATA_DIR: join(dir, 'data'), SUDO_USER: 'op-7' } });
    expect(r.stdout).toMatch(/^stored 1 events/);
    const a = await resolverOn(redis).resolve({ ip: '100.64.9.1', at });
    expect(a.candidates[0].evidence[0].lease).toMatchObject({ subscriberId: 'sub-cli', source: 'kea-main', ingest: { path: 'cli', user: 'op-7' } });
    const ingests = (await records(redis)).filter((x) => x.kind === 'ingest');
    expect(ingests).toEqual([
      expect.objectContaining({
        user: 'cli:op-7', tokenId: null, client: 'cli', route: 'whohad ingest',
        details: { ingest: { path: 'cli', user: 'op-7' }, format: 'canonical', sources: { 'kea-main': 1 }, accepted: 1, rejected: 1, since: expect.any(String) },
      }),
    ]);
  });

  it('names the collector that received a record, and its run is an ingest record in the access log', async () => {
    const { url, redis } = await testRedis();
    const collector = await startCollectProcess(url);
    await collector.send(JUNIPER);
    // the three lines are one allocation, released: wait until the release is stored
    const ask = () => resolverOn(redis).resolve({ ip: '198.51.100.44', port: '20500', at: '2026-03-14T09:40:00Z' });
    const name = process.env.WHOHAD_INSTANCE || hostname();
    for (let a = await ask(); a.leaseSearches?.[0]?.allocation?.endBasis !== 'released'; a = await ask()) await new Promise((ok) => setImmediate(ok));
    const a = await ask();
    expect(a.leaseSearches![0].allocation).toMatchObject({ natInstance: 'srx-cgn-2', source: 'juniper-pba', ingest: { path: 'collector', collector: name } });
    expect(await collector.stop()).toBe(0);
    const ingests = (await records(redis)).filter((x) => x.kind === 'ingest');
    expect(ingests).toEqual([
      expect.objectContaining({
        user: `collector:${name}`, tokenId: null, client: 'collector', route: 'whohad collect',
        details: expect.objectContaining({ ingest: { path: 'collector', collector: name }, sources: { srx: 3 }, accepted: 3 }),
      }),
    ]);
  });
});
