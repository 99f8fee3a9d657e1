import { createHash } from 'node:crypto';
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

const used = (a: ForwardAnswer | ReverseAnswer) => a.answers.map((x) => ({ id: x.id, version: x.version, inside: x.mapping?.inside ?? null }));

export function forwardRecord(actor: NatConfigActor, q: Record<string, unknown>, a: ForwardAnswer, now = Date.now()): NatConfigRecord {
  return { ...base(actor, now), query: q, details: { action: 'forward', instance: a.instance, inside: a.inside, at: a.at, versions: used(a) } };
}

export function reverseRecord(actor: NatConfigActor, q: Record<string, unknown>, a: ReverseAnswer, now = Date.now()): NatConfigRecord {
  return { ...base(actor, now), query: q, details: { action: 'reverse', ip: a.ip, port: a.port, at: a.at, conflict: a.conflict, versions: used(a) } };
}
