import fp from 'fastify-plugin';
import { HoldStore } from '../../retention/holds.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Legal holds: read by the resolver and the purge, changed by the holds routes. */
    holdStore: HoldStore;
  }
}

/** One hold store for the service, so every reader of holds goes through the same object. */
export default fp(
  async (fastify) => {
    fastify.decorate('holdStore', new HoldStore(fastify.redis));
  },
  { name: 'hold-store', dependencies: ['redis'] },
);
