import type { Command } from 'commander';
import { AccessLog } from '../audit/log.js';
import { withCliStore } from './store.js';
import { cliUser } from './ingest-identity.js';
import type { RedisClient } from '../redis/cluster.js';
import { DomainError } from '../core/domain-error.js';
import { HoldStore, type Actor, type Hold } from '../retention/holds.js';
import { EXIT_CODES } from './exit-codes.js';
import { purgeAttribution, type PurgeResult } from '../retention/purge.js';
import { loadConfig, type Config } from '../config.js';

/** Straight against Redis (REDIS_URL, else the embedded one), as `whohad token` is. */
const withRedis = <T>(fn: (redis: RedisClient, log: AccessLog, config: Config) => Promise<T>): Promise<T> => withCliStore('whohad', fn);

/** A refused hold is one line on stderr and its code's exit status; anything else is not ours to word. */
function failed(err: unknown): number {
  if (err instanceof DomainError) {
    process.stderr.write(`whohad hold: ${err.text}\n`);
    return EXIT_CODES[err.code];
  }
  throw err;
}

const actor = (command: string): Actor => ({ user: cliUser(), tokenId: null, client: null, route: `whohad ${command}` });

export function purgeReport(r: PurgeResult): string {
  const verb = r.dryRun ? 'would remove' : 'removed';
  return [
    `${verb} ${r.records} records that ended before ${r.endedBefore} (retention cutoff ${r.cutoff}, less the query margin), from buckets before ${r.bucketsBefore}`,
    `${r.buckets} expired bucket keys read on ${r.chains} chains of ${r.addresses} addresses; ${r.keysDeleted} keys ${r.dryRun ? 'would be emptied' : 'emptied'}`,
    `kept: ${r.keptByHold} by legal holds (${r.holds.length} applied${r.holds.length ? `: ${r.holds.join(', ')}` : ''}), ${r.keptLive} still running past the cutoff`,
  ].join('\n');
}

export async function purgeCommand(o: { dryRun?: boolean }): Promise<number> {
  const r = await withRedis((redis, log, config) =>
    purgeAttribution({
      redis, cutoffMs: Date.now() - config.retentionDays * 86_400_000, holds: new HoldStore(redis), dryRun: o.dryRun ?? false, log, user: cliUser(),
      directVrf: config.directVrf,
    }),
  );
  process.stdout.write(`${purgeReport(r)}\n`);
  return 0;
}

function holdLine(h: Hold): string {
  const scope = [...h.scope.publicIps.map((ip) => `ip ${ip}`), ...h.scope.subscribers.map((s) => `subscriber ${s}`)].join(', ');
  const state = h.lifted ? `lifted ${h.lifted.at} by ${h.lifted.by}` : 'ACTIVE';
  return `${h.id}  ${state.padEnd(8)}  case ${h.case}  ${h.scope.from} .. ${h.scope.to}  ${scope}  (by ${h.createdBy} ${h.created})${h.reason ? `  "${h.reason}"` : ''}`;
}

export async function holdCreate(o: { case: string; subscriber: string[]; ip: string[]; from: string; to: string; reason?: string }): Promise<number> {
  try {
    const h = await withRedis((redis, log) =>
      new HoldStore(redis).create({ case: o.case, subscribers: o.subscriber, publicIps: o.ip, from: o.from, to: o.to, reason: o.reason }, actor('hold create'), log),
    );
    process.stdout.write(`${h.id}\n`);
    process.stderr.write(`hold placed: ${holdLine(h)}\n`);
    return 0;
  } catch (err) {
    return failed(err);
  }
}

export async function holdList(o: { all?: boolean }): Promise<number> {
  const all = await withRedis((redis) => new HoldStore(redis).list());
  const shown = o.all ? all : all.filter((h) => h.lifted === null);
  for (const h of shown) process.stdout.write(`${holdLine(h)}\n`);
  if (shown.length === 0) process.stderr.write(o.all ? 'no holds\n' : 'no active holds (--all lists lifted ones too)\n');
  return 0;
}

export async function holdLift(id: string, o: { reason?: string }): Promise<number> {
  try {
    const h = await withRedis((redis, log) => new HoldStore(redis).lift(id, actor('hold lift'), log, o.reason));
    process.stdout.write(`lifted ${h.id} (case ${h.case}); the next purge removes what only it kept\n`);
    return 0;
  } catch (err) {
    return failed(err);
  }
}

const many = (v: string, prev: string[]) => [...prev, v];

/** `whohad purge` and `whohad hold …`. */
export function registerRetentionCommands(program: Command): void {
  program
    .command('purge')
    .description('remove attribution records older than WHOHAD_RETENTION_DAYS, except what legal holds keep; recorded in the access log (docs/retention.md)')
    .option('--dry-run', 'count what would go; remove and record nothing')
    .action(async (o) => {
      process.exitCode = await purgeCommand(o);
    });

  const hold = program.command('hold').description('legal holds: keep the records of a case past retention');
  hold
    .command('create')
    .description('place a hold; prints its id')
    .requiredOption('--case <ref>', 'case reference')
    .option('--subscriber <id>', 'subscriber id whose leases to keep (repeatable)', many, [])
    .option('--ip <address>', 'public address whose NAT records and the leases behind them to keep (repeatable)', many, [])
    .requiredOption('--from <time>', 'ISO 8601 instant with Z or an offset')
    .requiredOption('--to <time>', 'ISO 8601 instant with Z or an offset')
    .option('--reason <text>', 'why')
    .action(async (o) => {
      process.exitCode = await holdCreate(o);
    });
  hold
    .command('list')
    .description('list active holds')
    .option('--all', 'lifted ones too')
    .action(async (o) => {
      process.exitCode = await holdList(o);
    });
  hold
    .command('lift')
    .description('lift a hold (kept, marked lifted); the next purge removes what only it kept')
    .argument('<id>')
    .option('--reason <text>', 'why the hold ends')
    .action(async (id, o) => {
      process.exitCode = await holdLift(id, o);
    });
}
