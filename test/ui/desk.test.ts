import type { Browser } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli-process.js';
import { launch, noProblems, signIn, tab } from './browser.js';

/**
 * The desk in a real browser against a real service: every page is opened the way a person
 * would (labels, buttons), checked for what it must show, and saved as a screenshot.
 */
let app: TestApp;
let base: string;
let browser: Browser;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  app = await testApp({ WHOHAD_AUTH_FAIL_LIMIT: '1000' });
  const quickstart = readFileSync(new URL('../../examples/quickstart.ndjson', import.meta.url), 'utf8');
  const r = await app.inject({ method: 'POST', url: '/v1/events', headers: { ...app.auth, 'content-type': 'application/x-ndjson' }, payload: quickstart });
  expect(r.json().rejected).toEqual([]);
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  tokens.all = app.auth.authorization.slice('Bearer '.length);
  tokens.investigator = (await app.tokens.create('alice', ['investigator'])).token;
  tokens.auditor = (await app.tokens.create('audrey', ['auditor'])).token;
  browser = await launch();
});

async function lookUp(t: Awaited<ReturnType<typeof tab>>, at: string, caseRef = 'C-1') {
  const p = t.page;
  await p.goto('/lookup');
  await p.getByLabel('Public IP address').fill('198.51.100.7');
  await p.getByLabel('Source port').fill('40123');
  await p.getByLabel('Time', { exact: true }).fill(at);
  await p.getByLabel('Time zone').selectOption('Europe/Copenhagen');
  await p.getByLabel('Case').fill(caseRef);
  await p.getByLabel('Legal basis').selectOption('court-order');
  await p.getByLabel('Purpose').fill('quick start');
  await p.getByRole('button', { name: 'Look up' }).click();
  await p.waitForSelector('h1:text("Answer")');
}

