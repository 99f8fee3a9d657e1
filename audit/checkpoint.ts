import type { Cluster, Redis } from 'ioredis';
import { keyIdOf, verifyWith, type SigningKey } from '../core/signing-key.js';
import { canonicalJson } from './canonical.js';
import { formatPoint } from './log.js';
import { pointKey, walkLog, type VerifyResult } from './read.js';

export const CHECKPOINT_FORMAT = 'whohad-audit-checkpoint/1';

export interface CheckpointChain {
  chain: string;
  /** Where the records kept start: the record before the oldest one ("seq hash"; seq 0 at the very start). */
  anchor: string;
  /** The oldest record kept and the newest, by seq, hash and stream id. */
  first: { seq: number; hash: string; id: string } | null;
  head: { seq: number; hash: string; id: string | null };
  records: number;
}

/** What the log held at one moment, signed by the installation's key, to be kept outside Redis. */
export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  time: string;
  records: number;
  lastId: string | null;
  chains: CheckpointChain[];
  keyId: string;
  publicKey: string;
  signature: string;
}

export class CheckpointError extends Error {}

const signed = (c: Omit<Checkpoint, 'signature'>) => canonicalJson(c);

/**
 * A checkpoint of the log as it is now: each chain's anchor, oldest and newest record, and the
 * counts. Made only of a log that verifies: a checkpoint vouches for what it saw.
 */
export async function makeCheckpoint(redis: Redis | Cluster, key: SigningKey, now = Date.now()): Promise<Checkpoint> {
  const walk = await walkLog(redis);
  if (!walk.result.ok) {
    const b = walk.result.broken!;
    throw new CheckpointError(`the access log does not verify (record ${b.seq ?? '?'} of chain ${b.chain ?? '?'}: ${b.reason}); no checkpoint is made of it`);
  }
  const chains = [...walk.chains]
    .map(([chain, w]): CheckpointChain => ({ chain, anchor: formatPoint(w.anchor), first: w.first, head: { ...w.at, id: w.lastId }, records: w.records }))
    .sort((a, b) => (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : 0));
  const body = { format: CHECKPOINT_FORMAT, time: new Date(now).toISOString(), records: walk.result.records, lastId: walk.lastId, chains, keyId: key.id, publicKey: key.publicKeyPem } as const;
  return { ...body, signature: key.sign(Buffer.from(signed(body), 'utf8')).toString('base64') };
}

/** Reads a checkpoint file's text, or says why it is not one. */
export function parseCheckpoint(text: string): Checkpoint {
  let c: Checkpoint;
  try {
    c = JSON.parse(text) as Checkpoint;
  } catch (err) {
    throw new CheckpointError(`not JSON (${(err as Error).message})`);
  }
  if (c === null || typeof c !== 'object' || c.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`not a checkpoint of the access log (format ${CHECKPOINT_FORMAT})`);
  if (!Array.isArray(c.chains) || typeof c.signature !== 'string' || typeof c.publicKey !== 'string' || typeof c.keyId !== 'string') {
    throw new CheckpointError('the checkpoint lacks chains, key or signature');
  }
  return c;
}

export interface CheckpointVerdict {
  /** The log verifies in itself and nothing the checkpoint saw was cut or rewritten. */
  ok: boolean;
  /** The log's own verification. */
  log: VerifyResult;
  /** Whose key the signature was checked with: the installation's, or only the one the file carries. */
  key: 'installation' | 'checkpoint';
  keyId: string;
  /** What does not agree with the checkpoint, one line each. */
  problems: string[];
  /** Purges since the checkpoint that account for records gone from the start. */
  purgedSince: number;
}

export interface CheckOptions {
  /** The installation's key id when known: the checkpoint must be signed by it. */
  installationKeyId: string | null;
  /** The access log's retention (WHOHAD_AUDIT_RETENTION_DAYS): a purge can drop nothing younger. */
  retentionDays: number;
  now?: number;
}

const msOfId = (id: string) => Number(id.split('-')[0]);

