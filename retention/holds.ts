import { DomainError } from '../core/domain-error.js';
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { AccessLog, AuditEntry } from '../audit/log.js';
import { canonicalIp } from '../core/ip.js';
import { parseIsoInstant } from '../core/time.js';

/** Every legal hold ever made, id → JSON; lifted holds stay, marked, so the record is whole. */
export const HOLDS_KEY = '{whohad}:holds';

export interface HoldScope {
  subscribers: string[];
  publicIps: string[];
  /** ISO 8601 instants, inclusive. */
  from: string;
  to: string;
}

export interface Hold {
  id: string;
  case: string;
  reason: string | null;
  scope: HoldScope;
  created: string;
  createdBy: string;
  lifted: { at: string; by: string; reason: string | null } | null;
}

export interface HoldInput {
  case: string;
  subscribers?: string[];
  publicIps?: string[];
  from: string;
  to: string;
  reason?: string;
}

/** Who acts, for the access log. */
export interface Actor {
  user: string;
  tokenId: string | null;
  client: string | null;
  /** The route or command, e.g. `POST /v1/holds` or `whohad hold create`. */
  route: string;
}

// the same rule the access log's case and purpose fields follow: they end up in its CSV export
const CONTROL = /[\u0000-\u001f\u007f]/;

function text(name: string, v: string, max: number): string {
  if (v.length === 0 || v.length > max) throw new DomainError('bad_parameter', `must be 1 to ${max} characters`, name);
  if (CONTROL.test(v)) throw new DomainError('bad_parameter', 'must not contain control characters (newlines included)', name);
  return v;
}

function instant(name: string, v: string): number {
  const ms = parseIsoInstant(v);
  if (ms === null) throw new DomainError('bad_time', `${JSON.stringify(v)} is not an ISO 8601 instant with Z or an offset`, name);
  return ms;
}

/** Checks a request for a hold and puts it in the one form that is stored and compared. */
export function normaliseHold(input: HoldInput): Pick<Hold, 'case' | 'reason' | 'scope'> {
  const subscribers = [...new Set((input.subscribers ?? []).map((s) => text('subscribers', s, 128)))];
  const publicIps = [
    ...new Set(
      (input.publicIps ?? []).map((s) => {
        const ip = canonicalIp(s);
        if (!ip) throw new DomainError('bad_ip', `${JSON.stringify(s)} is not an IPv4 or IPv6 address`, 'publicIps');
        return ip;
      }),
    ),
  ];
  if (subscribers.length === 0 && publicIps.length === 0) {
    throw new DomainError('bad_parameter', 'a hold needs at least one subscriber id or public address', 'subscribers, publicIps');
  }
  const from = instant('from', input.from);
  const to = instant('to', input.to);
  if (from > to) throw new DomainError('bad_parameter', `${input.from} is after to: ${input.to}`, 'from');
  return {
    case: text('case', input.case, 256),
    reason: input.reason === undefined ? null : text('reason', input.reason, 2000),
    scope: { subscribers, publicIps, from: new Date(from).toISOString(), to: new Date(to).toISOString() },
  };
}

const isActive = (h: Hold) => h.lifted === null;

/**
 * Legal holds: a case's records that must outlive retention until the hold is lifted. Every
 * change is recorded in the access log; a change the log cannot record is undone and refused.
 * Holds are few and read whole (no cache), so every service instance sees a lift at once.
 */
export class HoldStore {
  constructor(private readonly redis: Redis | Cluster) {}

  async list(): Promise<Hold[]> {
    const all = await this.redis.hvals(HOLDS_KEY);
    return all.map((j) => JSON.parse(j) as Hold).sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : 1));
  }

  async active(): Promise<Hold[]> {
    return (await this.list()).filter(isActive);
  }

  async get(id: string): Promise<Hold | null> {
    const j = await this.redis.hget(HOLDS_KEY, id);
    return j === null ? null : (JSON.parse(j) as Hold);
  }

  /**
   * Whether an active hold keeps the records of `publicIp` at `instantMs`: one naming the
   * address, or one on subscribers (whose NAT records are all kept over its range, since the
   * index cannot tell which addresses a subscriber was behind).
   */
  async covers(publicIp: string, instantMs: number): Promise<boolean> {
    return (await this.active()).some(
      (h) =>
        Date.parse(h.scope.from) <= instantMs && instantMs <= Date.parse(h.scope.to) &&
        (h.scope.subscribers.length > 0 || h.scope.publicIps.includes(publicIp)),
    );
  }

  async create(input: HoldInput, actor: Actor, log: AccessLog): Promise<Hold> {
    const hold: Hold = { id: randomBytes(8).toString('hex'), ...normaliseHold(input), created: new Date().toISOString(), createdBy: actor.user, lifted: null };
    if (!(await this.redis.hsetnx(HOLDS_KEY, hold.id, JSON.stringify(hold)))) throw new DomainError('store_unavailable', 'hold id collision; try again');
    try {
      await log.append(record(actor, hold, 'create', hold.reason));
    } catch {
      await this.redis.hdel(HOLDS_KEY, hold.id);
      throw new DomainError('access_log_unavailable', 'the access log could not be written, so the hold was not made; try again shortly');
    }
    return hold;
  }

  async lift(id: string, actor: Actor, log: AccessLog, reason?: string): Promise<Hold> {
    const before = await this.redis.hget(HOLDS_KEY, id);
    if (before === null) throw new DomainError('not_found', `no hold ${JSON.stringify(id)}`);
    const hold = JSON.parse(before) as Hold;
    if (hold.lifted) throw new DomainError('conflict', `hold ${id} was lifted at ${hold.lifted.at} by ${hold.lifted.by}`);
    const why = reason === undefined ? null : text('reason', reason, 2000);
    const lifted: Hold = { ...hold, lifted: { at: new Date().toISOString(), by: actor.user, reason: why } };
    const after = JSON.stringify(lifted);
    if (!(await this.redis.holdSwap(HOLDS_KEY, id, before, after))) throw new DomainError('conflict', `hold ${id} changed meanwhile; list the holds and try again`);
    try {
      await log.append(record(actor, lifted, 'lift', why));
    } catch {
      await this.redis.holdSwap(HOLDS_KEY, id, after, before);
      throw new DomainError('access_log_unavailable', 'the access log could not be written, so the hold stays; try again shortly');
    }
    return lifted;
  }
}

function record(actor: Actor, hold: Hold, action: 'create' | 'lift', reason: string | null): AuditEntry {
  return {
    kind: 'hold', time: new Date().toISOString(), user: actor.user, tokenId: actor.tokenId, client: actor.client, case: hold.case,
    route: actor.route, disclosed: [], details: { action, hold: hold.id, scope: hold.scope, reason },
  };
}
