import type { AddressInfo } from 'node:net';
import { exporterSources } from './exporter-sources.js';
import { startIpfixCollector, type IpfixCollector } from './ipfix-listener.js';
import type { CanonicalEvent } from '../events/schema.js';
import type { SourceConfig } from '../schemas/source-config.js';
import type { WriteOutcome } from '../timeindex/writer.js';
import { CounterBoard, type CounterSnapshot } from './counters.js';
import { RejectFile, type CollectReject } from './reject-file.js';
import type { SourceStats } from './source-stats.js';
import { Router, type Unmatched } from './router.js';
import { startSyslogListener, type SyslogListener, type Transport } from './syslog-listener.js';
import { Spool, type SpoolRecord, type SpoolState } from './spool.js';
import { WriteQueue } from './write-queue.js';

/**
 * The live collector: syslog listeners and IPFIX collectors feeding one bounded write queue.
 *
 * Overload (the queue holds `maxPending` events because Redis is slow or down): TCP
 * connections are paused, so senders queue on their side; UDP cannot be paused, so each UDP
 * message (and each IPFIX event) arriving meanwhile is dropped — counted under `dropped` and
 * kept, text or event, in the rejects file, from which it can be re-ingested. Reading resumes
 * once the queue is down to half.
 */

export interface Endpoint {
  host: string;
  port: number;
}

export interface CollectorOptions {
  syslog?: Array<Endpoint & { transport: Transport }>;
  ipfix?: Endpoint[];
  config: SourceConfig | null;
  writer: { write(events: readonly CanonicalEvent[]): Promise<WriteOutcome> };
  /** NDJSON file the rejects are appended to. */
  rejects: string;
  /** What to do with messages of hosts no source matches; default 'auto'. */
  unmatched?: Unmatched;
  /** Events per batch; default 500. */
  batchSize?: number;
  /** How often partial batches are handed on, in ms; default 500; 0: only on `flush`. */
  flushIntervalMs?: number;
  /** Events queued for Redis before inputs are paused or dropped; default 100 000. */
  maxPending?: number;
  /** Longest syslog message in bytes; default 64 KiB. */
  maxMessage?: number;
  maxAutoRoutes?: number;
  recvBufferSize?: number;
  retryDelayMs?: (attempt: number) => number;
  /** "Now" for year-less timestamps (tests fix it); default Date.now. */
  now?: () => number;
  /** Per-source counts kept in Redis for the service's /metrics; default: none. */
  stats?: SourceStats;
  /** How often the counts are written when no write settles; default 10 s. */
  reportIntervalMs?: number;
  /** Operational messages (auto choices, Redis retries, overload); default: none. */
  log?: (line: string) => void;
  /**
   * Directory of the spool (intake/spool.ts): everything received is kept there until Redis has
   * it, and what a crashed run left is replayed at start. Default: no spool.
   */
  spool?: { dir: string; maxBytes?: number };
  /** How often the spool's commit point is moved up to what Redis has; default 1000 ms. */
  commitIntervalMs?: number;
}

export interface Listening {
  kind: 'syslog' | 'ipfix';
  transport: Transport;
  address: AddressInfo;
}

export interface CollectorState extends CounterSnapshot {
  /** IPFIX datagrams received, templates and all. */
  ipfixPackets: number;
  /** Whether inputs are paused or dropping because the queue is full. */
  overloaded: boolean;
  /** Consecutive failed attempts of the current write (Redis unreachable); 0 when healthy. */
  storeFailures: number;
  rejectsFile: string;
  /** The spool's size and backlog, when there is one. */
  spool: SpoolState | null;
}

export interface Collector {
  listening: Listening[];
  state(): CollectorState;
  /** Resolves at the next change of any counter (no polling with sleeps). */
  changed(): Promise<void>;
  /** Hands every partial batch on and resolves once the queue is empty. */
  flush(): Promise<void>;
  /** Stops receiving, ends every parser, and resolves once every event is stored or refused. */
  stop(): Promise<CollectorState>;
  /** While stopping with Redis away: stop retrying, and keep what is queued in the rejects file (and the spool). */
  abandon(): void;
  /** Reopens the rejects file at its path (after logrotate moved it: SIGHUP). */
  reopen(): void;
}

