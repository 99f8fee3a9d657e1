import { describe, expect, it } from 'vitest';
import { RefusalLog } from '../../audit/refusals.js';
import { ConfigError, loadConfig } from '../../config.js';
import { PURPOSE, testApp } from '../helpers/app.js';
import { bearer, EVENTS, logRecords, Q_A } from './helpers.js';

const url = `/v1/attribution?${Q_A}&${PURPOSE}`;
const BAD = { authorization: 'Bearer whd_bad' };

describe('the refused-attempt limit', () => {
  it('lets a valid token through from a source that is locked out, ingest included', async () => {
    const app = await testApp({ WHOHAD_AUTH_FAIL_LIMIT: '3' });
    const nat = { remoteAddress: '203.0.113.9' };
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await app.inject({ url, headers: BAD, ...nat })).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    expect((await app.inject({ url, headers: app.auth, ...nat })).statusCode).toBe(200);
    const feed = await bearer(app, 'feed', ['ingest']);
    const r = await app.inject({ method: 'POST', url: '/v1/events', headers: feed, payload: EVENTS, ...nat });
    expect(r.statusCode).toBe(200);
    expect(r.json().accepted).toBe(EVENTS.length);
    // still limited for anyone who proves nothing
    expect((await app.inject({ url, ...nat })).statusCode).toBe(429);
  });

  it('counts IPv6 per /64: rotating through one /64 is limited, the next /64 is not', async () => {
    const app = await testApp({ WHOHAD_AUTH_FAIL_LIMIT: '3' });
    const codes: number[] = [];
    for (let i = 1; i <= 6; i++) codes.push((await app.inject({ url, headers: BAD, remoteAddress: `2001:db8:1:2::${i.toString(16)}` })).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429, 429]);
    expect((await app.inject({ url, headers: BAD, remoteAddress: '2001:db8:1:2:ffff:ffff:ffff:ffff' })).statusCode).toBe(429);
    expect((await app.inject({ url, headers: BAD, remoteAddress: '2001:db8:1:3::1' })).statusCode).toBe(401);
    // an IPv4-mapped IPv6 address counts as the IPv4 address
    for (let i = 0; i < 3; i++) await app.inject({ url, headers: BAD, remoteAddress: '198.51.100.20' });
    expect((await app.inject({ url, headers: BAD, remoteAddress: '::ffff:198.51.100.20' })).statusCode).toBe(429);
  });

  it('records the refusals of one source in a minute as one record with their count', async () => {
    const app = await testApp({ WHOHAD_AUTH_FAIL_LIMIT: '1000' });
    const before = (await logRecords(app)).length;
    for (let i = 0; i < 50; i++) await app.inject({ url, headers: BAD, remoteAddress: `2001:db8:7:7::${i + 1}` });
    await app.inject({ url: '/v1/audit', remoteAddress: '2001:db8:7:7::99' });
    await app.refusals.flush();
    const added = (await logRecords(app)).slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      kind: 'denied', user: null, tokenId: null, client: '2001:db8:7:7::/64', count: 51, disclosed: [],
      details: { routes: { 'GET /v1/attribution': 50, 'GET /v1/audit': 1 }, reasons: { 'malformed token': 50, 'no token (send Authorization: Bearer <token>)': 1 } },
    });
    expect((added[0].details as { addresses: string[] }).addresses).toHaveLength(16);
    expect(Number(await app.redis.get('{whohad}:denied-count'))).toBe(51);
  });

  it('writes a window that is a minute old on the next refusal from its source', async () => {
    const app = await testApp();
    let now = 1_000_000;
    const log = new RefusalLog(app.accessLog, 60_000, () => now);
    const before = (await logRecords(app)).length;
    log.note({ source: '192.0.2.1', address: '192.0.2.1', route: 'GET /x', reason: 'no token' });
    now += 60_000;
    log.note({ source: '192.0.2.1', address: '192.0.2.1', route: 'GET /x', reason: 'no token' });
    await log.flush(false);
    await expect.poll(async () => (await logRecords(app)).length - before).toBe(1);
    await log.stop();
    expect((await logRecords(app)).length - before).toBe(2);
  });
});

