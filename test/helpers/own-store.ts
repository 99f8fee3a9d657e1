import { Redis } from 'ioredis';
import { defineCommands } from '../../commands.js';
import { ProfileDictionary } from '../../timeindex/profiles.js';
import { IndexWriter } from '../../timeindex/writer.js';
import { FaultyRedis } from '../faults/helpers.js';
import { min } from './events.js';

export interface OwnStore {
  server: FaultyRedis;
  redis: Redis;
  writer: IndexWriter;
}

/**
 * A redis-server of the test file's own, which a test may stop and start again, with a client
 * that fails fast while it is away and reconnects by itself once it is back.
 */
export async function startOwnStore(): Promise<OwnStore> {
  const server = await FaultyRedis.start({ appendonly: false });
  const redis = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => 20 });
  redis.on('error', () => {});
  defineCommands(redis);
  return { server, redis, writer: new IndexWriter(redis, new ProfileDictionary(redis), { days: 365, now: () => min(0) }) };
}

export async function stopOwnStore(s: OwnStore): Promise<void> {
  s.redis.disconnect();
  await s.server.stop();
}
