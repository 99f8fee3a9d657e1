import { verifyChain } from '../audit/read.js';
import { TokenError, TokenStore } from '../audit/tokens.js';
import { openCliStore } from './store.js';
import type { RedisClient } from '../redis/cluster.js';
import { loadConfig } from '../config.js';

/** Runs an administrative action straight against Redis (REDIS_URL, else the embedded one). */
async function withRedis<T>(fn: (store: TokenStore, redis: RedisClient) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const handle = await openCliStore(config, { command: 'whohad' });
  try {
    return await fn(new TokenStore(handle.redis), handle.redis);
  } finally {
    await handle.close();
  }
}

function failed(err: unknown): number {
  if (err instanceof TokenError) {
    process.stderr.write(`whohad token: ${err.message}\n`);
    return 1;
  }
  throw err;
}

export async function tokenCreate(o: { name: string; role: string }): Promise<number> {
  try {
    const { token, info } = await withRedis((s) => s.create(o.name, o.role.split(',').map((r) => r.trim())));
    process.stderr.write(`token for ${info.name} (${info.roles.join(', ')}), id ${info.tokenId}. It is shown only now: store it safely.\n`);
    process.stdout.write(`${token}\n`);
    return 0;
  } catch (err) {
    return failed(err);
  }
}

export async function tokenList(): Promise<number> {
  const list = await withRedis((s) => s.list());
  for (const t of list) process.stdout.write(`${t.name.padEnd(24)} ${t.tokenId}  ${t.roles.join(',').padEnd(34)} created ${t.created}\n`);
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

export async function auditVerify(): Promise<number> {
  const r = await withRedis((_s, redis) => verifyChain(redis));
  if (r.ok) {
    const chains = r.chains.map((c) => `  ${c.chain}: ${c.records} records, ${c.anchorSeq === 0 ? 'from the start' : `from the anchor after record ${c.anchorSeq}`} to record ${c.headSeq}\n`);
    process.stdout.write(`access log intact: ${r.records} records in ${r.chains.length} chain(s) verified\n${chains.join('')}`);
    return 0;
  }
  const b = r.broken!;
  process.stdout.write(`access log BROKEN at record ${b.seq ?? '?'} of chain ${b.chain ?? '?'} (stream id ${b.id}): ${b.reason}; ${r.records} records before it verified\n`);
  return 1;
}
