import { createHash } from 'node:crypto';
import { DomainError } from '../core/domain-error.js';
import type { ForwardAnswer, ReverseAnswer } from './lookup.js';
import type { VersionView } from './versions.js';

/** Who acts, as the access log names them. */
export interface NatConfigActor {
  user: string;
  tokenId: string | null;
  client: string | null;
  /** The route or command, e.g. `POST /v1/nat-configs` or `whohad natconfig import`. */
  route: string;
}

/**
 * The access-log record of an action on the configuration history: an entry (a change) or a
 * forward / reverse (which names an inside holder, a step towards a subscriber). The shape is
 * the access log's own (audit/log.ts AuditEntry); it is built here so the service and the CLI
 * record the same thing.
 */
export interface NatConfigRecord {
  kind: 'natconfig';
  time: string;
  user: string;
  tokenId: string | null;
  client: string | null;
  route: string;
  query?: Record<string, unknown>;
  disclosed: string[];
  details: Record<string, unknown>;
}

const base = (actor: NatConfigActor, now: number) => ({ kind: 'natconfig' as const, time: new Date(now).toISOString(), user: actor.user, tokenId: actor.tokenId, client: actor.client, route: actor.route, disclosed: [] });

/** An entered version: everything but the text itself, which its hash stands for. */
export function entryRecord(actor: NatConfigActor, v: VersionView, now = Date.now()): NatConfigRecord {
  return {
    ...base(actor, now),
    details: {
      action: 'import', id: v.id, instance: v.instance, version: v.version, format: v.format, validFrom: v.validFrom, validTo: v.validTo, supersedes: v.supersedes,
      origin: v.origin, claims: v.claims, textSha256: createHash('sha256').update(v.text).digest('hex'),
    },
  };
}

/** What a forward or reverse answered: the versions used and the inside holder each gave, or that none applied. */
const outcome = (a: ForwardAnswer | ReverseAnswer | null) =>
  a === null ? { outcome: 'not_found' } : { outcome: 'answered', versions: a.answers.map((x) => ({ id: x.id, version: x.version, inside: x.mapping?.inside ?? null })) };

/** A forward, answered or not: the question alone says which inside address was of interest. */
export function forwardRecord(actor: NatConfigActor, q: Record<string, unknown>, a: ForwardAnswer | null, now = Date.now()): NatConfigRecord {
  return { ...base(actor, now), query: q, details: { action: 'forward', ...outcome(a) } };
}

/** A reverse, answered or not: the question alone says which public address and port was of interest. */
export function reverseRecord(actor: NatConfigActor, q: Record<string, unknown>, a: ReverseAnswer | null, now = Date.now()): NatConfigRecord {
  return { ...base(actor, now), query: q, details: { action: 'reverse', ...outcome(a), ...(a ? { conflict: a.conflict } : {}) } };
}

/**
 * Runs a forward or reverse and records it before its answer is given: a not_found is recorded
 * too (then rethrown); a question that could not be read is not, as nothing was looked up.
 */
export async function recordedAnswer<A extends ForwardAnswer | ReverseAnswer>(
  compute: () => Promise<A>,
  recordOf: (a: A | null) => NatConfigRecord,
  append: (r: NatConfigRecord) => Promise<unknown>,
): Promise<A> {
  let answer: A | null;
  try {
    answer = await compute();
  } catch (err) {
    if (!(err instanceof DomainError && err.code === 'not_found')) throw err;
    await appendOrRefuse(append, recordOf(null));
    throw err;
  }
  await appendOrRefuse(append, recordOf(answer));
  return answer;
}

async function appendOrRefuse(append: (r: NatConfigRecord) => Promise<unknown>, r: NatConfigRecord): Promise<void> {
  try {
    await append(r);
  } catch {
    throw new DomainError('access_log_unavailable', 'the access log could not be written, so nothing is answered; try again shortly');
  }
}
