import { defineConfig } from 'vitest/config';

/**
 * `npm run test:cluster`: the resolver, ingest, bulk and audit suites (and the metrics and
 * two-instance ones) again, on a local Redis Cluster of 3 primaries with a replica each, plus
 * the cluster-only tests (`*.cluster.test.ts`: failover, shard distribution). WHOHAD_TEST_CLUSTER
 * makes test/helpers/redis.ts hand out the cluster instead of a database of one redis-server.
 * Files run one at a time: they share the cluster's only database, emptied per file.
 */
export default defineConfig({
  test: {
    include: [
      'test/service/attribution.test.ts',
      'test/timeindex/merge.test.ts',
      'test/service/ingest-raw.test.ts',
      'test/intake/lease-fixtures-index.test.ts',
      'test/bulk/*.test.ts',
      'test/service/access.test.ts',
      'test/metrics/**/*.test.ts',
      'test/workers/**/*.test.ts',
      'test/cluster/**/*.cluster.test.ts',
    ],
    exclude: ['dist/**', 'node_modules/**'],
    globalSetup: ['test/cluster/global-cluster.ts'],
    env: { WHOHAD_TEST_CLUSTER: '1' },
    fileParallelism: false,
    // Three tests of test/service/access.test.ts give each of several apps a database of its own
    // (a poisoned log, a fresh rate-limit count, a log to purge); on the cluster's one shared
    // database they would see each other. test/cluster/audit.cluster.test.ts covers the same
    // behaviour on the cluster: 503 when the log cannot be written, 429, purge across nodes.
    testNamePattern: /^(?!.*(discloses nothing and answers 503|answers 429 to an address that keeps failing|drops records past retention)).*$/,
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
