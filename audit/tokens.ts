import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { sha256 } from './canonical.js';

export const ROLES = ['ingest', 'investigator', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  tokenId: string;
  name: string;
  roles: Role[];
}

export interface TokenInfo extends Principal {
  created: string;
  revoked: string | null;
}

/** Keys: one hash per token (by the SHA-256 of the token), and the names. */
const tokenKey = (hash: string) => `{whohad}:token:${hash}`;
const NAMES = '{whohad}:token-names';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export class TokenError extends Error {}

/**
 * API tokens: random, shown once, stored only as their SHA-256. A token is `whd_<id>_<secret>`;
 * the id is not secret and names the token in logs and rejected-attempt records.
 */
export class TokenStore {
  constructor(private readonly redis: Redis | Cluster) {}

  async create(name: string, roles: string[]): Promise<{ token: string; info: TokenInfo }> {
    if (!NAME.test(name)) throw new TokenError(`name ${JSON.stringify(name)}: use 1-64 letters, digits and . _ @ - (starting with a letter or digit)`);
    const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
    if (roles.length === 0 || bad.length) throw new TokenError(`role ${JSON.stringify(bad[0] ?? '')} is not one of ${ROLES.join(', ')}`);
    const tokenId = randomBytes(6).toString('hex');
    const token = `whd_${tokenId}_${randomBytes(32).toString('base64url')}`;
    const hash = sha256(token);
    const info: TokenInfo = { tokenId, name, roles: [...new Set(roles)] as Role[], created: new Date().toISOString(), revoked: null };
    if (!(await this.redis.hsetnx(NAMES, name, hash))) throw new TokenError(`a token named ${JSON.stringify(name)} exists; revoke it first`);
    await this.redis.hset(tokenKey(hash), { tokenId, name, roles: info.roles.join(','), created: info.created });
    return { token, info };
  }

  /** The principal of a token, or why it is refused. Looked up on every request, so revocation is immediate. */
  async authenticate(token: string | undefined): Promise<Principal | { refused: string; prefix: string | null }> {
    if (!token) return { refused: 'no token (send Authorization: Bearer <token>)', prefix: null };
    const m = /^whd_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(token);
    const prefix = m ? m[1] : token.slice(0, 8).replace(/[^\x20-\x7e]/g, '?');
    if (!m) return { refused: 'malformed token', prefix };
    return this.byHash(sha256(token), prefix);
  }

  /**
   * The principal of a token known only by its SHA-256 (a desk session keeps no more than that),
   * read afresh each time so that revoking the token ends every session started with it.
   */
  async byHash(hash: string, prefix: string | null = null): Promise<Principal | { refused: string; prefix: string | null }> {
    const t = await this.redis.hgetall(tokenKey(hash));
    if (!t.tokenId) return { refused: 'unknown token', prefix };
    if (t.revoked) return { refused: 'revoked token', prefix: t.tokenId };
    return { tokenId: t.tokenId, name: t.name, roles: t.roles.split(',') as Role[] };
  }

  async list(): Promise<TokenInfo[]> {
    const names = await this.redis.hgetall(NAMES);
    const out: TokenInfo[] = [];
    for (const hash of Object.values(names)) {
      const t = await this.redis.hgetall(tokenKey(hash));
      if (t.tokenId) out.push({ tokenId: t.tokenId, name: t.name, roles: t.roles.split(',') as Role[], created: t.created, revoked: t.revoked ?? null });
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
    const t = await this.redis.hgetall(tokenKey(hash));
    return { tokenId: t.tokenId, name: t.name, roles: t.roles.split(',') as Role[], created: t.created, revoked };
  }
}
