import type { FastifyReply, FastifyRequest } from 'fastify';
import { contextOf, sendPage } from './context.js';
import { SESSION_COOKIE } from './credential.js';
import { refusedPage } from './pages/refused.js';
import { signInPage } from './pages/sign-in.js';

/**
 * A refused page, already recorded: without a (live) session, the sign-in form with the reason
 * and the way back; with one whose role does not reach the page, a page saying so.
 */
export function refusalPage(req: FastifyRequest, reply: FastifyReply, status: 401 | 403, reason: string): FastifyReply {
  if (status === 401) {
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    req.deskSession = null;
    const next = req.method === 'GET' ? req.url : '';
    return sendPage(reply, signInPage(contextOf(req, reply).csrf, `Please sign in: ${reason}.`, next), 401);
  }
  return sendPage(reply, refusedPage(contextOf(req, reply), reason), 403);
}
