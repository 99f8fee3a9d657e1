import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { closeClient, redisClient } from '../../redis/client.js';
import { stateLine, type RedisStateChange } from '../../redis/state.js';
import { metrics } from '../../core/metrics.js';
import { FaultyRedis } from '../faults/helpers.js';
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

describe('the Redis command error counter', () => {
  const clientErrors = async () => (await metrics.redisErrors.get()).values.find((v) => v.labels.command === 'client')?.value ?? 0;

  it('does not rise when a client connects (Redis 7.0 has no CLIENT SETINFO)', async () => {
    const before = await clientErrors();
    const client = redisClient(await testRedisUrl());
    await client.ping();
    await closeClient(client);
    expect(await clientErrors()).toBe(before);
  });

  it('still counts a command Redis answers with an error', async () => {
    const client = redisClient(await testRedisUrl());
    const count = async () => (await metrics.redisErrors.get()).values.find((v) => v.labels.command === 'incr')?.value ?? 0;
    const before = await count();
    await client.set('not-a-number', 'x');
    await expect(client.incr('not-a-number')).rejects.toThrow(/not an integer/);
    expect(await count()).toBe(before + 1);
    await closeClient(client);
  });
});

describe('Redis state changes', () => {
  it('are one line each, down once per outage and up once when it answers again', async () => {
    const server = await FaultyRedis.start({ appendonly: false });
    const seen: RedisStateChange[] = [];
    const client = redisClient(server.url, { onState: (s) => seen.push(s) });
    try {
      await client.ping();
      expect(seen).toEqual([]);
      await server.kill();
      for (let i = 0; i < 3; i++) await new Promise((next) => client.once('reconnecting', next));
      expect(seen).toEqual([{ state: 'down', error: expect.stringMatching(/ECONNREFUSED|ECONNRESET|Connection is closed/) }]);
      await server.restart();
      await client.ping();
      expect(seen).toHaveLength(2);
      expect(seen[1]).toEqual({ state: 'up', downForMs: expect.any(Number) });
    } finally {
      await closeClient(client);
      await server.stop();
    }
  });

  it('go to standard error as JSON by default', () => {
    const line = stateLine({ state: 'down', error: 'connect ECONNREFUSED 127.0.0.1:1' }, new Date('2026-11-23T07:09:32Z'));
    expect(JSON.parse(line)).toEqual({ time: '2026-11-23T07:09:32.000Z', level: 'error', redis: 'down', error: 'connect ECONNREFUSED 127.0.0.1:1', msg: 'redis down; retrying until it answers' });
    expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
    expect(JSON.parse(stateLine({ state: 'up', downForMs: 1500 }, new Date(0)))).toMatchObject({ level: 'info', redis: 'up', downForMs: 1500 });
  });
});
