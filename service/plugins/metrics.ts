import fp from 'fastify-plugin';
import { collectProcessMetrics, countIngest, metrics, metricsText, registry } from '../../core/metrics.js';

/** The counters routes add to, reached through the instance so a route declares it needs them. */
export type ServiceMetrics = typeof metrics & { countIngest: typeof countIngest };

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics;
  }
}

/**
 * Prometheus metrics: a latency histogram of every request by method, route pattern and
 * status (the pattern, never the URL, so no address, id or token reaches a label), process
 * metrics with event-loop lag, and the counters of core/metrics.ts.
 *
 * `GET /metrics` is answered to the machine itself (a scraper or sidecar on loopback) and to a
 * token with the admin role, through the access hook like every other route: anyone else gets
 * 401/403, recorded in the access log as any refusal is.
 */
export default fp(
  async (fastify) => {
    collectProcessMetrics();
    fastify.decorate('metrics', { ...metrics, countIngest });

    fastify.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      metrics.httpRequests.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });

    fastify.get(
      '/metrics',
      {
        config: { role: 'admin', openToLoopback: true },
        schema: {
          // kept out of the API document: an operations endpoint, not part of the API
          hide: true,
        },
      },
      async (_req, reply) => reply.type(registry.contentType).send(await metricsText()),
    );
  },
  { name: 'metrics', dependencies: ['access'] },
);
