import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { sha256 } from '../../audit/canonical.js';
import { newFormToken } from './csrf.js';

/**
 * What a session stands for. Today a sign-in with an API token, kept by the token's hash so that
 * the token's roles and revocation apply on every request; an OIDC sign-in would add its own
 * kind (issuer and subject, mapped to a principal) without changing the session itself.
 */
export type SessionSubject = { kind: 'token'; tokenHash: string };

export interface DeskSession {
  /** The cookie's value: known to the browser only; Redis keeps its hash. */
  id: string;
  /** The form token of this session (csrf.ts). */
  csrf: string;
  subject: SessionSubject;
  created: number;
  lastSeen: number;
}

/** What a case was asked under, remembered for the next look-up of that case in the session. */
export interface CaseGrounds {
  legalBasis: string;
  purpose: string;
}

export interface SessionLimits {
  /** Seconds without a request after which the session ends. */
  idleS: number;
  /** Seconds after sign-in after which it ends, however busy. */
  maxS: number;
  now?: () => number;
}

const ID = /^[A-Za-z0-9_-]{43}$/;
const key = (id: string) => `{whohad}:desk:session:${sha256(id)}`;
const CASE = 'case:';

/**
 * Desk sessions in Redis, one hash each under the SHA-256 of the session id (a copy of Redis
 * lets no one take over a session). Redis expires an idle session; the absolute limit is checked
 * on every use and bounds the expiry too, so neither limit depends on the other.
 */
export class SessionStore {
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly limits: SessionLimits,
  ) {
    this.now = limits.now ?? Date.now;
  }

  private ttlS(created: number, at: number): number {
    const left = Math.floor((created + this.limits.maxS * 1000 - at) / 1000);
    return Math.max(1, Math.min(this.limits.idleS, left));
  }

  async start(subject: SessionSubject): Promise<DeskSession> {
    const id = randomBytes(32).toString('base64url');
    const csrf = newFormToken();
    const at = this.now();
    await this.redis
      .multi()
      .hset(key(id), { kind: subject.kind, tokenHash: subject.tokenHash, csrf, created: at, lastSeen: at })
      .expire(key(id), this.ttlS(at, at))
      .exec();
    return { id, csrf, subject, created: at, lastSeen: at };
  }

  /** The session, now marked used; null when it never existed, ended, or is past a limit. */
  async resume(id: string | undefined): Promise<DeskSession | null> {
    if (!id || !ID.test(id)) return null;
    const h = await this.redis.hmget(key(id), 'kind', 'tokenHash', 'csrf', 'created', 'lastSeen');
    const [kind, tokenHash, csrf, createdText, lastText] = h;
    if (kind !== 'token' || !tokenHash || !csrf) return null;
    const created = Number(createdText);
    const lastSeen = Number(lastText);
    const at = this.now();
    if (at - created >= this.limits.maxS * 1000 || at - lastSeen >= this.limits.idleS * 1000) {
      await this.end(id);
      return null;
    }
    await this.redis.multi().hset(key(id), 'lastSeen', at).expire(key(id), this.ttlS(created, at)).exec();
    return { id, csrf, subject: { kind, tokenHash }, created, lastSeen: at };
  }

  async end(id: string): Promise<void> {
    if (ID.test(id)) await this.redis.del(key(id));
  }

  async remember(id: string, caseRef: string, grounds: CaseGrounds): Promise<void> {
    await this.redis.hset(key(id), `${CASE}${caseRef}`, JSON.stringify(grounds));
  }

  /** Every case asked in this session, with what it was last asked under. */
  async remembered(id: string): Promise<Map<string, CaseGrounds>> {
    const all = await this.redis.hgetall(key(id));
    const out = new Map<string, CaseGrounds>();
    for (const [field, value] of Object.entries(all)) {
      if (field.startsWith(CASE)) out.set(field.slice(CASE.length), JSON.parse(value) as CaseGrounds);
    }
    return out;
  }
}
