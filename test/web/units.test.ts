import { describe, expect, it } from 'vitest';
import type { AttributionAnswer } from '../../schemas/attribution.js';
import { escapeHtml, html, queryString, trusted } from '../../service/web/html.js';
import { answerPage } from '../../service/web/pages/lookup.js';
import { recordsTable } from '../../service/web/pages/records.js';
import { SessionStore } from '../../service/web/session.js';
import { timelineSvg } from '../../service/web/timeline.js';
import { testRedis } from '../helpers/redis.js';

const EVIL = `"><script>alert(1)</script><img src=x onerror=alert(2)>'\``;

function answer(over: Partial<AttributionAnswer> = {}): AttributionAnswer {
  return {
    status: 'unique', subscriberId: 'sub-1', reasons: [],
    query: { ip: '198.51.100.7', port: 40123, at: '2026-10-25T01:30:00Z', tz: 'Europe/Copenhagen', tolerance: 2 },
    instants: [{ utc: '2026-10-25T01:30:00.000Z', local: '2026-10-25T02:30:00.000+01:00', windowFrom: '2026-10-25T01:29:58.000Z', windowTo: '2026-10-25T01:30:02.000Z' }],
    candidates: [],
    ...over,
  };
}

const alloc = (id: string, start: string | null, end: string | null, endBasis: 'released' | 'superseded' | 'open', notBefore: string | null = null) => ({
  id, natInstance: 'cgn1', publicIp: '198.51.100.7', portStart: 39936, portEnd: 40959, protocol: null, privateIp: '100.64.12.34', privateVrf: 'default',
  start, startNotBefore: notBefore, startInferred: false, end, endBasis, lastSeen: null, source: 'canonical', ingest: null,
});
const lease = (id: string, who: string, end: string | null, endBasis: 'scheduled' | 'released' | 'open') => ({
  id, ip: '100.64.12.34', vrf: 'default', subscriberId: who, start: '2026-10-24T20:00:00.000Z', startNotBefore: null, end, endBasis, source: 'canonical', ingest: null,
});

