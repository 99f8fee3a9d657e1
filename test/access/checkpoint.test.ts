import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkAgainst, makeCheckpoint, parseCheckpoint, type Checkpoint } from '../../audit/checkpoint.js';
import { canonicalJson } from '../../audit/canonical.js';
import { AccessLog, auditKeys, formatPoint, recordHash, type AuditRecord } from '../../audit/log.js';
import { purgeAccessLog } from '../../audit/purge.js';
import { verifyChain } from '../../audit/read.js';
import { auditCheckpoint, auditVerify } from '../../cli/admin.js';
import { existingSigningKey, keyIdOf, loadSigningKey, SIGNING_KEY_FILE, SigningKeyError, verifyWith } from '../../core/signing-key.js';
import { testRedis } from '../helpers/redis.js';
import { runCommand } from '../helpers/cli-output.js';

let redis: Awaited<ReturnType<typeof testRedis>>['redis'];
let url: string;
const dataDir = mkdtempSync(join(tmpdir(), 'whohad-checkpoint-'));
const key = loadSigningKey({ dataDir: dataDir, signingKey: null });
const CHAIN = 'host-a';

beforeAll(async () => {
  ({ redis, url } = await testRedis());
});

afterEach(() => vi.unstubAllEnvs());

async function fill(n: number, chain = CHAIN): Promise<void> {
  const log = new AccessLog(redis, chain);
  for (let i = 0; i < n; i++) {
    await log.append({ kind: 'lookup', time: new Date().toISOString(), user: 'ivy', tokenId: 'abcdefabcdef', client: '192.0.2.1', case: `C-${i}`, disclosed: [`sub-${i}`] });
  }
}

async function rows(): Promise<Array<[string, AuditRecord]>> {
  return (await redis.xrange(auditKeys.log, '-', '+')).map(([id, f]) => [id, JSON.parse(f[1]) as AuditRecord]);
}

const check = (c: Checkpoint, o: { now?: number; retentionDays?: number } = {}) =>
  checkAgainst(redis, c, { installationKeyId: key.id, retentionDays: o.retentionDays ?? 1826, now: o.now });

async function reset(n: number): Promise<Checkpoint> {
  await redis.flushdb();
  await fill(n);
  return makeCheckpoint(redis, key);
}

describe('the installation signing key', () => {
  it('is made once under the data directory, readable by its owner only, and named by the hash of its public key', () => {
    const path = join(dataDir, SIGNING_KEY_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadSigningKey({ dataDir: dataDir, signingKey: null }).id).toBe(key.id);
    expect(key.id).toBe(keyIdOf(key.publicKeyPem));
    expect(key.id).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyWith(key.publicKeyPem, Buffer.from('text'), key.sign(Buffer.from('text')))).toBe(true);
    expect(verifyWith(key.publicKeyPem, Buffer.from('texT'), key.sign(Buffer.from('text')))).toBe(false);
    // WHOHAD_SIGNING_KEY as the PEM itself or as its path
    const pem = readFileSync(path, 'utf8');
    expect(existingSigningKey({ dataDir: '/nonexistent', signingKey: pem })!.id).toBe(key.id);
    expect(existingSigningKey({ dataDir: '/nonexistent', signingKey: path })!.id).toBe(key.id);
    expect(existingSigningKey({ dataDir: mkdtempSync(join(tmpdir(), 'whohad-nokey-')), signingKey: null })).toBeNull();
    expect(() => existingSigningKey({ dataDir: dataDir, signingKey: '/nonexistent/key.pem' })).toThrow(/WHOHAD_SIGNING_KEY: no file/);
    expect(() => existingSigningKey({ dataDir: dataDir, signingKey: '-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----' })).toThrow(SigningKeyError);
  });
});

