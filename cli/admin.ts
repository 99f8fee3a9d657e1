import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { checkAgainst, CheckpointError, makeCheckpoint, parseCheckpoint, type CheckpointVerdict } from '../audit/checkpoint.js';
import { AccessLog } from '../audit/log.js';
import { verifyChain, type VerifyResult } from '../audit/read.js';
import { TokenError, TokenStore } from '../audit/tokens.js';
import { existingSigningKey, loadSigningKey, SigningKeyError } from '../core/signing-key.js';
import { withCliStore } from './store.js';
import type { RedisClient } from '../redis/cluster.js';
import { loadConfig, type Config } from '../config.js';

/** Runs an administrative action straight against Redis (REDIS_URL, else the embedded one). */
function withRedis<T>(fn: (store: TokenStore, redis: RedisClient, config: Config) => Promise<T>): Promise<T> {
  return withCliStore('whohad', (redis, _log, config) => fn(new TokenStore(redis), redis, config));
}

function failed(err: unknown): number {
  if (err instanceof TokenError) {
    process.stderr.write(`whohad token: ${err.message}\n`);
    return 1;
  }
  if (err instanceof CheckpointError || err instanceof SigningKeyError) {
    process.stderr.write(`whohad audit: ${err.message}\n`);
    return 1;
  }
  throw err;
}

/**
 * Reading the access log from the command line is recorded like an auditor's read over the API,
 * in a chain of the host's command line (`<instance>/cli`).
 */
async function recordRead(redis: RedisClient, config: Config, what: string, details: Record<string, unknown>): Promise<void> {
  const user = process.env.SUDO_USER || process.env.USER || null;
  await new AccessLog(redis, `${config.instance}/cli`).append({
    kind: 'audit-read', time: new Date().toISOString(), user: user ? `os:${user}` : null, tokenId: null, client: 'cli', route: `whohad audit ${what}`, disclosed: [], details,
  });
}

export async function tokenCreate(o: { name: string; role: string; sources?: string }): Promise<number> {
  try {
    const roles = o.role.split(',').map((r) => r.trim());
    // an ingest token names what it may write: the sources, or * on purpose
    if (roles.includes('ingest') && o.sources === undefined) {
      throw new TokenError('an ingest token needs --sources NAME,NAME (the source names it may store events under), or --sources "*" for any');
    }
    const sources = o.sources === undefined ? undefined : o.sources.split(',').map((x) => x.trim());
    const { token, info } = await withRedis((s) => s.create(o.name, roles, sources));
    const bound = info.sources === null ? '' : `, sources ${info.sources.join(', ')}`;
    process.stderr.write(`token for ${info.name} (${info.roles.join(', ')}${bound}), id ${info.tokenId}. It is shown only now: store it safely.\n`);
    process.stdout.write(`${token}\n`);
    return 0;
  } catch (err) {
    return failed(err);
  }
}

export async function tokenList(): Promise<number> {
  const list = await withRedis((s) => s.list());
  for (const t of list) {
    const sources = t.roles.includes('ingest') ? `  sources ${t.sources === null ? '*' : t.sources.join(',')}` : '';
    process.stdout.write(`${t.name.padEnd(24)} ${t.tokenId}  ${t.roles.join(',').padEnd(34)} created ${t.created}${sources}\n`);
  }
  if (list.length === 0) process.stderr.write('no tokens; create one with: whohad token create --name NAME --role investigator\n');
  return 0;
}

export async function tokenRevoke(name: string): Promise<number> {
  try {
    const t = await withRedis((s) => s.revoke(name));
    process.stdout.write(`revoked ${t.name} (${t.tokenId}) at ${t.revoked}; it is refused from the next request on\n`);
    return 0;
  } catch (err) {
    return failed(err);
  }
}

function printLog(r: VerifyResult): void {
  if (r.ok) {
    const chains = r.chains.map((c) => `  ${c.chain}: ${c.records} records, ${c.anchorSeq === 0 ? 'from the start' : `from the anchor after record ${c.anchorSeq}`} to record ${c.headSeq}\n`);
    process.stdout.write(`access log intact: ${r.records} records in ${r.chains.length} chain(s) verified\n${chains.join('')}`);
    return;
  }
  const b = r.broken!;
  process.stdout.write(`access log BROKEN at record ${b.seq ?? '?'} of chain ${b.chain ?? '?'} (stream id ${b.id}): ${b.reason}; ${r.records} records before it verified\n`);
}

function printVerdict(v: CheckpointVerdict, file: string): void {
  const key = v.key === 'installation' ? `this installation's key ${v.keyId}` : `the key it carries, ${v.keyId} (no installation key here: compare that id with the one you keep)`;
  for (const p of v.problems) process.stdout.write(`checkpoint ${file}: ${p}\n`);
  if (v.problems.length === 0) {
    const purged = v.purgedSince ? `; ${v.purgedSince} chain(s) purged since, past retention, as the log records` : '';
    process.stdout.write(`checkpoint ${file} (signed by ${key}): nothing it saw was cut or rewritten${purged}\n`);
  }
}

/** `whohad audit verify [--checkpoint FILE]`: exit 0 only when the log verifies (and agrees with the checkpoint). */
export async function auditVerify(o: { checkpoint?: string } = {}): Promise<number> {
  try {
    const checkpoint = o.checkpoint === undefined ? null : parseCheckpoint(readCheckpointFile(o.checkpoint));
    return await withRedis(async (_s, redis, config) => {
      if (checkpoint === null) {
        const r = await verifyChain(redis);
        printLog(r);
        await recordRead(redis, config, 'verify', { records: r.records, ok: r.ok });
        return r.ok ? 0 : 1;
      }
      const v = await checkAgainst(redis, checkpoint, { installationKeyId: existingSigningKey(config)?.id ?? null, retentionDays: config.auditRetentionDays });
      printLog(v.log);
      printVerdict(v, o.checkpoint!);
      await recordRead(redis, config, 'verify', { records: v.log.records, ok: v.ok, checkpoint: checkpoint.time });
      return v.ok ? 0 : 1;
    });
  } catch (err) {
    return failed(err);
  }
}

function readCheckpointFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CheckpointError(`cannot read the checkpoint ${path} (${(err as Error).message})`);
  }
}

/** `whohad audit checkpoint [--out FILE]`: a signed checkpoint of the log, to keep outside Redis. */
export async function auditCheckpoint(o: { out?: string } = {}): Promise<number> {
  if (o.out && existsSync(o.out)) {
    process.stderr.write(`whohad audit: ${o.out} exists; a checkpoint is never written over another\n`);
    return 1;
  }
  try {
    return await withRedis(async (_s, redis, config) => {
      const key = loadSigningKey(config);
      const c = await makeCheckpoint(redis, key);
      await recordRead(redis, config, 'checkpoint', { records: c.records, keyId: c.keyId });
      const text = `${JSON.stringify(c, null, 2)}\n`;
      if (o.out) writeFileSync(o.out, text, { flag: 'wx' });
      else process.stdout.write(text);
      process.stderr.write(`checkpoint of ${c.records} records in ${c.chains.length} chain(s) at ${c.time}, signed by key ${c.keyId}${o.out ? `, written to ${o.out}` : ''}: keep it outside Redis\n`);
      return 0;
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      process.stderr.write(`whohad audit: ${o.out} exists; a checkpoint is never written over another\n`);
      return 1;
    }
    return failed(err);
  }
}
