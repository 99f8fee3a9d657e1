import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { DomainError } from '../core/domain-error.js';
import { isIpv4, ipv4ToU32 } from '../core/ip.js';
import { isoMs } from '../core/time.js';
import type { ClaimedRange, NatConfigFormat } from './format.js';
import { checkVersionInput, type VersionInput } from './input.js';
import type { NatConfigRegistry } from './registry.js';

export const natConfigKeys = {
  /** Hash: version id -> the version's JSON. Versions are only ever added (see withdraw). */
  versions: '{natconfig}:versions',
  /** Bumped by every change, so a reader knows in one GET whether its copy is current. */
  gen: '{natconfig}:gen',
};

/**
 * One version of a NAT configuration as entered. Immutable: a correction is a new version, which
 * may end this one from its own validFrom on by naming it in `supersedes`.
 */
export interface NatConfigVersion {
  /** 16 hex digits. */
  id: string;
  /** The NAT instance (a device, or a pool of one) the configuration is of. */
  instance: string;
  /** 1, 2, 3 … per instance, in the order of entry. */
  version: number;
  /** Its place in the order of entry of all versions (the history's generation it made). */
  entrySeq: number;
  format: string;
  /** The configuration text as entered: the source of truth the rules are read from. */
  text: string;
  /** The rules the format read from the text, as JSON (what an investigator reads in the evidence). */
  rules: unknown;
  /** The public IPv4 space the rules claim. */
  claims: ClaimedRange[];
  /** ISO 8601 UTC, inclusive. */
  validFrom: string;
  /** ISO 8601 UTC, exclusive; null while open. */
  validTo: string | null;
  /** The version this one ends at its validFrom (a correction), or null. */
  supersedes: string | null;
  enteredBy: string;
  enteredAt: string;
  /** A file name or a device: where the text came from. */
  origin: string | null;
}

/** A version with what later versions say about it. */
export interface VersionView extends NatConfigVersion {
  /** The versions that end this one, earliest first. */
  supersededBy: Array<{ id: string; version: number; at: string }>;
  /** Where this version's force ends: validTo or the earliest superseding validFrom; null while open. */
  inForceUntil: string | null;
}

/** A version in force at an instant, ready to compute with. */
export interface InForce {
  version: VersionView;
  /** The format that computes the mapping; null when this installation does not know it. */
  format: NatConfigFormat | null;
  /** The rules read again from the text; null with `problem` when they cannot be. */
  rules: unknown;
  problem: string | null;
  /** The version's force as instants: from `validFrom`, up to `until` (exclusive; Infinity while open). */
  from: number;
  until: number;
}

/** Who enters a version, and how the entry reaches the access log. */
export interface Entrant {
  user: string;
  /** Records the entry; if it throws, the version is taken back and the entry refused. */
  record: (v: VersionView) => Promise<unknown>;
}

interface Claim {
  first: number;
  last: number;
}

interface Loaded {
  raw: NatConfigVersion;
  view: VersionView;
  from: number;
  /** Infinity while open. */
  until: number;
  claims: Claim[];
}

interface Snapshot {
  gen: string;
  all: Loaded[];
  byId: Map<string, Loaded>;
  /** The claims cut into pieces, made at the first versionsAt of this state (entry never needs them). */
  pieces: Pieces | null;
}

interface Pieces {
  /** Where claims begin and end, ascending: piece i is [bounds[i], bounds[i+1]). */
  bounds: number[];
  /** The versions claiming each piece, whatever their period. */
  claimants: Loaded[][];
}

const ATTEMPTS = 32;
const OPEN = Number.POSITIVE_INFINITY;

const claimsOf = (ranges: ClaimedRange[]): Claim[] => ranges.map((r) => ({ first: ipv4ToU32(r.first), last: ipv4ToU32(r.last) }));
const claimsMeet = (a: Claim[], b: Claim[]) => a.some((x) => b.some((y) => x.first <= y.last && y.first <= x.last));
const rangeText = (r: ClaimedRange) => (r.first === r.last ? r.first : `${r.first}-${r.last}`);
const periodText = (from: number, until: number) => `${isoMs(from)} .. ${until === OPEN ? 'open' : isoMs(until)}`;