export async function startCollector(o: CollectorOptions): Promise<Collector> {
  const log = o.log ?? (() => {});
  const board = new CounterBoard();
  const rejects = new RejectFile(o.rejects, (err) => log(`rejects file ${o.rejects}: ${err.message}`));
  const keep = (r: CollectReject) => {
    rejects.add(r);
    // reasons of what the parsers and listeners turned away; store refusals are counted by the store queue
    if (r.reason.startsWith('dropped')) o.stats?.reason(r.source, 'dropped', r.reason);
    else if (r.text !== undefined) o.stats?.reason(r.source, 'rejected', r.reason);
  };
  const report = () => {
    if (!o.stats) return;
    const s = board.snapshot().sources;
    o.stats.mirror(s);
    o.stats.setGauges({ pending: Object.fromEntries(Object.entries(s).map(([n, c]) => [n, c.pending])), spoolBytes: spool?.bytes ?? 0 });
    void o.stats.flush();
  };
  const maxPending = o.maxPending ?? 100_000;
  let overloaded = false;
  let stopping: Promise<CollectorState> | null = null;
  let abandoned = false;
  // Events handed to the queue, and those it settled (stored or refused): the spool is committed
  // up to a record once every event pushed after it was delivered has settled.
  let pushed = 0;
  let settledEvents = 0;
  let settleWaiters: Array<{ target: number; done: () => void }> = [];
  const settle = (n: number) => {
    settledEvents += n;
    const ready = settleWaiters.filter((w) => settledEvents >= w.target);
    settleWaiters = settleWaiters.filter((w) => settledEvents < w.target);
    for (const w of ready) w.done();
  };
  const settledThrough = (target: number) =>
    settledEvents >= target ? Promise.resolve() : new Promise<void>((done) => settleWaiters.push({ target, done }));
  const spool = o.spool ? Spool.open(o.spool.dir, { maxBytes: o.spool.maxBytes }) : null;
  let spoolFull = false;
  const keepInSpool = (entry: Parameters<Spool['append']>[0]) => {
    if (!spool) return;
    const n = spool.append(entry);
    if (n === null && !spoolFull) log(`spool ${spool.dir} is full (${spool.bytes} bytes): messages are handled without being spooled until Redis catches up`);
    spoolFull = n === null;
  };

  const queue = new WriteQueue({
    write: (events) => o.writer.write(events),
    maxWrite: Math.max(2000, o.batchSize ?? 500),
    retryDelayMs: o.retryDelayMs,
    stats: o.stats,
    onStored: (source, n) => {
      board.of(source).stored += n;
      settle(n);
      board.notify();
    },
    onRefused: (source, seq, event, reason) => {
      const t = board.of(source);
      t.rejected++;
      t.settled++;
      keep({ source, seq, from: null, reason, event });
      settle(1);
      board.notify();
    },
    onRetry: (err, attempt, delay) => {
      if (attempt === 1 || attempt % 10 === 0) log(`store: ${err.message}; retrying ${queue.pending} pending events (attempt ${attempt}, next in ${delay} ms)`);
      board.notify();
    },
    onSettled: () => {
      if (overloaded && queue.pending <= maxPending / 2) {
        overloaded = false;
        for (const l of syslog) l.resume();
        log(`store caught up (${queue.pending} pending): reading again`);
      }
      report();
      board.notify();
    },
  });

  const enqueue = (b: { source: string; events: CanonicalEvent[]; seqs: number[] }) => {
    pushed += b.events.length;
    queue.push(b);
    if (!overloaded && queue.pending >= maxPending) {
      overloaded = true;
      for (const l of syslog) l.pause();
      log(`store is behind (${queue.pending} events pending): TCP senders paused, UDP messages dropped to the rejects file`);
    }
  };

  const router = new Router({
    config: o.config,
    unmatched: o.unmatched ?? 'auto',
    board,
    batchSize: o.batchSize ?? 500,
    maxAutoRoutes: o.maxAutoRoutes ?? 1000,
    now: o.now ?? Date.now,
    enqueue,
    reject: keep,
    skip: (source, reason) => o.stats?.reason(source, 'skipped', reason),
    log,
  });

  const syslog: SyslogListener[] = [];
  const ipfix: IpfixCollector[] = [];
  const listening: Listening[] = [];
  const close = async () => {
    await Promise.all([...syslog.map((l) => l.close()), ...ipfix.map((c) => c.close())]);
  };
  try {
    if (spool) await replay(spool, router, board, enqueue, log);
    for (const e of o.syslog ?? []) {
      const l = await startSyslogListener({
        ...e,
        maxMessage: o.maxMessage,
        recvBufferSize: o.recvBufferSize,
        onMessage: (m) => {
          keepInSpool({ m: { text: m.text, from: m.from, transport: m.transport } });
          if (overloaded && m.transport === 'udp') {
            router.unread(m.text, m.from, `dropped: the store is behind (${queue.pending} events pending) and UDP cannot be paused`, 'dropped');
          } else router.deliver(m);
        },
        onReject: (r) => router.unread(r.text, r.from, r.reason, 'rejected'),
        onError: (err) => log(`syslog ${e.transport}://${e.host}:${e.port}: ${err.message}`),
      });
      syslog.push(l);
      listening.push({ kind: 'syslog', transport: e.transport, address: l.address });
    }
    for (const e of o.ipfix ?? []) {
      const c = await startIpfixInput(e, o, board, enqueue, keep, () => overloaded, log, keepInSpool);
      ipfix.push(c);
      listening.push({ kind: 'ipfix', transport: 'udp', address: c.address });
    }
  } catch (err) {
    await close();
    await rejects.close();
    spool?.close();
    throw err;
  }

  const flushMs = o.flushIntervalMs ?? 500;
  const timer = flushMs > 0 ? setInterval(() => void router.flush(), flushMs) : null;
  timer?.unref();
  // skips, rejects and drops change without a write settling; pending and freshness age
  const reporting = o.stats ? setInterval(report, o.reportIntervalMs ?? 10_000) : null;
  reporting?.unref();

  // The spool's commit point: the last record appended, once everything before it is settled.
  // (A multi-line record still open in a parser is not seen here: see docs/collect.md.)
  let committing: Promise<void> | null = null;
  const commit = async () => {
    if (!spool || abandoned) return;
    const upTo = spool.lastRecord;
    await router.flush();
    await settledThrough(pushed);
    await rejects.flushed();
    if (!abandoned) spool.commit(upTo);
  };
  const commitTimer = spool
    ? setInterval(() => {
        committing ??= commit()
          .catch((err: Error) => log(`spool ${spool.dir}: ${err.message}`))
          .finally(() => (committing = null));
      }, o.commitIntervalMs ?? 1000)
    : null;
  commitTimer?.unref();

  const state = (): CollectorState => ({
    ...board.snapshot(),
    ipfixPackets: ipfix.reduce((n, c) => n + c.counters.packets, 0),
    overloaded,
    storeFailures: queue.failures,
    rejectsFile: rejects.path,
    spool: spool?.state() ?? null,
  });

  return {
    listening,
    state,
    changed: () => board.changed(),
    async flush() {
      await router.flush();
      await queue.idle();
    },
    stop() {
      stopping ??= (async () => {
        if (timer) clearInterval(timer);
        if (commitTimer) clearInterval(commitTimer);
        if (reporting) clearInterval(reporting);
        await close();
        await router.end();
        await queue.idle();
        await committing;
        report();
        await o.stats?.flush();
        await rejects.close();
        if (spool) {
          // everything received is settled now, unless given up while Redis was away
          if (!abandoned) spool.commit(spool.lastRecord);
          spool.close();
        }
        return state();
      })();
      return stopping;
    },
    abandon() {
      abandoned = true;
      queue.abandon(
        spool
          ? 'not stored: the collector was stopped while Redis was unavailable (kept in the spool: stored when the collector starts again)'
          : 'not stored: the collector was stopped while Redis was unavailable (re-ingest this event)',
      );
    },
    reopen() {
      rejects.reopen();
      log(`rejects file reopened: ${rejects.path}`);
    },
  };
}

