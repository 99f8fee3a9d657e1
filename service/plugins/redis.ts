import fp from 'fastify-plugin';
import type { Cluster, Redis } from 'ioredis';

export interface RedisPluginOptions {
  /** Opened and closed by the caller (server or test), which outlives the app. */
  redis: Redis | Cluster;
}

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis | Cluster;
  }
}

/**
 * The one way Redis enters the service: every plugin that needs it declares a dependency on
 * this one and reads `fastify.redis`, rather than taking the client as an option of its own.
 */
export default fp<RedisPluginOptions>(
  async (fastify, opts) => {
    fastify.decorate<Redis | Cluster>('redis', opts.redis);
  },
  { name: 'redis' },
);