/** BigInt and other values JSON cannot hold become text, so any format's rules can be shown. */
export function rulesJson(rules: unknown): unknown {
  return JSON.parse(JSON.stringify(rules, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null');
}

/**
 * The history of NAT configurations in Redis: entering a version (checked against every stored
 * version of its instance), listing, and the versions in force at an address and instant. All
 * versions are read into memory once per change (a GET of the generation tells whether the copy
 * is current), because a look-up may ask at every answer and versions are few.
 */
export class NatConfigVersions {
  private snap: Snapshot | null = null;
  private loading: Promise<Snapshot> | null = null;
  private readonly parsed = new Map<string, { rules: unknown; problem: string | null }>();
  /** The generation GET in flight: look-ups asked together (a batch, a busy service) share one. */
  private genAsked: Promise<string | null> | null = null;

  constructor(
    private readonly redis: Redis | Cluster,
    readonly registry: NatConfigRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every version, oldest entry first; of one instance, and in force at `atMs`, if given. */
  async list(filter: { instance?: string; atMs?: number } = {}): Promise<VersionView[]> {
    const s = await this.snapshot();
    return s.all
      .filter((l) => filter.instance === undefined || l.view.instance === filter.instance)
      .filter((l) => filter.atMs === undefined || (l.from <= filter.atMs && filter.atMs < l.until))
      .map((l) => l.view);
  }

  async get(id: string): Promise<VersionView> {
    const l = (await this.snapshot()).byId.get(id);
    if (!l) throw new DomainError('not_found', `no NAT configuration version ${JSON.stringify(id)} (whohad natconfig list shows the ids)`, 'id');
    return l.view;
  }

  /** The versions whose claimed space holds `publicIp` and that are in force at `atMs`. Two or more: a conflict. */
  async versionsAt(publicIp: string, atMs: number): Promise<InForce[]> {
    if (!isIpv4(publicIp)) return [];
    const ip = ipv4ToU32(publicIp);
    const s = await this.snapshot();
    s.pieces ??= pieces(s.all);
    const seg = segmentOf(s.pieces.bounds, ip);
    if (seg < 0) return [];
    return s.pieces.claimants[seg].filter((l) => l.from <= atMs && atMs < l.until).map((l) => this.inForce(l));
  }

  /**
   * The versions whose claimed space holds `publicIp` and that are in force at any instant of
   * [from, to] (closed): a look-up's tolerance window may cross a change of configuration.
   * `claimed`: whether any version, of any period, claims the address (it is behind a NAT).
   */
  async versionsDuring(publicIp: string, from: number, to: number): Promise<{ claimed: boolean; inForce: InForce[] }> {
    if (!isIpv4(publicIp)) return { claimed: false, inForce: [] };
    const ip = ipv4ToU32(publicIp);
    const s = await this.snapshot();
    s.pieces ??= pieces(s.all);
    const seg = segmentOf(s.pieces.bounds, ip);
    if (seg < 0) return { claimed: false, inForce: [] };
    const all = s.pieces.claimants[seg];
    return { claimed: all.length > 0, inForce: all.filter((l) => l.from <= to && from < l.until).map((l) => this.inForce(l)) };
  }

  /** The versions of `instance` in force at `atMs`, ready to compute with. */
  async instanceAt(instance: string, atMs: number): Promise<InForce[]> {
    const s = await this.snapshot();
    return s.all.filter((l) => l.view.instance === instance && l.from <= atMs && atMs < l.until).map((l) => this.inForce(l));
  }

  /**
   * Enters a version. Refused, naming the conflicting version, when a version of the same
   * instance claims any of the same public space for any of the same time; the only way to end
   * an earlier version is to supersede it explicitly (this version's validFrom ends it).
   */
  async enter(input: VersionInput, who: Entrant): Promise<VersionView> {
    const checked = checkVersionInput(input, this.registry);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const s = await this.snapshot(true);
      const version: NatConfigVersion = {
        id: randomBytes(8).toString('hex'),
        instance: checked.instance,
        version: 1 + s.all.reduce((n, l) => (l.view.instance === checked.instance ? Math.max(n, l.view.version) : n), 0),
        // the script takes it only on generation s.gen, which it moves on by one
        entrySeq: Number(s.gen) + 1,
        format: checked.format.name,
        text: checked.text,
        rules: rulesJson(checked.rules),
        claims: checked.claims,
        validFrom: isoMs(checked.fromMs),
        validTo: checked.toMs === null ? null : isoMs(checked.toMs),
        supersedes: checked.supersedes,
        enteredBy: who.user,
        enteredAt: isoMs(this.now()),
        origin: checked.origin,
      };
      refuseOverlap(s, version, checked.fromMs, checked.toMs ?? OPEN);
      const [status, gen] = await this.redis.natConfigEnter(natConfigKeys.versions, natConfigKeys.gen, s.gen, version.id, JSON.stringify(version));
      if (status === 'moved' || status === 'taken') continue;
      this.parsed.set(version.id, { rules: checked.rules, problem: null });
      // the script took it on exactly the versions checked, so they and it are the state at `gen`
      this.snap = build(gen!, [...s.all.map((l) => l.raw), version], s);
      const view = this.snap.byId.get(version.id)!.view;
      try {
        await who.record(view);
      } catch {
        await this.redis.natConfigWithdraw(natConfigKeys.versions, natConfigKeys.gen, version.id, `"supersedes":${JSON.stringify(version.id)}`);
        this.snap = null;
        throw new DomainError('access_log_unavailable', 'the access log could not be written, so the version was not entered; try again shortly');
      }
      return view;
    }
    throw new DomainError('store_unavailable', 'versions kept being entered meanwhile; try again');
  }

  private inForce(l: Loaded): InForce {
    const { view, from, until } = l;
    const format = this.registry.find(view.format);
    if (!format) return { version: view, format: null, rules: null, problem: `format ${view.format} is not installed here`, from, until };
    let p = this.parsed.get(view.id);
    if (!p) {
      // the text is the source of truth: the rules are read again, as the format reads them
      const r = format.parse(view.text);
      p = r.ok ? { rules: r.rules, problem: null } : { rules: null, problem: `the stored text no longer reads as ${view.format}: line ${r.errors[0]?.line}: ${r.errors[0]?.message}` };
      this.parsed.set(view.id, p);
    }
    return { version: view, format, ...p, from, until };
  }

  /** The versions as of the current generation; `fresh` re-reads the generation even if a load is under way. */
  private async snapshot(fresh = false): Promise<Snapshot> {
    const gen = (await (fresh ? this.redis.get(natConfigKeys.gen) : this.generation())) ?? '0';
    if (this.snap && this.snap.gen === gen) return this.snap;
    if (!fresh && this.loading) return this.loading;
    const loading = this.load();
    this.loading = loading;
    try {
      this.snap = await loading;
      return this.snap;
    } finally {
      if (this.loading === loading) this.loading = null;
    }
  }

  /**
   * The current generation, one GET for every caller asking while it is in flight (a batch of
   * look-ups, a busy service): a caller that joins it reads the state as of at most one round
   * trip before it asked, as if it had been asked together with the first.
   */
  private generation(): Promise<string | null> {
    if (this.genAsked) return this.genAsked;
    const asked = this.redis.get(natConfigKeys.gen);
    this.genAsked = asked;
    const done = () => {
      if (this.genAsked === asked) this.genAsked = null;
    };
    asked.then(done, done);
    return asked;
  }

  /**
   * Reads every version with the generation it belongs to. Not in a MULTI: a full Redis refuses
   * every command of a transaction, reads too, and a look-up must still be answered (or refused
   * by its access-log record) then. Every change moves the generation in the same script that
   * changes the hash, so an unchanged generation either side of the read dates it.
   */
  private async load(): Promise<Snapshot> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      // three reads in turn, not a pipeline: the service's pipelines wait for replicas to confirm
      // them (WHOHAD_WAIT_REPLICAS), which a read has nothing to confirm, and which a primary
      // whose replica was just promoted cannot do
      const before = (await this.redis.get(natConfigKeys.gen)) ?? '0';
      const values = await this.redis.hvals(natConfigKeys.versions);
      if (before !== ((await this.redis.get(natConfigKeys.gen)) ?? '0')) continue;
      return build(before, values.map((j) => JSON.parse(j) as NatConfigVersion), this.snap);
    }
    throw new DomainError('store_unavailable', 'versions kept being entered meanwhile; try again');
  }
}

