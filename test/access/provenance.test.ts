import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tokenCreate, tokenList } from '../../cli/admin.js';
import { PURPOSE, testApp } from '../helpers/app.js';
import { testRedisUrl } from '../helpers/redis.js';
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