/**
 * An IPFIX listener whose exporters are matched to `ipfix` sources by address (`match.host`);
 * an exporter no source matches is counted as `ipfix:ADDRESS` and read with `defaults`.
 */
async function startIpfixInput(
  e: Endpoint,
  o: CollectorOptions,
  board: CounterBoard,
  enqueue: (b: { source: string; events: CanonicalEvent[]; seqs: number[] }) => void,
  keep: (r: CollectReject) => void,
  overloaded: () => boolean,
  log: (line: string) => void,
  keepInSpool: (entry: { e: { source: string; from: string; events: CanonicalEvent[] } }) => void,
): Promise<IpfixCollector> {
  const sources = exporterSources(o.config);
  const nameOf = sources.sourceName;
  const seqs = new Map<string, number>();
  // Records have no line: each gets the next number of its source, as messages do.
  const nextSeq = (source: string, n: number) => {
    const first = (seqs.get(source) ?? 0) + 1;
    seqs.set(source, first + n - 1);
    return first;
  };
  return startIpfixCollector({
    host: e.host,
    port: e.port,
    recvBufferSize: o.recvBufferSize,
    decoder: sources.decoder,
    onEvents: (batch, exporter) => {
      const source = nameOf(exporter);
      // decoded events, not datagrams: a data set is only readable with its template
      keepInSpool({ e: { source, from: exporter, events: batch } });
      const t = board.of(source);
      const first = nextSeq(source, batch.length);
      t.received += batch.length;
      t.events += batch.length;
      if (overloaded()) {
        t.dropped += batch.length;
        t.settled += batch.length;
        batch.forEach((event, i) =>
          keep({ source, seq: first + i, from: exporter, reason: 'dropped: the store is behind and UDP cannot be paused', event }),
        );
      } else {
        enqueue({ source, events: batch, seqs: batch.map((_, i) => first + i) });
      }
      board.notify();
    },
    onReject: (r) => {
      const source = nameOf(r.exporter);
      const t = board.of(source);
      t.received++;
      t.rejected++;
      keep({ source, seq: nextSeq(source, 1), from: r.exporter, reason: r.reason, text: r.position });
      board.notify();
    },
    onSkip: (r) => {
      const source = nameOf(r.exporter);
      const t = board.of(source);
      t.received++;
      t.skipped++;
      t.skips.add(r.reason);
      o.stats?.reason(source, 'skipped', r.reason);
      nextSeq(source, 1);
      board.notify();
    },
    onError: (err) => log(`ipfix udp://${e.host}:${e.port}: ${err.message}`),
  });
}

/**
 * Hands what a previous run received and Redis had not yet confirmed to the parsers and the
 * queue again, before anything new is received: messages as if just received (counted so),
 * IPFIX events straight to the queue. Stored twice is harmless: the index keeps each event once.
 */
async function replay(
  spool: Spool,
  router: Router,
  board: CounterBoard,
  enqueue: (b: { source: string; events: CanonicalEvent[]; seqs: number[] }) => void,
  log: (line: string) => void,
): Promise<void> {
  let n = 0;
  let first: SpoolRecord | null = null;
  for await (const r of spool.replay()) {
    first ??= r;
    n++;
    if ('m' in r) router.deliver(r.m);
    else {
      const t = board.of(r.e.source);
      t.received += r.e.events.length;
      t.events += r.e.events.length;
      enqueue({ source: r.e.source, events: r.e.events, seqs: r.e.events.map(() => 0) });
    }
  }
  await router.flush();
  if (n > 0) log(`spool: replayed ${n} records received before the last stop that Redis had not confirmed (from record ${first!.n})`);
}
