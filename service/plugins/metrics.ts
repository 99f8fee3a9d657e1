import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { collectProcessMetrics, metrics, metricsText, registry } from '../../core/metrics.js';

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return v4.startsWith('127.') || ip === '::1';
}

/**
 * Prometheus metrics: a latency histogram of every request by method, route pattern and
 * status (the pattern, never the URL, so no address, id or token reaches a label), process
 * metrics with event-loop lag, and the counters of core/metrics.ts.
 *
 * `GET /metrics` is answered to the machine itself (a scraper or sidecar on loopback) and to a
 * token with the admin role; anyone else gets 401/403. It has no `role` in its route config:
 * the access plugin would log every scrape as a look-up attempt, so the route checks itself.
 */
export default fp(
  async (fastify) => {
    collectProcessMetrics();

    fastify.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      metrics.httpRequests.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });

    async function allowed(req: FastifyRequest): Promise<{ status: 401 | 403; message: string } | null> {
      if (isLoopback(req.ip)) return null;
      const header = req.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      const who = await fastify.tokens.authenticate(token);
      if ('refused' in who) return { status: 401, message: `${who.refused}; /metrics answers loopback or an admin token` };
      if (!who.roles.includes('admin')) return { status: 403, message: `token "${who.name}" lacks the admin role` };
      return null;
    }

    fastify.get(
      '/metrics',
      {
        schema: {
          // kept out of the API document: an operations endpoint, not part of the API
          hide: true,
        },
      },
      async (req, reply) => {
        const refused = await allowed(req);
        if (refused) {
          return reply.code(refused.status).send({ statusCode: refused.status, error: refused.status === 401 ? 'Unauthorized' : 'Forbidden', message: refused.message });
        }
        return reply.type(registry.contentType).send(await metricsText());
      },
    );
  },
  { name: 'metrics', dependencies: ['access'] },
);
