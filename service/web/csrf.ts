import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';

/**
 * Form tokens. A session has its own, made with it and kept in its Redis record (a synchronizer
 * token: a page of another session, or of no session, cannot produce it). The sign-in form,
 * before any session exists, uses a double-submit token: a random HttpOnly, SameSite=Strict cookie
 * that the form repeats. A request a session authenticates that changes anything must carry its
 * session's token, in the form (`_csrf`) or in the `x-csrf-token` header (the page's scripts).
 */
export const PRE_SESSION_COOKIE = 'whohad_csrf';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export class FormTokenError extends HttpError {
  constructor() {
    super(403, 'the form token (_csrf, or the x-csrf-token header) is missing or belongs to another session: reload the page and send it again');
  }
}

export const newFormToken = () => randomBytes(32).toString('base64url');

/** The token a form of this page carries. */
export function formToken(req: FastifyRequest, reply: FastifyReply): string {
  if (req.deskSession) return req.deskSession.csrf;
  const cookies = (req.cookies ??= {});
  let token = cookies[PRE_SESSION_COOKIE];
  if (!token || !TOKEN.test(token)) {
    token = newFormToken();
    cookies[PRE_SESSION_COOKIE] = token;
    reply.setCookie(PRE_SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', secure: 'auto' });
  }
  return token;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Throws unless the request carries the token of its session (or, with none, of its sign-in form). */
export function checkFormToken(req: FastifyRequest): void {
  const expected = req.deskSession ? req.deskSession.csrf : req.cookies?.[PRE_SESSION_COOKIE];
  const body = req.body as Record<string, unknown> | null | undefined;
  const fromForm = body && typeof body === 'object' && !('pipe' in body) ? body._csrf : undefined;
  const given = typeof fromForm === 'string' ? fromForm : req.headers['x-csrf-token'];
  if (!expected || typeof given !== 'string' || !same(expected, given)) throw new FormTokenError();
}
