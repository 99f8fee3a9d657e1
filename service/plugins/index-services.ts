import fp from 'fastify-plugin';
import { Resolver, type ResolverConfig } from '../../resolver/resolve.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexReader } from '../../timeindex/reader.js';
import { IndexWriter } from '../../timeindex/writer.js';

export interface IndexServicesOptions {
  resolver: ResolverConfig;
}

/** The time index and the resolver, built once and shared by every route. */
export default fp<IndexServicesOptions>(
  async (fastify, opts) => {
    const profiles = new ProfileDictionary(fastify.redis);
    fastify.decorate('indexWriter', new IndexWriter(fastify.redis, profiles, { days: opts.resolver.retentionDays, now: opts.resolver.now }));
    fastify.decorate('resolver', new Resolver(new IndexReader(fastify.redis), profiles, opts.resolver, fastify.holdStore));
  },
  { name: 'index-services', dependencies: ['redis', 'hold-store'] },
);

declare module 'fastify' {
  interface FastifyInstance {
    indexWriter: IndexWriter;
    resolver: Resolver;
  }
}
