import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AccessLog } from '../../audit/log.js';
import { RefusalLog, refusalSource } from '../../audit/refusals.js';
import { TokenCache } from '../../audit/token-cache.js';
import { TokenStore, type Principal, type Role } from '../../audit/tokens.js';

/** Who a request proves to be, or why it is refused (nothing taken from the credential itself). */
export type Authentication = Principal | { refused: string };

/**
 * A way other than a bearer token to say who asks (the desk's session cookie; a later OIDC
 * sign-in). It yields the principal a token would, so the route's role rule, the refusal record
 * and the refusal count are the same whichever way one signed in.
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
  /** Refused requests without a valid token, per source and minute, before that source is answered 429. */
  failLimitPerMinute: number;
  /** Whether routes marked `openToLoopback` answer loopback callers without a token (WHOHAD_METRICS_LOOPBACK). */
  loopbackOpen: boolean;
  /** How long refusals of one source are gathered into one record (a minute; shorter in tests). */
  refusalWindowMs?: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role a route needs; routes without one are open (health, docs). */
    role?: Role;
    /**
     * With the loopback setting on (WHOHAD_METRICS_LOOPBACK), the machine itself (a scraper or
     * sidecar on loopback) is let in without a token; otherwise, and for anyone else, the
     * route's role is needed as usual.
     */
    openToLoopback?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    tokens: TokenStore;
    /** Verified tokens of this process, emptied by revocations announced over pub/sub. */
    tokenCache: TokenCache;
    accessLog: AccessLog;
    refusals: RefusalLog;
    /** Credentials besides the bearer token, asked in order (see Credential). */
    credentials: Credential[];
    /** Records, counts and answers a refusal as the access hook does (for sign-in forms). */
    refuse: (req: FastifyRequest, reply: FastifyReply, status: 401 | 403, reason: string, principal: Principal | null, credential?: Credential) => Promise<FastifyReply>;
  }
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return v4.startsWith('127.') || ip === '::1';
}

const DENIED_COUNT = '{whohad}:denied-count';
const failKey = (source: string) => `{whohad}:fail:${source}`;

/** The token of an Authorization header; the scheme's name is case-insensitive (RFC 9110 § 11.1). */
export function bearerToken(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^bearer[ \t]+(.*)$/is.exec(header);
  return m ? m[1].trim() : undefined;
}

/**
 * Who may ask: every route names the role it needs, and a request without a valid credential of
 * that role is refused (401/403) and recorded in the access log. The record names only what
 * was proven: a valid token's user and id on a 403; on a 401 the source, route and reason, and
 * nothing taken from the credential. Refusals of callers that proved nothing are counted per
 * source (an IPv4 address, an IPv6 /64) and recorded once a minute with their count; a source
 * over the limit is answered 429 until the minute is out. A valid token is never held back by
 * that limit, so a flood from a shared address (a NAT, a proxy) cannot lock out those behind it.
 */
export default fp<AccessOptions>(
  async (fastify, opts) => {
    const redis = fastify.redis;
    const tokenCache = new TokenCache();
    tokenCache.start(redis);
    const tokens = new TokenStore(redis, tokenCache);
    const accessLog = new AccessLog(redis, opts.instance);
    const refusals = new RefusalLog(accessLog, opts.refusalWindowMs);
    refusals.start();
    fastify.decorate('tokens', tokens);
    fastify.decorate('tokenCache', tokenCache);
    fastify.decorate('accessLog', accessLog);
    fastify.decorate('refusals', refusals);
    fastify.decorate('credentials', [] as Credential[]);
    fastify.decorateRequest('principal', null);
    fastify.addHook('onClose', async () => {
      await refusals.stop();
      tokenCache.stop();
    });

    const routeOf = (req: FastifyRequest) => `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
    const send = (req: FastifyRequest, reply: FastifyReply, status: 401 | 403, reason: string, credential?: Credential) =>
      credential?.refuse ? credential.refuse(req, reply, status, reason) : reply.code(status).send({ statusCode: status, error: status === 401 ? 'Unauthorized' : 'Forbidden', message: reason });

    /**
     * A caller that proved nothing: counted per source, recorded with the minute's others, 429
     * over the limit. The count is read only here, from the increment that adds this refusal,
     * so a request with a valid token never touches it.
     */
    async function refuseUnproven(req: FastifyRequest, reply: FastifyReply, reason: string, shown: string, credential?: Credential) {
      const source = refusalSource(req.ip);
      const [fails] = await Promise.all([redis.incr(failKey(source)), redis.expire(failKey(source), 60, 'NX'), redis.incr(DENIED_COUNT)]);
      // the refusals before this one already reached the limit
      const limited = fails - 1 >= opts.failLimitPerMinute;
      const tooMany = 'too many refused requests from this source in the last minute';
      refusals.note({ source, address: req.ip, route: routeOf(req), reason: limited ? tooMany : reason });
      if (limited) {
        return reply.code(429).header('retry-after', '60').send({ statusCode: 429, error: 'Too Many Requests', message: `${tooMany}; a valid token is still answered, anything else may try again in a minute` });
      }
      return send(req, reply, 401, shown, credential);
    }

    /** A proven caller without the role: recorded one by one under its name, and not limited. */
    async function refuseProven(req: FastifyRequest, reply: FastifyReply, reason: string, who: Principal, credential?: Credential) {
      await Promise.all([
        redis.incr(DENIED_COUNT),
        accessLog.append({ kind: 'denied', time: new Date().toISOString(), user: who.name, tokenId: who.tokenId, client: req.ip, route: routeOf(req), reason, count: 1, disclosed: [] }),
      ]);
      return send(req, reply, 403, reason, credential);
    }

    fastify.decorate('refuse', async (req: FastifyRequest, reply: FastifyReply, status: 401 | 403, reason: string, principal: Principal | null, credential?: Credential) => {
      if (status === 403 && principal) return refuseProven(req, reply, reason, principal, credential);
      return refuseUnproven(req, reply, reason, reason, credential);
    });

    fastify.addHook('onRequest', async (req, reply) => {
      const { role, openToLoopback } = req.routeOptions.config ?? {};
      if (!role) return;
      const loopbackOpen = openToLoopback === true && opts.loopbackOpen;
      if (loopbackOpen && isLoopback(req.ip)) return;
      const credential = fastify.credentials.find((c) => c.claims(req));
      // a known token is answered from the token cache: no round trip on most requests
      const who = await (credential ? credential.authenticate(req) : tokens.authenticate(bearerToken(req.headers.authorization)));
      if ('refused' in who) {
        const shown = loopbackOpen ? `${who.refused}; ${req.routeOptions.url} answers loopback or a token with the ${role} role` : who.refused;
        return refuseUnproven(req, reply, who.refused, shown, credential);
      }
      if (!who.roles.includes(role)) return refuseProven(req, reply, `token "${who.name}" lacks the ${role} role`, who, credential);
      req.principal = who;
    });
  },
  { name: 'access', dependencies: ['redis'] },
);
