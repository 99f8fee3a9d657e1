import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AccessLog } from '../../audit/log.js';
import { TokenStore, type Principal, type Role } from '../../audit/tokens.js';

/** Who a request proves to be, or why it is refused (the prefix names the credential in the record). */
export type Authentication = Principal | { refused: string; prefix: string | null };

/**
 * A way other than a bearer token to say who asks (the desk's session cookie; a later OIDC
 * sign-in). It yields the principal a token would, so the route's role rule, the refusal record
 * and the failure count are the same whichever way one signed in.
 */
export interface Credential {
  /** Whether this credential speaks for the request; when none does, the bearer token does. */
  claims(req: FastifyRequest): boolean;
  authenticate(req: FastifyRequest): Promise<Authentication>;
  /** Sends a refusal already recorded and counted (default: the JSON error). */
  refuse?(req: FastifyRequest, reply: FastifyReply, status: 401 | 403, reason: string): FastifyReply | Promise<FastifyReply>;
}

export interface AccessOptions {
  /** The access-log chain this instance writes. */
  instance: string;
  /** Refused attempts from one address within a minute before it is answered 429. */
  failLimitPerMinute: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role a route needs; routes without one are open (health, docs). */
    role?: Role;
    /**
     * The machine itself (a scraper or sidecar on loopback) is let in without a token; anyone
     * else needs the route's role as usual.
     */
    openToLoopback?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    tokens: TokenStore;
    accessLog: AccessLog;
    /** Credentials besides the bearer token, asked in order (see Credential). */
    credentials: Credential[];
    /** Records, counts and answers a refusal, as the access hook does (for sign-in forms). */
    refuse: (req: FastifyRequest, reply: FastifyReply, status: 401 | 403, reason: string, prefix: string | null, principal: Principal | null, credential?: Credential) => Promise<FastifyReply>;
  }
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return v4.startsWith('127.') || ip === '::1';
}

const DENIED_COUNT = '{whohad}:denied-count';
const failKey = (client: string) => `{whohad}:fail:${client}`;

/**
 * Who may ask: every route names the role it needs, and a request without a valid token of
 * that role is refused (401/403), recorded in the access log with the client address, the
 * token's id (never the token) and the reason, and counted. An address that keeps failing is
 * answered 429 for a minute.
 */
export default fp<AccessOptions>(
  async (fastify, opts) => {
    const redis = fastify.redis;
    const tokens = new TokenStore(redis);
    const accessLog = new AccessLog(redis, opts.instance);
    fastify.decorate('tokens', tokens);
    fastify.decorate('accessLog', accessLog);
    fastify.decorate('credentials', [] as Credential[]);
    fastify.decorateRequest('principal', null);

    async function refuse(req: FastifyRequest, reply: FastifyReply, status: 401 | 403, reason: string, prefix: string | null, principal: Principal | null, credential?: Credential) {
      const route = req.routeOptions.url ?? req.url.split('?')[0];
      const [fails] = await Promise.all([
        redis.incr(failKey(req.ip)),
        redis.expire(failKey(req.ip), 60, 'NX'),
        redis.incr(DENIED_COUNT),
        accessLog.append({
          kind: 'denied', time: new Date().toISOString(), user: principal?.name ?? null, tokenId: principal?.tokenId ?? prefix,
          client: req.ip, route: `${req.method} ${route}`, reason, disclosed: [],
        }),
      ]);
      if (fails > opts.failLimitPerMinute) reply.header('retry-after', '60');
      if (credential?.refuse) return credential.refuse(req, reply, status, reason);
      return reply.code(status).send({ statusCode: status, error: status === 401 ? 'Unauthorized' : 'Forbidden', message: reason });
    }

    fastify.decorate('refuse', refuse);

    fastify.addHook('onRequest', async (req, reply) => {
      const { role, openToLoopback } = req.routeOptions.config ?? {};
      if (!role) return;
      if (openToLoopback && isLoopback(req.ip)) return;
      const header = req.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      // both in one round trip: this runs on every request
      const credential = fastify.credentials.find((c) => c.claims(req));
      const [failCount, who] = await Promise.all([redis.get(failKey(req.ip)), credential ? credential.authenticate(req) : tokens.authenticate(token)]);
      if (Number(failCount ?? 0) >= opts.failLimitPerMinute) {
        return reply.code(429).header('retry-after', '60').send({ statusCode: 429, error: 'Too Many Requests', message: `too many refused requests from this address in the last minute; try again in a minute` });
      }
      if ('refused' in who) {
        const reason = openToLoopback ? `${who.refused}; ${req.routeOptions.url} answers loopback or a token with the ${role} role` : who.refused;
        return refuse(req, reply, 401, reason, who.prefix, null, credential);
      }
      if (!who.roles.includes(role)) {
        return refuse(req, reply, 403, `token "${who.name}" lacks the ${role} role`, who.tokenId, who, credential);
      }
      req.principal = who;
    });
  },
  { name: 'access', dependencies: ['redis'] },
);
