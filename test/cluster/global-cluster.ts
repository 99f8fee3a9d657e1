import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startCluster } from '../helpers/cluster.js';

/**
 * One Redis Cluster for the whole cluster run: 3 primaries, each with a replica. Test files run
 * one after another (vitest.cluster.config.ts) and each empties every primary first, since a
 * cluster has only database 0.
 */
export default async function setup(project: TestProject) {
  const cluster = await startCluster({ dir: join(tmpdir(), `whohad-cluster-test-${process.pid}`), primaries: 3, replicas: 1 });
  project.provide('redisUrl', cluster.url);
  project.provide('clusterPorts', cluster.nodes.map((n) => n.port));
  return async () => {
    await cluster.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    clusterPorts: number[];
  }
}