describe('a signed checkpoint of the access log', () => {
  it('finds records 1-40 cut from the start with the anchor forged to match, which verify alone cannot', async () => {
    const c = await reset(50);
    const all = await rows();
    await redis.xdel(auditKeys.log, ...all.slice(0, 40).map(([id]) => id));
    await redis.hset(auditKeys.anchors, CHAIN, formatPoint(all[39][1]));
    expect((await verifyChain(redis)).ok).toBe(true);
    const v = await check(c);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([`chain "${CHAIN}": records 1 to 40 were cut from the start since the checkpoint; no purge past the retention of 1826 days accounts for them`]);
  });

  it('is not fooled by a forged purge record appended to hide the cut', async () => {
    const c = await reset(50);
    const all = await rows();
    await redis.xdel(auditKeys.log, ...all.slice(0, 40).map(([id]) => id));
    await redis.hset(auditKeys.anchors, CHAIN, formatPoint(all[39][1]));
    // the attacker knows the chaining: a well-formed purge record claiming records older than retention went
    const last = all[49][1];
    const body = {
      kind: 'purge', time: new Date().toISOString(), user: null, tokenId: null, client: null, disclosed: [],
      details: { log: 'access', before: new Date(Date.now() - 1826 * 86_400_000).toISOString(), records: 40, anchors: { [CHAIN]: formatPoint(all[39][1]) } },
      chain: CHAIN, seq: 51, prev: last.hash,
    } as const;
    const forged = { ...body, hash: recordHash(body as unknown as AuditRecord) };
    await redis.xadd(auditKeys.log, '*', 'r', canonicalJson(forged));
    await redis.hset(auditKeys.heads, CHAIN, formatPoint(forged));
    expect((await verifyChain(redis)).ok).toBe(true);
    const v = await check(c);
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatch(/records 1 to 40 were cut from the start/);
  });

  it('finds records cut from the end with the head moved back', async () => {
    const c = await reset(50);
    const all = await rows();
    await redis.xdel(auditKeys.log, ...all.slice(45).map(([id]) => id));
    await redis.hset(auditKeys.heads, CHAIN, formatPoint(all[44][1]));
    expect((await verifyChain(redis)).ok).toBe(true);
    expect((await check(c)).problems).toEqual([`chain "${CHAIN}": records 46 to 50 were cut from the end since the checkpoint`]);
  });

  it('finds a chain rewritten from record 10 on with every hash recomputed and new records after', async () => {
    const c = await reset(20);
    const all = await rows();
    await redis.del(auditKeys.log);
    let prev = '';
    for (const [, r] of all.slice(0, 9)) {
      await redis.xadd(auditKeys.log, '*', 'r', canonicalJson(r));
      prev = r.hash;
    }
    let head = '';
    for (let seq = 10; seq <= 25; seq++) {
      const body = { kind: 'lookup', time: new Date().toISOString(), user: 'someone-else', tokenId: null, client: null, disclosed: [], chain: CHAIN, seq, prev };
      const hash = recordHash(body as unknown as AuditRecord);
      await redis.xadd(auditKeys.log, '*', 'r', canonicalJson({ ...body, hash }));
      prev = hash;
      head = formatPoint({ seq, hash });
    }
    await redis.hset(auditKeys.heads, CHAIN, head);
    expect((await verifyChain(redis)).ok).toBe(true);
    expect((await check(c)).problems).toEqual([`chain "${CHAIN}": record 20 was rewritten since the checkpoint (its hash differs)`]);
  });

  it('passes a log that only grew, and one purged past retention as the purge record says', async () => {
    const c = await reset(10);
    await fill(5);
    await fill(3, 'host-b');
    let v = await check(c);
    expect(v).toMatchObject({ ok: true, problems: [], key: 'installation', keyId: key.id, purgedSince: 0 });
    const all = await rows();
    // everything up to the checkpoint's head is older than the (one-day) retention then
    const boundary = Number(all[9][0].split('-')[0]) + 1;
    const now = boundary + 86_400_000;
    expect(await purgeAccessLog(redis, new AccessLog(redis, CHAIN), 1, now)).toBeGreaterThanOrEqual(10);
    v = await check(c, { now, retentionDays: 1 });
    expect(v.problems).toEqual([]);
    expect(v).toMatchObject({ ok: true, purgedSince: 1 });
    // the same purge is not enough where the retention is longer than it claims
    expect((await check(c, { now, retentionDays: 2 })).problems[0]).toMatch(/were cut from the start/);
  });

  it('refuses a checkpoint altered after signing, or signed by another key', async () => {
    const c = await reset(5);
    const altered = { ...c, chains: c.chains.map((ch) => ({ ...ch, head: { ...ch.head, seq: 4 } })) };
    expect((await check(altered)).problems).toContain('the signature does not match the checkpoint (the file was altered, or not signed by its key)');
    const other = loadSigningKey({ dataDir: mkdtempSync(join(tmpdir(), 'whohad-other-')), signingKey: null });
    const foreign = await makeCheckpoint(redis, other);
    expect((await check(foreign)).problems).toEqual([`the checkpoint is signed by key ${other.id}, not by this installation's key ${key.id}`]);
    expect(() => parseCheckpoint('{"format":"x"}')).toThrow(/not a checkpoint/);
    expect(() => parseCheckpoint('nope')).toThrow(/not JSON/);
  });

  it('is not made of a log that does not verify', async () => {
    await reset(5);
    const all = await rows();
    await redis.xdel(auditKeys.log, all[2][0]);
    await expect(makeCheckpoint(redis, key)).rejects.toThrow(/does not verify \(record 4 of chain "?host-a"?: records 3 to 3 are missing\)/);
  });
});

