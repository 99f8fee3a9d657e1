import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../helpers/app.js';

/** A browser's cookie jar, enough for inject: name → value, updated from every Set-Cookie. */
export class Jar {
  readonly cookies = new Map<string, string>();
  take(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      if (c.value === '' || c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now())) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return res;
  }
  header(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }
}

/** The form token a page carries (the first hidden _csrf field). */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('page has no form token');
  return m[1];
}

export const form = (fields: Record<string, string | string[]>) =>
  Object.entries(fields)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
    .join('&');

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** A browser-like client of the desk: GET a page, POST its form with the token it carries. */
export class Desk {
  readonly jar = new Jar();
  constructor(readonly app: TestApp) {}

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.jar.take(await this.app.inject({ method: 'GET', url, headers: this.jar.header() }));
  }

  async post(url: string, fields: Record<string, string | string[]>): Promise<LightMyRequestResponse> {
    return this.jar.take(await this.app.inject({ method: 'POST', url, headers: { ...this.jar.header(), ...FORM }, payload: form(fields) }));
  }

  /** Posts the form of `page` (GET first, to carry its token). */
  async submit(page: string, url: string, fields: Record<string, string | string[]>): Promise<LightMyRequestResponse> {
    const csrf = csrfOf((await this.get(page)).body);
    return this.post(url, { _csrf: csrf, ...fields });
  }

  async signIn(token: string): Promise<LightMyRequestResponse> {
    return this.submit('/sign-in', '/sign-in', { token });
  }
}

export const tokenOf = (app: TestApp) => app.auth.authorization.slice('Bearer '.length);
