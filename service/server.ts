import type { FastifyInstance } from 'fastify';
import { purgeAccessLog } from '../audit/purge.js';
import { openStore } from '../commands.js';
import { loadSigningKey } from '../core/signing-key.js';
import type { RedisHandle } from '../redis/embedded.js';
import { HoldStore } from '../retention/holds.js';
import { purgeAttribution } from '../retention/purge.js';
import { buildApp } from './app.js';
import type { Config } from '../config.js';

export interface RunningService {
  app: FastifyInstance;
  redis: RedisHandle;
  address: string;
  stop(): Promise<void>;
}

/**
 * Starts the service: Redis from REDIS_URL or the embedded one, then the HTTP listener. On
 * SIGTERM or SIGINT it stops accepting, lets requests in flight finish, then closes Redis
 * (and stops the embedded server, whose append-only file keeps what was acknowledged).
 */
export async function serve(config: Config): Promise<RunningService> {
  // an outage is reported in the service log once the app (and its logger) exists
  let reportOutage: (err: Error) => void = (err) => void process.stderr.write(`whohad: redis: ${err.message}\n`);
  // the installation's signing key exists from the first start on (reports are signed with it)
  loadSigningKey(config.dataDir, process.env);
  const redis = await openStore(config, { onError: (err) => reportOutage(err) });
  const app = await buildApp({ config, redis: redis.redis });
  reportOutage = (err) => app.log.error({ redis: err.message }, 'redis unreachable; retrying until it answers');
  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ redis: config.redisUrl ? 'REDIS_URL' : `embedded (${config.dataDir})` }, `whohad listening on ${address}`);
  // the access log's own retention, checked hourly; several instances purging is harmless
  const purge = setInterval(() => {
    purgeAccessLog(redis.redis, app.accessLog, config.auditRetentionDays).catch((err) => app.log.error({ err }, 'access log purge failed'));
  }, 3_600_000).unref();
  // attribution retention, hourly too (docs/retention.md); each chain is purged atomically, so
  // instances overlapping is harmless, but one instance never runs two purges at once
  let retaining: Promise<void> | null = null;
  const retain = setInterval(() => {
    retaining ??= purgeAttribution({ redis: redis.redis, cutoffMs: Date.now() - config.retentionDays * 86_400_000, holds: app.holdStore, log: app.accessLog, directVrf: config.directVrf })
      .then((r) => app.log.info({ records: r.records, buckets: r.buckets, keysDeleted: r.keysDeleted, keptByHold: r.keptByHold }, 'attribution purge done'))
      .catch((err) => app.log.error({ err }, 'attribution purge failed'))
      .finally(() => {
        retaining = null;
      });
  }, 3_600_000).unref();
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(purge);
      clearInterval(retain);
      await app.close();
      await redis.close();
    })());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.log.info(`${signal}: finishing requests in flight, then stopping`);
      void stop().then(() => process.exit(0));
    });
  }
  return { app, redis, address, stop };
}
