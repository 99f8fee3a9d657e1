import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import Type from 'typebox';
import { clusterState } from '../../redis/cluster.js';

const Health = Type.Object({ status: Type.String(), redis: Type.Optional(Type.String()) });

const health: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is up', response: { 200: Health } } }, async () => ({ status: 'ok' }));

  fastify.get(
    '/readyz',
    { schema: { tags: ['operations'], summary: 'Ready when Redis answers', response: { 200: Health, 503: Health } } },
    async (req, reply) => {
      try {
        await fastify.redis.ping();
        // a Redis Cluster: ready only while every primary reports cluster_state:ok
        const cluster = await clusterState(fastify.redis);
        if (!cluster) return { status: 'ready', redis: 'up' };
        const redis = `cluster ${cluster.ok ? 'ok' : 'not ok'}: ${cluster.masters} primaries, cluster_state ${[...new Set(cluster.states)].join(',')}`;
        if (cluster.ok) return { status: 'ready', redis };
        return reply.code(503).header('retry-after', '5').send({ status: 'not ready', redis });
      } catch (err) {
        // the error text can name hosts, ports and internals: it goes to the service log, not to whoever asks
        req.log.error({ redis: (err as Error).message }, 'readiness: redis did not answer');
        return reply.code(503).header('retry-after', '5').send({ status: 'not ready', redis: 'unreachable' });
      }
    },
  );
};

export default fp(health, { name: 'routes/health', dependencies: ['redis'], encapsulate: true });
