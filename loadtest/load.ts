import type { Redis } from 'ioredis';
import type { CanonicalEvent } from '../events/schema.js';
import type { IndexWriter } from '../timeindex/writer.js';

/**
 * Stores events through the real writer in batches, up to `inFlight` batches at once (the
 * index's merges do not depend on arrival order); returns the count and the time taken.
 */
export async function load(writer: IndexWriter, events: Iterable<CanonicalEvent>, batch = 5000, inFlight = 1): Promise<{ events: number; ms: number }> {
  const t0 = performance.now();
  let pending: CanonicalEvent[] = [];
  let n = 0;
  const writing = new Set<Promise<void>>();
  const send = (b: CanonicalEvent[]) => {
    const p: Promise<void> = writer.write(b).then((out) => {
      if (out.failed.length) throw new Error(out.failed[0].reason);
      n += b.length;
      writing.delete(p);
    });
    writing.add(p);
  };
  for (const e of events) {
    pending.push(e);
    if (pending.length === batch) {
      send(pending);
      pending = [];
      if (writing.size >= inFlight) await Promise.race(writing);
    }
  }
  if (pending.length) send(pending);
  await Promise.all(writing);
  return { events: n, ms: performance.now() - t0 };
}

export async function usedMemory(redis: Redis): Promise<number> {
  await redis.call('MEMORY', 'PURGE');
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

/** Keys, entries and the encoding of a sample of the sorted sets matching a pattern. */
export async function census(redis: Redis, pattern: string): Promise<{ keys: number; entries: number; listpack: number; sampled: number }> {
  let cursor = '0';
  let keys = 0;
  let entries = 0;
  let listpack = 0;
  let sampled = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
    cursor = next;
    keys += batch.length;
    const p = redis.pipeline();
    for (const k of batch) p.zcard(k);
    const sample = batch.slice(0, 20);
    for (const k of sample) p.object('ENCODING', k);
    const res = (await p.exec())!;
    for (let i = 0; i < batch.length; i++) entries += Number(res[i][1]);
    for (let i = 0; i < sample.length; i++) if (res[batch.length + i][1] === 'listpack') listpack++;
    sampled += sample.length;
  } while (cursor !== '0');
  return { keys, entries, listpack, sampled };
}
