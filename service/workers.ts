import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { AggregatorRegistry } from 'prom-client';
import { isMetricsRequest, metrics, metricsReply, registry } from '../core/metrics.js';
import { openStore } from '../commands.js';
import type { RedisHandle } from '../redis/embedded.js';
import { loadConfig } from '../config.js';
import { serve } from './server.js';

/**
 * `whohad serve --workers N`: N service processes on one machine sharing one port (node:cluster;
 * the primary hands connections out round-robin). The workers keep nothing another needs: the
 * index, the access log, tokens, rate-limit counters and bulk jobs all live in Redis. The
 * primary only starts the embedded Redis (once, when REDIS_URL is not set) and passes its URL
 * on, restarts a worker that dies, adds up the workers' metrics for `/metrics`, and on SIGTERM
 * or SIGINT lets every worker finish its requests in flight before it stops Redis and exits.
 */

const LISTENING = 'whohad:listening';
const STATS_REQ = 'whohad:stats-req';
const STATS_RES = 'whohad:stats-res';

export interface WorkerInfo {
  id: number;
  pid: number;
  address: string;
}

export interface WorkerPool {
  /** Where the workers listen (they share it). */
  address: string;
  workers: WorkerInfo[];
  /** HTTP requests each worker has answered so far (from its own metrics), by pid. */
  requestCounts(): Promise<Map<number, number>>;
  /** SIGTERM to every worker; resolves once all have exited and Redis is closed. */
  stop(): Promise<void>;
}

/**
 * The file a worker runs: this module, compiled or (in tests) TypeScript through tsx; with the
 * primary's heap sizes (`npm start` and the image give a larger young generation), and none of
 * its other flags (a test runner's loaders are not the worker's).
 */
function workerEntry(): { exec: string; execArgv: string[] } {
  const exec = fileURLToPath(import.meta.url);
  const heap = process.execArgv.filter((a) => /^--max-(semi|old)-space-size=/.test(a));
  return { exec, execArgv: exec.endsWith('.ts') ? [...heap, '--import', 'tsx'] : heap };
}

export async function startWorkers(count: number, env: NodeJS.ProcessEnv = process.env): Promise<WorkerPool> {
  if (!cluster.isPrimary) throw new Error('startWorkers runs in the primary process');
  const config = loadConfig(env); // a bad setting stops start-up here, once, not in N workers
  const redis: RedisHandle = await openStore(config);
  const workerEnv: NodeJS.ProcessEnv = { ...env, REDIS_URL: redis.url, WHOHAD_WORKER: '1' };
  cluster.setupPrimary({ ...workerEntry(), silent: false });

  const aggregator = new AggregatorRegistry();
  const infos = new Map<number, WorkerInfo>();
  let stopping = false;
  let restarts = 0;
  const listening = new Map<number, (info: WorkerInfo) => void>();
  const stats = new Map<number, (pid: number, requests: number) => void>();

  const onMessage = (worker: Worker, message: unknown) => {
    const m = message as { type?: string; address?: string; pid?: number; requests?: number; id?: number };
    if (m?.type === LISTENING && m.address) {
      const info = { id: worker.id, pid: worker.process.pid ?? 0, address: m.address };
      infos.set(worker.id, info);
      listening.get(worker.id)?.(info);
    } else if (m?.type === STATS_RES && typeof m.id === 'number') {
      stats.get(m.id)?.(m.pid ?? 0, m.requests ?? 0);
    } else if (isMetricsRequest(message)) {
      aggregator.clusterMetrics().then(
        (text) => worker.isConnected() && worker.send(metricsReply(message.id, text)),
        (err: Error) => worker.isConnected() && worker.send(metricsReply(message.id, null, err.message)),
      );
    }
  };
  cluster.on('message', onMessage);

  // each slot writes its own access-log chain; a worker started in place of a dead one takes its slot's
  const fork = (slot: number): Promise<WorkerInfo> =>
    new Promise((done, fail) => {
      const worker = cluster.fork({ ...workerEnv, WHOHAD_INSTANCE: `${config.instance}/worker-${slot}` });
      listening.set(worker.id, (info) => {
        listening.delete(worker.id);
        done(info);
      });
      worker.once('exit', (code, signal) => {
        infos.delete(worker.id);
        if (listening.delete(worker.id)) fail(new Error(`worker ${worker.process.pid} exited (${signal ?? code}) before it listened`));
        else if (!stopping && restarts++ < 100) {
          process.stderr.write(`whohad: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
          fork(slot).catch((err: Error) => process.stderr.write(`whohad: ${err.message}\n`));
        }
      });
    });

  const stopWorkers = async () => {
    stopping = true;
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w) && !w!.isDead());
    await Promise.all(
      alive.map(
        (w) =>
          new Promise<void>((done) => {
            w.once('exit', () => done());
            w.process.kill('SIGTERM');
          }),
      ),
    );
    cluster.off('message', onMessage);
  };

  let first: WorkerInfo[];
  try {
    first = await Promise.all(Array.from({ length: count }, (_, i) => fork(i + 1)));
  } catch (err) {
    await stopWorkers();
    await redis.close();
    throw err;
  }

  let seq = 0;
  let stopped: Promise<void> | null = null;
  return {
    address: first[0].address,
    get workers() {
      return [...infos.values()];
    },
    async requestCounts() {
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w?.isConnected()));
      const out = new Map<number, number>();
      await Promise.all(
        alive.map(
          (w) =>
            new Promise<void>((done) => {
              const id = ++seq;
              stats.set(id, (pid, requests) => {
                stats.delete(id);
                out.set(pid, requests);
                done();
              });
              w.send({ type: STATS_REQ, id });
            }),
        ),
      );
      return out;
    },
    stop: () =>
      (stopped ??= (async () => {
        await stopWorkers();
        await redis.close();
      })()),
  };
}

/** The CLI's `serve --workers N`: runs until SIGTERM or SIGINT, then stops the workers and exits. */
export async function runWorkers(count: number): Promise<void> {
  const pool = await startWorkers(count);
  process.stderr.write(`whohad: ${count} workers listening on ${pool.address} (pids ${pool.workers.map((w) => w.pid).join(', ')})\n`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      process.stderr.write(`whohad: ${signal}: workers finish their requests in flight, then stop\n`);
      void pool.stop().then(() => process.exit(0));
    });
  }
}

/** A worker: the ordinary service, reporting where it listens and answering metric requests. */
async function runWorker(): Promise<void> {
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // answers the primary's requests for this worker's metrics
  process.on('message', (message: unknown) => {
    const m = message as { type?: string; id?: number };
    if (m?.type !== STATS_REQ) return;
    void metrics.httpRequests.get().then((h) => {
      const requests = h.values.filter((v) => v.metricName?.endsWith('_count')).reduce((a, v) => a + v.value, 0);
      process.send?.({ type: STATS_RES, id: m.id, pid: process.pid, requests });
    });
  });
  const running = await serve(loadConfig());
  process.send?.({ type: LISTENING, address: running.address });
}

if (cluster.isWorker && process.env.WHOHAD_WORKER === '1') {
  runWorker().catch((err: Error) => {
    process.stderr.write(`whohad worker: ${err.message}\n`);
    process.exit(1);
  });
}
