import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, expect } from 'vitest';

/** Where screenshots go: git-ignored, kept by CI as artifacts. */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'ui');
mkdirSync(ARTIFACTS, { recursive: true });

/** Debian's chromium (scripts/setup.mjs --chromium installs it), or WHOHAD_CHROMIUM. */
export async function launch(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.WHOHAD_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // root in a container has no user namespaces for the sandbox
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  afterAll(async () => browser.close());
  return browser;
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Console errors and CSP violations seen so far: a page that needs inline script or style shows here. */
  problems: string[];
  shot(name: string): Promise<void>;
}

/** A fresh browser profile (its own cookies) at a 1280-px laptop width. */
export async function tab(browser: Browser, base: string): Promise<Tab> {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return {
    context,
    page,
    problems,
    shot: async (name) => {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
  };
}

export async function signIn(t: Tab, token: string): Promise<void> {
  await t.page.goto('/sign-in');
  await t.page.getByLabel('API token').fill(token);
  await t.page.getByRole('button', { name: 'Sign in' }).click();
  await t.page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
}

export function noProblems(t: Tab): void {
  expect(t.problems).toEqual([]);
}
