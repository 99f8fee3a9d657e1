import { resolve } from 'node:path';

export interface Config {
  port: number;
  host: string;
  redisUrl: string | null;
  toleranceS: number;
  retentionDays: number;
  interimIntervalS: number;
  directVrf: string;
  dataDir: string;
  bodyLimitBytes: number;
  /** The source configuration file (docs/sources.md), for options of raw-format ingest. */
  sourcesFile: string | null;
  /** Legal bases a look-up may name. */
  legalBases: string[];
  /** Refused requests from one address per minute before it is answered 429. */
  authFailLimit: number;
  /** How long the access log is kept, apart from the attribution data. */
  auditRetentionDays: number;
  /** Largest bulk CSV upload (413 above it). */
  bulkLimitBytes: number;
  /** How long bulk results and summaries are kept after a job ends. */
  bulkResultTtlS: number;
}

export class ConfigError extends Error {}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, integer = true): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
  }
  return n;
}

/** Reads the service's settings from the environment; a bad value stops start-up naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: number(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '127.0.0.1',
    redisUrl: env.REDIS_URL || null,
    toleranceS: number(env, 'WHOHAD_TOLERANCE_S', 2, 0, 3600, false),
    retentionDays: number(env, 'WHOHAD_RETENTION_DAYS', 365, 1, 36500),
    interimIntervalS: number(env, 'WHOHAD_INTERIM_INTERVAL_S', 86400, 1, 31 * 86400),
    directVrf: env.WHOHAD_DIRECT_VRF || 'default',
    dataDir: resolve(env.WHOHAD_DATA_DIR || './data'),
    bodyLimitBytes: number(env, 'WHOHAD_BODY_LIMIT_BYTES', 32 * 1024 * 1024, 1024, 2 ** 31),
    sourcesFile: env.WHOHAD_SOURCES ? resolve(env.WHOHAD_SOURCES) : null,
    legalBases: (env.WHOHAD_LEGAL_BASES || 'retsplejeloven-804b,court-order').split(',').map((s) => s.trim()).filter(Boolean),
    authFailLimit: number(env, 'WHOHAD_AUTH_FAIL_LIMIT', 20, 1, 1_000_000),
    auditRetentionDays: number(env, 'WHOHAD_AUDIT_RETENTION_DAYS', 1826, 1, 36500),
    bulkLimitBytes: number(env, 'WHOHAD_BULK_LIMIT_BYTES', 1024 * 1024 * 1024, 1024, 2 ** 40),
    bulkResultTtlS: number(env, 'WHOHAD_BULK_RESULT_TTL_S', 86_400, 1, 30 * 86_400),
  };
}
