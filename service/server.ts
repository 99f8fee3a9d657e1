import type { FastifyInstance } from 'fastify';
import { purgeAccessLog } from '../audit/purge.js';
import { openStore } from '../commands.js';
import { loadSigningKey } from '../core/signing-key.js';
import type { RedisHandle } from '../redis/embedded.js';
import { stateToStderr, type RedisStateChange } from '../redis/state.js';
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
  // Redis down / up go to the service log once the app (and its logger) exists; JSON lines either way
  let report: (s: RedisStateChange) => void = stateToStderr;
  // the installation's signing key exists from the first start on (access-log checkpoints and disclosure reports sign with it)
  const signingKey = loadSigningKey(config);
  const redis = await openStore(config, { onState: (s) => report(s) });
  const app = await buildApp({ config, redis: redis.redis });
  report = (s) =>
    s.state === 'down' ? app.log.error({ redis: 'down', error: s.error }, 'redis down; retrying until it answers') : app.log.info({ redis: 'up', downForMs: s.downForMs }, 'redis up again');
  const address = await app.listen({ port: config.port, host: config.host });
  app.log.info({ redis: config.redisUrl ? 'REDIS_URL' : `embedded (${config.dataDir})`, signingKey: signingKey.id }, `whohad listening on ${address}`);
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
