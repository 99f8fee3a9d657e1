import type { Cluster, Redis } from 'ioredis';
import type { Ingest } from '../schemas/attribution.js';
import { indexError } from './codes.js';
import { DICTIONARY_KEY } from './keys.js';

export type { Ingest };

export interface Profile {
  vrf: string;
  source: string;
  /** Which ingest wrote the records of this profile; null for a profile of two parts (written before ingests were named). */
  ingest: Ingest | null;
}

/**
 * The parts of a profile text written since ingests are named are joined by the unit separator:
 * a VRF may hold `|` and names are refused with any control character (events/wire.ts), so no
 * part can hold it and a text of two parts (`<vrf>|<source>`, split at the last `|`: a source
 * may not hold `|`) can never be read as one of three.
 */
const SEP = '\u001f';
const INGEST_PATHS = { token: 'tokenId', cli: 'user', collector: 'collector' } as const;

export function ingestText(i: Ingest): string {
  return `${i.path}:${i[INGEST_PATHS[i.path]]}`;
}

/** The ingest a text names, or null for one this version does not know (it answers, naming no ingest). */
export function parseIngest(text: string): Ingest | null {
  const cut = text.indexOf(':');
  const path = text.slice(0, cut);
  const name = text.slice(cut + 1);
  if (cut <= 0 || name === '' || !Object.hasOwn(INGEST_PATHS, path)) return null;
  return { path, [INGEST_PATHS[path as keyof typeof INGEST_PATHS]]: name } as Ingest;
}

/** Without an ingest the text is the one of two parts every earlier version wrote. */
export function profileText(vrf: string, source: string, ingest: Ingest | null): string {
  return ingest === null ? `${vrf}|${source}` : `${vrf}${SEP}${source}${SEP}${ingestText(ingest)}`;
}

export function parseProfile(text: string): Profile {
  const parts = text.split(SEP);
  if (parts.length === 3) return { vrf: parts[0], source: parts[1], ingest: parseIngest(parts[2]) };
  const cut = text.lastIndexOf('|');
  return { vrf: text.slice(0, cut), source: text.slice(cut + 1), ingest: null };
}

/**
 * What many records share (their VRF, source and the ingest that wrote them) is stored once in a
 * dictionary and each record carries a 2-byte id: the ids grow with the credentials that write,
 * not with the requests. Both directions are cached for the life of the process: ids are never
 * reused, so a cached entry can never go stale.
 */
export class ProfileDictionary {
  private readonly ids = new Map<string, number>();
  private readonly profiles = new Map<number, Profile>();

  constructor(private readonly redis: Redis | Cluster) {}

  /** The id, without a promise when it is already known (the ingest hot path). */
  idFor(vrf: string, source: string, ingest: Ingest | null = null): number | Promise<number> {
    const text = profileText(vrf, source, ingest);
    return this.ids.get(text) ?? this.create(text);
  }

  private async create(text: string): Promise<number> {
    // validation refuses control characters in names before an event gets here; one it missed
    // must not shift the parts of a profile (checked once per new profile, not per event)
    if (text.includes(SEP) && text.split(SEP).length !== 3) throw new Error(`profile ${JSON.stringify(text)}: a name contains the unit separator (a control character): not stored`);
    const id = await this.redis.profileId(DICTIONARY_KEY, text);
    if (typeof id !== 'number') throw indexError(id);
    this.ids.set(text, id);
    this.profiles.set(id, parseProfile(text));
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
        if (text !== null) this.profiles.set(id, parseProfile(text));
      });
    }
    return this.profiles;
  }
}
