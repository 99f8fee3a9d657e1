import { Cluster, type Redis } from 'ioredis';
import { nodeFor, type RedisClient } from './cluster.js';

export type Reply = [Error | null, unknown];
export type Queued = [name: string, args: unknown[]];

export interface Waiter {
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
export function replicaWaiter(client: RedisClient, replicas: number, timeoutMs: number): Waiter {
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
