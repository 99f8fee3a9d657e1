import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../audit/canonical.js';
import { auditPage } from '../../audit/read.js';
import { testApp, type TestApp } from '../helpers/app.js';
import { csrfOf, Desk, FORM, form, tokenOf } from './helpers.js';

const quickstart = readFileSync(new URL('../../examples/quickstart.ndjson', import.meta.url), 'utf8');

let app: TestApp;
let auditorToken: string;
let investigatorToken: string;
beforeAll(async () => {
  app = await testApp({ WHOHAD_AUTH_FAIL_LIMIT: '1000' });
  const r = await app.inject({ method: 'POST', url: '/v1/events', headers: { ...app.auth, 'content-type': 'application/x-ndjson' }, payload: quickstart });
  expect(r.json().rejected).toEqual([]);
  auditorToken = (await app.tokens.create('aud', ['auditor'])).token;
  investigatorToken = (await app.tokens.create('inv', ['investigator'])).token;
});

const lookupFields = { ip: '198.51.100.7', port: '40123', at: '2026-10-25T02:30', tz: 'Europe/Copenhagen', tolerance: '2', case: 'C-1', legalBasis: 'court-order', purpose: 'quick start' };
const newest = async (n = 1) => (await auditPage(app.redis, { limit: n })).records;

describe('sign-in and sessions', () => {
  it('signs in with a token: an HttpOnly, SameSite=Strict session cookie whose id Redis keeps only hashed', async () => {
    const desk = new Desk(app);
    const page = await desk.get('/sign-in');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<label for="f-token">API token</label>');
    const r = await desk.signIn(tokenOf(app));
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/lookup');
    const cookie = r.cookies.find((c) => c.name === 'whohad_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // not TLS here, so not Secure (secure: 'auto' sets it behind https)
    expect(cookie.secure).toBeUndefined();
    expect(await app.redis.exists(`{whohad}:desk:session:${sha256(cookie.value)}`)).toBe(1);
    expect(await app.redis.keys(`*${cookie.value}*`)).toEqual([]);
    expect((await desk.get('/lookup')).statusCode).toBe(200);
  });

  it('a wrong token is refused on the sign-in page and recorded like a refused API request', async () => {
    const desk = new Desk(app);
    // refusals of callers that proved nothing are written per source and minute: start a window of this test's own
    await app.refusals.flush();
    const r = await desk.signIn('whd_000000000000_' + 'x'.repeat(43));
    expect(r.statusCode).toBe(401);
    expect(r.body).toContain('Not signed in: unknown token.');
    expect(r.cookies.find((c) => c.name === 'whohad_session')).toBeUndefined();
    await app.refusals.flush();
    const [rec] = await newest();
    // nothing taken from the credential: the token id it claims is only a claim
    expect(rec).toMatchObject({ kind: 'denied', route: 'POST /sign-in', reason: 'unknown token', tokenId: null, count: 1 });
  });

  it('a page without a session is refused, recorded, and answered with the sign-in form that leads back', async () => {
    const desk = new Desk(app);
    await app.refusals.flush();
    const r = await desk.get('/audit?case=C-1');
    expect(r.statusCode).toBe(401);
    expect(r.body).toContain('Please sign in: not signed in (no desk session).');
    expect(r.body).toContain('name="next" value="/audit?case=C-1"');
    await app.refusals.flush();
    expect((await newest())[0]).toMatchObject({ kind: 'denied', route: 'GET /audit', reason: 'not signed in (no desk session)', count: 1 });
  });

  it('sign-out ends the session in Redis; the cookie no longer opens a page', async () => {
    const desk = new Desk(app);
    await desk.signIn(tokenOf(app));
    const id = desk.jar.cookies.get('whohad_session')!;
    const out = await desk.submit('/lookup', '/sign-out', {});
    expect(out.statusCode).toBe(200);
    expect(out.body).toContain('You are signed out.');
    expect(await app.redis.exists(`{whohad}:desk:session:${sha256(id)}`)).toBe(0);
    const again = await app.inject({ url: '/lookup', headers: { cookie: `whohad_session=${id}` } });
    expect(again.statusCode).toBe(401);
    expect(again.body).toContain('the desk session ended or expired');
  });

  it('revoking the token ends the sessions started with it', async () => {
    const { token } = await app.tokens.create('short-lived', ['investigator']);
    const desk = new Desk(app);
    await desk.signIn(token);
    expect((await desk.get('/lookup')).statusCode).toBe(200);
    await app.tokens.revoke('short-lived');
    const r = await desk.get('/lookup');
    expect(r.statusCode).toBe(401);
    expect(r.body).toContain('revoked token; the desk session ended with it');
  });

  it('after sign-in, only a path of this site is followed (no open redirect)', async () => {
    for (const [next, to] of [['/audit', '/audit'], ['//evil.example/x', '/lookup'], ['https://evil.example', '/lookup'], ['/\\evil', '/lookup']]) {
      const desk = new Desk(app);
      const csrf = csrfOf((await desk.get('/sign-in')).body);
      const r = await desk.post('/sign-in', { _csrf: csrf, token: tokenOf(app), next });
      expect(r.headers.location, next).toBe(to);
    }
  });
});

describe('CSRF', () => {
  it('a sign-in without the form token is refused, and nothing is started', async () => {
    const desk = new Desk(app);
    await desk.get('/sign-in');
    const r = await desk.post('/sign-in', { token: tokenOf(app) });
    expect(r.statusCode).toBe(403);
    expect(r.body).toContain('This form was not accepted');
    expect(r.cookies.find((c) => c.name === 'whohad_session')).toBeUndefined();
  });

  it('a look-up form without its token, or with another session\'s token, is refused and not asked', async () => {
    const a = new Desk(app);
    const b = new Desk(app);
    await a.signIn(tokenOf(app));
    await b.signIn(tokenOf(app));
    const before = (await newest())[0].seq;
    expect((await a.post('/lookup', lookupFields)).statusCode).toBe(403);
    const tokenOfB = csrfOf((await b.get('/lookup')).body);
    expect((await a.post('/lookup', { ...lookupFields, _csrf: tokenOfB })).statusCode).toBe(403);
    // the pre-session token of the sign-in page does not work once signed in either
    const anon = csrfOf((await new Desk(app).get('/sign-in')).body);
    expect((await a.post('/lookup', { ...lookupFields, _csrf: anon })).statusCode).toBe(403);
    expect((await newest())[0].seq).toBe(before);
  });

  it('the REST API reached with the session cookie needs the form token for a change (header), not for a read', async () => {
    const desk = new Desk(app);
    await desk.signIn(tokenOf(app));
    const read = await app.inject({ url: '/v1/holds', headers: desk.jar.header() });
    expect(read.statusCode).toBe(200);
    const body = { case: 'C-9', publicIps: ['198.51.100.7'], from: '2026-10-25T00:00:00Z', to: '2026-10-26T00:00:00Z' };
    const refused = await app.inject({ method: 'POST', url: '/v1/holds', headers: desk.jar.header(), payload: body });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toMatch(/csrf/i);
    const csrf = csrfOf((await desk.get('/ops')).body);
    const ok = await app.inject({ method: 'POST', url: '/v1/holds', headers: { ...desk.jar.header(), 'x-csrf-token': csrf }, payload: body });
    expect(ok.statusCode).toBe(201);
  });
});

describe('roles are the REST ones', () => {
  it('an auditor is refused the look-up page (403, recorded with the token id) and sees only the pages of the role', async () => {
    const desk = new Desk(app);
    const r = await desk.signIn(auditorToken);
    expect(r.headers.location).toBe('/audit');
    const refused = await desk.get('/lookup');
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('token &quot;aud&quot; lacks the investigator role');
    const [rec] = await newest();
    expect(rec).toMatchObject({ kind: 'denied', user: 'aud', route: 'GET /lookup', reason: 'token "aud" lacks the investigator role' });
    const audit = await desk.get('/audit');
    expect(audit.statusCode).toBe(200);
    expect(audit.body).toContain('href="/audit"');
    expect(audit.body).not.toContain('href="/lookup"');
    expect(audit.body).not.toContain('href="/ops"');
    // the same session on the REST API: the same principal, the same refusal
    const rest = await app.inject({ url: `/v1/attribution?ip=198.51.100.7&at=2026-10-25T01:30:00Z&case=C&legalBasis=court-order&purpose=p`, headers: desk.jar.header() });
    expect(rest.statusCode).toBe(403);
    expect(rest.json().message).toBe('token "aud" lacks the investigator role');
  });

  it('an investigator cannot open the audit or operations pages, and a look-up POST by an auditor is refused before anything is asked', async () => {
    const inv = new Desk(app);
    await inv.signIn(investigatorToken);
    expect((await inv.get('/audit')).statusCode).toBe(403);
    expect((await inv.get('/audit/subject?subscriber=sub-004211')).statusCode).toBe(403);
    expect((await inv.get('/ops')).statusCode).toBe(403);
    expect((await inv.post('/ops/tokens', { name: 'x', roles: 'admin' })).statusCode).toBe(403);
    expect((await app.tokens.list()).some((t) => t.name === 'x')).toBe(false);
  });
});

describe('look-up through the page', () => {
  it('is recorded exactly as the same look-up through REST (same fields but the route and time)', async () => {
    const desk = new Desk(app);
    await desk.signIn(tokenOf(app));
    const page = await desk.submit('/lookup', '/lookup', lookupFields);
    expect(page.statusCode, page.body).toBe(200);
    const [viaPage] = await newest();
    const q = 'ip=198.51.100.7&port=40123&at=2026-10-25T02%3A30&tz=Europe%2FCopenhagen&tolerance=2&case=C-1&legalBasis=court-order&purpose=quick%20start';
    expect((await app.inject({ url: `/v1/attribution?${q}`, headers: app.auth })).statusCode).toBe(200);
    const [viaRest] = await newest();
    const strip = (r: typeof viaPage) => {
      const { route, time, hash, prev, seq, id, ...rest } = r;
      return rest;
    };
    expect(viaPage.route).toBe('POST /lookup');
    expect(viaRest.route).toBe('GET /v1/attribution');
    expect(strip(viaPage)).toEqual(strip(viaRest));
    expect(viaPage).toMatchObject({ kind: 'lookup', user: 'tester', case: 'C-1', status: 'unique', disclosed: ['sub-004211'] });
    expect(page.body).toContain(viaPage.hash);
  });

  it('shows the status, every reason in words, the candidates and a timeline with both instants of the repeated hour', async () => {
    const desk = new Desk(app);
    await desk.signIn(tokenOf(app));
    const r = await desk.submit('/lookup', '/lookup', lookupFields);
    expect(r.body).toContain('data-status="unique"');
    expect(r.body).toContain('data-reason="ambiguous_local_time"');
    expect(r.body).toContain('2026-10-25T02:30 in Europe/Copenhagen happened twice');
    expect(r.body).toContain('<strong class="subscriber">sub-004211</strong>');
    // each record names the ingest that wrote it: here the token the set-up posted the events with
    expect(r.body).toMatch(/<small>ingested with API token [\w-]+<\/small>/);
    expect(r.body.match(/<g class="instant"/g)).toHaveLength(2);
    expect(r.body).toContain('1st 02:30:00 +02:00');
    expect(r.body).toContain('2nd 02:30:00 +01:00');
    expect(r.body.match(/<rect class="tolerance"/g)).toHaveLength(2);
    expect(r.body).toMatch(/<g class="interval" data-kind="allocation" data-end-basis="released"/);
    expect(r.body).toMatch(/<g class="interval" data-kind="lease" data-end-basis="scheduled"/);
    expect(r.body).toContain('href="/v1/attribution/report?ip=198.51.100.7&amp;port=40123&amp;at=2026-10-25T02%3A30');
  });

  it('bad input names every wrong field at once, keeps what was typed, and asks nothing', async () => {
    const desk = new Desk(app);
    await desk.signIn(tokenOf(app));
    const before = (await newest())[0].seq;
    const r = await desk.submit('/lookup', '/lookup', { ...lookupFields, ip: '198.51.100', port: '0x9c7b', at: '2026-03-29T02:30', legalBasis: 'whim', purpose: 'two\nlines' });
    expect(r.statusCode).toBe(400);
    for (const f of ['ip', 'port', 'at', 'legalBasis', 'purpose']) expect(r.body, f).toContain(`<a href="#f-${f}">${f}</a>`);
    expect(r.body).toContain('value="0x9c7b"');
    expect((await newest())[0].seq).toBe(before);
  });

  it('remembers the legal basis and purpose of a case within the session', async () => {
    const desk = new Desk(app);
    await desk.signIn(tokenOf(app));
    await desk.submit('/lookup', '/lookup', { ...lookupFields, case: 'C-77', legalBasis: 'retsplejeloven-804b', purpose: 'fraud complaint 77' });
    const again = await desk.get('/lookup?case=C-77');
    expect(again.body).toContain('<option selected>retsplejeloven-804b</option>');
    expect(again.body).toContain('value="fraud complaint 77"');
    expect(again.body).toContain('<option value="C-77"></option>');
    // another session knows nothing of it
    const other = new Desk(app);
    await other.signIn(tokenOf(app));
    expect((await other.get('/lookup?case=C-77')).body).not.toContain('fraud complaint 77');
  });

  it('the case page lists the case\'s look-ups from the access log without asking again', async () => {
    const desk = new Desk(app);
    await desk.signIn(investigatorToken);
    await desk.submit('/lookup', '/lookup', { ...lookupFields, case: 'C-case' });
    const before = (await newest())[0].seq;
    const r = await desk.get('/case?case=C-case');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('198.51.100.7:40123 at 2026-10-25T02:30');
    expect(r.body).toContain('sub-004211');
    expect((await newest())[0].seq).toBe(before);
  });
});

describe('audit pages', () => {
  it('search by case, the data-subject view and the chain status', async () => {
    const desk = new Desk(app);
    await desk.signIn(auditorToken);
    const search = await desk.get('/audit?case=C-1');
    expect(search.statusCode).toBe(200);
    expect(search.body).toContain('quick start');
    const subject = await desk.get('/audit/subject?subscriber=sub-004211');
    expect(subject.body).toContain('Who searched for <strong>sub-004211</strong>');
    expect(subject.body).toContain('<td>C-1</td><td>court-order</td><td>quick start</td>');
    const chain = await desk.get('/audit/verify');
    expect(chain.body).toContain('<strong>Intact</strong>');
    const bad = await desk.get('/audit?from=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('from: &quot;yesterday&quot; is not an ISO 8601 instant');
  });
});

describe('operations', () => {
  it('creates a token whose secret is shown once, records it, and revokes it', async () => {
    const desk = new Desk(app);
    await desk.signIn(tokenOf(app));
    const r = await desk.submit('/ops', '/ops/tokens', { name: 'carol', roles: ['investigator', 'auditor'] });
    expect(r.statusCode).toBe(200);
    const secret = /<code class="token-secret">([^<]+)<\/code>/.exec(r.body)![1];
    expect((await app.tokens.authenticate(secret)) as object).toMatchObject({ name: 'carol', roles: ['investigator', 'auditor'] });
    expect((await desk.get('/ops')).body).not.toContain(secret);
    expect((await newest())[0]).toMatchObject({ kind: 'token', user: 'tester', details: { action: 'create', name: 'carol' } });
    const bad = await desk.submit('/ops', '/ops/tokens', { name: 'bad name!', roles: 'investigator' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('name &quot;bad name!&quot;: use 1-64 letters');
    const revoked = await desk.submit('/ops', '/ops/tokens/revoke', { name: 'carol' });
    expect(revoked.body).toContain('Token carol is revoked');
  });

  it('places and lifts a legal hold; a bad one names the field', async () => {
    const desk = new Desk(app);
    await desk.signIn(tokenOf(app));
    const r = await desk.submit('/ops', '/ops/holds', { case: 'C-hold', subscribers: 'sub-004211', publicIps: '', from: '2026-10-25T00:00:00Z', to: '2026-10-26T00:00:00Z', reason: 'court order 5' });
    expect(r.body).toMatch(/Hold [0-9a-f]{16} placed for case C-hold/);
    const id = /Hold ([0-9a-f]{16}) placed/.exec(r.body)![1];
    const lifted = await desk.submit('/ops', `/ops/holds/${id}/lift`, { reason: 'case closed' });
    expect(lifted.body).toContain(`Hold ${id} lifted.`);
    const bad = await desk.submit('/ops', '/ops/holds', { case: 'C-hold', subscribers: 'x', from: 'soon', to: '2026-10-26T00:00:00Z' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('from');
  });

  it('shows per-source ingest state where the ingesting processes record it, and says so where nothing does', async () => {
    const desk = new Desk(app);
    await desk.signIn(tokenOf(app));
    // an installation whose ingesting processes record nothing (this app's own HTTP ingest does)
    const recorded = await app.redis.keys('{whohad}:ingest:*');
    if (recorded.length > 0) await app.redis.del(...recorded);
    expect((await desk.get('/ops')).body).toContain('No per-source ingest state is recorded');
    await app.redis.sadd('{whohad}:ingest:sources', 'juniper-east');
    await app.redis.hset('{whohad}:ingest:source:juniper-east', { events: 120, rejected: 3 });
    await app.redis.zadd('{whohad}:ingest:last', Date.now() - 2 * 3600_000, 'juniper-east');
    const r = await desk.get('/ops');
    expect(r.body).toMatch(/<td>juniper-east<\/td><td>[^<]+\(2 h ago\) <strong>— silent for over an hour<\/strong><\/td><td>120<\/td><td>3<\/td>/);
  });
});

describe('pages and headers', () => {
  it('a CSP without unsafe-inline, no inline script or style, nothing from elsewhere, and no caching of pages', async () => {
    const desk = new Desk(app);
    await desk.signIn(tokenOf(app));
    for (const url of ['/sign-in', '/lookup', '/bulk', '/case?case=C-1', '/audit', '/audit/subject', '/ops']) {
      const r = await desk.get(url);
      expect(r.statusCode, url).toBe(200);
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.body).not.toMatch(/<script(?![^>]*\bsrc="\/assets\/)/);
      expect(r.body).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
      expect(r.body).not.toMatch(/(src|href)="(https?:)?\/\//);
      // every form control has a label
      for (const m of r.body.matchAll(/<(input|select|textarea)\b[^>]*\bid="([^"]+)"/g)) expect(r.body, `${url} ${m[2]}`).toContain(`for="${m[2]}"`);
    }
    const css = await app.inject({ url: '/assets/desk.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('the front door sends each role to its first page, and a stranger to sign-in', async () => {
    expect((await app.inject({ url: '/' })).headers.location).toBe('/sign-in');
    const desk = new Desk(app);
    await desk.signIn(auditorToken);
    expect((await desk.get('/')).headers.location).toBe('/audit');
  });

  it('the REST API keeps answering bearer tokens and JSON refusals, and refuses form bodies as before', async () => {
    const r = await app.inject({ url: '/v1/holds' });
    expect(r.statusCode).toBe(401);
    expect(r.json().message).toBe('no token (send Authorization: Bearer <token>)');
    const f = await app.inject({ method: 'POST', url: '/v1/holds', headers: { ...app.auth, ...FORM }, payload: form({ case: 'x' }) });
    expect(f.statusCode).toBe(415);
  });
});
