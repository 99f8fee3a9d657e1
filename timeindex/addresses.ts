import type { ChainableCommander } from 'ioredis';

/**
 * Every address the index holds chains for, so that retention and holds can visit them
 * without scanning all keys. Sharded into 64 sets (each its own cluster slot); the writer adds
 * an address once per process, which is cheap because the sets are idempotent.
 */
export const ADDRESS_SHARDS = 64;

export type AddressKind = 'nat' | 'lease';

function shardOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return (h >>> 0) % ADDRESS_SHARDS;
}

/** `nat` members are public addresses; `lease` members are `<vrf>|<address>`. */
export const addressSetKey = (kind: AddressKind, shard: number) => `{whohad:addr:${shard}}:${kind}`;

export class AddressRegistry {
  private readonly seen = new Set<string>();

  constructor(private readonly limit = 4_000_000) {}

  /**
   * Queues an SADD for an address this process has not seen registered, and returns its
   * pipeline position; null when nothing was queued. The address counts as registered only once
   * Redis has taken it: the caller reports the reply with `taken`.
   */
  note(p: ChainableCommander, kind: AddressKind, id: string): number | null {
    if (this.seen.has(`${kind}|${id}`)) return null;
    const slot = p.length;
    p.sadd(addressSetKey(kind, shardOf(id)), id);
    return slot;
  }

  taken(kind: AddressKind, id: string): void {
    if (this.seen.size >= this.limit) this.seen.clear();
    this.seen.add(`${kind}|${id}`);
  }
}
