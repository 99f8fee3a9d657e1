import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { resolve } from 'node:path';

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
