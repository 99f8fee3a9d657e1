import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Cluster, Redis } from 'ioredis';
import { defineIndexCommands, READ_COMMANDS } from '../timeindex/scripts.js';
import { instrumentRedis } from './metrics.js';
import { startRedisServer, type RunningRedis } from './redis-server.js';

/** The slot of a key (ioredis's own dependency, which ships no types). */
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

/** A single Redis or a Redis Cluster: every module that talks to Redis takes either. */
export type RedisClient = Redis | Cluster;

export interface RedisHandle {
  redis: RedisClient;
  url: string;
  /** Closes the client, and stops the embedded server when this process started it. */
  close(): Promise<void>;
}

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

export interface ClientOptions {
  /**
   * Replicas that must hold an ingest batch or an access-log record before it is acknowledged
   * (WAIT). 0: acknowledged once the primary has it. Default WHOHAD_WAIT_REPLICAS, else 0.
   */
  waitReplicas?: number;
  /** How long WAIT may take, in ms (WHOHAD_WAIT_TIMEOUT_MS, default 1000). */
  waitTimeoutMs?: number;
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${JSON.stringify(raw)} is not a whole number of 0 or more`);
  return n;
}

/**
 * Look-up hops are written the moment they are made, not auto-pipelined. Auto-pipelining holds
 * a command until setImmediate, that is until Node has handled every reply already on the
 * socket, so with many look-ups in flight Node and Redis took turns, each idle while the other
 * worked (bulk: Node 67% busy, Redis 39%). Written at once, a lease hop reaches Redis while Node
 * is still handling the rest of the replies: about 1.7x the look-ups per second. (NAT hops are
 * held to the end of the turn by IndexReader, but to share a call, not merely to batch writes.)
 */
const UNPIPELINED = { autoPipeliningIgnoredCommands: [...READ_COMMANDS] };

/**
 * Reconnect quickly and steadily: while Redis is away every request waits for a reconnect
 * attempt before it can fail with 503, so ioredis's default backoff (up to 2 s, twice per
 * request) would keep callers waiting 10-15 s for that answer.
 */
const RECONNECT = (times: number) => Math.min(50 * times, 500);

/**
 * A client with the time index's scripts defined, timed into the Redis metrics, auto-pipelined
 * but for the look-up hops (UNPIPELINED). A `redis-cluster://` URL gives an ioredis Cluster:
 * one pipeline per node per tick (every script has a fixed key count so the first argument
 * routing uses is a key), reads and writes on the primaries (a replica may not yet have what
 * was just ingested).
 */
export function redisClient(url: string, opts: ClientOptions = {}): RedisClient {
  const spec = parseClusterUrl(url);
  const waitReplicas = opts.waitReplicas ?? envInt('WHOHAD_WAIT_REPLICAS', 0);
  const waitTimeoutMs = opts.waitTimeoutMs ?? envInt('WHOHAD_WAIT_TIMEOUT_MS', 1000);
  let client: RedisClient;
  if (spec) {
    const cluster = new Cluster(spec.nodes, {
      enableAutoPipelining: true,
      ...UNPIPELINED,
      scaleReads: 'master',
      // a failover takes the cluster's node timeout; keep retrying the slot's new owner meanwhile
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      clusterRetryStrategy: RECONNECT,
      redisOptions: { maxRetriesPerRequest: 2, username: spec.username, password: spec.password },
    });
    client = cluster;
  } else {
    client = new Redis(url, { enableAutoPipelining: true, ...UNPIPELINED, maxRetriesPerRequest: 2, retryStrategy: RECONNECT });
  }
  instrumentRedis(client);
  defineIndexCommands(client);
  const wait = waitReplicas > 0 ? replicaWaiter(client, waitReplicas, waitTimeoutMs) : null;
  return client instanceof Cluster || wait ? facade(client, wait) : client;
}

type Reply = [Error | null, unknown];
type Queued = [name: string, args: unknown[]];
type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * What callers see of a Cluster, or of a client that waits for replicas: the client itself
 * (every method runs with `this` = the client, so ioredis's own machinery is untouched) with
 * two differences.
 *
 * `pipeline()`: ioredis runs a Cluster pipeline only when all its commands go to one node, and
 * the index writer's batches span every shard. On a Cluster a pipeline therefore collects the
 * commands and sends each on its own when executed: auto-pipelining groups them again into one
 * pipeline per node within the tick, and commands on one key keep their order (one key, one
 * node, one connection). Like a pipeline, the batch is not atomic; each command's reply or
 * error is reported at its position. `multi()` is untouched (a transaction stays in one slot).
 * With replicas to wait for, the batch is confirmed after it ran (see replicaWaiter).
 *
 * `auditAppend`: with replicas to wait for, an access-log append resolves only once a replica
 * holds it. (ioredis's internal pipelines copy the client's own script methods, which are left
 * as they are: only callers from outside go through these wrappers.)
 */
function facade(client: RedisClient, wait: Waiter | null): RedisClient {
  const methods = client as unknown as Record<string, Method>;
  const split = () => {
    const queue: Queued[] = [];
    const batch: object = new Proxy(
      {},
      {
        get(_target, prop) {
          if (prop === 'length') return queue.length;
          if (prop === 'then') return undefined;
          if (prop === 'exec') {
            return async (): Promise<Reply[]> => {
              const sent = queue.map(([name, args]) => methods[name].apply(client, args));
              const settled = await Promise.allSettled(sent);
              const replies = settled.map((s): Reply => (s.status === 'fulfilled' ? [null, s.value] : [s.reason as Error, null]));
              return wait ? wait.batch(queue, replies) : replies;
            };
          }
          if (typeof prop !== 'string') return undefined;
          return (...args: unknown[]) => {
            queue.push([prop, args]);
            return batch;
          };
        },
      },
    );
    return batch;
  };
  const confirmed = () => {
    // a single Redis that waits: a real pipeline, confirmed after it ran
    const p = (client as Redis).pipeline();
    const exec = p.exec.bind(p);
    p.exec = (async () => wait!.batch([], ((await exec()) ?? []) as Reply[])) as typeof p.exec;
    return p;
  };
  const pipeline = client instanceof Cluster ? split : confirmed;
  const append = async (...args: unknown[]) => {
    const reply = await methods.auditAppend.apply(client, args);
    await wait!.append(String(args[0]));
    return reply;
  };
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'pipeline') return pipeline;
      if (prop === 'auditAppend' && wait && typeof methods.auditAppend === 'function') return append;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The primary that serves a key's slot (or the client itself on a single Redis). */
function nodeFor(client: RedisClient, key: string): Redis | null {
  if (!(client instanceof Cluster)) return client;
  const owners = (client as unknown as { slots: string[][] }).slots[calculateSlot(key)];
  const master = owners?.[0];
  if (!master) return null;
  return client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === master) ?? null;
}

interface Waiter {
  /** Marks the replies of commands whose primary did not confirm as failed. */
  batch(queue: Queued[], replies: Reply[]): Promise<Reply[]>;
  /** Throws unless the primary of `key` confirms. */
  append(key: string): Promise<void>;
}

/**
 * Acknowledge ingest batches and access-log records only once `replicas` replicas hold them:
 * after a batch (or an append), WAIT on the connection to each primary the batch wrote to.
 * WAIT covers every write sent on that connection before it. Events on a primary that does not
 * confirm in time are reported as not stored (a retry is safe: every merge is idempotent); an
 * access-log append that is not confirmed fails, and the look-up answers 503.
 */
function replicaWaiter(client: RedisClient, replicas: number, timeoutMs: number): Waiter {
  const confirmNode = async (node: Redis | null): Promise<Error | null> => {
    if (!node) return new Error('not confirmed: the slot has no primary right now');
    try {
      const n = await node.wait(replicas, timeoutMs);
      return n >= replicas ? null : new Error(`not confirmed by ${replicas} replica(s) within ${timeoutMs} ms (${n} did)`);
    } catch (err) {
      return new Error(`not confirmed by a replica: ${(err as Error).message}`);
    }
  };
  return {
    async batch(queue, replies) {
      if (!(client instanceof Cluster)) {
        // one connection: one WAIT after the batch covers all of it
        const err = await confirmNode(client);
        return err ? replies.map((r): Reply => (r[0] ? r : [err, null])) : replies;
      }
      const groups = new Map<Redis | null, number[]>();
      queue.forEach(([, args], i) => {
        if (replies[i][0]) return;
        const node = nodeFor(client, String(args[0]));
        groups.set(node, [...(groups.get(node) ?? []), i]);
      });
      await Promise.all(
        [...groups].map(async ([node, positions]) => {
          const err = await confirmNode(node);
          if (err) for (const i of positions) replies[i] = [err, null];
        }),
      );
      return replies;
    },
    async append(key) {
      const err = await confirmNode(nodeFor(client, key));
      if (err) throw err;
    },
  };
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

interface EmbeddedState {
  port: number;
  pid: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const closer = (redis: RedisClient) => async () => void (await redis.quit().catch(() => redis.disconnect()));

/**
 * Connects to REDIS_URL (a `redis-cluster://` one, which REDIS_CLUSTER_NODES becomes, gives a
 * Cluster), or else to the embedded redis-server of the data directory: the one a running
 * `whohad serve` started (its port is recorded in the directory), or a new one this process
 * starts and stops. The embedded server keeps an append-only file under the data dir.
 */
export async function openRedis(redisUrl: string | null, dataDir: string): Promise<RedisHandle> {
  if (redisUrl) {
    const redis = redisClient(redisUrl);
    return { redis, url: redisUrl, close: closer(redis) };
  }
  const stateFile = join(dataDir, 'redis.json');
  if (existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as EmbeddedState;
    if (alive(state.pid)) {
      const url = `redis://127.0.0.1:${state.port}`;
      const redis = redisClient(url);
      return { redis, url, close: closer(redis) };
    }
  }
  const server: RunningRedis = await startRedisServer({ dir: join(dataDir, 'redis'), appendonly: true, appendfsync: 'everysec' });
  writeFileSync(stateFile, JSON.stringify({ port: server.port, pid: server.process.pid ?? 0 } satisfies EmbeddedState));
  const redis = redisClient(server.url);
  return {
    redis,
    url: server.url,
    close: async () => {
      await closer(redis)();
      await server.stop();
      rmSync(stateFile, { force: true });
    },
  };
}
