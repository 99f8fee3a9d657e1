import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sha256 } from '../../../audit/canonical.js';
import { contextOf, field, safeNext, sendPage } from '../context.js';
import { checkFormToken } from '../csrf.js';
import { SESSION_COOKIE, sessionCookieOf, sessionPrincipal } from '../credential.js';
import { homeOf } from '../layout.js';
import { errorPage } from '../pages/refused.js';
import { signInPage } from '../pages/sign-in.js';

/** Sign-in with an API token, sign-out, and the front door that sends each role to its first page. */
export default async function authRoutes(fastify: FastifyInstance): Promise<void> {
  const sessions = fastify.deskSessions;

  /** The session and principal for routes every signed-in role may use (no single role to check). */
  async function signedIn(req: FastifyRequest) {
    const { who, session } = await sessionPrincipal(fastify, sessions, sessionCookieOf(fastify, req));
    if ('refused' in who || !session) return null;
    req.deskSession = session;
    req.principal = who;
    return who;
  }

  fastify.get('/', { schema: { hide: true } }, async (req, reply) => {
    const who = await signedIn(req);
    if (!who) return reply.redirect('/sign-in', 303);
    const home = homeOf(who);
    if (home) return reply.redirect(home, 303);
    return sendPage(reply, errorPage(contextOf(req, reply), 'No desk pages', `Token "${who.name}" has the roles ${who.roles.join(', ')}, and no desk page is for them.`));
  });

  fastify.get('/sign-in', { schema: { hide: true } }, async (req, reply) => {
    const next = safeNext(String((req.query as Record<string, unknown>).next ?? '')) ?? '';
    return sendPage(reply, signInPage(contextOf(req, reply).csrf, null, next));
  });

  const refuseSignIn = (next: string) => ({
    claims: () => true,
    authenticate: async () => ({ refused: 'unused', prefix: null }),
    refuse: (req: FastifyRequest, reply: FastifyReply, status: 401 | 403, reason: string) =>
      sendPage(reply, signInPage(contextOf(req, reply).csrf, `Not signed in: ${reason}.`, next), status),
  });

  fastify.post('/sign-in', { schema: { hide: true }, preHandler: async (req) => checkFormToken(req) }, async (req, reply) => {
    const token = field(req.body, 'token').trim();
    const next = safeNext(field(req.body, 'next'));
    const who = await fastify.tokens.authenticate(token === '' ? undefined : token);
    // a refused sign-in is recorded and counted like a refused API request
    if ('refused' in who) return fastify.refuse(req, reply, 401, who.refused, null, refuseSignIn(next ?? ''));
    const session = await sessions.start({ kind: 'token', tokenHash: sha256(token) });
    reply.setCookie(SESSION_COOKIE, session.id, { path: '/', httpOnly: true, sameSite: 'strict', secure: 'auto' });
    return reply.redirect(next ?? homeOf(who) ?? '/', 303);
  });

  fastify.post(
    '/sign-out',
    {
      schema: { hide: true },
      preHandler: [
        async (req, reply) => {
          // nothing to end, and no session to bind a form token to
          if (!(await signedIn(req))) return reply.redirect('/sign-in', 303);
          checkFormToken(req);
        },
      ],
    },
    async (req, reply) => {
      if (req.deskSession) await sessions.end(req.deskSession.id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      req.deskSession = null;
      req.principal = null;
      return sendPage(reply, signInPage(contextOf(req, reply).csrf, 'You are signed out.'));
    },
  );
}
