import underPressure from '@fastify/under-pressure';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { NatConfigFormat } from '../natconfig/format.js';
import { installedFormats } from '../natconfig/installed.js';
import { badRequest, errorHandler } from './errors.js';
import access from './plugins/access.js';
import holdStore from './plugins/hold-store.js';
import indexServices from './plugins/index-services.js';
import metrics from './plugins/metrics.js';
import openapi from './plugins/openapi.js';
import redis from './plugins/redis.js';
import schemas from './plugins/schemas.js';
import attribution from './routes/attribution.js';
import audit from './routes/audit.js';
import bulk from './routes/bulk.js';
import events from './routes/events.js';
import health from './routes/health.js';
import holds from './routes/holds.js';
import natConfigs from './routes/nat-configs.js';
import ingestRaw from './routes/ingest-raw.js';
import report from './routes/report.js';
import desk from './web/index.js';

export interface AppOptions {
  config: Config;
  redis: Redis | Cluster;
  now?: () => number;
  logger?: boolean;
  /** Where the service log goes (default stdout); tests read it to prove what it never contains. */
  logStream?: NodeJS.WritableStream;
  /** The NAT configuration formats offered (default: those the build ships). */
  natConfigFormats?: readonly NatConfigFormat[];
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
    // X-Forwarded-For only from the proxies named in WHOHAD_TRUST_PROXY: otherwise any caller
    // could choose the address its refusals are counted and recorded under
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    // slow or stalled clients (slowloris, a trickled body, a silent connection) are cut off;
    // node checks the header and request deadlines every connectionsCheckingInterval
    connectionTimeout: config.connectionTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    http: {
      headersTimeout: config.headersTimeoutMs,
      maxHeaderSize: config.maxHeaderBytes,
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(config.headersTimeoutMs / 4))),
    },
    routerOptions: { maxParamLength: config.maxParamLength },
    // per-request log lines stay off the hot path; errors are still logged by the error handler
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
  });
  app.setErrorHandler(errorHandler);
  // ajv's type coercion reads "Infinity" and "1e309" in a query as a number that passes
  // minimum/maximum (ajv 8.20): a non-finite number is refused before any handler sees it
  app.addHook('preHandler', async (req) => {
    for (const [name, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
      if (typeof v === 'number' && !Number.isFinite(v)) throw badRequest(`${name}: must be a finite number`);
    }
  });
  // Load shedding, ahead of every other hook: over the heap or event-loop limit a request is
  // answered 503 with Retry-After at once (liveness excepted: the process is up, only busy).
  await app.register(underPressure, {
    maxHeapUsedBytes: config.maxHeapBytes,
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    retryAfter: config.retryAfterS,
    pressureHandler: (req, reply, type) => {
      if (req.routeOptions.url === '/healthz') return;
      const message = `the service is overloaded (${type}); nothing was done. Try again in ${config.retryAfterS} s.`;
      // an Error body, with the `status` /readyz's 503 schema wants
      reply.code(503).header('retry-after', String(config.retryAfterS)).send({ statusCode: 503, error: 'Service Unavailable', message, status: 'overloaded' });
    },
  });
  await app.register(redis, { redis: opts.redis });
  await app.register(schemas);
  await app.register(openapi);
  await app.register(holdStore);
  await app.register(indexServices, {
    resolver: {
      toleranceS: config.toleranceS,
      retentionDays: config.retentionDays,
      interimIntervalS: config.interimIntervalS,
      directVrf: config.directVrf,
      now: opts.now ?? Date.now,
    },
    natConfigFormats: opts.natConfigFormats ?? installedFormats,
  });
  await app.register(access, { instance: config.instance, failLimitPerMinute: config.authFailLimit, loopbackOpen: config.metricsLoopback });
  await app.register(metrics);
  await app.register(health);
  await app.register(holds);
  await app.register(natConfigs);
  await app.register(attribution, { legalBases: config.legalBases });
  await app.register(audit);
  await app.register(bulk, { config });
  await app.register(events);
  await app.register(ingestRaw, { sourcesFile: config.sourcesFile });
  await app.register(report, { config });
  await app.register(desk, { config });
  return app;
}
