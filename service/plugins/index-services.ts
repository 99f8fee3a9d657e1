import fp from 'fastify-plugin';
import type { NatConfigFormat } from '../../natconfig/format.js';
import { installedFormats } from '../../natconfig/installed.js';
import { NatConfigRegistry } from '../../natconfig/registry.js';
import { NatConfigVersions } from '../../natconfig/versions.js';
import { Resolver, type ResolverConfig } from '../../resolver/resolve.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexReader } from '../../timeindex/reader.js';
import { IndexWriter } from '../../timeindex/writer.js';

export interface IndexServicesOptions {
  resolver: ResolverConfig;
  /** The NAT configuration formats offered (default: those the build ships). */
  natConfigFormats?: readonly NatConfigFormat[];
}

/**
 * The time index, the NAT configuration history and the resolver, built once and shared by
 * every route: the version an operator enters is the one the next look-up computes with.
 */
export default fp<IndexServicesOptions>(
  async (fastify, opts) => {
    const profiles = new ProfileDictionary(fastify.redis);
    const natConfigs = new NatConfigVersions(fastify.redis, new NatConfigRegistry(opts.natConfigFormats ?? installedFormats));
    fastify.decorate('indexWriter', new IndexWriter(fastify.redis, profiles, { days: opts.resolver.retentionDays, now: opts.resolver.now }));
    fastify.decorate('natConfigs', natConfigs);
    fastify.decorate('resolver', new Resolver(new IndexReader(fastify.redis), profiles, opts.resolver, fastify.holdStore, natConfigs));
  },
  { name: 'index-services', dependencies: ['redis', 'hold-store'] },
);

declare module 'fastify' {
  interface FastifyInstance {
    indexWriter: IndexWriter;
    natConfigs: NatConfigVersions;
    resolver: Resolver;
  }
}
