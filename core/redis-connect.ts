import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { defineIndexCommands } from '../timeindex/scripts.js';
import { startRedisServer, type RunningRedis } from './redis-server.js';

export interface RedisHandle {
  redis: Redis;
  url: string;
  /** Closes the client, and stops the embedded server when this process started it. */
  close(): Promise<void>;
}

/** A client with the time index's scripts defined. */
export function redisClient(url: string): Redis {
  const redis = new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 2 });
  defineIndexCommands(redis);
  return redis;
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

/**
 * Connects to REDIS_URL, or else to the embedded redis-server of the data directory: the one a
 * running `whohad serve` started (its port is recorded in the directory), or a new one this
 * process starts and stops. The embedded server keeps an append-only file under the data dir.
 */
export async function openRedis(redisUrl: string | null, dataDir: string): Promise<RedisHandle> {
  if (redisUrl) {
    const redis = redisClient(redisUrl);
    return { redis, url: redisUrl, close: async () => void (await redis.quit().catch(() => redis.disconnect())) };
  }
  const stateFile = join(dataDir, 'redis.json');
  if (existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as EmbeddedState;
    if (alive(state.pid)) {
      const url = `redis://127.0.0.1:${state.port}`;
      const redis = redisClient(url);
      return { redis, url, close: async () => void (await redis.quit().catch(() => redis.disconnect())) };
    }
  }
  const server: RunningRedis = await startRedisServer({ dir: join(dataDir, 'redis'), appendonly: true, appendfsync: 'everysec' });
  writeFileSync(stateFile, JSON.stringify({ port: server.port, pid: server.process.pid ?? 0 } satisfies EmbeddedState));
  const redis = redisClient(server.url);
  return {
    redis,
    url: server.url,
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
      await server.stop();
      rmSync(stateFile, { force: true });
    },
  };
}