describe('the desk in chromium', () => {
  it('signs in with a token and out again; a page after sign-out asks to sign in', async () => {
    const t = await tab(browser, base);
    await t.page.goto('/');
    expect(new URL(t.page.url()).pathname).toBe('/sign-in');
    await t.shot('sign-in');
    await signIn(t, tokens.investigator);
    expect(new URL(t.page.url()).pathname).toBe('/lookup');
    const cookie = (await t.context.cookies()).find((c) => c.name === 'whohad_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await t.shot('lookup-form');
    await t.page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => t.page.textContent('main')).toContain('You are signed out.');
    await t.page.goto('/lookup');
    expect(await t.page.textContent('.notice')).toContain('Please sign in');
    noProblems(t);
    await t.context.close();
  });

  it('the README quick-start look-up: unique, its reasons in words, and the evidence timeline drawn', async () => {
    const t = await tab(browser, base);
    await signIn(t, tokens.investigator);
    await lookUp(t, '2026-10-25T01:30:00Z');
    const p = t.page;
    expect(await p.getAttribute('.status-name', 'data-status')).toBe('unique');
    expect(await p.textContent('.subscriber')).toBe('sub-004211');
    await expect.poll(() => p.locator('svg.timeline g.interval').count()).toBe(2);
    expect(await p.locator('svg.timeline g.interval[data-end-basis="released"]').count()).toBe(1);
    expect(await p.locator('svg.timeline g.instant').count()).toBe(1);
    const box = await p.locator('svg.timeline').boundingBox();
    expect(box!.width).toBeGreaterThan(900);
    expect(box!.width).toBeLessThanOrEqual(1280);
    expect(await p.textContent('.record')).toMatch(/hash [0-9a-f]{64}/);
    await t.shot('answer-quickstart');
    noProblems(t);
    await t.context.close();
  });

  it('a look-up in the repeated DST hour shows both instants on the timeline', async () => {
    const t = await tab(browser, base);
    await signIn(t, tokens.investigator);
    await lookUp(t, '2026-10-25T02:30');
    const p = t.page;
    expect(await p.locator('[data-reason="ambiguous_local_time"]').textContent()).toContain('happened twice');
    const marks = await p.locator('svg.timeline g.instant').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-utc')));
    expect(marks).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']);
    expect(await p.locator('svg.timeline rect.tolerance').count()).toBe(2);
    await t.shot('answer-dst');
    noProblems(t);
    await t.context.close();
  });

  it('uploads a CSV, follows the job to its end, pages the result, downloads it and shows the corroboration', async () => {
    const t = await tab(browser, base);
    await signIn(t, tokens.investigator);
    const p = t.page;
    await p.goto('/bulk');
    const rows = ['ip,port,timestamp', ...Array.from({ length: 60 }, (_, i) => `198.51.100.7,40123,2026-10-25T0${i % 3}:${String(i % 60).padStart(2, '0')}:00Z`), '198.51.100.7,99999,2026-10-25T01:00:00Z'];
    await p.getByLabel('CSV file').setInputFiles({ name: 'server.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n') + '\n') });
    await p.getByLabel('Case', { exact: true }).fill('C-bulk');
    await p.getByLabel('Purpose').fill('server log of the complaint');
    await t.shot('bulk-form');
    await p.getByRole('button', { name: 'Upload and resolve' }).click();
    await p.waitForURL(/\/bulk\/[A-Za-z0-9_-]{16}$/);
    await p.waitForSelector('.progress[data-state="done"]', { timeout: 30_000 });
    expect(await p.locator('table.counts tbody td').first().textContent()).toBe('61');
    expect(await p.locator('svg.corroboration g.subscriber[data-subscriber="sub-004211"]').count()).toBe(1);
    expect(await p.locator('table.result tbody tr').count()).toBe(50);
    expect(await p.locator('table.result tbody').textContent()).toContain('sub-004211');
    await t.shot('bulk-job');
    await p.getByRole('link', { name: 'Next page' }).click();
    await expect.poll(() => p.locator('table.result tbody tr').count()).toBe(11);
    expect(await p.locator('table.result tbody').textContent()).toContain('bad_port');
    const [download] = await Promise.all([p.waitForEvent('download'), p.getByRole('link', { name: 'CSV' }).click()]);
    const text = readFileSync(await download.path(), 'utf8');
    expect(text.split('\r\n')[0]).toBe('ip,port,timestamp,status,subscriber_id,candidates,reasons,instants_utc,evidence');
    expect(text.trim().split('\r\n')).toHaveLength(62);
    noProblems(t);
    await t.context.close();
  });

  it('refuses pages the role may not see, and shows only the role\'s pages', async () => {
    const t = await tab(browser, base);
    await signIn(t, tokens.auditor);
    expect(new URL(t.page.url()).pathname).toBe('/audit');
    const nav = await t.page.locator('header nav ul').textContent();
    expect(nav).not.toContain('Look-up');
    expect(nav).not.toContain('Operations');
    const r = await t.page.goto('/lookup');
    expect(r!.status()).toBe(403);
    expect(await t.page.textContent('.notice')).toContain('token "audrey" lacks the investigator role');
    await t.shot('refused-role');
    const ops = await t.page.goto('/ops');
    expect(ops!.status()).toBe(403);
    await t.context.close();
  });

  it('refuses a form whose token was tampered with, and asks nothing', async () => {
    const t = await tab(browser, base);
    await signIn(t, tokens.investigator);
    const p = t.page;
    await p.goto('/lookup');
    await p.locator('form.lookup input[name="_csrf"]').evaluate((el) => ((el as HTMLInputElement).value = 'forged-token'));
    await p.getByLabel('Public IP address').fill('198.51.100.7');
    await p.getByLabel('Time', { exact: true }).fill('2026-10-25T01:30:00Z');
    await p.getByLabel('Case').fill('C-forged');
    await p.getByLabel('Purpose').fill('x');
    await p.getByRole('button', { name: 'Look up' }).click();
    await p.waitForSelector('h1:text("Form refused")');
    expect(await p.textContent('.notice')).toContain('This form was not accepted');
    await t.shot('refused-csrf');
    const audit = await app.inject({ url: '/v1/audit?case=C-forged', headers: app.auth });
    expect(audit.json().records).toEqual([]);
    await t.context.close();
  });

  it('the auditor searches the access log, verifies the chain and opens a data subject\'s view', async () => {
    const t = await tab(browser, base);
    await signIn(t, tokens.auditor);
    const p = t.page;
    await p.getByLabel('Case').fill('C-1');
    await p.getByRole('button', { name: 'Search' }).click();
    await p.waitForURL(/case=C-1/);
    expect(await p.locator('table.records tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await p.locator('table.records tbody').textContent()).toContain('alice');
    await t.shot('audit-search');
    await p.getByRole('link', { name: 'Verify the hash chain' }).click();
    expect(await p.textContent('.chain-status')).toContain('Intact');
    await t.shot('audit-verify');
    await p.goto('/audit/subject');
    await p.getByLabel('Subscriber').fill('sub-004211');
    await p.getByRole('button', { name: 'Show' }).click();
    await p.waitForURL(/subscriber=sub-004211/);
    const text = await p.locator('table.records tbody').textContent();
    expect(text).toContain('alice');
    expect(text).toContain('quick start');
    expect(text).toContain('C-bulk');
    await t.shot('audit-subject');
    noProblems(t);
    await t.context.close();
  });

  it('the case page and the operations page', async () => {
    const t = await tab(browser, base);
    await signIn(t, tokens.all);
    await t.page.goto('/case?case=C-1');
    expect(await t.page.locator('table.records tbody tr').count()).toBeGreaterThanOrEqual(2);
    await t.shot('case');
    await t.page.goto('/ops');
    await t.page.getByLabel("New token's name").fill('bob');
    await t.page.getByLabel('investigator').check();
    await t.page.getByRole('button', { name: 'Create token' }).click();
    expect(await t.page.textContent('.token-secret')).toMatch(/^whd_[0-9a-f]{12}_/);
    await t.shot('operations');
    noProblems(t);
    await t.context.close();
  });

  it('downloads the PDF report of the quick-start answer, and `whohad report verify` accepts it', async () => {
    const t = await tab(browser, base);
    await signIn(t, tokens.investigator);
    await lookUp(t, '2026-10-25T01:30:00Z');
    const p = t.page;
    const [download] = await Promise.all([p.waitForEvent('download'), p.locator('.downloads a[data-accept="application/pdf"]').click()]);
    const pdf = await download.path();
    expect(readFileSync(pdf).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // the command a person would run, checking against the keys the service publishes
    const verify = runCli(['report', 'verify', pdf, '--url', base], {});
    expect(await verify.exited, verify.err).toBe(0);
    expect(verify.out).toContain('sub-004211');
    noProblems(t);
    await t.context.close();
  });
});
