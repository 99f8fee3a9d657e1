import type { FastifyReply, FastifyRequest } from 'fastify';
import { formToken } from './csrf.js';
import type { Html } from './html.js';
import type { PageContext } from './layout.js';

/** The page frame's context: the principal, and the form token of this session. */
export function contextOf(req: FastifyRequest, reply: FastifyReply): PageContext {
  return { principal: req.principal, csrf: formToken(req, reply) };
}

export function sendPage(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body.text);
}

/** A form field as one string ('' when absent; the first when repeated). */
export function field(body: unknown, name: string): string {
  const v = (body as Record<string, unknown> | null | undefined)?.[name];
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : '';
  return typeof v === 'string' ? v : '';
}

/** A form field that may repeat (checkboxes), as strings. */
export function fields(body: unknown, name: string): string[] {
  const v = (body as Record<string, unknown> | null | undefined)?.[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}

/** Where to go after sign-in: only a path of this site (never `//host` or a scheme). */
export function safeNext(next: string): string | null {
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : null;
}
