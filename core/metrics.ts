import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The service's Prometheus metrics, in one registry that every module increments and
 * `GET /metrics` serves (service/plugins/metrics.ts). Labels never carry addresses, subscriber
 * ids, tokens or job ids: only routes (their patterns), statuses, formats and command names.
 */
export const registry = new Registry();

let defaults = false;
/** Process metrics (CPU, memory, GC, event-loop lag as `nodejs_eventloop_lag_*`), once per process. */
export function collectProcessMetrics(): void {
  if (defaults) return;
  defaults = true;
  collectDefaultMetrics({ register: registry, prefix: 'whohad_', eventLoopMonitoringPrecision: 20 });
}

/** Seconds; from 0.25 ms (a cached look-up) to 10 s (a large ingest batch). */
const latencyBuckets = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const metrics = {
  httpRequests: new Histogram({
    name: 'whohad_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: latencyBuckets,
    registers: [registry],
  }),
  lookups: new Counter({
    name: 'whohad_lookups_total',
    help: 'Attribution answers by status (unique, ambiguous, not_found, outside_retention)',
    labelNames: ['status'] as const,
    registers: [registry],
  }),
  ingestEvents: new Counter({
    name: 'whohad_ingest_events_total',
    help: 'Events offered for ingest over HTTP, by format and outcome (accepted or rejected)',
    labelNames: ['format', 'outcome'] as const,
    registers: [registry],
  }),
  bulkRows: new Counter({
    name: 'whohad_bulk_rows_total',
    help: 'Rows answered by bulk resolution, by answer status',
    labelNames: ['status'] as const,
    registers: [registry],
  }),
  accessLogWrites: new Counter({
    name: 'whohad_access_log_writes_total',
    help: 'Access-log records stored',
    registers: [registry],
  }),
  accessLogFailures: new Counter({
    name: 'whohad_access_log_failures_total',
    help: 'Access-log records that could not be stored (the look-up answered 503)',
    registers: [registry],
  }),
  redisCommands: new Counter({
    name: 'whohad_redis_commands_total',
    help: 'Redis commands sent, by command name (latency is the HTTP histogram\'s and Redis\'s own)',
    labelNames: ['command'] as const,
    registers: [registry],
    collect() {
      drain(sent, this);
    },
  }),
  redisErrors: new Counter({
    name: 'whohad_redis_command_errors_total',
    help: 'Redis commands answered with an error or failed in transit, by command name',
    labelNames: ['command'] as const,
    registers: [registry],
    collect() {
      drain(failed, this);
    },
  }),
};

/** Counts the outcome of an ingest request: `accepted` events stored, `rejected` lines refused. */
export function countIngest(format: string, accepted: number, rejected: number): void {
  if (accepted > 0) metrics.ingestEvents.inc({ format, outcome: 'accepted' }, accepted);
  if (rejected > 0) metrics.ingestEvents.inc({ format, outcome: 'rejected' }, rejected);
}

interface SentCommand {
  name: string;
  reject: (err: Error) => void;
  [COUNTED]?: true;
}

const COUNTED = Symbol('counted');
/** Tallies since the last scrape, by command name: a Map increment is all a command costs. */
const sent = new Map<string, number>();
const failed = new Map<string, number>();

function drain(tally: Map<string, number>, counter: Counter<'command'>): void {
  for (const [command, n] of tally) if (n > 0) counter.inc({ command }, n);
  tally.clear();
}

/**
 * Counts every command a client sends (pipelined and auto-pipelined ones too: they all pass
 * through the client's `sendCommand`) into `whohad_redis_commands_total`, and its errors. No
 * timer and no promise handler per command: on a look-up's path they cost more than the
 * command's own round trip. A command re-sent after a redirect is counted once.
 */
export function instrumentRedis(client: { sendCommand: (...args: never[]) => unknown }): void {
  const c = client as unknown as { sendCommand: (command: SentCommand, ...rest: unknown[]) => unknown };
  const send = c.sendCommand.bind(client);
  c.sendCommand = (command: SentCommand, ...rest: unknown[]) => {
    if (command[COUNTED] !== true) {
      command[COUNTED] = true;
      const name = command.name;
      sent.set(name, (sent.get(name) ?? 0) + 1);
      const reject = command.reject;
      command.reject = (err: Error) => {
        failed.set(name, (failed.get(name) ?? 0) + 1);
        reject(err);
      };
    }
    return send(command, ...rest);
  };
}

/**
 * Under `whohad serve --workers N` every worker counts on its own; the primary adds them up
 * (prom-client's AggregatorRegistry) and a worker answering `/metrics` asks it over IPC, so a
 * scrape gets the whole machine whichever worker takes it. Single process: this registry.
 */
const REQ = 'whohad:metrics-req';
const RES = 'whohad:metrics-res';
let asked = 0;
const waiting = new Map<number, { done: (text: string) => void; fail: (err: Error) => void; timer: NodeJS.Timeout }>();

export async function metricsText(): Promise<string> {
  if (!process.env.WHOHAD_WORKER || !process.send) return registry.metrics();
  const id = ++asked;
  if (waiting.size === 0) process.on('message', onReply);
  return new Promise((done, fail) => {
    const timer = setTimeout(() => settle(id, new Error('the primary did not send the metrics within 5 s')), 5000);
    waiting.set(id, { done, fail, timer });
    process.send!({ type: REQ, id });
  });
}

function settle(id: number, result: string | Error) {
  const w = waiting.get(id);
  if (!w) return;
  waiting.delete(id);
  clearTimeout(w.timer);
  if (waiting.size === 0) process.off('message', onReply);
  if (typeof result === 'string') w.done(result);
  else w.fail(result);
}

function onReply(message: unknown) {
  const m = message as { type?: string; id?: number; text?: string; error?: string };
  if (m?.type === RES && typeof m.id === 'number') settle(m.id, m.error ? new Error(m.error) : (m.text ?? ''));
}

/** The primary's side: answers a worker's request with the sum over all workers. */
export function isMetricsRequest(message: unknown): message is { type: string; id: number } {
  return (message as { type?: string })?.type === REQ;
}
export const metricsReply = (id: number, text: string | null, error?: string) => ({ type: RES, id, text, error });