describe('whohad audit checkpoint and whohad audit verify --checkpoint', () => {
  const run = runCommand;

  it('exports a checkpoint for safe keeping, verifies against it, and records both reads', async () => {
    await reset(45);
    vi.stubEnv('REDIS_URL', url);
    vi.stubEnv('WHOHAD_DATA_DIR', dataDir);
    vi.stubEnv('WHOHAD_INSTANCE', 'admin-host');
    const file = join(mkdtempSync(join(tmpdir(), 'whohad-cp-')), 'checkpoint.json');
    const made = await run(() => auditCheckpoint({ out: file }));
    expect(made.code).toBe(0);
    expect(made.err).toMatch(new RegExp(`checkpoint of 45 records in 1 chain\\(s\\) .*signed by key ${key.id}, written to`));
    expect(parseCheckpoint(readFileSync(file, 'utf8')).chains[0]).toMatchObject({ chain: CHAIN, anchor: `0 ${'0'.repeat(64)}`, first: { seq: 1 }, head: { seq: 45 }, records: 45 });
    expect((await run(() => auditCheckpoint({ out: file }))).code).toBe(1);

    const good = await run(() => auditVerify({ checkpoint: file }));
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/nothing it saw was cut or rewritten/);

    const all = await rows();
    await redis.xdel(auditKeys.log, ...all.slice(0, 40).map(([id]) => id));
    await redis.hset(auditKeys.anchors, CHAIN, formatPoint(all[39][1]));
    expect((await run(() => auditVerify())).code).toBe(0);
    const bad = await run(() => auditVerify({ checkpoint: file }));
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/records 1 to 40 were cut from the start since the checkpoint/);

    const reads = (await rows()).map(([, r]) => r).filter((r) => r.kind === 'audit-read');
    expect(reads.map((r) => [r.chain, r.route])).toEqual([
      ['admin-host/cli', 'whohad audit checkpoint'], ['admin-host/cli', 'whohad audit verify'], ['admin-host/cli', 'whohad audit verify'], ['admin-host/cli', 'whohad audit verify'],
    ]);
    writeFileSync(file + '.bad', 'not json');
    const unreadable = await run(() => auditVerify({ checkpoint: file + '.bad' }));
    expect(unreadable).toMatchObject({ code: 1 });
    expect(unreadable.err).toMatch(/whohad audit: not JSON/);
  });
});
