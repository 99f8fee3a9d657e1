import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../../audit/tokens.js';
import type { Authentication, Credential } from '../plugins/access.js';
import type { DeskSession, SessionStore } from './session.js';

export const SESSION_COOKIE = 'whohad_session';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A desk page: a session (not a bearer token) says who asks, and refusals are pages. */
    page?: boolean;
  }
  interface FastifyRequest {
    /** The desk session this request was authenticated by, if any. */
    deskSession: DeskSession | null;
  }
}

export function sessionCookieOf(fastify: FastifyInstance, req: FastifyRequest): string | undefined {
  // the access hook runs before @fastify/cookie's own: parse here, and leave the result for a
  // refusal page (its form token reads the cookies)
  req.cookies ??= fastify.parseCookie(req.headers.cookie ?? '');
  return req.cookies[SESSION_COOKIE];
}

/** The principal behind a session, and the session; or why there is none. */
export async function sessionPrincipal(fastify: FastifyInstance, sessions: SessionStore, id: string | undefined): Promise<{ who: Authentication; session: DeskSession | null }> {
  if (!id) return { who: { refused: 'not signed in (no desk session)' }, session: null };
  const session = await sessions.resume(id);
  if (!session) return { who: { refused: 'the desk session ended or expired; sign in again' }, session: null };
  const who = await fastify.tokens.byHash(session.subject.tokenHash);
  if ('refused' in who) {
    // a revoked token ends the sessions started with it at their next request
    await sessions.end(id);
    return { who: { refused: `${who.refused}; the desk session ended with it` }, session: null };
  }
  return { who, session };
}

export interface Refusals {
  /** A page for a refused page request (401: sign in again; 403: not for this role). */
  page(req: FastifyRequest, reply: FastifyReply, status: 401 | 403, reason: string): FastifyReply | Promise<FastifyReply>;
}

/**
 * The session cookie as a credential: it speaks for desk pages always, and for the REST API when
 * the request carries the cookie and no bearer token (the desk's scripts poll jobs and download
 * results that way). Refused page requests get a page; REST requests the usual JSON error.
 */
export function sessionCredential(fastify: FastifyInstance, sessions: SessionStore, refusals: Refusals): Credential {
  return {
    claims(req) {
      return req.routeOptions.config?.page === true || (req.headers.authorization === undefined && sessionCookieOf(fastify, req) !== undefined);
    },
    async authenticate(req) {
      const { who, session } = await sessionPrincipal(fastify, sessions, sessionCookieOf(fastify, req));
      req.deskSession = session;
      // known before the role check, so a refused page can still show the signed-in frame
      if (!('refused' in who)) req.principal = who;
      return who;
    },
    refuse(req, reply, status, reason) {
      if (req.routeOptions.config?.page === true) return refusals.page(req, reply, status, reason);
      return reply.code(status).send({ statusCode: status, error: status === 401 ? 'Unauthorized' : 'Forbidden', message: reason });
    },
  };
}

export type { Principal };
