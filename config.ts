import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { IANAZone } from 'luxon';

export interface Config {
  port: number;
  host: string;
  /** REDIS_URL, or `redis-cluster://` + REDIS_CLUSTER_NODES: a `redis-cluster://` URL selects Redis Cluster. */
  redisUrl: string | null;
  /** REDIS_CLUSTER_NODES (`host:port,host:port,…`): seed nodes of a Redis Cluster. */
  clusterNodes: string[] | null;
  toleranceS: number;
  retentionDays: number;
  interimIntervalS: number;
  directVrf: string;
  dataDir: string;
  /**
   * This instance's name (WHOHAD_INSTANCE, default the host name): the access-log chain it
   * writes. `serve --workers N` adds the worker's slot.
   */
  instance: string;
  bodyLimitBytes: number;
  /** Largest bulk CSV upload (413 above it). */
  bulkLimitBytes: number;
  /** How long bulk results and summaries are kept after a job ends. */
  bulkResultTtlS: number;
  /** Bulk jobs (streamed or background) one token may run at once; 429 above it. */
  bulkMaxRunning: number;
  /** Compressed bytes of background results one token may keep at once; 507 above it. */
  bulkMaxStoredBytes: number;
  /** The source configuration file (docs/sources.md), for options of raw-format ingest. */
  sourcesFile: string | null;
  /** Legal bases a look-up may name. */
  legalBases: string[];
  /**
   * Refused requests (no valid token) per minute from one source (an IPv4 address, an IPv6 /64)
   * before further unproven requests from it are answered 429. A valid token is never held back.
   */
  authFailLimit: number;
  /**
   * Front proxies whose X-Forwarded-For is believed (WHOHAD_TRUST_PROXY: addresses, CIDRs, or
   * loopback / linklocal / uniquelocal). Empty: the socket's address is the client, always.
   */
  trustProxy: string[];
  /** Whether loopback callers may read /metrics without a token (WHOHAD_METRICS_LOOPBACK; off). */
  metricsLoopback: boolean;
  /** WHOHAD_SIGNING_KEY: the installation's Ed25519 key (PEM or its path); default <data dir>/signing-key.pem. */
  signingKey: string | null;
  /** How long the access log is kept, apart from the attribution data. */
  auditRetentionDays: number;
  /** Heap in use above which requests are shed with 503 (WHOHAD_MAX_HEAP_BYTES; 0: no limit). */
  maxHeapBytes: number;
  /** Mean event-loop delay above which requests are shed with 503 (WHOHAD_MAX_EVENT_LOOP_DELAY_MS; 0: no limit). */
  maxEventLoopDelayMs: number;
  /** Retry-After, in seconds, of a request shed under load. */
  retryAfterS: number;
  /** Time a client has to send its request headers (slowloris), ms. */
  headersTimeoutMs: number;
  /** Time a client has to send its whole request, body included, ms (0: none). */
  requestTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed, ms (0: never). */
  connectionTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long, ms. */
  keepAliveTimeoutMs: number;
  /** Largest request head (request line and headers); 431 above it. */
  maxHeaderBytes: number;
  /** Longest path parameter (format name, job id); 414 above it. */
  maxParamLength: number;
  /**
   * Replicas that must hold an ingest batch or an access-log record before it is acknowledged
   * (WAIT; WHOHAD_WAIT_REPLICAS). 0: acknowledged once the primary has it.
   */
  waitReplicas: number;
  /** How long WAIT may take, in ms (WHOHAD_WAIT_TIMEOUT_MS). */
  waitTimeoutMs: number;
  /** The zone the desk's look-up form starts with (WHOHAD_DESK_TZ, an IANA name). */
  deskTimeZone: string;
  /** A desk session unused this long ends (WHOHAD_SESSION_IDLE_S). */
  sessionIdleS: number;
  /** A desk session ends this long after sign-in however busy (WHOHAD_SESSION_MAX_S). */
  sessionMaxS: number;
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

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a whole number of 0 or more`);
  return n;
}

function clusterNodes(raw: string): string[] {
  const nodes = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = nodes.find((n) => !/^(\[[0-9a-fA-F:.]+\]|[^\s:,]+):\d{1,5}$/.test(n));
  if (bad !== undefined || nodes.length === 0) throw new ConfigError(`REDIS_CLUSTER_NODES=${JSON.stringify(raw)}: expected host:port,host:port,…`);
  return nodes;
}

const REDIS_URL_FORMS = 'redis://[USER:PASSWORD@]HOST[:PORT][/DB], rediss://… (TLS), redis-cluster://HOST:PORT,HOST:PORT or a Unix socket path /…';

/**
 * REDIS_URL as the client will read it, refused here when it is not a Redis address: ioredis
 * takes `http://x` as a socket path and retries it for ever, so a typo would only ever show as
 * "Redis unreachable".
 */
export function redisUrl(raw: string): string {
  const bad = (why: string) => new ConfigError(`REDIS_URL=${JSON.stringify(raw)}: ${why}; expected ${REDIS_URL_FORMS}`);
  if (raw.startsWith('/')) return raw;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1].toLowerCase();
  if (scheme === undefined) throw bad('not a URL');
  if (scheme === 'redis-cluster') {
    const rest = raw.slice(raw.indexOf('://') + 3).replace(/\/$/, '');
    const nodes = rest.slice(rest.lastIndexOf('@') + 1);
    const bad1 = nodes.split(',').find((n) => !/^(\[[0-9a-fA-F:.]+\]|[^\s:,@/]+):\d{1,5}$/.test(n) || Number(n.slice(n.lastIndexOf(':') + 1)) > 65535);
    if (nodes === '' || bad1 !== undefined) throw bad(`cluster node ${JSON.stringify(bad1 ?? '')} is not HOST:PORT`);
    return raw;
  }
  if (scheme !== 'redis' && scheme !== 'rediss') throw bad(`${scheme}:// is not a Redis scheme`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('not a URL');
  }
  if (url.hostname === '') throw bad('no host');
  if (!/^\/?(\d{1,5})?$/.test(url.pathname)) throw bad(`path ${JSON.stringify(url.pathname)} is not a database number`);
  if (url.search !== '' || url.hash !== '') throw bad('query and fragment are not understood');
  return raw;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(raw)}: expected true or false`);
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustedProxies(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.find((i) => !PROXY_NAMES.has(i) && !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(i));
  if (bad !== undefined) throw new ConfigError(`WHOHAD_TRUST_PROXY=${JSON.stringify(raw)}: ${JSON.stringify(bad)} is not an address, a CIDR, or one of loopback, linklocal, uniquelocal`);
  return items;
}

function zoneName(raw: string): string {
  if (!IANAZone.isValidZone(raw)) throw new ConfigError(`WHOHAD_DESK_TZ=${JSON.stringify(raw)} is not an IANA time zone (such as Europe/Copenhagen)`);
  return raw;
}

function instanceName(raw: string): string {
  if (!/^[\w.:@/-]{1,128}$/.test(raw)) throw new ConfigError(`WHOHAD_INSTANCE=${JSON.stringify(raw)}: expected 1-128 letters, digits and . : @ / - _`);
  return raw;
}

/**
 * Reads the settings of the service and of the offline commands from the environment, once per
 * process; a bad value stops start-up naming the variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: number(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '127.0.0.1',
    redisUrl: env.REDIS_URL ? redisUrl(env.REDIS_URL) : (env.REDIS_CLUSTER_NODES ? `redis-cluster://${clusterNodes(env.REDIS_CLUSTER_NODES).join(',')}` : null),
    clusterNodes: env.REDIS_CLUSTER_NODES ? clusterNodes(env.REDIS_CLUSTER_NODES) : null,
    toleranceS: number(env, 'WHOHAD_TOLERANCE_S', 2, 0, 3600, false),
    retentionDays: number(env, 'WHOHAD_RETENTION_DAYS', 365, 1, 36500),
    interimIntervalS: number(env, 'WHOHAD_INTERIM_INTERVAL_S', 86400, 1, 31 * 86400),
    directVrf: env.WHOHAD_DIRECT_VRF || 'default',
    dataDir: resolve(env.WHOHAD_DATA_DIR || './data'),
    instance: instanceName(env.WHOHAD_INSTANCE || hostname()),
    bodyLimitBytes: number(env, 'WHOHAD_BODY_LIMIT_BYTES', 32 * 1024 * 1024, 1024, 2 ** 31),
    bulkLimitBytes: number(env, 'WHOHAD_BULK_LIMIT_BYTES', 1024 * 1024 * 1024, 1024, 2 ** 40),
    bulkResultTtlS: number(env, 'WHOHAD_BULK_RESULT_TTL_S', 86_400, 1, 30 * 86_400),
    bulkMaxRunning: number(env, 'WHOHAD_BULK_MAX_RUNNING', 4, 1, 1000),
    bulkMaxStoredBytes: number(env, 'WHOHAD_BULK_MAX_STORED_BYTES', 2 * 1024 * 1024 * 1024, 1024, 2 ** 50),
    sourcesFile: env.WHOHAD_SOURCES ? resolve(env.WHOHAD_SOURCES) : null,
    legalBases: (env.WHOHAD_LEGAL_BASES || 'retsplejeloven-804b,court-order').split(',').map((s) => s.trim()).filter(Boolean),
    authFailLimit: number(env, 'WHOHAD_AUTH_FAIL_LIMIT', 20, 1, 1_000_000),
    trustProxy: trustedProxies(env.WHOHAD_TRUST_PROXY),
    metricsLoopback: flag(env, 'WHOHAD_METRICS_LOOPBACK', false),
    signingKey: env.WHOHAD_SIGNING_KEY || null,
    auditRetentionDays: number(env, 'WHOHAD_AUDIT_RETENTION_DAYS', 1826, 1, 36500),
    maxHeapBytes: number(env, 'WHOHAD_MAX_HEAP_BYTES', Math.floor(getHeapStatistics().heap_size_limit * 0.9), 0, 2 ** 40),
    maxEventLoopDelayMs: number(env, 'WHOHAD_MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 60_000),
    retryAfterS: number(env, 'WHOHAD_RETRY_AFTER_S', 10, 1, 3600),
    headersTimeoutMs: number(env, 'WHOHAD_HEADERS_TIMEOUT_MS', 10_000, 100, 300_000),
    requestTimeoutMs: number(env, 'WHOHAD_REQUEST_TIMEOUT_MS', 600_000, 0, 86_400_000),
    connectionTimeoutMs: number(env, 'WHOHAD_CONNECTION_TIMEOUT_MS', 120_000, 0, 86_400_000),
    keepAliveTimeoutMs: number(env, 'WHOHAD_KEEPALIVE_TIMEOUT_MS', 72_000, 1000, 3_600_000),
    maxHeaderBytes: number(env, 'WHOHAD_MAX_HEADER_BYTES', 16 * 1024, 1024, 1024 * 1024),
    maxParamLength: number(env, 'WHOHAD_MAX_PARAM_LENGTH', 100, 16, 4096),
    waitReplicas: wholeNumber(env, 'WHOHAD_WAIT_REPLICAS', 0),
    waitTimeoutMs: wholeNumber(env, 'WHOHAD_WAIT_TIMEOUT_MS', 1000),
    deskTimeZone: zoneName(env.WHOHAD_DESK_TZ || 'Europe/Copenhagen'),
    sessionIdleS: number(env, 'WHOHAD_SESSION_IDLE_S', 1800, 60, 86_400),
    sessionMaxS: number(env, 'WHOHAD_SESSION_MAX_S', 43_200, 60, 7 * 86_400),
  };
}
