/**
 * The look-ups of bulk resolution alone: the resolver answering batches of 512 rows, as the
 * bulk route hands them over, without HTTP, CSV or the access log. Compares the full answers
 * (NDJSON) with the compact ones (CSV), in alternating runs in one process against one Redis,
 * and gives Node's and redis-server's CPU a row: what the look-ups cost beside the route's own
 * (`loadtest/bulk.ts --floor`).
 *
 * Usage: npx tsx loadtest/bulk-lookups.ts [rows=100000] [intervals=1000000] [--keep DIR] [--runs N]
 *   --keep DIR   keep the loaded index in DIR/dump.rdb and reuse it (as loadtest/bulk.ts does)
 * From code: `bulkLookupsBench(options)` returns the rows of the bench table.
 */
import { redisCpu, type BenchRow } from './harness.js';
import { loadConfig } from '../config.js';
import { normalisedOrThrow, type NormalisedQuery } from '../resolver/query.js';
import { buildApp } from '../service/app.js';
import { benchIndex } from './bulk.js';
import { publicIpOf, rng, type IspShape } from './synthetic-isp.js';

export interface BulkLookupsOptions {
  rows?: number;
  intervals?: number;
  keep?: string;
  runs?: number;
  log?: (s: string) => void;
}

interface LookupRun {
  form: 'full' | 'compact';
  rowsPerSecond: number;
  cpuUsPerRow: { node: number; redis: number };
}

const BATCH = 512;

/** The rows of loadtest/bulk.ts's upload, as queries: random address, port in a block, second. */
function queries(n: number, shape: IspShape): NormalisedQuery[] {
  const r = rng(1234);
  const span = shape.days * 86_400_000;
  const out: NormalisedQuery[] = [];
  for (let i = 0; i < n; i++) {
    const ip = publicIpOf(Math.floor(r() * shape.publicIps));
    const port = 1024 + Math.floor(r() * shape.blocksPerIp * 1024);
    const at = new Date(shape.start + Math.floor((r() * span) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    out.push(normalisedOrThrow({ ip, port, at }));
  }
  return out;
}

export async function bulkLookupsBench(o: BulkLookupsOptions = {}): Promise<{ runs: LookupRun[]; table: BenchRow[] }> {
  const rows = o.rows ?? 100_000;
  const log = o.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const index = await benchIndex(o.intervals ?? 1_000_000, o.keep, log);
  const app = await buildApp({ config: loadConfig({ WHOHAD_RETENTION_DAYS: '36500' }), redis: index.redis, logger: false });
  try {
    const qs = queries(rows, index.shape);
    const redisCpuUs = async () => (await redisCpu(index.redis)) * 1e6;
    const once = async (form: LookupRun['form']): Promise<LookupRun> => {
      const redis0 = await redisCpuUs();
      const me0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < rows; i += BATCH) {
        const batch = qs.slice(i, i + BATCH);
        if (form === 'full') await app.resolver.resolveMany(batch);
        else await app.resolver.resolveCompactMany(batch);
      }
      const secs = (performance.now() - t0) / 1000;
      const me = process.cpuUsage(me0);
      const redisUs = (await redisCpuUs()) - redis0;
      const run = {
        form, rowsPerSecond: Math.round(rows / secs),
        cpuUsPerRow: { node: Number(((me.user + me.system) / rows).toFixed(1)), redis: Number((redisUs / rows).toFixed(1)) },
      };
      log(JSON.stringify(run));
      return run;
    };
    // the first batches load the profiles and warm the code: not measured
    await app.resolver.resolveCompactMany(qs.slice(0, BATCH));
    await app.resolver.resolveMany(qs.slice(0, BATCH));
    const runs: LookupRun[] = [];
    for (let i = 0; i < (o.runs ?? 2); i++) runs.push(await once('full'), await once('compact'));
    const least = (form: LookupRun['form']) => runs.filter((r) => r.form === form).reduce((a, b) => (b.cpuUsPerRow.node < a.cpuUsPerRow.node ? b : a));
    const full = least('full');
    const compact = least('compact');
    const table: BenchRow[] = [
      {
        figure: 'bulk look-ups, compact (CSV): Node CPU a row', value: compact.cpuUsPerRow.node, unit: 'µs', target: '(beside the route)', ok: null,
        note: `Redis ${compact.cpuUsPerRow.redis} µs a row; ${compact.rowsPerSecond} rows/s; least of ${runs.length / 2}`,
      },
      {
        figure: 'bulk look-ups, full (NDJSON): Node CPU a row', value: full.cpuUsPerRow.node, unit: 'µs', target: '(beside the route)', ok: null,
        note: `Redis ${full.cpuUsPerRow.redis} µs a row; ${full.rowsPerSecond} rows/s`,
      },
    ];
    return { runs, table };
  } finally {
    await app.close();
    await index.close();
  }
}

if (process.argv[1]?.endsWith('loadtest/bulk-lookups.ts') || process.argv[1]?.endsWith('loadtest/bulk-lookups.js')) {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  const valued = new Set(['--keep', '--runs']);
  const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && valued.has(args[i - 1])));
  const out = await bulkLookupsBench({ rows: Number(positional[0] ?? 100_000), intervals: Number(positional[1] ?? 1_000_000), keep: option('--keep'), runs: Number(option('--runs') ?? 2) });
  console.log(JSON.stringify(out, null, 2));
}
