import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../../config.js';
import { checkFormToken } from './csrf.js';
import { sessionCredential } from './credential.js';
import pages from './pages-plugin.js';
import { refusalPage } from './refusals.js';
import { SessionStore } from './session.js';

export type DeskConfig = Pick<Config, 'legalBases' | 'deskTimeZone' | 'sessionIdleS' | 'sessionMaxS' | 'toleranceS' | 'bulkResultTtlS' | 'dataDir'>;

export interface DeskOptions {
  config: DeskConfig;
}

declare module 'fastify' {
  interface FastifyInstance {
    deskSessions: SessionStore;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The investigator's desk at `/`: server-rendered pages over the same services the REST API
 * uses. A sign-in with an API token starts a session (a cookie whose id Redis keeps hashed); the
 * access hook resolves the session to the token's principal, so roles, refusals and their record
 * are the REST ones. Every request a session makes that changes anything (a form, an upload)
 * carries a form token bound to that session.
 */
export default fp<DeskOptions>(
  async (fastify, opts) => {
    const { config } = opts;
    // at the root: the access hook reads the session cookie on any route
    await fastify.register(cookie);
    const sessions = new SessionStore(fastify.redis, { idleS: config.sessionIdleS, maxS: config.sessionMaxS });
    fastify.decorate('deskSessions', sessions);
    fastify.decorateRequest('deskSession', null);

    fastify.credentials.push(sessionCredential(fastify, sessions, { page: refusalPage }));

    // a session's cookie goes with every request the browser makes to this site, so any request
    // it authenticates that changes something must also carry the session's form token
    fastify.addHook('preHandler', async (req) => {
      if (req.deskSession && !SAFE.has(req.method)) checkFormToken(req);
    });

    await fastify.register(pages, { config });
  },
  { name: 'desk', dependencies: ['redis', 'access', 'index-services', 'metrics', 'hold-store'] },
);