describe('escaping', () => {
  it('escapes every interpolated value, in text and in attributes, and nothing twice', () => {
    const out = html`<p title="${EVIL}">${EVIL}${html`<b>${'<i>'}</b>`}${[EVIL, 1]}${null}${undefined}${false}</p>`.text;
    expect(out).not.toMatch(/<script|<img|" ?onerror|"><|'\)|`/);
    expect(out).toContain('&quot;&gt;&lt;script&gt;');
    expect(out).toContain('<b>&lt;i&gt;</b>');
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
    expect(trusted('<br>').text).toBe('<br>');
    expect(queryString({ a: 'x&y=1', b: '', c: null, d: 2 })).toBe('?a=x%26y%3D1&d=2');
  });

  it('an answer page and a records table show hostile ids, cases and purposes as text', () => {
    const a = answer({ subscriberId: EVIL, candidates: [{ subscriberId: EVIL, evidence: [{ allocation: alloc(EVIL, '2026-10-25T00:00:00.000Z', null, 'open'), lease: lease(EVIL, EVIL, null, 'open') }] }] });
    const form = { ip: EVIL, port: EVIL, at: EVIL, tz: EVIL, tolerance: EVIL, case: EVIL, legalBasis: EVIL, purpose: EVIL };
    const page = answerPage({ principal: { name: EVIL, tokenId: 'x', roles: ['investigator'], sources: null }, csrf: EVIL }, a, { chain: EVIL, seq: 1, prev: '', hash: EVIL, kind: 'lookup', time: '', user: EVIL, tokenId: null, client: null, disclosed: [] }, form).text;
    // the hostile text is there, as text: no tag of it opens
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toMatch(/<script>|<img/);
    const table = recordsTable([{ chain: 'c', seq: 1, prev: '', hash: 'h', kind: 'lookup', time: EVIL, user: EVIL, tokenId: null, client: null, case: EVIL, purpose: EVIL, query: { ip: EVIL, at: EVIL }, disclosed: [EVIL] }], EVIL).text;
    expect(table).not.toMatch(/<script>|<img/);
  });
});

describe('evidence timeline', () => {
  it('draws a logged end, a superseded end, an inferred expiry, an open end and an unknown start differently', () => {
    const a = answer({
      status: 'ambiguous', subscriberId: null,
      candidates: [
        { subscriberId: 'sub-1', evidence: [{ allocation: alloc('nat:1', '2026-10-25T00:00:00.000Z', '2026-10-25T01:30:01.000Z', 'released'), lease: lease('lease:1', 'sub-1', '2026-10-25T03:00:00.000Z', 'scheduled') }] },
        { subscriberId: 'sub-2', evidence: [{ allocation: alloc('nat:2', null, '2026-10-25T02:00:00.000Z', 'superseded', '2026-10-25T01:30:01.001Z'), lease: lease('lease:2', 'sub-2', null, 'open') }] },
      ],
    });
    const svg = timelineSvg(a).text;
    const group = (id: string) => new RegExp(`<g class="interval"[^>]*data-id="${id}"[^>]*>(.*?)</g>`).exec(svg)?.[1] ?? '';
    expect(group('nat:1')).toContain('class="end-observed"');
    expect(group('nat:2')).toContain('class="end-superseded"');
    expect(group('nat:2')).toContain('class="unknown-start"');
    expect(group('lease:1')).toContain('class="end-inferred"');
    expect(group('lease:1')).toContain('fill="url(#hatch-lease)"');
    expect(group('lease:2')).toContain('class="end-open"');
    expect(svg.match(/<g class="instant"/g)).toHaveLength(1);
    expect(svg).toContain('class="tolerance"');
    // the axis runs three hours either side, labelled in the question's zone: 02:00 twice that night
    expect([...svg.matchAll(/<text[^>]*>(\d\d:\d\d)<\/text><\/g>/g)].map((m) => m[1])).toEqual(['01:00', '02:00', '02:00', '03:00', '04:00', '05:00']);
  });
});

describe('sessions', () => {
  it('end after the idle time, and after the absolute time however busy', async () => {
    const { redis } = await testRedis();
    let now = Date.UTC(2026, 0, 1);
    const store = new SessionStore(redis, { idleS: 600, maxS: 3600, now: () => now });
    const s = await store.start({ kind: 'token', tokenHash: 'h' });
    now += 599_000;
    expect(await store.resume(s.id)).not.toBeNull();
    now += 599_000; // idle time counts from the last use
    expect(await store.resume(s.id)).not.toBeNull();
    now += 600_000;
    expect(await store.resume(s.id)).toBeNull();

    const busy = await store.start({ kind: 'token', tokenHash: 'h' });
    // Redis expires an idle session by itself, never later than the absolute limit
    expect(await redis.ttl(`{whohad}:desk:session:${(await import('../../audit/canonical.js')).sha256(busy.id)}`)).toBe(600);
    for (let i = 0; i < 6; i++) {
      now += 590_000;
      expect(await store.resume(busy.id), `use ${i}`).not.toBeNull();
    }
    now += 90_000; // 3630 s after sign-in
    expect(await store.resume(busy.id)).toBeNull();
    expect(await store.resume('not-a-session-id')).toBeNull();
  });

  it('remembers the grounds of each case', async () => {
    const { redis } = await testRedis();
    const store = new SessionStore(redis, { idleS: 600, maxS: 3600 });
    const s = await store.start({ kind: 'token', tokenHash: 'h' });
    await store.remember(s.id, 'C-1', { legalBasis: 'court-order', purpose: 'p1' });
    await store.remember(s.id, 'C-2', { legalBasis: 'x', purpose: 'p2' });
    await store.remember(s.id, 'C-1', { legalBasis: 'court-order', purpose: 'p3' });
    expect(Object.fromEntries(await store.remembered(s.id))).toEqual({ 'C-1': { legalBasis: 'court-order', purpose: 'p3' }, 'C-2': { legalBasis: 'x', purpose: 'p2' } });
  });
});
