import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { Resolver, type ResolverConfig } from '../../resolver/resolve.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexReader } from '../../timeindex/reader.js';
import { IndexWriter } from '../../timeindex/writer.js';

export interface IndexServicesOptions {
  redis: Redis;
  resolver: ResolverConfig;
}

/** The time index and the resolver, built once and shared by every route. */
export default fp<IndexServicesOptions>(
  async (fastify, opts) => {
    const profiles = new ProfileDictionary(opts.redis);
    fastify.decorate('redis', opts.redis);
    fastify.decorate('indexWriter', new IndexWriter(opts.redis, profiles, { days: opts.resolver.retentionDays, now: opts.resolver.now }));
    fastify.decorate('resolver', new Resolver(new IndexReader(opts.redis), profiles, opts.resolver));
  },
  { name: 'index-services' },
);

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    indexWriter: IndexWriter;
    resolver: Resolver;
  }
}
