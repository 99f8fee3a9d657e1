import { join } from 'node:path';
import { autoHostsZoneProblem, loadSourceConfig } from '../intake/sources.js';
import { startCollector, type Collector, type CollectorState } from '../intake/collector.js';
import { countersLine } from '../intake/counters.js';
import type { Unmatched } from '../intake/router.js';
import type { Transport } from '../intake/syslog-listener.js';
import { loadConfig } from '../config.js';
import { ProfileDictionary } from '../timeindex/profiles.js';
import type { CanonicalEvent } from '../events/schema.js';
import { AccessLog } from '../audit/log.js';
import { recordIngest } from '../audit/provenance.js';
import { collectorIngest } from './ingest-identity.js';
import { IndexWriter } from '../timeindex/writer.js';
import { intakeRegistry, parseMetricsListen, startMetricsServer, type MetricsServer } from '../intake/metrics-server.js';
import { processName, SourceStats } from '../intake/source-stats.js';
import { ending, UsageError } from './fail.js';
import { openCliStore } from './store.js';

export interface CollectOptions {
  syslog: string[];
  ipfix: string[];
  config?: string;
  rejects?: string;
  unmatched?: string;
  statsEvery?: string;
  maxPending?: string;
  spool?: string;
  spoolMaxBytes?: string;
  metricsListen?: string;
}

export interface ListenUrl {
  transport: Transport;
  host: string;
  port: number;
}

