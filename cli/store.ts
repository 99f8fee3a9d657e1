import { AccessLog } from '../audit/log.js';
import { openStore } from '../commands.js';
import { loadConfig, type Config } from '../config.js';
import type { RedisClient } from '../redis/cluster.js';
import { DomainError } from '../core/domain-error.js';
import type { ClientOptions } from '../redis/client.js';
import type { RedisHandle } from '../redis/embedded.js';
import { isTransientError } from '../redis/errors.js';

/**
 * How every CLI command reaches Redis. Each run says where the data goes (a command that
 * silently starts a Redis under ./data of whatever directory it was run from stores evidence
 * where nobody looks), and a Redis that does not answer at start is one line and exit 75, not a
 * retry loop or a stack trace.
 */

/** A URL fit to print: any password replaced by `***`. */
export function shownUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_, auth: string) => `//${auth.includes(':') ? `${auth.slice(0, auth.indexOf(':'))}:***` : '***'}@`);
}

/** Where this run's data goes, as one line for standard error. */
export function storeLine(config: Pick<Config, 'redisUrl' | 'dataDir'>): string {
  const dir = process.env.WHOHAD_DATA_DIR ? `WHOHAD_DATA_DIR ${config.dataDir}` : `${config.dataDir} (WHOHAD_DATA_DIR unset: ./data of the current directory)`;
  return config.redisUrl
    ? `redis ${shownUrl(config.redisUrl)} (REDIS_URL); data directory ${dir}`
    : `redis embedded in ${dir} (set REDIS_URL to use a running Redis)`;
}

/** The one sentence for a Redis that is not there. */
export function unreachable(config: Pick<Config, 'redisUrl' | 'dataDir'>, err: unknown): DomainError {
  const where = config.redisUrl ? `at ${shownUrl(config.redisUrl)} (REDIS_URL)` : `embedded in ${config.dataDir}`;
  const why = (err as Error).message ?? String(err);
  return new DomainError('store_unavailable', `Redis ${where} does not answer (${why}): start it, or set REDIS_URL to one that runs; nothing was changed, running the command again is safe`);
}

export interface CliStoreOptions extends Pick<ClientOptions, 'onError'> {
  /** The command's name, to label the line saying where the data is. */
  command: string;
  /** Print where the data is (default true). */
  announce?: boolean;
  /** Fail at once when Redis does not answer (default true); `collect` queues instead. */
  probe?: boolean;
}

/**
 * Opens the store the configuration names and asks it one PING: a Redis that is not there when
 * the command starts stops it at once (exit 75); one that goes away later is the command's to
 * handle (ingest retries, collect queues).
 */
export async function openCliStore(config: Config, o: CliStoreOptions): Promise<RedisHandle> {
  if (o.announce ?? true) process.stderr.write(`${o.command}: ${storeLine(config)}\n`);
  // the command's own report of a failure is the one line; the client stays quiet unless asked
  // (the connection's own error says more than the command's "max retries" that follows it)
  let connectError: Error | null = null;
  // a command that runs on through outages (probe: false, as `collect`) writes the client's JSON
  // down / up lines instead, which is what an operator watching its log needs
  if (o.probe === false) return openStore(config, o.onError ? { onError: o.onError } : {});
  const handle = await openStore(config, { onError: o.onError ?? ((err) => void (connectError ??= err)) });
  try {
    await handle.redis.ping();
  } catch (err) {
    await handle.close().catch(() => {});
    if (isTransientError(err)) throw unreachable(config, connectError ?? err);
    throw err;
  }
  return handle;
}

/**
 * Runs a command straight against Redis (REDIS_URL, else the embedded one), with the access log
 * its privileged actions are recorded in, and closes the connection however it ends.
 */
export async function withCliStore<T>(command: string, fn: (redis: RedisClient, log: AccessLog, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const handle = await openCliStore(config, { command });
  try {
    return await fn(handle.redis, new AccessLog(handle.redis, `${config.instance}/cli`), config);
  } finally {
    await handle.close();
  }
}
