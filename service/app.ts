import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { errorHandler } from './errors.js';
import access from './plugins/access.js';
import indexServices from './plugins/index-services.js';
import openapi from './plugins/openapi.js';
import attribution from './routes/attribution.js';
import audit from './routes/audit.js';
import bulk from './routes/bulk.js';
import events from './routes/events.js';
import health from './routes/health.js';
import holds from './routes/holds.js';
import ingestRaw from './routes/ingest-raw.js';

export interface AppOptions {
  config: Config;
  redis: Redis;
  now?: () => number;
  logger?: boolean;
  /** Where the service log goes (default stdout); tests read it to prove what it never contains. */
  logStream?: NodeJS.WritableStream;
}

/**
 * Builds the HTTP service. Application logs never carry queried addresses, subscriber ids or
 * tokens: the request log line keeps only the method and the route, not the query string.
 */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { config } = opts;
  const app = Fastify({
    logger: opts.logger === false ? false : {
      level: process.env.LOG_LEVEL ?? 'info',
      ...(opts.logStream ? { stream: opts.logStream } : {}),
      serializers: { req: (req) => ({ method: req.method, route: req.routeOptions?.url ?? req.url.split('?')[0] }) },
    },
    bodyLimit: config.bodyLimitBytes,
    // per-request log lines stay off the hot path; errors are still logged by the error handler
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
  });
  app.setErrorHandler(errorHandler);
  await app.register(openapi);
  await app.register(indexServices, {
    redis: opts.redis,
    resolver: {
      toleranceS: config.toleranceS,
      retentionDays: config.retentionDays,
      interimIntervalS: config.interimIntervalS,
      directVrf: config.directVrf,
      now: opts.now ?? Date.now,
    },
  });
  await app.register(access, { redis: opts.redis, failLimitPerMinute: config.authFailLimit });
  await app.register(health);
  await app.register(attribution, { legalBases: config.legalBases });
  await app.register(audit);
  await app.register(bulk, { config });
  await app.register(holds);
  await app.register(events);
  await app.register(ingestRaw, { sourcesFile: config.sourcesFile });
  return app;
}
