import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join, resolve } from 'node:path';
import { closeClient, redisClient, type ClientOptions } from './client.js';
import type { RedisClient } from './cluster.js';

export interface RedisServerOptions {
  /** Directory for the append-only file and dumps; created if missing. */
  dir: string;
  /** Append-only file on (the embedded default) or off (throw-away test servers). */
  appendonly: boolean;
  appendfsync?: 'always' | 'everysec' | 'no';
  /** Fixed port; a free loopback port when absent. */
  port?: number;
  databases?: number;
  extraArgs?: string[];
}

export interface RunningRedis {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export const REDIS_INSTALL_HINT = 'sudo apt-get install -y redis-server   (or set REDIS_URL to a running Redis)';

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((ok, fail) => {
    let exited = false;
    child.once('exit', (code) => {
      exited = true;
      fail(new Error(`redis-server exited with code ${code} before it listened on port ${port}`));
    });
    const attempt = () => {
      if (exited) return;
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.end();
        ok();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) fail(new Error(`redis-server did not listen on port ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/**
 * Starts redis-server as a child bound to 127.0.0.1. When no port is given it takes a free
 * one, and tries again with another should a different process grab it first.
 */
export async function startRedisServer(opts: RedisServerOptions): Promise<RunningRedis> {
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = opts.port ?? (await freePort());
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', opts.appendonly ? 'yes' : 'no', '--appendfsync', opts.appendfsync ?? 'everysec',
      '--databases', String(opts.databases ?? 16), '--daemonize', 'no', '--protected-mode', 'yes',
      '--logfile', '', '--loglevel', 'warning', ...(opts.extraArgs ?? []),
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const spawnError = new Promise<never>((_, fail) =>
      child.once('error', (err: NodeJS.ErrnoException) =>
        fail(err.code === 'ENOENT' ? new Error(`redis-server is not installed or not on PATH. Install it: ${REDIS_INSTALL_HINT}`) : err),
      ),
    );
    try {
      await Promise.race([waitForPort(port, child, 10_000), spawnError]);
    } catch (err) {
      lastError = err;
      child.kill('SIGKILL');
      if (opts.port !== undefined || (err as Error).message.includes('not installed')) break;
      continue;
    }
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    return { port, url: `redis://127.0.0.1:${port}`, process: child, stop };
  }
  throw lastError;
}

export interface RedisHandle {
  redis: RedisClient;
  url: string;
  /** Closes the client, then stops the embedded server when this process started it. */
  close(): Promise<void>;
}

interface EmbeddedState {
  port: number;
  pid: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Connects to `redisUrl` (a `redis-cluster://` one, which REDIS_CLUSTER_NODES becomes, gives a
 * Cluster), or else to the embedded redis-server of the data directory: the one a running
 * `whohad serve` started (its port is recorded in the directory), or a new one this process
 * starts and stops. The embedded server keeps an append-only file under the data dir.
 */
export async function openRedis(redisUrl: string | null, dataDir: string, opts: ClientOptions = {}): Promise<RedisHandle> {
  const connectTo = (url: string): RedisHandle => {
    const redis = redisClient(url, opts);
    return { redis, url, close: () => closeClient(redis) };
  };
  if (redisUrl) return connectTo(redisUrl);
  const stateFile = join(dataDir, 'redis.json');
  if (existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as EmbeddedState;
    if (alive(state.pid)) return connectTo(`redis://127.0.0.1:${state.port}`);
  }
  const server: RunningRedis = await startRedisServer({ dir: join(dataDir, 'redis'), appendonly: true, appendfsync: 'everysec' });
  writeFileSync(stateFile, JSON.stringify({ port: server.port, pid: server.process.pid ?? 0 } satisfies EmbeddedState));
  const client = connectTo(server.url);
  return {
    ...client,
    // the client first: a server stopped under it would leave it writing into a closed socket
    close: async () => {
      await client.close();
      await server.stop();
      rmSync(stateFile, { force: true });
    },
  };
}
