import { hash as digest, randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { sha256 } from './canonical.js';
import { TOKEN_REVOKED_CHANNEL, type TokenCache } from './token-cache.js';

export const ROLES = ['ingest', 'investigator', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  tokenId: string;
  name: string;
  roles: Role[];
  /** The source names an ingest token may store events under; null: any (a token made without --sources). */
  sources: string[] | null;
}

export interface TokenInfo extends Principal {
  created: string;
  revoked: string | null;
}

/** Keys: one hash per token (by the SHA-256 of the token), and the names. */
const tokenKey = (hash: string) => `{whohad}:token:${hash}`;
const NAMES = '{whohad}:token-names';

const TOKEN = /^whd_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/;
const TOKEN_LENGTH = 4 + 12 + 1 + 43;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** A source name as events carry it (1-128 characters), without the list separator, spaces or controls. */
const SOURCE = /^[^,\s\u0000-\u001f\u007f-\u009f]{1,128}$/;

const sourcesOf = (stored: string | undefined): string[] | null => (stored === undefined || stored === '*' ? null : stored.split(',').filter(Boolean));
const principalOf = (t: Record<string, string>): Principal => ({ tokenId: t.tokenId, name: t.name, roles: t.roles.split(',') as Role[], sources: sourcesOf(t.sources) });

/** Whether a token may store events under `source`. */
export const maySource = (p: Principal, source: string) => p.sources === null || p.sources.includes(source);

export class TokenError extends Error {}

/**
 * API tokens: random, shown once, stored only as their SHA-256. A token is `whd_<id>_<secret>`;
 * the id is not secret and names the token in logs and rejected-attempt records.
 */
export class TokenStore {
  constructor(
    private readonly redis: Redis | Cluster,
    /** Verified tokens kept in this process, emptied on revocation (the service's; the CLI has none). */
    private readonly cache?: TokenCache,
  ) {}

  /** `sources`: the source names an ingest token may write (omitted or ['*']: any). */
  async create(name: string, roles: string[], sources?: string[]): Promise<{ token: string; info: TokenInfo }> {
    if (!NAME.test(name)) throw new TokenError(`name ${JSON.stringify(name)}: use 1-64 letters, digits and . _ @ - (starting with a letter or digit)`);
    const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
    if (roles.length === 0 || bad.length) throw new TokenError(`role ${JSON.stringify(bad[0] ?? '')} is not one of ${ROLES.join(', ')}`);
    const anySource = sources === undefined || (sources.length === 1 && sources[0] === '*');
    const badSource = anySource ? undefined : sources.find((x) => !SOURCE.test(x));
    if (!anySource && (sources.length === 0 || badSource !== undefined)) {
      throw new TokenError(`source ${JSON.stringify(badSource ?? '')}: use 1-128 characters without commas, spaces or control characters (or * for any source)`);
    }
    const tokenId = randomBytes(6).toString('hex');
    const token = `whd_${tokenId}_${randomBytes(32).toString('base64url')}`;
    const hash = sha256(token);
    const bound = anySource ? null : [...new Set(sources)];
    const info: TokenInfo = { tokenId, name, roles: [...new Set(roles)] as Role[], sources: bound, created: new Date().toISOString(), revoked: null };
    if (!(await this.redis.hsetnx(NAMES, name, hash))) throw new TokenError(`a token named ${JSON.stringify(name)} exists; revoke it first`);
    await this.redis.hset(tokenKey(hash), { tokenId, name, roles: info.roles.join(','), sources: bound === null ? '*' : bound.join(','), created: info.created });
    return { token, info };
  }

  /**
   * The principal of a token, or why it is refused. Read from Redis, or from the cache, which a
   * revocation empties the moment it is announced (see TokenCache). A refusal carries nothing
   * taken from the token: its id part is only a claim until the whole token matches, and any
   * other part may be (part of) a secret.
   */
  async authenticate(token: string | undefined): Promise<Principal | { refused: string }> {
    if (!token) return { refused: 'no token (send Authorization: Bearer <token>)' };
    if (token.length !== TOKEN_LENGTH || !TOKEN.test(token)) return { refused: 'malformed token' };
    return this.byHash(digest('sha256', token, 'hex'));
  }

  /**
   * The principal of a token known only by its SHA-256 (a desk session keeps no more than that),
   * read afresh unless the cache holds it, so that revoking the token ends every session started
   * with it. Refusals are never cached: a token created a moment ago is known at once.
   */
  async byHash(hash: string): Promise<Principal | { refused: string }> {
    const cache = this.cache;
    const hit = cache?.get(hash);
    if (hit) return hit;
    const generation = cache?.generation ?? 0;
    const t = await this.redis.hgetall(tokenKey(hash));
    if (!t.tokenId) return { refused: 'unknown token' };
    if (t.revoked) return { refused: 'revoked token' };
    const principal = principalOf(t);
    cache?.put(hash, principal, generation);
    return principal;
  }

  async list(): Promise<TokenInfo[]> {
    const names = await this.redis.hgetall(NAMES);
    const out: TokenInfo[] = [];
    for (const hash of Object.values(names)) {
      const t = await this.redis.hgetall(tokenKey(hash));
      if (t.tokenId) out.push({ ...principalOf(t), created: t.created, revoked: t.revoked ?? null });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Revokes by name; the record stays (marked revoked) so later audits can still name it. */
  async revoke(name: string): Promise<TokenInfo> {
    const hash = await this.redis.hget(NAMES, name);
    if (!hash) throw new TokenError(`no token named ${JSON.stringify(name)}`);
    const revoked = new Date().toISOString();
    await this.redis.hset(tokenKey(hash), 'revoked', revoked);
    await this.redis.hdel(NAMES, name);
    await this.redis.hset(`${NAMES}:revoked`, `${name}@${revoked}`, hash);
    // this process drops it at once (its own message may come later, from another node of a
    // Cluster); every other service process when the message reaches it (each reads it afresh
    // within a second regardless)
    this.cache?.invalidate(hash);
    await this.redis.publish(TOKEN_REVOKED_CHANNEL, hash);
    const t = await this.redis.hgetall(tokenKey(hash));
    return { ...principalOf(t), created: t.created, revoked };
  }
}
