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
  redisCommands: new Histogram({
    name: 'whohad_redis_command_duration_seconds',
    help: 'Redis commands from send to reply, by command name',
    labelNames: ['command'] as const,
    buckets: latencyBuckets,
    registers: [registry],
  }),
  redisErrors: new Counter({
    name: 'whohad_redis_command_errors_total',
    help: 'Redis commands answered with an error or failed in transit, by command name',
    labelNames: ['command'] as const,
    registers: [registry],
  }),
};

/** Counts the outcome of an ingest request: `accepted` events stored, `rejected` lines refused. */
export function countIngest(format: string, accepted: number, rejected: number): void {
  if (accepted > 0) metrics.ingestEvents.inc({ format, outcome: 'accepted' }, accepted);
  if (rejected > 0) metrics.ingestEvents.inc({ format, outcome: 'rejected' }, rejected);
}

interface TimedCommand {
  name: string;
  promise: Promise<unknown>;
}

const timed = new WeakSet<object>();

/**
 * Times every command a client sends (pipelined and auto-pipelined ones too: they all pass
 * through the client's `sendCommand`) into `whohad_redis_command_duration_seconds`, and counts
 * errors. A command re-sent after a redirect is timed once, from its first send.
 */
export function instrumentRedis(client: { sendCommand: (...args: never[]) => unknown }): void {
  const c = client as unknown as { sendCommand: (command: TimedCommand, ...rest: unknown[]) => unknown };
  const send = c.sendCommand.bind(client);
  c.sendCommand = (command: TimedCommand, ...rest: unknown[]) => {
    if (!timed.has(command)) {
      timed.add(command);
      const end = metrics.redisCommands.startTimer({ command: command.name });
      command.promise.then(
        () => end(),
        () => {
          end();
          metrics.redisErrors.inc({ command: command.name });
        },
      );
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
