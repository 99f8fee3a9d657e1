import fp from 'fastify-plugin';
import type { Cluster, Redis } from 'ioredis';
import { Resolver, type ResolverConfig } from '../../resolver/resolve.js';
import { HoldStore } from '../../retention/holds.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexReader } from '../../timeindex/reader.js';
import { IndexWriter } from '../../timeindex/writer.js';

export interface IndexServicesOptions {
  redis: Redis | Cluster;
  resolver: ResolverConfig;
}

/** The time index and the resolver, built once and shared by every route. */
export default fp<IndexServicesOptions>(
  async (fastify, opts) => {
    const profiles = new ProfileDictionary(opts.redis);
    fastify.decorate<Redis | Cluster>('redis', opts.redis);
    fastify.decorate('indexWriter', new IndexWriter(opts.redis, profiles, { days: opts.resolver.retentionDays, now: opts.resolver.now }));
    fastify.decorate('resolver', new Resolver(new IndexReader(opts.redis), profiles, opts.resolver, new HoldStore(opts.redis)));
  },
  { name: 'index-services' },
);

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis | Cluster;
    indexWriter: IndexWriter;
    resolver: Resolver;
  }
}
