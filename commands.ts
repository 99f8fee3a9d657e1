import type { Config } from './config.js';
import { auditCommands } from './audit/scripts.js';
import { redisClient, type ClientOptions } from './redis/client.js';
import type { RedisClient } from './redis/cluster.js';
import { openRedis, type RedisHandle } from './redis/embedded.js';
import { registerCommands } from './redis/script-loader.js';
import { natConfigCommands } from './natconfig/scripts.js';
import { retentionCommands } from './retention/scripts.js';
import { timeIndexCommands } from './timeindex/scripts.js';

/**
 * Every script whohad runs in Redis, by owner. The one place the rooms' tables meet: the
 * service, the CLI, the load tests and the test helpers all give their clients these, so a
 * client never lacks a command another room expects of it.
 */
export const allCommands = [timeIndexCommands, retentionCommands, auditCommands, natConfigCommands] as const;

/** Defines every command on a client built elsewhere (a bare ioredis client); a no-op the second time. */
export function defineCommands(client: RedisClient): void {
  registerCommands(client, allCommands);
}

/** A client with every command, waiting for replicas as `opts` say (see Config.waitReplicas). */
export function connectRedis(url: string, opts: Omit<ClientOptions, 'commands'> = {}): RedisClient {
  return redisClient(url, { ...opts, commands: allCommands });
}

/** Redis as the configuration names it (REDIS_URL, or the data directory's embedded server), with every command. */
export function openStore(
  config: Pick<Config, 'redisUrl' | 'dataDir' | 'waitReplicas' | 'waitTimeoutMs'>,
  opts: Pick<ClientOptions, 'onError' | 'onState'> = {},
): Promise<RedisHandle> {
  return openRedis(config.redisUrl, config.dataDir, { ...opts, commands: allCommands, waitReplicas: config.waitReplicas, waitTimeoutMs: config.waitTimeoutMs });
}
