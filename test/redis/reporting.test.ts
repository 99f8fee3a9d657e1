import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { closeClient, redisClient } from '../../redis/client.js';
import { testRedisUrl } from '../helpers/redis.js';

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  await once(srv, 'close');
  return port;
}

describe('connection errors', () => {
  it('are reported once per outage, in one line, not once per reconnect attempt', async () => {
    const seen: string[] = [];
    const client = redisClient(`redis://127.0.0.1:${await deadPort()}`, { onError: (err) => seen.push(err.message) });
    // three refused reconnects after the first refused connect (events.once would reject on 'error')
    for (let i = 0; i < 3; i++) await new Promise((next) => client.once('reconnecting', next));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/ECONNREFUSED/);
    await closeClient(client);
    expect(seen).toHaveLength(1);
  });

  it('are not reported while the client is being closed', async () => {
    const seen: string[] = [];
    const client = redisClient(await testRedisUrl(), { onError: (err) => seen.push(err.message) });
    await client.ping();
    // what a look-up still in flight meets when its client quits under it (the bench's EPIPE)
    const epipe = () => Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' });
    const closing = closeClient(client);
    client.emit('error', epipe());
    await closing;
    expect(seen).toEqual([]);
  });
});
