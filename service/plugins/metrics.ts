import fp from 'fastify-plugin';
import { collectProcessMetrics, countIngest, metrics, metricsText, registry } from '../../core/metrics.js';
import { SourceMetrics } from '../source-metrics.js';
import { processName, SourceStats } from '../../intake/source-stats.js';

/** The counters routes add to, reached through the instance so a route declares it needs them. */
export type ServiceMetrics = typeof metrics & { countIngest: typeof countIngest };

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics;
    /** Per-source counts of HTTP ingest, kept in Redis with every other ingest path's. */
    sourceStats: SourceStats;
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
    fastify.decorate('sourceStats', new SourceStats(fastify.redis, processName('serve')));
    // what every collector, follower and ingest wrote to Redis, per source (the same on every worker)
    const sources = new SourceMetrics(fastify.redis);
    let failing = false;
    const fromRedis = async () => {
      try {
        const text = await sources.metrics();
        failing = false;
        return text;
      } catch (err) {
        // the process metrics are still worth a scrape; the outage is logged once
        if (!failing) fastify.log.warn({ err: (err as Error).message }, 'per-source ingest metrics could not be read from Redis');
        failing = true;
        return '';
      }
    };

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
      async (_req, reply) => {
        const [own, stored] = await Promise.all([metricsText(), fromRedis()]);
        return reply.type(registry.contentType).send(`${own}\n${stored}`);
      },
    );
  },
  { name: 'metrics', dependencies: ['access', 'redis'] },
);