/** The versions as loaded; claims already read into numbers for `prev` are taken from it (versions never change). */
function build(gen: string, stored: NatConfigVersion[], prev: Snapshot | null): Snapshot {
  stored.sort((a, b) => a.entrySeq - b.entrySeq);
  const ends = new Map<string, Array<{ id: string; version: number; at: string }>>();
  for (const v of stored) {
    if (v.supersedes) ends.set(v.supersedes, [...(ends.get(v.supersedes) ?? []), { id: v.id, version: v.version, at: v.validFrom }]);
  }
  const all = stored.map((v): Loaded => {
    const supersededBy = (ends.get(v.id) ?? []).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    const from = Date.parse(v.validFrom);
    const until = Math.min(v.validTo === null ? OPEN : Date.parse(v.validTo), ...supersededBy.map((e) => Date.parse(e.at)));
    return { raw: v, view: { ...v, supersededBy, inForceUntil: until === OPEN ? null : isoMs(Math.max(from, until)) }, from, until: Math.max(from, until), claims: prev?.byId.get(v.id)?.claims ?? claimsOf(v.claims) };
  });
  return { gen, all, byId: new Map(all.map((l) => [l.view.id, l])), pieces: null };
}

/**
 * The public space cut where any claim begins or ends, each piece with the versions claiming
 * it: a look-up finds its address's piece by binary search instead of testing every claim of
 * every version (histories of years hold thousands).
 */
