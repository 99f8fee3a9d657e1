import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';
import { collectProcessMetrics, registry as processRegistry } from '../core/metrics.js';
import type { SourceStats } from './source-stats.js';
import { DomainError } from '../core/domain-error.js';

/**
 * The Prometheus endpoint of a long-running ingest process (`whohad collect`, `whohad ingest
 * --follow`): `GET /metrics` on `--metrics-listen HOST:PORT` shows this process's own counts per
 * source (`whohad_intake_*`), its Redis round trips and errors, and process metrics. The
 * installation-wide view, summed over every ingesting process, is the service's
 * `whohad_source_*` (read from Redis); the two sets of names differ so that a sum never counts
 * a collector twice.
 */

export interface IntakeGauges {
  /** Events received and not yet taken by Redis nor refused, per source. */
  pending(): Record<string, number>;
  spoolBytes(): number;
  /** 1 while inputs are paused or dropping because the store is behind. */
  overloaded(): boolean;
  /** Consecutive failed attempts of the write in flight. */
  storeFailures(): number;
}

/** Reads `HOST:PORT` (IPv6 in brackets); the error names the option and what was wrong. */
export function parseMetricsListen(text: string): { host: string; port: number } {
  const bad = (why: string) => new DomainError('bad_parameter', `--metrics-listen ${JSON.stringify(text)}: ${why}`);
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(text.trim());
  if (!m) throw bad('expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464');
  const port = Number(m[2]);
  if (port > 65535) throw bad(`port ${m[2]} is not 0-65535`);
  return { host: m[1].startsWith('[') ? m[1].slice(1, -1) : m[1], port };
}

/** The `whohad_intake_*` metrics of one process, computed at each scrape from its counts. */
export function intakeRegistry(stats: SourceStats, gauges: IntakeGauges): Registry {
  const r = new Registry();
  const counters = [
    ['received', 'whohad_intake_received_total', 'Lines, messages or records received, per source'],
    ['events', 'whohad_intake_events_total', 'Events Redis took, per source'],
    ['dropped', 'whohad_intake_dropped_total', 'UDP messages and IPFIX events turned away while the store was behind (kept in the rejects file)'],
  ] as const;
  for (const [field, name, help] of counters) {
    new Counter({
      name,
      help,
      labelNames: ['source'] as const,
      registers: [r],
      collect() {
        this.reset();
        for (const [source, c] of stats.localCounts()) this.inc({ source }, c[field]);
      },
    });
  }
  for (const kind of ['rejected', 'skipped'] as const) {
    new Counter({
      name: `whohad_intake_${kind}_total`,
      help: `Lines or events ${kind}, per source and reason (unclassified: counted without a reason)`,
      labelNames: ['source', 'reason'] as const,
      registers: [r],
      collect() {
        this.reset();
        for (const [source, c] of stats.localCounts()) {
          let explained = 0;
          for (const [field, n] of Object.entries(c.reasons)) {
            if (!field.startsWith(`${kind}:`)) continue;
            this.inc({ source, reason: field.slice(kind.length + 1) }, n);
            explained += n;
          }
          if (c[kind] > explained) this.inc({ source, reason: 'unclassified' }, c[kind] - explained);
        }
      },
    });
  }
  new Gauge({
    name: 'whohad_intake_last_event_timestamp_seconds',
    help: 'When Redis last took an event of the source (Unix time)',
    labelNames: ['source'] as const,
    registers: [r],
    collect() {
      this.reset();
      for (const [source, c] of stats.localCounts()) if (c.lastEventMs > 0) this.set({ source }, c.lastEventMs / 1000);
    },
  });
  new Gauge({
    name: 'whohad_intake_pending_events',
    help: 'Events received and not yet taken by Redis nor refused, per source',
    labelNames: ['source'] as const,
    registers: [r],
    collect() {
      this.reset();
      for (const [source, n] of Object.entries(gauges.pending())) this.set({ source }, n);
    },
  });
  const single = [
    ['whohad_intake_spool_bytes', 'Bytes in the local spool of received lines not yet taken by Redis', () => gauges.spoolBytes()],
    ['whohad_intake_overloaded', '1 while inputs are paused or dropping because the store is behind', () => (gauges.overloaded() ? 1 : 0)],
    ['whohad_intake_store_failures', 'Consecutive failed attempts of the write in flight (0 when Redis answers)', () => gauges.storeFailures()],
    ['whohad_intake_stats_flush_failures', 'Failed writes of the per-source counts to Redis since the last one that succeeded', () => stats.failures],
  ] as const;
  for (const [name, help, value] of single) {
    new Gauge({
      name,
      help,
      registers: [r],
      collect() {
        this.set(value());
      },
    });
  }
  return r;
}

export interface MetricsServer {
  address: AddressInfo;
  close(): Promise<void>;
}

/** Serves `GET /metrics` (and nothing else) until closed. */
export async function startMetricsServer(listen: { host: string; port: number }, intake: Registry): Promise<MetricsServer> {
  collectProcessMetrics();
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    Promise.all([processRegistry.metrics(), intake.metrics()]).then(
      ([a, b]) => res.writeHead(200, { 'content-type': processRegistry.contentType }).end(`${a}\n${b}`),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
    );
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (err) => fail(new Error(`--metrics-listen ${listen.host}:${listen.port}: ${err.message}`)));
    server.listen(listen.port, listen.host, () => done());
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
