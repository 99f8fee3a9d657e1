import { describe, expect, it } from 'vitest';
import { connectRedis } from '../../commands.js';
import { loadConfig } from '../../config.js';
import { buildApp } from '../../service/app.js';
import { NOW, testApp } from '../helpers/app.js';
import { testRedisUrl } from '../helpers/redis.js';

const Q = 'ip=198.51.100.7&port=1100&at=2026-10-25T00:30:00Z&legalBasis=court-order';

describe('case and purpose are plain text', () => {
  it('refuses C1 controls, line and paragraph separators and bidirectional controls, naming the field', async () => {
    const app = await testApp();
    const bad = ['a\u2028b', 'a\u2029b', 'a\u0085b', 'a\u009bb', '\u202egnp.exe', 'a\u202ab', 'a\u2066b', 'a\u2069b', 'a\u200fb', 'a\u061cb'];
    for (const text of bad) {
      for (const field of ['case', 'purpose']) {
        const other = field === 'case' ? 'purpose=x' : 'case=C-1';
        const r = await app.inject({ url: `/v1/attribution?${Q}&${other}&${field}=${encodeURIComponent(text)}`, headers: app.auth });
        expect(r.statusCode, `${field} ${JSON.stringify(text)}`).toBe(400);
        expect(r.json().message).toBe(`${field}: must not contain control characters (newlines included)`);
      }
    }
    // and a hold's case and reason, which share the pattern
    const hold = await app.inject({ method: 'POST', url: '/v1/holds', headers: app.auth, payload: { case: 'C\u2028X', subscribers: ['s'], from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z', reason: 'r' } });
    expect(hold.statusCode).toBe(400);
    expect(hold.json().message).toBe('case: must not contain control characters (newlines included)');
    // letters of any script stay welcome
    const ok = await app.inject({ url: `/v1/attribution?${Q}&case=${encodeURIComponent('Sag-Ø 17 عربى')}&purpose=${encodeURIComponent('svindel – “phishing”')}`, headers: app.auth });
    expect(ok.statusCode).toBe(200);
  });

  it('refuses a natInstance longer than any NAT instance name', async () => {
    const app = await testApp();
    const r = await app.inject({ url: `/v1/attribution?${Q}&case=C-1&purpose=x&natInstance=${'n'.repeat(129)}`, headers: app.auth });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/^natInstance: must NOT have more than 128 characters/);
  });
});

describe('the audit cursor', () => {
  it('answers 400, not 500, for a cursor no stream id could be', async () => {
    const app = await testApp();
    for (const before of ['99999999999999999999999-0', '1-99999999999999999999999', '18446744073709551616-0']) {
      const r = await app.inject({ url: `/v1/audit?before=${before}`, headers: app.auth });
      expect(r.statusCode, before).toBe(400);
      expect(r.json().message).toMatch(/^before: .* is not a cursor this log gave/);
    }
    expect((await app.inject({ url: '/v1/audit?before=18446744073709551615-18446744073709551615', headers: app.auth })).statusCode).toBe(200);
  });
});

describe('/readyz', () => {
  it('says Redis is unreachable without its error text', async () => {
    const redis = connectRedis(await testRedisUrl());
    const app = await buildApp({ config: loadConfig({}), redis, now: () => NOW, logger: false });
    await redis.quit();
    const r = await app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({ status: 'not ready', redis: 'unreachable' });
    await app.close();
  });
});
