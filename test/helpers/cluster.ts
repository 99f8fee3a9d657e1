import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { primaries } from '../../redis/cluster.js';
import { startRedisServer, type RunningRedis } from '../../redis/embedded.js';

/**
 * A throw-away Redis Cluster on loopback: `primaries` redis-server processes with
 * `--cluster-enabled yes` (and `replicas` replicas of each), joined by
 * `redis-cli --cluster create`. Ready once every node reports `cluster_state:ok` and every
 * replica's link to its primary is up (so WAIT can count it).
 */
export interface ClusterNode {
  port: number;
  server: RunningRedis;
}

export interface TestCluster {
  nodes: ClusterNode[];
  /** `redis-cluster://127.0.0.1:p1,…` */
  url: string;
  /** A direct client to one node (the caller closes it). */
  client(port: number): Redis;
  /** Ports of the nodes that are primaries now, with the replicas following each. */
  roles(): Promise<Array<{ port: number; role: 'master' | 'slave'; master: number | null; slots: number }>>;
  /** Kills one node at once (SIGKILL: no shutdown save, no goodbye to the cluster). */
  kill(port: number): Promise<void>;
  stop(): Promise<void>;
}

const NODE_TIMEOUT_MS = 1500;

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done(out) : fail(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

/** Polls `check` every 50 ms until it returns true or `ms` pass; then fails naming `what`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function info(port: number, section: string): Promise<string> {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await c.connect();
    if (section === 'cluster') return String(await c.cluster('INFO'));
    if (section === 'nodes') return String(await c.cluster('NODES'));
    return await c.info(section);
  } finally {
    c.disconnect();
  }
}

export async function startCluster(opts: { primaries?: number; replicas?: number; dir: string }): Promise<TestCluster> {
  const primaries = opts.primaries ?? 3;
  const replicas = opts.replicas ?? 1;
  const dir = resolve(opts.dir);
  const nodes: ClusterNode[] = [];
  try {
    for (let i = 0; i < primaries * (1 + replicas); i++) {
      const nodeDir = join(dir, `node-${i}`);
      const server = await startRedisServer({
        dir: nodeDir,
        appendonly: false,
        databases: 1,
        extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', join(nodeDir, 'nodes.conf'), '--cluster-node-timeout', String(NODE_TIMEOUT_MS), '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'],
      });
      nodes.push({ port: server.port, server });
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    const cluster = handle(nodes, dir);
    await until('cluster_state:ok on every node', async () => {
      for (const n of nodes) if (!/cluster_state:ok/.test(await info(n.port, 'cluster'))) return false;
      return true;
    });
    await until('every replica linked to its primary', async () => {
      const r = await cluster.roles();
      return r.filter((x) => x.role === 'master').length === primaries && r.filter((x) => x.role === 'slave').length === primaries * replicas
        && (await Promise.all(r.filter((x) => x.role === 'slave').map(async (x) => /master_link_status:up/.test(await info(x.port, 'replication'))))).every(Boolean);
    });
    return cluster;
  } catch (err) {
    await Promise.all(nodes.map((n) => n.server.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function handle(nodes: ClusterNode[], dir: string): TestCluster {
  return {
    nodes,
    url: `redis-cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
    client: (port) => new Redis({ port, host: '127.0.0.1' }),
    async roles() {
      // CLUSTER NODES from any live node: id host:port@bus flags master ping pong epoch state slots…
      for (const n of nodes) {
        if (n.server.process.exitCode !== null || n.server.process.signalCode !== null) continue;
        let text: string;
        try {
          text = await info(n.port, 'nodes');
        } catch {
          continue;
        }
        const rows = text.trim().split('\n').map((l) => l.split(' '));
        const portOf = new Map(rows.map((r) => [r[0], Number(r[1].split('@')[0].split(':')[1])]));
        return rows
          .filter((r) => !r[2].includes('fail') && !r[2].includes('noaddr'))
          .map((r) => ({
            port: portOf.get(r[0])!,
            role: r[2].includes('master') ? ('master' as const) : ('slave' as const),
            master: r[3] === '-' ? null : (portOf.get(r[3]) ?? null),
            slots: r.slice(8).reduce((sum, s) => {
              const [a, b] = s.split('-').map(Number);
              return s.startsWith('[') ? sum : sum + (b === undefined ? 1 : b - a + 1);
            }, 0),
          }));
      }
      throw new Error('no cluster node is alive');
    },
    async kill(port) {
      const n = nodes.find((x) => x.port === port)!;
      await new Promise<void>((done) => {
        if (n.server.process.exitCode !== null || n.server.process.signalCode !== null) return done();
        n.server.process.once('exit', () => done());
        n.server.process.kill('SIGKILL');
      });
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.server.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Empties every primary (replicas follow). Test files run one after another on the cluster. */
export async function flushCluster(url: string): Promise<void> {
  const seeds = url.slice('redis-cluster://'.length).split(',').map((hp) => ({ host: hp.split(':')[0], port: Number(hp.split(':')[1]) }));
  const c = new Cluster(seeds, { redisOptions: { maxRetriesPerRequest: 2 } });
  try {
    await Promise.all((await primaries(c)).map((m) => m.flushall()));
  } finally {
    c.disconnect();
  }
}

/**
 * Makes the whole-keyspace commands some tests use (FLUSHDB, KEYS) act on every primary of a
 * Cluster client, as they would on a single Redis; on a Cluster they would reach one node only.
 */
export function wholeKeyspace<T extends Redis | Cluster>(client: T): T {
  if (!(client instanceof Cluster)) return client;
  const c = client as unknown as Record<string, unknown>;
  c.flushdb = async () => {
    await Promise.all((await primaries(client)).map((m) => m.flushdb()));
    return 'OK';
  };
  c.keys = async (pattern: string) => (await Promise.all((await primaries(client)).map((m) => m.keys(pattern)))).flat();
  return client;
}
