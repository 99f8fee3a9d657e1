import { Cluster, Redis } from 'ioredis';
import { instrumentRedis } from '../core/metrics.js';
import { parseClusterUrl, type RedisClient } from './cluster.js';
import { stateToStderr, watchState, type RedisStateChange } from './state.js';
import { replicaWaiter, type Queued, type Reply, type Waiter } from './replica-wait.js';
import { commandsWith, registerCommands, type CommandTable } from './script-loader.js';

export interface ClientOptions {
  /** The scripts to define on the client (each owner's table). */
  commands?: readonly CommandTable[];
  /**
   * Replicas that must hold what a command marked `waitsForReplicas`, or a batch, wrote before it
   * is acknowledged (WAIT; Config.waitReplicas). 0, the default: once the primary has it.
   */
  waitReplicas?: number;
  /** How long WAIT may take, in ms (Config.waitTimeoutMs; default 1000). */
  waitTimeoutMs?: number;
  /** Where a connection error is reported, once per outage (instead of the `down` of onState). */
  onError?: (err: Error) => void;
  /** Where Redis going down and coming back is reported, once per change (default: a JSON line on standard error). */
  onState?: (s: RedisStateChange) => void;
}

/**
 * Reconnect quickly and steadily: while Redis is away every request waits for a reconnect
 * attempt before it can fail with 503, so ioredis's default backoff (up to 2 s, twice per
 * request) would keep callers waiting 10-15 s for that answer.
 */
const RECONNECT = (times: number) => Math.min(50 * times, 500);

/**
 * No CLIENT SETINFO at connect: Redis before 7.2 answers it with an error that ioredis ignores
 * but the command error counter would not, so an alert on Redis errors would fire at every
 * (re)connect. The library name in CLIENT LIST is all it would have given.
 */
const QUIET_HANDSHAKE = { disableClientInfo: true } as const;

/**
 * A client with the given tables' scripts defined, timed into the Redis metrics, auto-pipelined
 * but for the look-up hops. A `redis-cluster://` URL gives an ioredis Cluster: one pipeline per
 * node per tick (every script has a fixed key count so the first argument routing uses is a
 * key), reads and writes on the primaries (a replica may not yet have what was just ingested).
 */
export function redisClient(url: string, opts: ClientOptions = {}): RedisClient {
  const tables = opts.commands ?? [];
  /**
   * Look-up hops are written the moment they are made, not auto-pipelined. Auto-pipelining holds
   * a command until setImmediate, that is until Node has handled every reply already on the
   * socket, so with many look-ups in flight Node and Redis took turns, each idle while the other
   * worked (bulk: Node 67% busy, Redis 39%). Written at once, a lease hop reaches Redis while Node
   * is still handling the rest of the replies: about 1.7x the look-ups per second. (NAT hops are
   * held to the end of the turn by IndexReader, but to share a call, not merely to batch writes.)
   */
  const unpipelined = { autoPipeliningIgnoredCommands: commandsWith(tables, 'readOnly') };
  const spec = parseClusterUrl(url);
  const client: RedisClient = spec
    ? new Cluster(spec.nodes, {
        enableAutoPipelining: true,
        ...unpipelined,
        scaleReads: 'master',
        // a failover takes the cluster's node timeout; keep retrying the slot's new owner meanwhile
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        clusterRetryStrategy: RECONNECT,
        redisOptions: { maxRetriesPerRequest: 2, username: spec.username, password: spec.password, ...QUIET_HANDSHAKE },
      })
    : new Redis(url, { enableAutoPipelining: true, ...unpipelined, maxRetriesPerRequest: 2, retryStrategy: RECONNECT, ...QUIET_HANDSHAKE });
  reportState(client, opts);
  instrumentRedis(client);
  registerCommands(client, tables);
  const replicas = opts.waitReplicas ?? 0;
  const wait = replicas > 0 ? replicaWaiter(client, replicas, opts.waitTimeoutMs ?? 1000) : null;
  return client instanceof Cluster || wait ? facade(client, wait, commandsWith(tables, 'waitsForReplicas')) : client;
}

const closing = new WeakSet<object>();
/** The client behind each facade, which is what emits the errors. */
const behind = new WeakMap<object, RedisClient>();

/**
 * Without a listener ioredis prints every connection error with its stack, once per reconnect
 * attempt. Here an outage is reported once, when it starts, and its end once, when the client
 * is ready again; a client being closed reports nothing (commands still in flight then meet a
 * closed socket). `onError` alone takes the `down` and leaves `up` unsaid; by default both
 * are JSON lines on standard error.
 */
export function reportState(client: RedisClient, o: Pick<ClientOptions, 'onError' | 'onState'> = {}): void {
  const onError = o.onError;
  const report = o.onState ?? (onError ? (s: RedisStateChange) => s.state === 'down' && onError(new Error(s.error)) : stateToStderr);
  watchState(client, report, () => closing.has(client));
}

/** The same for a bare client built elsewhere (the load tests): errors reported, never unhandled. */
export const reportErrors = (client: RedisClient, onError?: (err: Error) => void): void => reportState(client, { onError });

/** Closes a client: QUIT after the commands already sent, or a plain disconnect when Redis is gone. */
export async function closeClient(client: RedisClient): Promise<void> {
  closing.add(behind.get(client) ?? client);
  await client.quit().catch(() => client.disconnect());
}

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
 * Commands marked `waitsForReplicas` (the access-log append): with replicas to wait for, a call
 * resolves only once a replica holds what it wrote (the primary of its first key is asked).
 * (ioredis's internal pipelines copy the client's own script methods, which are left as they
 * are: only callers from outside go through these wrappers.)
 */
function facade(client: RedisClient, wait: Waiter | null, waiting: readonly string[]): RedisClient {
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
  const confirming = new Map<string, Method>();
  if (wait) {
    for (const name of waiting) {
      confirming.set(name, async (...args: unknown[]) => {
        const reply = await methods[name].apply(client, args);
        await wait.append(String(args[0]));
        return reply;
      });
    }
  }
  const front = new Proxy(client, {
    get(target, prop) {
      if (prop === 'pipeline') return pipeline;
      if (typeof prop === 'string' && confirming.has(prop)) return confirming.get(prop);
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  behind.set(front, client);
  return front;
}
