import { createRequire } from 'node:module';
import { Cluster, type Redis } from 'ioredis';

/** The slot of a key (ioredis's own dependency, which ships no types). */
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

/** A single Redis or a Redis Cluster: every module that talks to Redis takes either. */
export type RedisClient = Redis | Cluster;

export const CLUSTER_SCHEME = 'redis-cluster://';

/** `host:port,host:port,…` (REDIS_CLUSTER_NODES) as the `redis-cluster://` URL whohad passes around. */
export function clusterUrl(nodes: string): string {
  return `${CLUSTER_SCHEME}${nodes.split(',').map((n) => n.trim()).filter(Boolean).join(',')}`;
}

export interface ClusterSpec {
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
}

/** `redis-cluster://[user:password@]host:port,host:port[/]`, or null for any other URL. */
export function parseClusterUrl(url: string): ClusterSpec | null {
  if (!url.startsWith(CLUSTER_SCHEME)) return null;
  let rest = url.slice(CLUSTER_SCHEME.length).replace(/\/$/, '');
  const spec: ClusterSpec = { nodes: [] };
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(':');
    if (colon < 0) spec.password = decodeURIComponent(auth);
    else {
      if (colon > 0) spec.username = decodeURIComponent(auth.slice(0, colon));
      spec.password = decodeURIComponent(auth.slice(colon + 1));
    }
  }
  for (const part of rest.split(',').filter(Boolean)) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(part);
    if (!m) throw new Error(`redis cluster node ${JSON.stringify(part)}: expected host:port`);
    spec.nodes.push({ host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) });
  }
  if (spec.nodes.length === 0) throw new Error(`${url}: no cluster nodes (expected ${CLUSTER_SCHEME}host:port,host:port,…)`);
  return spec;
}

/** The primary that serves a key's slot (or the client itself on a single Redis). */
export function nodeFor(client: RedisClient, key: string): Redis | null {
  if (!(client instanceof Cluster)) return client;
  const owners = (client as unknown as { slots: string[][] }).slots[calculateSlot(key)];
  const master = owners?.[0];
  if (!master) return null;
  return client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === master) ?? null;
}

/**
 * The primaries of a Cluster. Until the client has read the slot map it counts every seed node
 * as a primary, so wait for it (a command resolves once it is ready).
 */
export async function primaries(cluster: Cluster): Promise<Redis[]> {
  if (cluster.status !== 'ready') await cluster.ping();
  return cluster.nodes('master');
}

/**
 * Every key matching `pattern`: SCAN on a single Redis, SCAN on each primary of a Cluster (a
 * cluster SCAN sees only the node it is sent to).
 */
export async function scanKeys(redis: RedisClient, pattern: string, onKeys: (keys: string[]) => Promise<void>): Promise<void> {
  const nodes = redis instanceof Cluster ? await primaries(redis) : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await onKeys(keys);
    } while (cursor !== '0');
  }
}

/** `cluster_state` of every primary (and `ok` only when all say so), or null on a single Redis. */
export async function clusterState(redis: RedisClient): Promise<{ ok: boolean; masters: number; states: string[] } | null> {
  if (!(redis instanceof Cluster)) return null;
  const masters = await primaries(redis);
  const states = await Promise.all(
    masters.map(async (n) => {
      const info = String(await n.cluster('INFO'));
      return /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
    }),
  );
  return { ok: states.length > 0 && states.every((s) => s === 'ok'), masters: masters.length, states };
}