/**
 * Checks the log against a checkpoint kept outside Redis. The chains' links prove each record
 * from its anchor to its head; the checkpoint proves the anchor and the head: every record the
 * checkpoint saw must still be there with the same hash, except those a purge recorded in the log
 * dropped after the access log's retention, and each chain must reach at least the checkpoint's
 * head. So records cut from the start (with the anchor moved to hide it), cut from the end (with
 * the head moved back), or rewritten (with every hash after them recomputed) are all found.
 */
export async function checkAgainst(redis: Redis | Cluster, c: Checkpoint, o: CheckOptions): Promise<CheckpointVerdict> {
  const problems: string[] = [];
  const { signature, ...body } = c;
  const key: CheckpointVerdict['key'] = o.installationKeyId === null ? 'checkpoint' : 'installation';
  if (keyIdOf(c.publicKey) !== c.keyId) problems.push('the checkpoint names a key id that is not that of the key it carries');
  else if (o.installationKeyId !== null && c.keyId !== o.installationKeyId) problems.push(`the checkpoint is signed by key ${c.keyId}, not by this installation's key ${o.installationKeyId}`);
  if (!verifyWith(c.publicKey, Buffer.from(signed(body), 'utf8'), Buffer.from(signature, 'base64'))) problems.push('the signature does not match the checkpoint (the file was altered, or not signed by its key)');

  const wanted = new Set(c.chains.flatMap((ch) => [pointKey(ch.chain, ch.head.seq), ...(ch.first ? [pointKey(ch.chain, ch.first.seq)] : [])]));
  const walk = await walkLog(redis, wanted);
  const now = o.now ?? Date.now();
  const retentionMs = o.retentionDays * 86_400_000;
  const checkpointMs = Date.parse(c.time);
  // a purge counts only if written after the checkpoint, not in the future, and no younger than retention allows
  const purges = walk.purges.filter((p) => {
    const t = Date.parse(p.time);
    const before = Date.parse(p.before);
    return t >= checkpointMs && t <= now && msOfId(p.id) <= now && t - before >= retentionMs - 1000;
  });
  let purgedSince = 0;
  for (const ch of c.chains) {
    const w = walk.chains.get(ch.chain);
    const anchorSeq = w?.anchor.seq ?? 0;
    const headSeq = w?.at.seq ?? 0;
    const name = JSON.stringify(ch.chain);
    if (headSeq < ch.head.seq) {
      problems.push(`chain ${name}: records ${headSeq + 1} to ${ch.head.seq} were cut from the end since the checkpoint`);
      continue;
    }
    // the checkpoint's head, if still kept, must be the same record; if purged, the anchor at it must be
    const atHead = ch.head.seq > anchorSeq ? walk.found.get(pointKey(ch.chain, ch.head.seq)) : ch.head.seq === anchorSeq ? w?.anchor.hash : undefined;
    if (atHead !== undefined && atHead !== ch.head.hash) {
      problems.push(`chain ${name}: record ${ch.head.seq} was rewritten since the checkpoint (its hash differs)`);
      continue;
    }
    if (!ch.first) continue;
    if (anchorSeq + 1 < ch.first.seq) {
      problems.push(`chain ${name}: records ${anchorSeq + 1} to ${ch.first.seq - 1}, gone when the checkpoint was made, are back`);
    } else if (anchorSeq + 1 === ch.first.seq) {
      if (walk.found.get(pointKey(ch.chain, ch.first.seq)) !== undefined && walk.found.get(pointKey(ch.chain, ch.first.seq)) !== ch.first.hash) {
        problems.push(`chain ${name}: record ${ch.first.seq} was rewritten since the checkpoint (its hash differs)`);
      }
    } else {
      const anchor = formatPoint(w!.anchor);
      const by = purges.find((p) => p.anchors[ch.chain] === anchor && msOfId(ch.first!.id) < Date.parse(p.before));
      if (by) purgedSince++;
      else problems.push(`chain ${name}: records ${ch.first.seq} to ${anchorSeq} were cut from the start since the checkpoint; no purge past the retention of ${o.retentionDays} days accounts for them`);
    }
  }
  return { ok: walk.result.ok && problems.length === 0, log: walk.result, key, keyId: c.keyId, problems, purgedSince };
}
