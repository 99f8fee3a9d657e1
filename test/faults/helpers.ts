import { isIngestStatsKey } from '../../intake/source-stats.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startRedisServer, type RedisServerOptions, type RunningRedis } from '../../redis/embedded.js';

/**
 * A redis-server the test owns: it can be killed (SIGKILL, as a crash) and started again on
 * the same port and directory, so clients reconnect to the same address and the server
 * reloads its append-only file.
 */
export class FaultyRedis {
  server!: RunningRedis;
  readonly dir: string;
  private constructor(private readonly opts: Omit<RedisServerOptions, 'dir' | 'port'> & { dir: string }) {
    this.dir = opts.dir;
  }

  /** Append-only file with `appendfsync always` unless told otherwise: what Redis acknowledged survives a SIGKILL. */
  static async start(opts: Partial<RedisServerOptions> = {}): Promise<FaultyRedis> {
    const r = new FaultyRedis({ appendonly: true, appendfsync: 'always', ...opts, dir: opts.dir ?? tempDir('whohad-fault-redis-') });
    r.server = await startRedisServer({ ...r.opts, port: opts.port });
    return r;
  }

  get url(): string {
    return this.server.url;
  }

  get port(): number {
    return this.server.port;
  }

  /** SIGKILL, and resolves once the process is gone (the port is closed). */
  async kill(): Promise<void> {
    const p = this.server.process;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((done) => p.once('exit', () => done()));
    p.kill('SIGKILL');
    await gone;
  }

  /** Starts redis-server again on the same port and directory; resolves once it listens. */
  async restart(): Promise<void> {
    this.server = await startRedisServer({ ...this.opts, port: this.server.port });
  }

  async stop(removeDir = true): Promise<void> {
    await this.server.stop();
    if (removeDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Polls an observable condition until it holds, a bounded number of times, with a short pause
 * between polls (the pause is not what makes the test pass: the condition is).
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, tries = 2000, pauseMs = 10): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((done) => setTimeout(done, pauseMs));
  }
  throw new Error(`never happened: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/** A client that fails fast (no retries) for probing a server that may be down. */
export function probeClient(url: string): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => 20 });
  r.on('error', () => {});
  return r;
}

/**
 * Every key of the database with its content, in an order-independent form: the whole stored
 * state, for comparing two runs. Sorted sets keep their scores; hashes are sorted by field.
 */
/**
 * Every key with its value. `index: true` leaves out the per-source ingest counters and the
 * access log (whose ingest record of each run says when it ran), which say what a run did and
 * when (two runs that store the same events never take them at the same millisecond), so that
 * two runs' evidence can be compared.
 */
export async function keyspace(redis: Redis, o: { index?: boolean } = {}): Promise<Map<string, unknown>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...(o.index ? batch.filter((k) => !isIngestStatsKey(k) && !k.startsWith('{audit}:')) : batch));
  } while (cursor !== '0');
  keys.sort();
  const out = new Map<string, unknown>();
  for (let i = 0; i < keys.length; i += 500) {
    const slice = keys.slice(i, i + 500);
    const types = await Promise.all(slice.map((k) => redis.type(k)));
    const values = await Promise.all(
      slice.map(async (k, j) => {
        switch (types[j]) {
          case 'zset':
            return (await redis.zrangeBuffer(k, '0', '-1', 'WITHSCORES')).map((b) => b.toString('hex'));
          case 'hash': {
            const h = await redis.hgetallBuffer(k);
            return Object.entries(h).map(([f, v]) => [f, v.toString('hex')]).sort();
          }
          case 'set':
            return (await redis.smembers(k)).sort();
          case 'string':
            return (await redis.getBuffer(k))?.toString('hex');
          case 'list':
            return redis.lrange(k, '0', '-1');
          default:
            return `(${types[j]})`;
        }
      }),
    );
    slice.forEach((k, j) => out.set(k, values[j]));
  }
  return out;
}

/** The keys whose content differs between two states (both directions), at most `max`. */
export function differences(a: Map<string, unknown>, b: Map<string, unknown>, max = 10): string[] {
  const out: string[] = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    if (JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k))) out.push(k);
    if (out.length >= max) break;
  }
  return out;
}

/**
 * An undisturbed server (no append-only file) and one to kill, for tests that compare a run
 * disturbed by crashes with a clean one; started before the file's tests, stopped after.
 */
export function cleanAndFaulty(): { clean: FaultyRedis; faulty: FaultyRedis } {
  const servers = {} as { clean: FaultyRedis; faulty: FaultyRedis };
  beforeAll(async () => {
    servers.clean = await FaultyRedis.start({ appendonly: false });
    servers.faulty = await FaultyRedis.start();
  });
  afterAll(async () => {
    await servers.clean?.stop();
    await servers.faulty?.stop();
  });
  return servers;
}