describe('a refusal record names only what was proven', () => {
  it('does not name the user or token id a forged token claims, nor any part of a credential', async () => {
    const app = await testApp();
    const ivy = await bearer(app, 'ivy', ['investigator']);
    const id = /whd_([0-9a-f]{12})_/.exec(ivy.authorization)![1];
    const forged = `Bearer whd_${id}_${'A'.repeat(43)}`;
    const malformed = 'Bearer Sup3rSecretPassw0rd';
    const before = (await logRecords(app)).length;
    expect((await app.inject({ url, headers: { authorization: forged }, remoteAddress: '192.0.2.50' })).statusCode).toBe(401);
    expect((await app.inject({ url, headers: { authorization: malformed }, remoteAddress: '192.0.2.50' })).statusCode).toBe(401);
    await app.refusals.flush();
    const added = (await logRecords(app)).slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ kind: 'denied', user: null, tokenId: null, count: 2 });
    const text = JSON.stringify(added);
    for (const part of [id, 'ivy', 'Sup3rSec', 'Sup3r', 'AAAAAAAA']) expect(text).not.toContain(part);
  });

  it('names a proven token lacking the role under its own name and id', async () => {
    const app = await testApp();
    const aud = await bearer(app, 'aud', ['auditor']);
    const before = (await logRecords(app)).length;
    expect((await app.inject({ url, headers: aud })).statusCode).toBe(403);
    const [rec] = (await logRecords(app)).slice(before);
    expect(rec).toMatchObject({ kind: 'denied', user: 'aud', reason: 'token "aud" lacks the investigator role' });
    expect(rec.tokenId).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('the proxy trust setting', () => {
  it('ignores X-Forwarded-For unless the proxy is named in WHOHAD_TRUST_PROXY', async () => {
    const direct = await testApp();
    const r = await direct.inject({ url, headers: { ...direct.auth, 'x-forwarded-for': '203.0.113.77' }, remoteAddress: '127.0.0.1' });
    expect(r.statusCode).toBe(200);
    expect((await logRecords(direct)).at(-1)).toMatchObject({ kind: 'lookup', client: '127.0.0.1' });

    const proxied = await testApp({ WHOHAD_TRUST_PROXY: '127.0.0.1' });
    await proxied.inject({ url, headers: { ...proxied.auth, 'x-forwarded-for': '203.0.113.77' }, remoteAddress: '127.0.0.1' });
    expect((await logRecords(proxied)).at(-1)).toMatchObject({ kind: 'lookup', client: '203.0.113.77' });
    // a caller that is not the named proxy cannot choose its address
    await proxied.inject({ url, headers: { ...proxied.auth, 'x-forwarded-for': '203.0.113.78' }, remoteAddress: '192.0.2.9' });
    expect((await logRecords(proxied)).at(-1)).toMatchObject({ kind: 'lookup', client: '192.0.2.9' });
  });

  it('refuses a WHOHAD_TRUST_PROXY that names no address', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ WHOHAD_TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback']);
    expect(() => loadConfig({ WHOHAD_TRUST_PROXY: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ WHOHAD_TRUST_PROXY: 'proxy.example' })).toThrow(/WHOHAD_TRUST_PROXY=.*"proxy.example" is not an address/);
  });
});

describe('the authorization scheme', () => {
  it('accepts the Bearer scheme in any case', async () => {
    const app = await testApp();
    const token = app.auth.authorization.slice('Bearer '.length);
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect((await app.inject({ url, headers: { authorization: `${scheme} ${token}` } })).statusCode, scheme).toBe(200);
    }
    expect((await app.inject({ url, headers: { authorization: `Basic ${token}` } })).statusCode).toBe(401);
  });
});

describe('/metrics', () => {
  it('wants a token from loopback too unless WHOHAD_METRICS_LOOPBACK is on; refusals are limited and recorded', async () => {
    const closed = await testApp({ WHOHAD_AUTH_FAIL_LIMIT: '2' });
    const before = (await logRecords(closed)).length;
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await closed.inject({ url: '/metrics', remoteAddress: '127.0.0.1' })).statusCode);
    expect(codes).toEqual([401, 401, 429]);
    expect((await closed.inject({ url: '/metrics', headers: closed.auth, remoteAddress: '127.0.0.1' })).statusCode).toBe(200);
    await closed.refusals.flush();
    expect((await logRecords(closed)).slice(before)).toMatchObject([{ kind: 'denied', client: '127.0.0.1', route: 'GET /metrics', count: 3 }]);

    const open = await testApp({ WHOHAD_METRICS_LOOPBACK: 'true' });
    expect((await open.inject({ url: '/metrics', remoteAddress: '::1' })).statusCode).toBe(200);
    expect((await open.inject({ url: '/metrics', remoteAddress: '203.0.113.5' })).statusCode).toBe(401);
    expect(() => loadConfig({ WHOHAD_METRICS_LOOPBACK: 'maybe' })).toThrow(/WHOHAD_METRICS_LOOPBACK/);
  });
});
