import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../core/domain-error.js';
import { isTransient } from '../../redis/errors.js';
import { storeForRequest } from '../../service/store-batch.js';
import { storeEvents, type StoreFailure } from '../../intake/store-queue.js';
import { dumpNat } from '../../timeindex/dump.js';
import type { IndexWriter } from '../../timeindex/writer.js';
import type { FaultyRedis } from '../faults/helpers.js';
import { startOwnStore, stopOwnStore, type OwnStore } from '../helpers/own-store.js';
import { lease, min, nat } from '../helpers/events.js';

// a throw-away redis-server of this file's own, stopped and started again by the tests
let own: OwnStore;
let server: FaultyRedis;
let redis: Redis;
let writer: IndexWriter;
beforeAll(async () => {
  own = await startOwnStore();
  ({ server, redis, writer } = own);
});
afterAll(() => stopOwnStore(own));

const write = (e: Parameters<IndexWriter['write']>[0]) => writer.write(e);
const ready = async () => {
  if (redis.status !== 'ready') await once(redis, 'ready');
};

describe('storeEvents against a real redis-server', () => {
  it('refuses an event the store will not keep, once, and stores the rest', async () => {
    const events = [nat('alloc', 0, '100.64.1.1', { publicIp: '198.51.100.21' }), lease('start', -800 * 24 * 60, '100.64.1.1', 'sub-old')];
    const refused: Array<[number, StoreFailure]> = [];
    let writes = 0;
    const out = await storeEvents((e) => (writes++, write(e)), events, { delayMs: () => 0 }, {
      onRefused: (p, f) => refused.push([p, f]),
    });
    expect(out).toEqual({ left: [], error: null, stoppedBy: null });
    expect(writes).toBe(1);
    expect(refused).toEqual([[1, expect.objectContaining({ transient: false, code: 'older_than_retention' })]]);
    expect((await dumpNat(redis, '198.51.100.21')).size).toBe(1);
  });

  it('retries what Redis did not take while it was down, and stores all of it once it is back', async () => {
    await server.kill();
    const events = [0, 1, 2].map((i) => nat('alloc', i, `100.64.2.${i}`, { publicIp: '198.51.100.22', portStart: 1024 * (i + 1), portEnd: 1024 * (i + 1) + 1023 }));
    const stored: number[] = [];
    const retries: string[] = [];
    let restarted = false;
    const out = await storeEvents(write, events, { delayMs: () => 0 }, {
      onStored: (p) => stored.push(...p),
      onRefused: (p, f) => expect.fail(`refused ${p}: ${f.reason}`),
      onRetry: (error) => retries.push(error),
      // the first wait brings the server back; later ones wait for the client to reconnect
      sleep: async () => {
        if (!restarted) {
          restarted = true;
          await server.restart();
        }
        await ready();
      },
    });
    expect(out.left).toEqual([]);
    expect(stored.sort()).toEqual([0, 1, 2]);
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every(isTransient)).toBe(true);
    expect([...(await dumpNat(redis, '198.51.100.22')).keys()]).toHaveLength(3);
  });

  it('gives up at the deadline, or when told to stop, with what is left', async () => {
    await server.kill();
    try {
      const events = [nat('alloc', 0, '100.64.3.1', { publicIp: '198.51.100.23' })];
      const deadline = await storeEvents(write, events, { delayMs: () => 0, giveUpAfterMs: 0 });
      expect(deadline).toMatchObject({ left: [0], stoppedBy: 'deadline' });
      expect(isTransient(deadline.error!)).toBe(true);
      const stopped = await storeEvents(write, events, { delayMs: () => 0 }, { stopReason: () => 'shutting down' });
      expect(stopped).toMatchObject({ left: [0], stoppedBy: 'shutting down' });
    } finally {
      await server.restart();
      await ready();
    }
  });

  it('without a retry policy (HTTP) tries once: Redis away is store_unavailable, a 503', async () => {
    await server.kill();
    try {
      const rejected: Array<{ line: number; reason: string }> = [];
      const asked = storeForRequest(writer, [nat('alloc', 0, '100.64.4.1', { publicIp: '198.51.100.24' })], [1], rejected);
      // the writer reports a lost connection per event (a DomainError), or the client throws it
      const err = await asked.then(() => null, (e: Error) => e);
      expect(err).not.toBeNull();
      expect(err instanceof DomainError ? err.code : isTransient(err!.message) && 'transient').toMatch(/^(store_unavailable|transient)$/);
      expect(rejected).toEqual([]);
    } finally {
      await server.restart();
      await ready();
    }
    const rejected: Array<{ line: number; reason: string }> = [];
    expect(await storeForRequest(writer, [nat('alloc', 0, '100.64.4.1', { publicIp: '198.51.100.24' }), lease('start', -800 * 24 * 60, '100.64.4.1', 'sub-old')], [3, 4], rejected)).toBe(1);
    expect(rejected).toEqual([{ line: 4, reason: expect.stringMatching(/older than the retention period/) }]);
  });
});