function pieces(all: Loaded[]): Pieces {
  const points = new Set<number>();
  for (const l of all) for (const c of l.claims) points.add(c.first).add(c.last + 1);
  const bounds = [...points].sort((a, b) => a - b);
  const claimants: Loaded[][] = bounds.map(() => []);
  for (const l of all) {
    for (const c of l.claims) {
      for (let i = segmentOf(bounds, c.first); i < bounds.length && bounds[i] <= c.last; i++) {
        // a version whose claims touch one piece twice is listed once
        if (claimants[i].at(-1) !== l) claimants[i].push(l);
      }
    }
  }
  return { bounds, claimants };
}

/** The piece holding `ip`: the last bound at or below it; -1 below the first. */
function segmentOf(bounds: number[], ip: number): number {
  let lo = 0;
  let hi = bounds.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid] <= ip) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Refuses a version that supersedes what it cannot end, or overlaps another of its instance. */
function refuseOverlap(s: Snapshot, v: NatConfigVersion, from: number, to: number): void {
  if (v.supersedes !== null) {
    const old = s.byId.get(v.supersedes);
    if (!old) throw new DomainError('not_found', `no NAT configuration version ${JSON.stringify(v.supersedes)} to supersede (whohad natconfig list shows the ids)`, 'supersedes');
    if (old.view.instance !== v.instance) {
      throw new DomainError('bad_parameter', `version ${old.view.id} is of instance ${old.view.instance}, not ${v.instance}: a version supersedes one of its own instance`, 'supersedes');
    }
    if (!(old.from <= from && from < old.until)) {
      throw new DomainError('conflict', `version ${old.view.version} of ${v.instance} (id ${old.view.id}) is in force ${periodText(old.from, old.until)}; validFrom ${v.validFrom} is outside it, so it cannot end it there`, 'supersedes');
    }
  }
  const mine = claimsOf(v.claims);
  for (const other of s.all) {
    if (other.view.instance !== v.instance) continue;
    const until = other.view.id === v.supersedes ? Math.min(other.until, from) : other.until;
    if (!(other.from < to && from < until)) continue;
    if (!claimsMeet(mine, other.claims)) continue;
    const shared = other.view.claims.filter((_, i) => claimsMeet(mine, [other.claims[i]])).map(rangeText).join(', ');
    throw new DomainError(
      'conflict',
      `overlaps version ${other.view.version} of ${v.instance} (id ${other.view.id}, in force ${periodText(other.from, until)}, claiming ${shared}) for ${periodText(Math.max(from, other.from), Math.min(to, until))}: ` +
        `to replace it from ${v.validFrom} on, enter this version with supersedes ${other.view.id}; otherwise give a period or public space it does not share`,
    );
  }
}
