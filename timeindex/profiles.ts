import type { Cluster, Redis } from 'ioredis';
import { indexError } from './codes.js';
import { DICTIONARY_KEY } from './keys.js';

export interface Profile {
  vrf: string;
  source: string;
}

/**
 * What many records share (their VRF and source) is stored once in a dictionary and each
 * record carries a 2-byte id. Both directions are cached for the life of the process: ids are
 * never reused, so a cached entry can never go stale.
 */
export class ProfileDictionary {
  private readonly ids = new Map<string, number>();
  private readonly profiles = new Map<number, Profile>();

  constructor(private readonly redis: Redis | Cluster) {}

  /** The id, without a promise when it is already known (the ingest hot path). */
  idFor(vrf: string, source: string): number | Promise<number> {
    const text = `${vrf}|${source}`;
    return this.ids.get(text) ?? this.create(text, vrf, source);
  }

  private async create(text: string, vrf: string, source: string): Promise<number> {
    const id = await this.redis.profileId(DICTIONARY_KEY, text);
    if (typeof id !== 'number') throw indexError(id);
    this.ids.set(text, id);
    this.profiles.set(id, { vrf, source });
    return id;
  }

  /** Resolves ids to profiles, asking Redis only for ids this process has not seen. */
  async describe(ids: Iterable<number>): Promise<Map<number, Profile>> {
    // twice per look-up, and nearly always for ids already known: nothing is built for those
    let unknown: Set<number> | null = null;
    for (const id of ids) if (!this.profiles.has(id)) (unknown ??= new Set()).add(id);
    if (unknown) {
      const missing = [...unknown];
      const texts = await this.redis.hmget(DICTIONARY_KEY, ...missing.map((id) => `i:${id}`));
      missing.forEach((id, i) => {
        const text = texts[i];
        if (text === null) return;
        const cut = text.lastIndexOf('|');
        this.profiles.set(id, { vrf: text.slice(0, cut), source: text.slice(cut + 1) });
      });
    }
    return this.profiles;
  }
}