/** Reads `udp://HOST:PORT` or `tcp://HOST:PORT` (IPv6 as `[::1]`); the error names the option and the URL. */
export function parseListenUrl(option: string, text: string, allowed: readonly Transport[]): ListenUrl {
  const bad = (why: string) => new Error(`${option} ${JSON.stringify(text)}: ${why}`);
  const m = /^([a-z]+):\/\/(\[[^\]]*\]|[^/:?#@\[\]]+):(\d+)\/?$/i.exec(text.trim());
  if (!m) {
    const scheme = /^([a-z]+):\/\//i.exec(text.trim());
    if (scheme && !allowed.includes(scheme[1].toLowerCase() as Transport)) {
      throw bad(`unsupported scheme ${scheme[1]}://; use ${allowed.map((a) => `${a}://`).join(' or ')}`);
    }
    throw bad(`expected ${allowed.map((a) => `${a}://HOST:PORT`).join(' or ')} (IPv6 hosts in brackets, e.g. ${allowed[0]}://[::1]:${option === '--ipfix' ? 4739 : 514})`);
  }
  const transport = m[1].toLowerCase() as Transport;
  if (!allowed.includes(transport)) throw bad(`unsupported scheme ${m[1]}://; use ${allowed.map((a) => `${a}://`).join(' or ')}`);
  const port = Number(m[3]);
  if (port > 65535) throw bad(`port ${m[3]} is not 0-65535`);
  const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  if (host === '') throw bad('no host');
  return { transport, host, port };
}

function printCounters(s: CollectorState, label: string): void {
  const lines = [`${label}: ${countersLine(s.total)}${s.overloaded ? ' [overloaded]' : ''}${s.storeFailures > 0 ? ` [store failing: ${s.storeFailures} attempts]` : ''}`];
  for (const [name, c] of Object.entries(s.sources).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${name}: ${countersLine(c)}`);
    const skips = s.skips[name];
    if (skips) lines.push(`    skipped: ${skips.map((x) => `${x.count} × ${x.reason}`).join('; ')}`);
  }
  if (s.ipfixPackets > 0) lines.push(`  (IPFIX packets: ${s.ipfixPackets})`);
  if (s.spool) lines.push(`  spool: ${s.spool.records} records not yet confirmed by Redis, ${s.spool.bytes} bytes${s.spool.unspooled > 0 ? `, ${s.spool.unspooled} not spooled (full)` : ''}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}

/**
 * Runs the collector until SIGINT or SIGTERM, then stores everything pending and prints the
 * final counters. A second signal stops waiting for Redis: what is still queued goes to the
 * rejects file and stays in the spool, replayed at the next start. SIGHUP reopens the rejects
 * file; SIGUSR1 prints the counters.
 */
export async function collectCommand(o: CollectOptions): Promise<number> {
  let run: () => Promise<number>;
  try {
    run = await prepare(o);
  } catch (err) {
    // a bad URL, a taken port, an unreadable configuration: one line the operator can act on
    const { exit, message } = ending(err);
    process.stderr.write(`whohad: ${message}\n`);
    return exit;
  }
  return run();
}

/** Validates the options and starts listening; returns the part that runs until a signal. */
async function prepare(o: CollectOptions): Promise<() => Promise<number>> {
  const syslog = (o.syslog ?? []).map((u) => parseListenUrl('--syslog', u, ['udp', 'tcp']));
  const ipfix = (o.ipfix ?? []).map((u) => parseListenUrl('--ipfix', u, ['udp']));
  if (syslog.length + ipfix.length === 0) throw new Error('collect: give at least one --syslog or --ipfix URL to listen on');
  const unmatched = (o.unmatched ?? 'auto') as Unmatched;
  if (unmatched !== 'auto' && unmatched !== 'reject') throw new Error(`--unmatched ${JSON.stringify(o.unmatched)}: must be auto or reject`);
  const statsEvery = o.statsEvery === undefined ? 60 : Number(o.statsEvery);
  if (!Number.isInteger(statsEvery) || statsEvery < 0) throw new Error(`--stats-every ${JSON.stringify(o.statsEvery)}: must be a whole number of seconds (0: only at exit)`);
  const maxPending = o.maxPending === undefined ? undefined : Number(o.maxPending);
  if (maxPending !== undefined && (!Number.isInteger(maxPending) || maxPending < 1)) throw new Error(`--max-pending ${JSON.stringify(o.maxPending)}: must be a whole number of at least 1`);

  const spoolMax = o.spoolMaxBytes === undefined ? undefined : Number(o.spoolMaxBytes);
  if (spoolMax !== undefined && (!Number.isInteger(spoolMax) || spoolMax < 4096)) throw new Error(`--spool-max-bytes ${JSON.stringify(o.spoolMaxBytes)}: must be a whole number of bytes, at least 4096`);
  const listen = o.metricsListen === undefined ? null : parseMetricsListen(o.metricsListen);
  const settings = loadConfig();
  const sources = o.config ? await loadSourceConfig(o.config) : null;
  // before anything is received: an auto-read host's zone-less times would have no zone at all
  const zoneProblem = syslog.length > 0 && unmatched === 'auto' ? autoHostsZoneProblem(sources) : null;
  if (zoneProblem !== null) {
    throw new UsageError(`collect: ${zoneProblem} (--unmatched reject)${o.config ? '' : '; without --config every host is one of them'}`);
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // Redis going down and coming back: one JSON line each (the client's default report); a Redis
  // that is down at start is waited for: events queue (and spill to the rejects file) meanwhile
  const redis = await openCliStore(settings, { command: 'collect', probe: false });
  const index = new IndexWriter(redis.redis, new ProfileDictionary(redis.redis), { days: settings.retentionDays, now: Date.now });
  const ingest = collectorIngest(settings);
  const since = new Date().toISOString();
  // every record the collector makes names it (its instance), as a token names an HTTP ingest
  const writer = { write: (events: readonly CanonicalEvent[]) => index.write(events, ingest) };
  let collector: Collector;
  let metrics: MetricsServer | null = null;
  const stats = new SourceStats(redis.redis, processName('collect'));
  try {
    collector = await startCollector({
      syslog,
      ipfix: ipfix.map(({ host, port }) => ({ host, port })),
      config: sources,
      writer,
      rejects: o.rejects ?? join(settings.dataDir, 'collect-rejects.ndjson'),
      unmatched,
      maxPending,
      stats,
      log,
      spool: { dir: o.spool ?? join(settings.dataDir, 'collect-spool'), maxBytes: spoolMax },
    });
    if (listen) {
      const c = collector;
      const pending = () => Object.fromEntries(Object.entries(c.state().sources).map(([n, s]) => [n, s.pending]));
      metrics = await startMetricsServer(
        listen,
        intakeRegistry(stats, { pending, spoolBytes: () => c.state().spool?.bytes ?? 0, overloaded: () => c.state().overloaded, storeFailures: () => c.state().storeFailures }),
      ).catch(async (err) => {
        await c.stop();
        throw err;
      });
      process.stdout.write(`metrics: http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${metrics.address.port}/metrics\n`);
    }
  } catch (err) {
    await redis.close();
    throw err;
  }
  const served = metrics as MetricsServer | null;
  return () =>
    runUntilSignal(collector, statsEvery, async (final) => {
      await served?.close();
      try {
        // the run is one ingest in the access log, recorded once everything received is settled;
        // a Redis still away at the end cannot take it (nor took the events left): said, not waited for
        if (final && final.storeFailures > 0) log('collect: Redis is away: this run is not recorded in the access log');
        else if (final) {
          await recordIngest(new AccessLog(redis.redis, `${settings.instance}/collect`), ingest, {
            client: 'collector', route: 'whohad collect', format: 'collect', since,
            sources: Object.fromEntries(Object.entries(final.sources).map(([name, s]) => [name, s.stored])),
            accepted: final.total.stored, rejected: final.total.rejected,
          });
        }
      } finally {
        await redis.close();
      }
    });
}

async function runUntilSignal(c: Collector, statsEvery: number, closeRedis: (final: CollectorState | null) => Promise<void>): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // handlers first: a signal right after start (say, from a supervisor) must still flush
  let signals = 0;
  let stopRequested!: () => void;
  const stopping = new Promise<void>((done) => (stopRequested = done));
  const onSignal = () => {
    signals++;
    if (signals === 1) {
      const pending = c.state().total.pending;
      log(`collect: stopping; storing ${pending} pending events (signal again to stop waiting and keep them in the rejects file)`);
      stopRequested();
    } else {
      log('collect: no longer waiting for Redis; pending events go to the rejects file');
      c.abandon();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const onUsr1 = () => printCounters(c.state(), 'collect');
  process.on('SIGUSR1', onUsr1);
  for (const l of c.listening) {
    const a = l.address;
    process.stdout.write(`listening: ${l.kind} ${l.transport}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}\n`);
  }
  process.stdout.write(`rejects: ${c.state().rejectsFile}\n`);
  // logrotate's convention: HUP reopens the files the process writes, it does not stop it
  const onHup = () => c.reopen();
  process.on('SIGHUP', onHup);

  const stats = statsEvery > 0 ? setInterval(() => printCounters(c.state(), 'collect'), statsEvery * 1000) : null;
  await stopping;
  if (stats) clearInterval(stats);
  let final: CollectorState | null = null;
  try {
    final = await c.stop();
    printCounters(final, 'collect: final');
  } finally {
    process.off('SIGUSR1', onUsr1);
    process.off('SIGHUP', onHup);
    await closeRedis(final);
  }
  return 0;
}
